"""python-loop — a failure test (single-file layout).

On a content whose data is "loop" (surrounding whitespace ignored) or whose
file name is "loop", main() never returns: the content fails with error
kind timeout (--timeout), the instance is discarded and the next content
gets a fresh one. Any other content gives one row in
loop_ok(filename String, size Int64).
"""
import os

import wadup

wadup.define_table("loop_ok", [("filename", "String"), ("size", "Int64")])


def main():
    data = wadup.read_content()
    if data.strip() == b"loop" or os.path.basename(wadup.filename()) == "loop":
        wadup.insert_row("loop_ok", ["queued before the loop: must never appear", -1])
        n = 0
        while True:
            n += 1
    wadup.insert_row("loop_ok", [wadup.filename(), len(data)])
