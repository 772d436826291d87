#!/usr/bin/env python3
"""go_fixtures.py — the inputs of the Go example modules' tests
(tests/e2e/test_go.py), byte-for-byte deterministic, written into a
directory:

  archive.tar       ustar: hello.txt (13 bytes), docs/ (directory),
                    docs/notes.md (31 bytes), link -> hello.txt (symlink),
                    empty.txt (0 bytes); mtime 1700000000
  archive.tar.gz    the same archive, gzip-compressed (mtime 0)
  message.txt.gz    a gzip file holding no tar (member name message.txt)
  truncated.tar     archive.tar cut inside hello.txt's data
  pax.tar           POSIX.1-2001 (pax) archive whose entries need extended
                    headers: a 150-character name and a non-ASCII one
  lib64.so          ELF64 little-endian x86-64 shared object: .text,
                    .dynstr, .dynamic (DT_NEEDED libc.so.6, libm.so.6),
                    .shstrtab
  prog32.elf        ELF32 big-endian PowerPC executable, statically linked:
                    .text, .data, .bss, .shstrtab
  broken.elf        the ELF magic, then garbage
  image.png         PNG 3x2, RGB
  image.gif         GIF89a 5x4, two colours
  image.jpg         baseline JPEG 16x8, grayscale (JFIF)
  truncated.png     the PNG signature and half an IHDR chunk
  plain.txt         none of the above

Each fixture's expected result is in EXPECTED (used by the tests).
Usage: tests/e2e/go_fixtures.py DIR     (Python standard library only)
"""
import gzip
import io
import os
import struct
import sys
import tarfile
import zlib

MTIME = 1700000000
HELLO = b"Hello, tar!\n\n"
NOTES = b"# Notes\nwadup reads tar files.\n"


def tar_bytes():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
        def add(name, kind, data=b"", mode=0o644, link=""):
            i = tarfile.TarInfo(name)
            i.type, i.mode, i.mtime, i.uid, i.gid, i.uname, i.gname = kind, mode, MTIME, 0, 0, "", ""
            i.linkname = link
            i.size = len(data)
            t.addfile(i, io.BytesIO(data) if data else None)
        add("hello.txt", tarfile.REGTYPE, HELLO)
        add("docs", tarfile.DIRTYPE, mode=0o755)
        add("docs/notes.md", tarfile.REGTYPE, NOTES)
        add("link", tarfile.SYMTYPE, mode=0o777, link="hello.txt")
        add("empty.txt", tarfile.REGTYPE)
    return out.getvalue()


PAX_FILES = {"d/" + "long" * 36 + ".txt": b"a long name needs a pax header\n",
             "caf\u00e9-\u00fcnicode.txt": b"so does a non-ASCII name\n"}


def pax_tar_bytes():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in PAX_FILES.items():
            i = tarfile.TarInfo(name)
            i.mode, i.mtime, i.uid, i.gid, i.uname, i.gname, i.size = 0o600, MTIME, 0, 0, "", "", len(data)
            t.addfile(i, io.BytesIO(data))
    return out.getvalue()


def gzip_bytes(data, name):
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=out, mtime=0, compresslevel=9) as g:
        g.write(data)
    return out.getvalue()


# ---- ELF ----
EM_X86_64, EM_PPC = 62, 20
ET_EXEC, ET_DYN = 2, 3
SHT_PROGBITS, SHT_STRTAB, SHT_DYNAMIC, SHT_NOBITS = 1, 3, 6, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
DT_NULL, DT_NEEDED, DT_STRTAB = 0, 1, 5


def strtab(names):
    """A string table and each name's offset in it."""
    data, offs = b"\0", {}
    for n in names:
        offs[n] = len(data)
        data += n.encode() + b"\0"
    return data, offs


def elf_file(bits, big, etype, machine, entry, sections):
    """An ELF file with no program headers. sections: (name, type, flags,
    addr, data, link_name, entsize); data is bytes (or an int size for
    NOBITS). Section 0 (null) and .shstrtab (last) are added."""
    e = ">" if big else "<"
    names = [s[0] for s in sections] + [".shstrtab"]
    shstr, offs = strtab(names)
    ehsize, shentsize = (64, 64) if bits == 64 else (52, 40)
    body, placed, pos = b"", [], ehsize
    for s in sections + [(".shstrtab", SHT_STRTAB, 0, 0, shstr, None, 0)]:
        name, typ, flags, addr, data, link, entsize = s
        align = 8 if bits == 64 else 4
        pad = (-pos) % align
        body += b"\0" * pad
        pos += pad
        size = data if isinstance(data, int) else len(data)
        placed.append((name, typ, flags, addr, pos, size, link, entsize, align))
        if not isinstance(data, int):
            body += data
            pos += len(data)
    pad = (-pos) % 8
    body += b"\0" * pad
    shoff = pos + pad
    index = {p[0]: i + 1 for i, p in enumerate(placed)}
    sh = b"\0" * shentsize
    for name, typ, flags, addr, off, size, link, entsize, align in placed:
        li = index[link] if link else 0
        if bits == 64:
            sh += struct.pack(e + "IIQQQQIIQQ", offs[name], typ, flags, addr, off, size, li, 0, align, entsize)
        else:
            sh += struct.pack(e + "IIIIIIIIII", offs[name], typ, flags, addr, off, size, li, 0, align, entsize)
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 2 if big else 1, 1, 0]) + b"\0" * 8
    shnum, shstrndx = len(placed) + 1, len(placed)
    if bits == 64:
        hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", etype, machine, 1, entry, 0, shoff, 0, ehsize, 0, 0,
                                  shentsize, shnum, shstrndx)
    else:
        hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", etype, machine, 1, entry, 0, shoff, 0, ehsize, 0, 0,
                                  shentsize, shnum, shstrndx)
    return hdr + body + sh


def lib64():
    dynstr, offs = strtab(["libc.so.6", "libm.so.6"])
    dyn = struct.pack("<qQqQqQqQ", DT_NEEDED, offs["libc.so.6"], DT_NEEDED, offs["libm.so.6"],
                      DT_STRTAB, 0x2000, DT_NULL, 0)
    text = b"\xc3" * 16  # ret
    return elf_file(64, False, ET_DYN, EM_X86_64, 0x1000, [
        (".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, text, None, 0),
        (".dynstr", SHT_STRTAB, SHF_ALLOC, 0x2000, dynstr, None, 0),
        (".dynamic", SHT_DYNAMIC, SHF_ALLOC | SHF_WRITE, 0x3000, dyn, ".dynstr", 16),
    ])


def prog32():
    return elf_file(32, True, ET_EXEC, EM_PPC, 0x10000100, [
        (".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x10000100, b"\x4e\x80\x00\x20" * 4, None, 0),
        (".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x10010000, b"wadup\0\0\0", None, 0),
        (".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x10010008, 64, None, 0),
    ])


# ---- images ----
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def png(width=3, height=2):
    raw = b"".join(b"\0" + b"".join(bytes((x * 80, y * 120, 200)) for x in range(width)) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9)) +
            png_chunk(b"IEND", b""))


def gif(width=5, height=4):
    """Every pixel colour 0; the LZW stream is CLEAR, 0, 0 repeated (3-bit
    codes, the table never grows past 8 entries) and END."""
    codes = []
    for _ in range((width * height + 1) // 2):
        codes += [4, 0, 0]
    codes = codes[:len(codes) - (width * height) % 2] + [5]
    bits, nbits, out = 0, 0, bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += 3
        while nbits >= 8:
            out.append(bits & 0xff)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xff)
    data = b"".join(bytes([len(out[i:i + 255])]) + bytes(out[i:i + 255]) for i in range(0, len(out), 255))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff" +
            b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02" + data + b"\x00\x3b")


def jpeg(width=16, height=8):
    """Baseline grayscale JFIF; every 8x8 block is flat (DC difference 0,
    then end of block), coded with one-code Huffman tables."""
    def seg(marker, data):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data
    app0 = seg(0xe0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = seg(0xdb, b"\x00" + bytes([1] * 64))
    sof = seg(0xc0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1, for symbol 0
    dht = seg(0xc4, b"\x00" + one_code + b"\x10" + one_code)
    sos = seg(0xda, b"\x01\x01\x00\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    nbits = 2 * blocks  # "0" (DC category 0) then "0" (EOB) per block
    scan = bytes([0x00] * (nbits // 8))
    if nbits % 8:
        scan += bytes([(1 << (8 - nbits % 8)) - 1])  # pad with 1 bits
    return b"\xff\xd8" + app0 + dqt + sof + dht + sos + scan + b"\xff\xd9"


def fixtures():
    tar = tar_bytes()
    p = png()
    return {
        "archive.tar": tar,
        "archive.tar.gz": gzip_bytes(tar, "archive.tar"),
        "message.txt.gz": gzip_bytes(b"A gzip file that holds no tar archive.\n", "message.txt"),
        "truncated.tar": tar[:512 + 5],
        "pax.tar": pax_tar_bytes(),
        "lib64.so": lib64(),
        "prog32.elf": prog32(),
        "broken.elf": b"\x7fELF" + bytes(range(60)),
        "image.png": p,
        "image.gif": gif(),
        "image.jpg": jpeg(),
        "truncated.png": p[:8 + 12],
        "plain.txt": b"Just some text, none of the formats above.\n",
    }


TAR_ENTRIES = [  # name, type, size, mode, mtime, link_target
    ("hello.txt", "file", len(HELLO), 0o644, MTIME, None),
    ("docs/", "directory", 0, 0o755, MTIME, None),
    ("docs/notes.md", "file", len(NOTES), 0o644, MTIME, None),
    ("link", "symlink", 0, 0o777, MTIME, "hello.txt"),
    ("empty.txt", "file", 0, 0o644, MTIME, None),
]
TAR_FILES = {"hello.txt": HELLO, "docs/notes.md": NOTES, "empty.txt": b""}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: go_fixtures.py DIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in fixtures().items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
