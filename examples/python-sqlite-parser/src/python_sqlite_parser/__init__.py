"""python-sqlite-parser — for a SQLite database, the number of rows of each
user table.

Table db_table_stats(table_name String, row_count Int64), one row per
table (sqlite_* internal tables excluded). A content that does not start
with the SQLite header gives no rows and succeeds. A database that starts
like SQLite but cannot be read fails the content: the exception (and its
traceback on stderr) is the report.

The database is opened read-only and immutable (no journal, no locks),
straight from /data.bin.
"""
import sqlite3
from urllib.parse import quote

import wadup

HEADER = b"SQLite format 3\x00"

wadup.define_table("db_table_stats", [("table_name", "String"), ("row_count", "Int64")])


def _quote_identifier(name):
    return '"' + name.replace('"', '""') + '"'


def main():
    with wadup.open_content() as f:
        if f.read(len(HEADER)) != HEADER:
            return
    uri = "file:%s?mode=ro&immutable=1" % quote(wadup.CONTENT_PATH)
    con = sqlite3.connect(uri, uri=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name")]
        for name in names:
            (count,) = con.execute("SELECT COUNT(*) FROM " + _quote_identifier(name)).fetchone()
            wadup.insert_row("db_table_stats", [name, count])
    finally:
        con.close()
