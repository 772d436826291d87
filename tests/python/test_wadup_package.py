"""Unit tests of the wadup Python package (guest/python/wadup), on the host.

    /usr/bin/python3 -m unittest discover -s tests/python -v

No wasm is involved: every test points the package at a fresh temporary
guest root (the WADUP_GUEST_ROOT setting: DIR/data.bin, DIR/metadata/,
DIR/subcontent/) and reloads it, so module state starts empty.
"""
import enum
import importlib
import json
import math
import os
import shutil
import sys
import tempfile
import unittest
from decimal import Decimal
from unittest import mock

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "guest", "python"))

import wadup  # noqa: E402


class Color(enum.IntEnum):
    RED = 1


class PackageTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="wadup-pkg-test-")
        os.environ["WADUP_GUEST_ROOT"] = self.root
        self.w = importlib.reload(wadup)
        self.assertEqual(self.w.CONTENT_PATH, os.path.join(self.root, "data.bin"))

    def tearDown(self):
        os.environ.pop("WADUP_GUEST_ROOT", None)
        shutil.rmtree(self.root, ignore_errors=True)

    # helpers

    def metadata_files(self):
        d = os.path.join(self.root, "metadata")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def read_doc(self, name):
        with open(os.path.join(self.root, "metadata", name), "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")  # strict: must be valid UTF-8

        def no_constants(c):
            raise AssertionError("non-standard JSON constant %s" % c)
        return json.loads(text, parse_constant=no_constants), raw

    def flush_values(self, ctype, value):
        """Define t(v ctype), insert value, flush; the JSON value written."""
        table = "t_" + self.w._TYPE_NAMES[ctype]
        self.w.define_table(table, [("v", ctype)])
        self.w.insert_row(table, [value])
        path = self.w.flush()
        doc, _ = self.read_doc(os.path.basename(path))
        return doc["rows"][-1]["values"][0]


class DefineTableTest(PackageTest):
    def test_types_as_strings_and_python_types(self):
        self.w.define_table("a", [("i", "Int64"), ("f", "Float64"), ("s", "String"), ("b", "Boolean")])
        self.w.define_table("b", [("i", int), ("f", float), ("s", str), ("b", bool)])
        self.w.define_table("c", {"x": int})  # a dict works too
        self.w.flush()
        doc, _ = self.read_doc("output_0.json")
        types = {t["name"]: [c["data_type"] for c in t["columns"]] for t in doc["tables"]}
        self.assertEqual(types["a"], ["Int64", "Float64", "String", "Boolean"])
        self.assertEqual(types["b"], ["Int64", "Float64", "String", "Boolean"])
        self.assertEqual(types["c"], ["Int64"])
        self.assertEqual(doc["rows"], [])

    def test_invalid_names(self):
        for bad in ["", "1abc", "a-b", "a b", "é", "a\n", "x" * 65, "naïve", "a.b"]:
            with self.subTest(name=bad):
                with self.assertRaises(ValueError) as cm:
                    self.w.define_table(bad, [("c", int)])
                self.assertIn("[A-Za-z_][A-Za-z0-9_]*", str(cm.exception))
                with self.assertRaises(ValueError):
                    self.w.define_table("t", [(bad, int)])
        self.w.define_table("x" * 64, [("_" + "y" * 63, int)])  # 64 bytes is allowed
        self.w.define_table("_0", [("A_9", int)])

    def test_non_str_names(self):
        with self.assertRaises(TypeError):
            self.w.define_table(b"t", [("c", int)])
        with self.assertRaises(TypeError):
            self.w.define_table("t", [(1, int)])

    def test_columns_rules(self):
        with self.assertRaisesRegex(ValueError, "at least one column"):
            self.w.define_table("t", [])
        with self.assertRaisesRegex(ValueError, "duplicate column name 'a'"):
            self.w.define_table("t", [("a", int), ("a", str)])
        for bad in ["int64", "Integer", "int", None, list, 3]:
            with self.subTest(type=bad):
                with self.assertRaisesRegex(ValueError, "is not one of"):
                    self.w.define_table("t", [("a", bad)])
        with self.assertRaisesRegex(ValueError, "is not one of"):
            self.w.define_table("t", [("a", [])])  # unhashable
        with self.assertRaises(TypeError):
            self.w.define_table("t", "abc")
        with self.assertRaises(TypeError):
            self.w.define_table("t", [("a",)])
        with self.assertRaises(TypeError):
            self.w.define_table("t", 5)
        self.assertEqual(self.metadata_files(), [])
        self.assertIsNone(self.w.flush())  # nothing was defined

    def test_redefinition(self):
        self.w.define_table("t", [("a", int), ("b", str)])
        self.w.define_table("t", [("a", "Int64"), ("b", "String")])  # identical: fine
        with self.assertRaisesRegex(ValueError, "already defined with different columns"):
            self.w.define_table("t", [("a", int)])
        with self.assertRaises(ValueError):
            self.w.define_table("t", [("b", str), ("a", int)])


class InsertRowTest(PackageTest):
    def test_int64(self):
        self.assertEqual(self.flush_values(int, 42), {"Int64": 42})
        self.assertEqual(self.flush_values(int, 2 ** 63 - 1), {"Int64": 2 ** 63 - 1})
        self.assertEqual(self.flush_values(int, -2 ** 63), {"Int64": -2 ** 63})
        self.assertEqual(self.flush_values(int, Color.RED), {"Int64": 1})

    def test_int64_out_of_range(self):
        self.w.define_table("t", [("v", int)])
        for v in (2 ** 63, -2 ** 63 - 1, 10 ** 30):
            with self.subTest(v=v):
                with self.assertRaisesRegex(OverflowError, "outside the Int64 range"):
                    self.w.insert_row("t", [v])
        self.w.flush()  # only the definition: no row was queued
        doc, _ = self.read_doc("output_0.json")
        self.assertEqual(doc["rows"], [])

    def test_float64(self):
        self.assertEqual(self.flush_values(float, 2.5), {"Float64": 2.5})
        self.assertEqual(self.flush_values(float, 7), {"Float64": 7.0})  # int into Float64: fine
        v = self.flush_values(float, 1e300)
        self.assertEqual(v, {"Float64": 1e300})
        self.assertEqual(self.flush_values(float, -0.0), {"Float64": -0.0})

    def test_float64_rejects_nan_and_infinities(self):
        self.w.define_table("t", [("v", float)])
        for v in (math.nan, math.inf, -math.inf, float("nan")):
            with self.subTest(v=v):
                with self.assertRaisesRegex(ValueError, "not finite"):
                    self.w.insert_row("t", [v])
        with self.assertRaisesRegex(OverflowError, "too large for a Float64"):
            self.w.insert_row("t", [10 ** 400])

    def test_float_into_int64_is_an_error(self):
        self.w.define_table("t", [("v", int)])
        with self.assertRaisesRegex(TypeError, "expected Int64, got float"):
            self.w.insert_row("t", [1.0])

    def test_bool_vs_int(self):
        self.assertEqual(self.flush_values(bool, True), {"Boolean": True})
        self.assertEqual(self.flush_values(bool, False), {"Boolean": False})
        self.w.define_table("i", [("v", int)])
        self.w.define_table("f", [("v", float)])
        self.w.define_table("s", [("v", str)])
        self.w.define_table("b", [("v", bool)])
        for table in ("i", "f", "s"):
            with self.assertRaisesRegex(TypeError, "got bool"):
                self.w.insert_row(table, [True])
        with self.assertRaisesRegex(TypeError, "expected Boolean, got int"):
            self.w.insert_row("b", [1])

    def test_none_is_null_in_every_column(self):
        self.w.define_table("t", [("i", int), ("f", float), ("s", str), ("b", bool)])
        self.w.insert_row("t", [None, None, None, None])
        self.w.flush()
        doc, raw = self.read_doc("output_0.json")
        self.assertEqual(doc["rows"][0]["values"], [None, None, None, None])
        self.assertNotIn(b'"None"', raw)

    def test_bytes_into_string_columns(self):
        self.assertEqual(self.flush_values(str, b"abc"), {"String": "abc"})
        self.assertEqual(self.flush_values(str, bytearray(b"\xc3\xa9")), {"String": "\u00e9"})
        self.assertEqual(self.flush_values(str, memoryview(b"x\x00y")), {"String": "x\x00y"})
        # like the C SDK: one U+FFFD per byte that does not start a well-formed sequence
        self.assertEqual(self.flush_values(str, b"a\xffb"), {"String": "a\ufffdb"})
        self.assertEqual(self.flush_values(str, b"\xe2\x82A"), {"String": "\ufffd\ufffdA"})
        self.assertEqual(self.flush_values(str, b"\xed\xa0\x80"), {"String": "\ufffd" * 3})  # UTF-8 surrogate
        self.assertEqual(self.flush_values(str, b"\xc0\xaf"), {"String": "\ufffd" * 2})  # overlong
        self.assertEqual(self.flush_values(str, b"\xf0\x9f\x98\x80"), {"String": "\U0001F600"})
        self.w.define_table("n", [("v", int)])
        with self.assertRaisesRegex(TypeError, "expected Int64, got bytes"):
            self.w.insert_row("n", [b"1"])

    def test_subclasses_store_their_plain_value(self):
        class Sneaky(str):
            def __str__(self):
                return "not me"

        class Odd(int):
            def __int__(self):
                return 99
        self.assertEqual(self.flush_values(str, Sneaky("me")), {"String": "me"})
        self.assertEqual(self.flush_values(int, Odd(3)), {"Int64": 3})
        self.assertEqual(self.flush_values(float, Odd(3)), {"Float64": 3.0})

    def test_other_types_are_rejected(self):
        self.w.define_table("t", [("i", int), ("s", str)])
        for row in ([Decimal(1), "x"], [[1], "x"], [1, 2], [1, 2.5], [1, object()], ["1", "x"]):
            with self.subTest(row=row):
                with self.assertRaises(TypeError):
                    self.w.insert_row("t", row)

    def test_count_and_unknown_table(self):
        self.w.define_table("t", [("a", int), ("b", int)])
        with self.assertRaisesRegex(ValueError, "has 2 columns, got 1 value"):
            self.w.insert_row("t", [1])
        with self.assertRaisesRegex(ValueError, "has 2 columns, got 3 values"):
            self.w.insert_row("t", (1, 2, 3))
        with self.assertRaisesRegex(ValueError, "'nope' is not defined in this instance"):
            self.w.insert_row("nope", [1])
        with self.assertRaises(TypeError):
            self.w.insert_row("t", "ab")
        with self.assertRaises(TypeError):
            self.w.insert_row("t", 12)

    def test_failed_row_queues_nothing(self):
        self.w.define_table("t", [("a", int), ("b", float)])
        self.w.insert_row("t", [1, 1.5])
        with self.assertRaises(ValueError):
            self.w.insert_row("t", [2, math.nan])
        self.w.flush()
        doc, _ = self.read_doc("output_0.json")
        self.assertEqual([r["values"] for r in doc["rows"]], [[{"Int64": 1}, {"Float64": 1.5}]])

    def test_dict_values_and_tuples(self):
        self.w.define_table("t", [("a", int), ("b", str)])
        self.w.insert_row("t", {"b": "x", "a": 1})
        self.w.insert_row("t", (2, "y"))
        with self.assertRaisesRegex(ValueError, "exactly the keys"):
            self.w.insert_row("t", {"a": 1})
        with self.assertRaisesRegex(ValueError, "exactly the keys"):
            self.w.insert_row("t", {"a": 1, "b": "x", "c": 3})
        self.w.flush()
        doc, _ = self.read_doc("output_0.json")
        self.assertEqual([r["values"] for r in doc["rows"]],
                         [[{"Int64": 1}, {"String": "x"}], [{"Int64": 2}, {"String": "y"}]])


class FlushTest(PackageTest):
    def test_noop_when_empty(self):
        self.assertIsNone(self.w.flush())
        self.assertEqual(self.metadata_files(), [])

    def test_documents_and_counter(self):
        self.w.define_table("a", [("x", int)])
        self.w.define_table("b", [("y", str)])
        self.w.insert_row("a", [1])
        p0 = self.w.flush()
        self.assertEqual(p0, os.path.join(self.root, "metadata", "output_0.json"))
        doc, raw = self.read_doc("output_0.json")
        self.assertEqual(doc, {"tables": [{"name": "a", "columns": [{"name": "x", "data_type": "Int64"}]},
                                          {"name": "b", "columns": [{"name": "y", "data_type": "String"}]}],
                               "rows": [{"table_name": "a", "values": [{"Int64": 1}]}]})
        self.assertIsNone(self.w.flush())  # nothing new
        self.w.insert_row("b", ["z"])  # a table used since the last flush is sent again
        self.w.flush()
        doc, _ = self.read_doc("output_1.json")
        self.assertEqual([t["name"] for t in doc["tables"]], ["b"])
        self.assertEqual(self.metadata_files(), ["output_0.json", "output_1.json"])

    def test_escaping_is_strict_utf8_json(self):
        nasty = 'q"uote \\ back\nnl\r\t\b\f \x00 nul \x01\x1f\x7f é \u2028 \U0001F600'
        self.w.define_table("t", [("s", str)])
        self.w.insert_row("t", [nasty])
        self.w.insert_row("t", ["lone \ud800 high, \udfff low, \udcff escaped"])
        self.w.insert_row("t", [b"caf\xe9".decode("utf-8", "surrogateescape")])
        self.w.flush()
        doc, raw = self.read_doc("output_0.json")
        vals = [r["values"][0]["String"] for r in doc["rows"]]
        self.assertEqual(vals[0], nasty)
        self.assertEqual(vals[1], "lone \ufffd high, \ufffd low, \ufffd escaped")
        self.assertEqual(vals[2], "caf\ufffd")
        self.assertIn(b'q\\"uote \\\\ back\\nnl\\r\\t\\b\\f \\u0000 nul \\u0001\\u001f', raw)
        self.assertIn("é".encode("utf-8"), raw)  # not \u-escaped
        for b in range(0x20):
            self.assertNotIn(bytes([b]), raw)  # no raw control characters
        self.assertNotIn(b"NaN", raw)

    def test_failure_keeps_the_queue_and_leaves_no_file(self):
        self.w.define_table("t", [("v", int)])
        self.w.insert_row("t", [1])
        # /metadata is a file: the write fails
        with open(os.path.join(self.root, "metadata"), "w") as f:
            f.write("x")
        with self.assertRaises(OSError):
            self.w.flush()
        os.unlink(os.path.join(self.root, "metadata"))
        # a write that fails half-way: the partial file is removed before close
        real_write = os.write
        calls = []

        def failing_write(fd, data):
            calls.append(len(data))
            if len(calls) == 1:
                return real_write(fd, bytes(data[:5]))
            raise OSError(28, "No space left on device")
        with mock.patch("os.write", failing_write):
            with self.assertRaises(OSError):
                self.w.flush()
        self.assertEqual(self.metadata_files(), [])
        self.assertEqual(len(calls), 2)
        path = self.w.flush()  # nothing was lost
        doc, _ = self.read_doc(os.path.basename(path))
        self.assertEqual(doc["rows"], [{"table_name": "t", "values": [{"Int64": 1}]}])


class ContentTest(PackageTest):
    def test_per_content_reset(self):
        self.w.define_table("t", [("v", int)])
        self.w._begin_content("first", "u1", 0)
        self.w.insert_row("t", [1])
        # main() raised: no _end_content; the next content begins
        self.w._begin_content("second", "u2", 1)
        self.w.insert_row("t", [2])
        self.w._end_content()
        files = self.metadata_files()
        self.assertEqual(len(files), 1)
        doc, _ = self.read_doc(files[0])
        self.assertEqual(doc["rows"], [{"table_name": "t", "values": [{"Int64": 2}]}])
        self.assertEqual(doc["tables"][0]["name"], "t")  # the definition still travels with the rows
        # module-level state persists: the table is still defined
        self.w._begin_content("third", "u3", 0)
        self.w.insert_row("t", [3])
        self.w._end_content()
        self.assertEqual(len(self.metadata_files()), 2)

    def test_definition_without_rows_survives_a_failed_content(self):
        self.w.define_table("early", [("v", int)])  # at import time
        self.w._begin_content("a", "u", 0)
        # this content fails before any flush
        self.w._begin_content("b", "u", 0)
        self.w._end_content()
        doc, _ = self.read_doc(self.metadata_files()[0])
        self.assertEqual([t["name"] for t in doc["tables"]], ["early"])

    def test_end_content_without_anything_writes_nothing(self):
        self.w._begin_content("a", "u", 0)
        self.w._end_content()
        self.assertEqual(self.metadata_files(), [])

    def test_content_information(self):
        with mock.patch.dict(os.environ, {"WADUP_FILENAME": "env.txt", "WADUP_CONTENT_UUID": "env-uuid",
                                          "WADUP_DEPTH": "4"}):
            self.assertEqual(self.w.filename(), "env.txt")  # before _begin_content: the environment
            self.assertEqual(self.w.content_uuid(), "env-uuid")
            self.assertEqual(self.w.depth(), 4)
            self.w._begin_content("inner/file.bin", "1234-uuid", 2)
            self.assertEqual(self.w.filename(), "inner/file.bin")
            self.assertEqual(self.w.content_uuid(), "1234-uuid")
            self.assertEqual(self.w.depth(), 2)
            self.w._begin_content(None, None, None)  # what the runtime passes for unset variables
            self.assertEqual((self.w.filename(), self.w.content_uuid(), self.w.depth()), ("unknown", None, 0))

    def test_open_and_read_content(self):
        with open(os.path.join(self.root, "data.bin"), "wb") as f:
            f.write(b"\x00content\xff")
        self.assertEqual(self.w.read_content(), b"\x00content\xff")
        with self.w.open_content() as f:
            self.assertEqual(f.read(3), b"\x00co")


class EmitTest(PackageTest):
    def sub(self, name):
        with open(os.path.join(self.root, "subcontent", name), "rb") as f:
            return f.read()

    def test_emit_bytes_and_slices(self):
        self.w.emit_bytes(b"\x00\x01data", "a/b.txt")
        self.w.emit_slice(10, 20, "part.bin")
        self.w.emit_bytes(bytearray(b"x"), "\"quoted\"\n name \udc80")
        self.w.emit_bytes(b"", "empty")
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "subcontent"))),
                         ["data_0.bin", "data_2.bin", "data_3.bin", "metadata_0.json", "metadata_1.json",
                          "metadata_2.json", "metadata_3.json"])
        self.assertEqual(self.sub("data_0.bin"), b"\x00\x01data")
        self.assertEqual(json.loads(self.sub("metadata_0.json").decode("utf-8")), {"filename": "a/b.txt"})
        self.assertEqual(json.loads(self.sub("metadata_1.json").decode("utf-8")),
                         {"filename": "part.bin", "offset": 10, "length": 20})
        self.assertEqual(json.loads(self.sub("metadata_2.json").decode("utf-8")),
                         {"filename": "\"quoted\"\n name \ufffd"})
        self.assertEqual(self.sub("data_3.bin"), b"")

    def test_emit_validation(self):
        with self.assertRaises(TypeError):
            self.w.emit_bytes("text", "f")
        with self.assertRaises(TypeError):
            self.w.emit_bytes(b"x", b"f")
        for bad, exc in [(-1, ValueError), (2 ** 63, OverflowError), (1.0, TypeError), (True, TypeError),
                         ("1", TypeError), (None, TypeError)]:
            with self.subTest(bad=bad):
                with self.assertRaises(exc):
                    self.w.emit_slice(bad, 1, "f")
                with self.assertRaises(exc):
                    self.w.emit_slice(0, bad, "f")
        self.w.emit_slice(0, 0, "f")
        self.w.emit_slice(2 ** 63 - 1, 2 ** 63 - 1, "f")
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "subcontent"))),
                         ["metadata_0.json", "metadata_1.json"])

    def test_failed_descriptor_removes_the_data_file(self):
        os.makedirs(os.path.join(self.root, "subcontent", "metadata_0.json"))  # cannot be opened as a file
        with self.assertRaises(OSError):
            self.w.emit_bytes(b"abc", "f")
        self.assertEqual(os.listdir(os.path.join(self.root, "subcontent")), ["metadata_0.json"])


class GuestRootTest(unittest.TestCase):
    def test_default_paths(self):
        saved = os.environ.pop("WADUP_GUEST_ROOT", None)
        try:
            w = importlib.reload(wadup)
            self.assertEqual((w.CONTENT_PATH, w.METADATA_DIR, w.SUBCONTENT_DIR),
                             ("/data.bin", "/metadata", "/subcontent"))
            w._set_guest_root("/tmp/x")
            self.assertEqual(w.CONTENT_PATH, "/tmp/x/data.bin")
        finally:
            if saved is not None:
                os.environ["WADUP_GUEST_ROOT"] = saved
            importlib.reload(wadup)


if __name__ == "__main__":
    unittest.main()
