"""python-zip-extractor — if the content is a zip archive, emits every file
in it as a sub-content named by its path in the archive (wadup then runs
every module on each of them).

Not a zip: no output, success. Directories are skipped. An entry that
cannot be extracted (corrupt data, bad CRC, encryption, an unsupported
compression method, larger than ENTRY_CAP) is skipped with one line on
stderr (kept in the results) and the others are still emitted, as the C
zip-extractor does. A zip whose central directory cannot be read fails the
content (zipfile.BadZipFile).
"""
import sys
import zipfile

import wadup

ENTRY_CAP = 1 << 30  # bytes per extracted entry


def main():
    with wadup.open_content() as f:
        if not zipfile.is_zipfile(f):
            return
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if info.file_size > ENTRY_CAP:
                    print("skipped %r: %d bytes is more than %d" % (info.filename, info.file_size, ENTRY_CAP),
                          file=sys.stderr)
                    continue
                try:
                    data = zf.read(info)
                except MemoryError:
                    raise  # the instance's memory limit: fail the content
                except Exception as e:  # BadZipFile (bad CRC), zlib.error, NotImplementedError, RuntimeError...
                    print("skipped %r: %s: %s" % (info.filename, type(e).__name__, e), file=sys.stderr)
                    continue
                wadup.emit_bytes(data, info.filename)
