"""python-counter — a global counter that survives from one content to the
next, because wadup reuses the instance (and the imported module).

Table call_counter(call_number Int64): 1 for the first content an instance
processes, 2 for the second, ... A fresh instance (after a crash, timeout
or exit) starts again at 1.
"""
import wadup

wadup.define_table("call_counter", [("call_number", "Int64")])

_call_count = 0


def main():
    global _call_count
    _call_count += 1
    wadup.insert_row("call_counter", [_call_count])
