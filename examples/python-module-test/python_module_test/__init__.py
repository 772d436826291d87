"""python-module-test — imports the standard library modules that are
written in C (built into the wadup Python runtime) and reports each one.

Table c_extension_imports(module_name String, import_successful Boolean,
error_message String): one row per module, error_message null on success.
(Flat layout: the package sits at the project root, not under src/.)
"""
import importlib

import wadup

MODULES = ["array", "binascii", "bz2", "cmath", "hashlib", "io", "itertools", "lzma", "math", "struct",
           "time", "unicodedata", "zlib"]

wadup.define_table("c_extension_imports", [("module_name", str), ("import_successful", bool),
                                           ("error_message", str)])


def main():
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as e:  # report every failure, whatever it is
            wadup.insert_row("c_extension_imports", [name, False, "%s: %s" % (type(e).__name__, e)])
        else:
            wadup.insert_row("c_extension_imports", [name, True, None])
