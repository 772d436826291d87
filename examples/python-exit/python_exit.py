"""python-exit — a failure test (single-file layout).

On a content whose data is "exit" (surrounding whitespace ignored) or whose
file name is "exit", main() calls sys.exit(2): the content fails with
error kind exit and exit code 2, the instance is discarded and the next
content gets a fresh one. Any other content gives one row in
exit_ok(filename String, size Int64).
"""
import os
import sys

import wadup

wadup.define_table("exit_ok", [("filename", "String"), ("size", "Int64")])


def main():
    data = wadup.read_content()
    if data.strip() == b"exit" or os.path.basename(wadup.filename()) == "exit":
        wadup.insert_row("exit_ok", ["queued before the exit: must never appear", -1])
        sys.exit(2)
    wadup.insert_row("exit_ok", [wadup.filename(), len(data)])
