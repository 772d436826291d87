"""python-exit — a failure test (single-file layout).

On a content whose data is "exit" (surrounding whitespace ignored) or whose
file name is "exit", main() calls sys.exit(2). The runtime turns the
SystemExit into process() returning 2 (it never exits the process): the
content fails with error kind module_error and exit_code 2, "SystemExit: 2"
on stderr, the rows queued before are dropped, and the same instance goes
on with the next content. Any other content gives one row in
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
