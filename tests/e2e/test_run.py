"""End-to-end tests of `wadup run` (the batch runner) and `wadup export`.

Each test builds a modules directory from the built example modules, runs
wadup on inputs (fixtures from scripts/make-fixtures.py or generated
here), and checks the SQLite results. Binary: $WADUP (default build/wadup);
compiled-module cache: $WADUP_CACHE_DIR (default a fresh temporary dir).
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WADUP = os.path.abspath(os.path.join(REPO, os.environ.get("WADUP", "build/wadup")))
EXAMPLES = os.path.join(REPO, "build", "examples")
GUEST = os.path.join(REPO, "build", "tests", "guest")
TIMEOUT = 300

_cache = os.environ.get("WADUP_CACHE_DIR") or tempfile.mkdtemp(prefix="wadup-e2e-run-cache-")
_fixtures = None


def fixtures():
    """Directory with sample.db, test.zip, nested.zip... made by the project's script."""
    global _fixtures
    if _fixtures is None:
        _fixtures = tempfile.mkdtemp(prefix="wadup-fixtures-")
        subprocess.run([sys.executable, os.path.join(REPO, "scripts", "make-fixtures.py"), _fixtures],
                       check=True, timeout=TIMEOUT, capture_output=True)
    return _fixtures


def module_path(name):
    for base in (EXAMPLES, os.path.join(EXAMPLES, "hostile"), GUEST):
        p = os.path.join(base, name + ".wasm")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name)


class RunTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wadup-run-test-")
        self.db_path = os.path.join(self.tmp, "results.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def modules(self, *names):
        d = os.path.join(self.tmp, "modules")
        os.makedirs(d, exist_ok=True)
        for n in names:
            shutil.copy(module_path(n), os.path.join(d, n + ".wasm"))
        return d

    def inputs(self, files):
        d = os.path.join(self.tmp, "input")
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
        return d

    def wadup(self, *args, expect=0):
        env = dict(os.environ, WADUP_CACHE_DIR=_cache)
        p = subprocess.run([WADUP, *args], capture_output=True, text=True, timeout=TIMEOUT, env=env)
        for bad in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
            self.assertNotIn(bad, p.stderr)
        if expect is not None:
            self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def run_wadup(self, modules_dir, *inputs, extra=(), expect=0):
        return self.wadup("run", "-q", "--modules", modules_dir, "-o", self.db_path, *extra,
                          *[a for i in inputs for a in ("--input", i)], expect=expect)

    def db(self):
        con = sqlite3.connect(self.db_path)
        self.addCleanup(con.close)
        return con

    def query(self, sql, *args):
        return self.db().execute(sql, args).fetchall()


class TestOriginalSuite(RunTestCase):
    """The original WADUP's integration tests, on SQLite."""

    def test_sqlite_parser(self):
        self.run_wadup(self.modules("sqlite-parser"), os.path.join(fixtures(), "sample.db"))
        rows = self.query("SELECT table_name, row_count FROM db_table_stats ORDER BY table_name")
        self.assertEqual(rows, [("posts", 5), ("users", 3)])

    def test_zip_extractor_and_byte_counter(self):
        self.run_wadup(self.modules("zip-extractor", "byte-counter"), os.path.join(fixtures(), "test.zip"))
        sizes = sorted(r[0] for r in self.query("SELECT size_bytes FROM file_sizes"))
        self.assertEqual(sizes, [40, 53, 406])
        zip_id = self.query("SELECT id FROM contents WHERE parent_id IS NULL")[0][0]
        kids = self.query("SELECT filename, parent_id, depth, size FROM contents WHERE parent_id IS NOT NULL "
                          "ORDER BY filename")
        self.assertEqual(kids, [("file1.txt", zip_id, 1, 40), ("file2.txt", zip_id, 1, 53)])

    def test_combined_sqlite_and_zip(self):
        self.run_wadup(self.modules("sqlite-parser", "zip-extractor", "byte-counter"),
                       os.path.join(fixtures(), "sample.db"), os.path.join(fixtures(), "test.zip"))
        self.assertEqual(self.query("SELECT table_name, row_count FROM db_table_stats ORDER BY 1"),
                         [("posts", 5), ("users", 3)])
        self.assertEqual(self.query("SELECT count(*) FROM file_sizes"), [(4,)])  # sample.db, zip, 2 files
        self.assertEqual(self.query("SELECT count(*) FROM module_runs WHERE status != 'success'"), [(0,)])

    def test_simple_module(self):
        self.run_wadup(self.modules("simple-test"), self.inputs({"test.txt": "test\n"}))
        self.assertEqual(self.query("SELECT filename, status, depth FROM contents"), [("test.txt", "success", 0)])
        self.assertEqual(self.query("SELECT module, status FROM module_runs"), [("simple-test", "success")])

    def test_nested_zip_recursion(self):
        self.run_wadup(self.modules("zip-extractor", "byte-counter"), os.path.join(fixtures(), "nested.zip"))
        depths = self.query("SELECT depth, count(*) FROM contents GROUP BY depth ORDER BY depth")
        self.assertEqual(depths[0], (0, 1))
        self.assertEqual(depths[-1][0], 2)  # test.zip inside nested.zip: its files at depth 2
        self.assertEqual(self.query("SELECT count(*) FROM contents"), self.query("SELECT count(*) FROM file_sizes"))


class TestLimitsAndRecursion(RunTestCase):
    def test_depth_limit_is_recorded(self):
        self.run_wadup(self.modules("splitter"), self.inputs({"deep": "D:20:1"}), extra=("--max-depth", "3"))
        self.assertEqual(self.query("SELECT max(depth), count(*) FROM contents"), [(3, 4)])
        hit = self.query("SELECT depth, limits_hit FROM contents WHERE limits_hit IS NOT NULL")
        self.assertEqual(len(hit), 1)
        self.assertEqual(hit[0][0], 3)
        self.assertIn("max_depth", hit[0][1])

    def test_children_limit_is_recorded(self):
        self.run_wadup(self.modules("splitter"), self.inputs({"wide": "U:1:50"}), extra=("--max-children", "10"))
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE depth = 1"), [(10,)])
        (note,) = self.query("SELECT limits_hit FROM contents WHERE depth = 0")[0]
        self.assertIn("max_children: 40 of 50", note)

    def test_slices_of_slices(self):
        self.run_wadup(self.modules("splitter", "byte-counter"), self.inputs({"s": "SSSSx"}))
        rows = self.query("SELECT depth, size, slice_offset FROM contents ORDER BY depth")
        self.assertEqual(rows, [(0, 5, None), (1, 4, 1), (2, 3, 1), (3, 2, 1), (4, 1, 1)])
        self.assertEqual(self.query("SELECT count(*) FROM file_sizes"), [(5,)])
        self.assertEqual(sorted(r[0] for r in self.query("SELECT size_bytes FROM file_sizes")), [1, 2, 3, 4, 5])

    def test_duplicates_point_at_first(self):
        # one worker: with several, whichever copy is hashed first is the original
        self.run_wadup(self.modules("byte-counter"), self.inputs({"a": "same", "b": "same", "c": "other"}),
                       extra=("--threads", "1"))
        rows = self.query("SELECT filename, status, duplicate_of FROM contents ORDER BY filename")
        first = self.query("SELECT id FROM contents WHERE filename = 'a'")[0][0]
        self.assertEqual(rows, [("a", "success", None), ("b", "duplicate", first), ("c", "success", None)])
        self.assertEqual(self.query("SELECT count(*) FROM module_runs"), [(2,)])

    def test_duplicate_children(self):
        self.run_wadup(self.modules("splitter"), self.inputs({"t": "D:1:5"}))
        self.assertEqual(self.query("SELECT status, count(*) FROM contents WHERE depth = 1 GROUP BY status ORDER BY 1"),
                         [("duplicate", 4), ("success", 1)])

    def test_max_content_size(self):
        self.run_wadup(self.modules("byte-counter"), self.inputs({"big": b"x" * 5000, "small": b"y"}),
                       extra=("--max-content-size", "1K"))
        rows = dict(self.query("SELECT filename, status FROM contents"))
        self.assertEqual(rows, {"big": "skipped", "small": "success"})
        self.assertIn("max-content-size", self.query("SELECT error FROM contents WHERE filename = 'big'")[0][0])

    def test_recursive_input_sorted_and_symlinks(self):
        d = self.inputs({"b/2.txt": "2", "a/1.txt": "1", "c.txt": "3"})
        os.symlink(os.path.join(d, "c.txt"), os.path.join(d, "link.txt"))
        self.run_wadup(self.modules("byte-counter"), d, extra=("--threads", "1"))
        names = [r[0] for r in self.query("SELECT filename FROM contents ORDER BY id")]
        self.assertEqual(names, ["1.txt", "2.txt", "c.txt"])  # link skipped, sorted depth-first
        os.remove(self.db_path)
        self.run_wadup(self.modules("byte-counter"), d, extra=("--threads", "1", "--follow-symlinks"))
        rows = self.query("SELECT filename, status FROM contents ORDER BY id")
        self.assertEqual(rows[-1], ("link.txt", "duplicate"))


class TestFailures(RunTestCase):
    HOSTILE = {
        "infinite-loop": "timeout", "out-of-bounds": "out_of_bounds", "recursion": "stack_overflow",
        "memory-bomb": "memory_limit", "tmp-bomb": "memory_limit", "bad-slice": "metadata_error",
        "bad-metadata": "metadata_error", "exit-3": "exit", "unreachable": "unreachable",
        "div-zero": "integer_divide_by_zero", "int-overflow": "integer_overflow",
        "invalid-conversion": "invalid_conversion", "bad-indirect-call": "indirect_call",
        "returns-error": "module_error",
    }

    def test_hostile_modules_in_one_batch(self):
        mods = self.modules("byte-counter", "simple-test", *self.HOSTILE, "unknown-import", "huge-stdout")
        files = {"f%d.bin" % i: os.urandom(100 + i) for i in range(4)}
        p = self.run_wadup(mods, self.inputs(files), extra=("--timeout", "2", "--max-memory", "64M"))
        self.assertIn("unknown-import", p.stderr)
        self.assertEqual(self.query("SELECT status, error FROM modules WHERE name = 'unknown-import'")[0][0], "failed")
        for module, kind in self.HOSTILE.items():
            rows = self.query("SELECT error_kind, status FROM module_runs WHERE module = ?", module)
            self.assertEqual(len(rows), 4, module)
            self.assertTrue(all(r == (kind, "failed") for r in rows), (module, rows))
        self.assertEqual(sorted(r[0] for r in self.query("SELECT size_bytes FROM file_sizes")), [100, 101, 102, 103])
        self.assertEqual(self.query("SELECT count(*) FROM module_runs WHERE module IN ('byte-counter', 'simple-test')"
                                    " AND status = 'success'"), [(8,)])
        self.assertEqual(self.query("SELECT n FROM good ORDER BY n"), [(7,)] * 4)  # bad-metadata's good file kept
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE status = 'failed'"), [(4,)])
        (trunc,) = self.query("SELECT stdout_truncated FROM module_runs WHERE module = 'huge-stdout' LIMIT 1")[0]
        self.assertEqual(trunc, 1)

    def test_strict_stops_on_unloadable_module(self):
        p = self.run_wadup(self.modules("byte-counter", "unknown-import"), self.inputs({"a": "a"}),
                           extra=("--strict",), expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("env.mystery_function", p.stderr)

    def test_conflicting_table_definitions(self):
        # Tables are owned per module: conflict's file_sizes(size_bytes String) is its own table, in the
        # file_sizes view next to byte-counter's; neither displaces the other.
        self.run_wadup(self.modules("byte-counter", "conflict"), self.inputs({"a": "abc"}))
        self.assertEqual(self.query("SELECT size_bytes FROM file_sizes WHERE _module = 'byte-counter'"), [(3,)])
        self.assertEqual(self.query("SELECT size_bytes FROM file_sizes WHERE _module = 'conflict'"),
                         [("not a number",)])
        self.assertEqual(self.query("SELECT module, status FROM module_runs ORDER BY module"),
                         [("byte-counter", "success"), ("conflict", "success")])

    def test_fatal_errors_exit_nonzero(self):
        mods = self.modules("byte-counter")
        inp = self.inputs({"a": "a"})
        p = self.wadup("run", "--modules", mods, "--input", inp, "-o", "/nonexistent/dir/x.db", expect=1)
        self.assertIn("x.db", p.stderr)
        self.run_wadup(mods, inp)
        p = self.run_wadup(mods, inp, expect=1)
        self.assertIn("--resume", p.stderr)
        self.wadup("run", "--modules", mods, expect=2)
        self.wadup("run", "--modules", mods, "--input", inp, "--threads", "0", expect=2)


class TestResume(RunTestCase):
    def test_kill_9_then_resume(self):
        n = 400
        inp = self.inputs({"f%04d.txt" % i: "sleep:4\n%d" % i for i in range(n)})
        mods = self.modules("splitter", "byte-counter")
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
        self.assertEqual(self.query("SELECT count(*), count(DISTINCT _content) FROM file_sizes"), [(n, n)])
        self.assertEqual(self.query("SELECT count(*), count(DISTINCT _content) FROM split_seen"), [(n, n)])
        self.assertEqual(self.query("SELECT count(*) FROM module_runs"), [(2 * n,)])
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE subtree_complete = 0"), [(0,)])
        # A second resume has nothing left to do.
        self.run_wadup(mods, inp, extra=("--resume",))
        self.assertEqual(self.query("SELECT count(*) FROM contents"), [(n,)])


    def test_resume_keeps_table_definitions(self):
        inp = self.inputs({"a": "first"})
        self.run_wadup(self.modules("byte-counter"), inp)
        with open(os.path.join(inp, "b"), "w") as f:
            f.write("second file")
        # On resume a module keeps its own definitions: byte-counter, now defining file_sizes
        # differently, is refused; another module may define its own file_sizes.
        d = os.path.join(self.tmp, "modules-2")
        os.makedirs(d)
        shutil.copy(module_path("conflict"), os.path.join(d, "byte-counter.wasm"))
        shutil.copy(module_path("conflict"), os.path.join(d, "conflict.wasm"))
        self.run_wadup(d, inp, extra=("--resume",))
        self.assertEqual(self.query("SELECT size_bytes FROM file_sizes WHERE _module = 'byte-counter'"), [(5,)])
        self.assertEqual(self.query("SELECT size_bytes FROM file_sizes WHERE _module = 'conflict'"),
                         [("not a number",)])
        kind, error = self.query("SELECT error_kind, error FROM module_runs WHERE module = 'byte-counter'"
                                 " AND status = 'failed'")[0]
        self.assertEqual(kind, "metadata_error")
        self.assertIn("conflicts with file_sizes(size_bytes Int64) already defined by module 'byte-counter'", error)


class TestExport(RunTestCase):
    def test_ndjson_and_es_bulk(self):
        self.run_wadup(self.modules("zip-extractor", "byte-counter", "returns-error"),
                       os.path.join(fixtures(), "test.zip"))
        out = self.wadup("export", self.db_path, "--format", "ndjson").stdout.splitlines()
        docs = [json.loads(line) for line in out]
        by_type = {}
        for d in docs:
            by_type.setdefault(d["doc_type"], []).append(d)
        self.assertEqual(len(by_type["content"]), 3)
        self.assertEqual(len(by_type["row"]), 3)
        self.assertEqual(sorted(d["size_bytes"] for d in by_type["row"]), [40, 53, 406])
        self.assertTrue(all(d["_table"] == "file_sizes" and d["_module"] == "byte-counter" for d in by_type["row"]))
        self.assertEqual(len(by_type["module_output"]), 3)  # returns-error failed on each content
        zip_doc = [d for d in by_type["content"] if d["parent_uuid"] is None][0]
        self.assertEqual(zip_doc["filename"], "test.zip")
        self.assertEqual(zip_doc["status"], "failed")
        kids = [d for d in by_type["content"] if d["parent_uuid"] == zip_doc["content_uuid"]]
        self.assertEqual(sorted(d["filename"] for d in kids), ["file1.txt", "file2.txt"])
        bulk = self.wadup("export", self.db_path, "--format", "es-bulk", "--index", "idx").stdout.splitlines()
        self.assertEqual(len(bulk), 2 * len(docs))
        for action, doc in zip(bulk[0::2], bulk[1::2]):
            a = json.loads(action)["index"]
            self.assertEqual(a["_index"], "idx")
            d = json.loads(doc)
            if d["doc_type"] == "content":
                self.assertEqual(a["_id"], d["content_uuid"])
            elif d["doc_type"] == "module_output":
                self.assertEqual(a["_id"], d["content_uuid"] + "_" + d["module_name"])
            else:
                self.assertNotIn("_id", a)


if __name__ == "__main__":
    unittest.main()
