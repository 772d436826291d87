"""End-to-end tests: nothing a module writes can make the results store fail
or drop another module's results (docs/sqlite-schema.md).

Hostile modules (examples/hostile/table-squatter.c, wide-table.c) are
copied into the modules directory under names that sort before
byte-counter, so they run first on every content and define their tables
first. Every run must exit 0, byte-counter's file_sizes rows must exist for
every input, the hostile module's stored rows must be in its own tables,
its refused tables must be metadata errors with exact messages, and
--resume must keep everything. Binary: $WADUP (default build/wadup).
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
import unittest

from tests.e2e.test_run import WADUP, RunTestCase, _cache, module_path

SQUATTER_REFUSED = (
    "table 'wadup_content': its name is reserved by wadup's database: its rows were dropped; "
    "table 'contents': its name is reserved by wadup's database: its rows were dropped; "
    "table 'sneaky' column '_module': reserved column name: its rows were dropped; "
    "table 'cased' column 'A': column names differ only by case, which SQL cannot tell apart: its rows were dropped; "
    "table FILE_SIZES(y Int64) conflicts with file_sizes(x String) already defined by module '0-squatter' "
    "(a module defines each table once per run): its rows were dropped")

# The squatter's stored tables: (view, column, value), each in its own table "<name>@0-squatter".
SQUATTER_STORED = [("file_sizes", "x", "squatted"), ("file_sizes__content", "n", 1), ("t__content", "n", 2),
                   ("contents_uuid", "n", 3), ("redo", "n", 4)]


def wide_refusal(table):
    return ("table '%s' (1000 columns): refused: it would exceed the run-wide cap on metadata columns (200000 "
            "columns of all tables per run, shared equally: 20000 per module with 10 modules; this module has "
            "19001): its rows were dropped" % table)


class ContainmentTestCase(RunTestCase):
    def hostile_modules(self, hostile, as_name, *others):
        d = self.modules(*others)
        shutil.copy(module_path(hostile), os.path.join(d, as_name + ".wasm"))
        return d

    def sized_inputs(self, sizes, start=0):
        return self.inputs({"f%02d.bin" % (start + i): b"x" * n for i, n in enumerate(sizes)})

    def byte_counter_sizes(self):
        return self.query("SELECT c.size, f.size_bytes FROM file_sizes f JOIN contents c ON c.id = f._content"
                          " WHERE f._module = 'byte-counter' ORDER BY c.size")

    def assert_clean_database(self):
        self.assertEqual(self.query("PRAGMA integrity_check"), [("ok",)])
        self.assertEqual(self.query("PRAGMA user_version"), [(2,)])
        wal = self.db_path + "-wal"
        self.assertTrue(not os.path.exists(wal) or os.path.getsize(wal) == 0, "WAL not checkpointed")
        # one internal index on _content per physical table
        tables = [r[0] for r in self.query("SELECT sql_table FROM metadata_tables")]
        indexes = {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for t in tables:
            self.assertIn("wadup_content:" + t, indexes)

    def assert_squatter_results(self, sizes):
        n = len(sizes)
        self.assertEqual(self.byte_counter_sizes(), [(s, s) for s in sorted(sizes)])
        self.assertEqual(self.query("SELECT module, status, count(*) FROM module_runs GROUP BY 1, 2 ORDER BY 1"),
                         [("0-squatter", "failed", n), ("byte-counter", "success", n)])
        errors = self.query("SELECT DISTINCT error_kind, error FROM module_runs WHERE module = '0-squatter'")
        self.assertEqual(errors, [("metadata_error", SQUATTER_REFUSED)])
        for view, column, value in SQUATTER_STORED:
            own = self.query('SELECT %s, count(*) FROM "%s@0-squatter" GROUP BY 1' % (column, view))
            self.assertEqual(own, [(value, n)], view)
            via_view = self.query('SELECT %s, count(DISTINCT _content) FROM "%s" WHERE _module = ? GROUP BY 1'
                                  % (column, view), "0-squatter")
            self.assertEqual(via_view, [(value, n)], view)
        self.assertEqual(self.query("SELECT count(*) FROM file_sizes"), [(2 * n,)])
        self.assertEqual(self.query("SELECT name FROM pragma_table_info('file_sizes')"),
                         [("_content",), ("_module",), ("x",), ("size_bytes",)])
        self.assertEqual(self.query("SELECT name, module, sql_table, in_view FROM metadata_tables ORDER BY rowid"),
                         [(v, "0-squatter", v + "@0-squatter", 1) for v, _, _ in SQUATTER_STORED]
                         + [("file_sizes", "byte-counter", "file_sizes@byte-counter", 1)])
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE status != 'failed'"), [(0,)])
        (err,) = self.query("SELECT error FROM contents LIMIT 1")[0]
        self.assertTrue(err.startswith("0-squatter: metadata_error: table 'wadup_content'"), err)
        self.assert_clean_database()


class TestTableSquatter(ContainmentTestCase):
    SIZES = [3, 5, 8, 13, 21, 34]

    def test_squatter_sorted_first_cannot_touch_other_tables(self):
        mods = self.hostile_modules("table-squatter", "0-squatter", "byte-counter")
        self.run_wadup(mods, self.sized_inputs(self.SIZES))
        self.assert_squatter_results(self.SIZES)

    def test_export_names_each_rows_module(self):
        self.run_wadup(self.hostile_modules("table-squatter", "0-squatter", "byte-counter"),
                       self.sized_inputs([4, 6]))
        out = self.wadup("export", self.db_path, "--format", "ndjson").stdout.splitlines()
        rows = [d for d in map(json.loads, out) if d["doc_type"] == "row" and d["_table"] == "file_sizes"]
        self.assertEqual(sorted((d["_module"], d.get("size_bytes"), d.get("x")) for d in rows),
                         [("0-squatter", None, "squatted")] * 2 + [("byte-counter", 4, None), ("byte-counter", 6, None)])

    def test_resume_of_an_extended_run_keeps_everything(self):
        mods = self.hostile_modules("table-squatter", "0-squatter", "byte-counter")
        inp = self.sized_inputs(self.SIZES[:3])
        self.run_wadup(mods, inp)
        for i, n in enumerate(self.SIZES[3:]):
            with open(os.path.join(inp, "g%02d.bin" % i), "wb") as f:
                f.write(b"y" * n)
        self.run_wadup(mods, inp, extra=("--resume",))
        self.assert_squatter_results(self.SIZES)
        self.run_wadup(mods, inp, extra=("--resume",))  # nothing left to do
        self.assert_squatter_results(self.SIZES)

    def test_kill_9_then_resume_keeps_everything(self):
        n = 200
        inp = self.inputs({"f%04d.txt" % i: "sleep:20\n%d" % i for i in range(n)})
        mods = self.hostile_modules("table-squatter", "0-squatter", "byte-counter", "splitter")
        env = dict(os.environ, WADUP_CACHE_DIR=_cache)
        self.wadup("compile", mods)
        proc = subprocess.Popen([WADUP, "run", "-q", "--modules", mods, "--input", inp, "-o", self.db_path,
                                 "--threads", "2"], env=env, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        done = 0
        while time.time() < deadline and done < n // 4:
            time.sleep(0.2)
            try:  # read-only: never create the file before wadup does
                con = sqlite3.connect("file:%s?mode=ro" % self.db_path, uri=True, timeout=1)
                done = con.execute("SELECT count(*) FROM contents").fetchone()[0]
                con.close()
            except sqlite3.Error:
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        partial = self.query("SELECT count(*) FROM contents")[0][0]
        self.assertGreater(partial, 0)
        self.assertLess(partial, n, "the run finished before it could be killed")
        self.run_wadup(mods, inp, extra=("--resume",))
        self.assertEqual(self.query("SELECT count(*), count(DISTINCT source_path) FROM contents"), [(n, n)])
        for module in ("byte-counter", "0-squatter"):
            self.assertEqual(self.query("SELECT count(*), count(DISTINCT _content) FROM file_sizes WHERE _module = ?",
                                        module), [(n, n)], module)
        self.assertEqual(self.query('SELECT count(*) FROM "redo@0-squatter"'), [(n,)])
        self.assertEqual(self.query("SELECT count(*), count(DISTINCT _content) FROM split_seen"), [(n, n)])
        self.assertEqual(self.query("SELECT module, count(*) FROM module_runs GROUP BY 1 ORDER BY 1"),
                         [("0-squatter", n), ("byte-counter", n), ("splitter", n)])
        self.assertEqual(self.query("SELECT DISTINCT error FROM module_runs WHERE module = '0-squatter'"),
                         [(SQUATTER_REFUSED,)])
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE subtree_complete = 0"), [(0,)])
        self.assert_clean_database()


class TestWideTable(ContainmentTestCase):
    SIZES = [7, 9, 11]

    def test_wide_tables_never_fail_the_store(self):
        # Ten modules: each is entitled to 20,000 of the run's 200,000 metadata columns.
        mods = self.hostile_modules("wide-table", "0-wide", "byte-counter")
        for k in range(8):
            shutil.copy(module_path("simple-test"), os.path.join(mods, "simple-%d.wasm" % k))
        self.run_wadup(mods, self.sized_inputs(self.SIZES))
        self.assertEqual(self.byte_counter_sizes(), [(s, s) for s in self.SIZES])
        self.assertEqual(self.query("SELECT module, status, count(*) FROM module_runs WHERE module NOT LIKE 'simple-%'"
                                    " GROUP BY 1, 2 ORDER BY 1"),
                         [("0-wide", "failed", 3), ("byte-counter", "success", 3)])
        self.assertEqual(self.query("SELECT status, count(*) FROM module_runs WHERE module LIKE 'simple-%' GROUP BY 1"),
                         [("success", 24)])
        errors = self.query("SELECT DISTINCT error_kind, error FROM module_runs WHERE module = '0-wide'")
        self.assertEqual(len(errors), 1)
        kind, error = errors[0]
        self.assertEqual(kind, "metadata_error")
        self.assertTrue(error.startswith("/metadata/wide.json: table 'wide': "), error)  # refused by the parser
        refused = "; ".join(wide_refusal("w%03d" % k) for k in range(19, 25))
        self.assertTrue(error.endswith("; also: " + refused), error)
        stored = self.query("SELECT name FROM metadata_tables WHERE module = '0-wide' ORDER BY rowid")
        self.assertEqual([r[0] for r in stored], ["wide_ok"] + ["w%03d" % k for k in range(19)])
        self.assertEqual(self.query("SELECT n, count(*) FROM wide_ok GROUP BY 1"), [(1, 3)])
        self.assertEqual(self.query("SELECT count(*), sum(c999) FROM w018"), [(3, 0)])
        self.assertEqual(self.query("SELECT count(*) FROM sqlite_master WHERE name IN ('w019', 'wide')"), [(0,)])
        self.assert_clean_database()


class TestOldDatabase(ContainmentTestCase):
    def test_an_older_database_is_not_resumed(self):
        con = sqlite3.connect(self.db_path)
        con.executescript("CREATE TABLE contents (id INTEGER PRIMARY KEY);"
                          "CREATE TABLE metadata_tables (name TEXT PRIMARY KEY, module TEXT, columns TEXT);"
                          "PRAGMA user_version = 1;")
        con.close()
        p = self.run_wadup(self.modules("byte-counter"), self.sized_inputs([1]), extra=("--resume",), expect=1)
        self.assertIn("written by an older wadup (results schema version 1, this wadup writes version 2): it cannot "
                      "be resumed; start a new database, or pass --force to replace it", p.stderr)
        self.run_wadup(self.modules("byte-counter"), self.sized_inputs([1]), extra=("--force",))
        self.assertEqual(self.byte_counter_sizes(), [(1, 1)])


if __name__ == "__main__":
    unittest.main()
