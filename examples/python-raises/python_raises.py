"""python-raises — a failure test (single-file layout).

On a content whose data is "boom" (surrounding whitespace ignored) or whose
file name is "boom", main() raises ValueError: the content fails with
module_error and the traceback on stderr, and the instance goes on to the
next content. Any other content gives one row in
raises_ok(filename String, size Int64).
"""
import os

import wadup

wadup.define_table("raises_ok", [("filename", "String"), ("size", "Int64")])


def main():
    data = wadup.read_content()
    if data.strip() == b"boom" or os.path.basename(wadup.filename()) == "boom":
        wadup.insert_row("raises_ok", ["queued before the failure: must never appear", -1])
        raise ValueError("boom: this module fails on purpose")
    wadup.insert_row("raises_ok", [wadup.filename(), len(data)])
