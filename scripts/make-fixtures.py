#!/usr/bin/env python3
"""make-fixtures.py — writes wadup's test fixtures, byte-for-byte
deterministic, into a directory (default tests/fixtures):

  sample.db     SQLite database: users (3 rows), posts (5 rows); journal
                mode delete, page size 4096
  test.zip      406 bytes, laid out as Info-ZIP's zip 3.0 writes it
                (extended-timestamp "UT" and "ux" extra fields): file1.txt
                (40 bytes, stored) and file2.txt (53 bytes, deflated)
  nested.zip    test.zip (stored) and readme.txt (deflated), for recursion
  corrupt.zip   valid end-of-central-directory and headers; ok.txt is a
                good stored entry, broken.txt a deflated entry whose data is
                not a valid deflate stream
  notsqlite.db  4096 pseudo-random bytes (SHA-256 in counter mode)

Usage: scripts/make-fixtures.py [DIR]
Python standard library only.
"""
import calendar
import hashlib
import os
import sqlite3
import struct
import sys
import tempfile
import zlib

FILE1 = b"This is file one with some random text.\n"
FILE2 = b"This is file two with different random text content.\n"
TIMESTAMP = (2025, 12, 27, 1, 8, 10)  # local time as stored in DOS fields; UTC for "UT"
UID = GID = 1000
UNIX_MODE = 0o100644  # regular file, rw-r--r--
STORED, DEFLATED = 0, 8


def dos_time(ts):
    """(DOS time, DOS date) for a (Y, M, D, h, m, s) tuple."""
    year, month, day, hour, minute, second = ts
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def extra_fields(central, mtime):
    """Info-ZIP extra fields: "UT" (mtime, plus atime in local headers) and
    "ux" (version 1, 4-byte uid and gid)."""
    if central:
        ut = struct.pack("<HHBI", 0x5455, 5, 3, mtime)
    else:
        ut = struct.pack("<HHBII", 0x5455, 9, 3, mtime, mtime)
    ux = struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, UID, 4, GID)
    return ut + ux


def deflate_raw(data):
    """Raw deflate (no zlib header), level 6 as Info-ZIP's default."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    return c.compress(data) + c.flush()


def zip_archive(entries, ts=TIMESTAMP):
    """A zip archive of (name, data, method[, payload]) entries. payload, if
    given, replaces the compressed bytes (to make corrupt entries); CRC and
    size fields always describe `data`."""
    dtime, ddate = dos_time(ts)
    mtime = calendar.timegm(ts + (0, 0, 0))
    local, central = bytearray(), bytearray()
    for entry in entries:
        name, data, method = entry[0].encode(), entry[1], entry[2]
        payload = entry[3] if len(entry) > 3 else (deflate_raw(data) if method == DEFLATED else data)
        crc = zlib.crc32(data)
        need = 20 if method == DEFLATED else 10
        text = 1 if all(b in b"\t\n\r" or 32 <= b < 127 for b in data) else 0
        offset = len(local)
        lextra, cextra = extra_fields(False, mtime), extra_fields(True, mtime)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, need, 0, method, dtime, ddate, crc,
                             len(payload), len(data), len(name), len(lextra))
        local += name + lextra + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, need, 0, method, dtime, ddate,
                               crc, len(payload), len(data), len(name), len(cextra), 0, 0, text,
                               UNIX_MODE << 16, offset)
        central += name + cextra
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    return bytes(local + central + eocd)


def make_test_zip():
    data = zip_archive([("file1.txt", FILE1, STORED), ("file2.txt", FILE2, DEFLATED)])
    if len(data) != 406:
        sys.exit("make-fixtures.py: test.zip is %d bytes, expected 406 (zlib changed?)" % len(data))
    return data


def make_nested_zip(test_zip):
    readme = b"nested.zip holds test.zip, which holds file1.txt and file2.txt.\n"
    return zip_archive([("test.zip", test_zip, STORED), ("readme.txt", readme, DEFLATED)])


def make_corrupt_zip():
    ok = b"This entry is intact.\n"
    broken = b"This entry's deflate stream is damaged.\n"
    # 0xFF: final block with the reserved block type 3, which inflate rejects.
    bad_stream = b"\xff" * 16
    return zip_archive([("ok.txt", ok, STORED), ("broken.txt", broken, DEFLATED, bad_stream)])


def make_not_sqlite():
    out = bytearray()
    counter = 0
    while len(out) < 4096:
        out += hashlib.sha256(b"wadup notsqlite %d" % counter).digest()
        counter += 1
    return bytes(out[:4096])


SCHEMA = [
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL)",
    "CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT NOT NULL, content TEXT, "
    "FOREIGN KEY(user_id) REFERENCES users(id))",
]
USERS = [(1, "Alice", "alice@example.com"), (2, "Bob", "bob@example.com"), (3, "Charlie", "charlie@example.com")]
POSTS = [
    (1, 1, "First Post", "Hello World"),
    (2, 1, "Second Post", "Another post by Alice"),
    (3, 2, "Bobs Post", "Bob says hi"),
    (4, 3, "Charlie Post", "Charlie here"),
    (5, 3, "Another one", "More content"),
]


def make_sample_db(path):
    """Create sample.db at path (which must not exist). The header's "SQLite
    version number" field (offset 96) is set to 3040001 so the bytes do not
    depend on the host's SQLite version; SQLite ignores that field."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA page_size=4096")
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("BEGIN")
        for stmt in SCHEMA:
            con.execute(stmt)
        con.executemany("INSERT INTO users VALUES (?, ?, ?)", USERS)
        con.executemany("INSERT INTO posts VALUES (?, ?, ?, ?)", POSTS)
        con.execute("COMMIT")
    finally:
        con.close()
    with open(path, "r+b") as f:
        f.seek(96)
        f.write(struct.pack(">I", 3040001))


def write_atomic(directory, name, data):
    fd, tmp = tempfile.mkstemp(prefix="." + name + ".", dir=directory)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(directory, name))


def write_sample_db(directory):
    tmpdir = tempfile.mkdtemp(prefix=".sample-db.", dir=directory)
    try:
        tmp = os.path.join(tmpdir, "sample.db")
        make_sample_db(tmp)
        with open(tmp, "rb") as f:
            write_atomic(directory, "sample.db", f.read())
    finally:
        for leftover in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, leftover))
        os.rmdir(tmpdir)


def main(argv):
    if len(argv) > 2:
        sys.exit("usage: make-fixtures.py [DIR]")
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    directory = os.path.normpath(argv[1] if len(argv) == 2 else default)
    os.makedirs(directory, exist_ok=True)
    test_zip = make_test_zip()
    write_atomic(directory, "test.zip", test_zip)
    write_atomic(directory, "nested.zip", make_nested_zip(test_zip))
    write_atomic(directory, "corrupt.zip", make_corrupt_zip())
    write_atomic(directory, "notsqlite.db", make_not_sqlite())
    write_sample_db(directory)
    print("make-fixtures.py: wrote sample.db test.zip nested.zip corrupt.zip notsqlite.db to %s" % directory)


if __name__ == "__main__":
    main(sys.argv)
