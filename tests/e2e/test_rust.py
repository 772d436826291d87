"""End-to-end tests of Rust modules (guest/rust, examples/rust-*) through
the wadup command line: each Rust example gives the same tables and results
as its C counterpart (examples/byte-counter, zip-extractor, sqlite-parser),
and rust-sqlite-parser has the original WADUP's module shape (rusqlite over
SQLite, importing the env binary128 helpers, opening /data.bin read-write).

    python3 -m unittest tests/e2e/test_rust.py -v
    WADUP=build/asan/wadup python3 -m unittest discover -s tests/e2e -p test_rust.py -v

Needs `make` (build/examples/rust-*.wasm and the C examples). WADUP and
WADUP_CACHE_DIR as in test_cli.py.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
from pathlib import Path
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "build" / "examples"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
TIMEOUT = 600  # the SQLite modules take about a minute to compile on 2 cores
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

RUST = {n: EXAMPLES / ("rust-%s.wasm" % n) for n in ("byte-counter", "zip-extractor", "sqlite-parser")}
C = {n: EXAMPLES / ("%s.wasm" % n) for n in ("byte-counter", "zip-extractor", "sqlite-parser")}

# The soft-float imports of the original WADUP's Rust sqlite-parser (issue 13).
ORIGINAL_ENV_IMPORTS = {
    "__multf3": "(i32, i64, i64, i64, i64) -> ()", "__addtf3": "(i32, i64, i64, i64, i64) -> ()",
    "__subtf3": "(i32, i64, i64, i64, i64) -> ()", "__divtf3": "(i32, i64, i64, i64, i64) -> ()",
    "__extenddftf2": "(i32, f64) -> ()", "__trunctfdf2": "(i64, i64) -> f64",
    "__getf2": "(i64, i64, i64, i64) -> i32", "__gttf2": "(i64, i64, i64, i64) -> i32",
    "__lttf2": "(i64, i64, i64, i64) -> i32", "__fixtfsi": "(i64, i64) -> i32",
    "__floatsitf": "(i32, i32) -> ()", "__floatditf": "(i32, i64) -> ()",
}


WADUP = e2e_support.resolve_wadup()
_WORK = None
_CACHE = None


def setUpModule():
    global _WORK, _CACHE
    missing = [str(p) for p in [WADUP] + list(RUST.values()) + list(C.values()) if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make`): " + ", ".join(missing))
    _WORK = tempfile.mkdtemp(prefix="wadup-rust.")
    _CACHE = os.environ.get("WADUP_CACHE_DIR") or os.path.join(_WORK, "cache")


def tearDownModule():
    if _WORK:
        shutil.rmtree(_WORK, ignore_errors=True)


class RustTestCase(unittest.TestCase):

    def wadup(self, *args):
        env = dict(os.environ, WADUP_CACHE_DIR=_CACHE)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        proc = subprocess.run([str(WADUP)] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, proc.stderr, proc.stderr[-3000:])
        return proc

    def run_test(self, module, sample, name=None):
        """`wadup test` of module on file `sample` (a path, or bytes written to a file)."""
        if isinstance(sample, bytes):
            path = os.path.join(_WORK, name or "sample.bin")
            with open(path, "wb") as f:
                f.write(sample)
            sample = path
        proc = self.wadup("test", "-m", module, "-s", sample)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return json.loads(proc.stdout)

    def run_dir(self, modules, inputs):
        """`wadup run` of the modules on the inputs; the results database's connection."""
        work = tempfile.mkdtemp(dir=_WORK)
        mods, ins = os.path.join(work, "modules"), os.path.join(work, "inputs")
        os.makedirs(mods)
        os.makedirs(ins)
        for m in modules:
            shutil.copy(m, mods)
        for i in inputs:
            shutil.copy(i, ins)
        db = os.path.join(work, "results.db")
        proc = self.wadup("run", "-q", "--modules", mods, "--input", ins, "-o", db)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        con = sqlite3.connect(db)
        self.addCleanup(con.close)
        return con

    @staticmethod
    def rows(result, table):
        return [r["values"] for r in result["metadata"]["rows"] if r["table_name"] == table]


class RustModuleShapeTests(RustTestCase):

    def test_rust_modules_are_reactors_wadup_provides_everything_for(self):
        for name, module in RUST.items():
            info = json.loads(self.wadup("inspect", "--json", module).stdout)
            self.assertTrue(info["kind"].startswith("reactor"), (name, info["kind"]))
            self.assertNotIn("error", info, name)
            for imp in info["imports"]:
                self.assertIs(imp["provided"], True, (name, imp))

    def test_sqlite_parser_has_the_original_modules_env_imports(self):
        info = json.loads(self.wadup("inspect", "--json", RUST["sqlite-parser"]).stdout)
        env = {i["name"]: i["type"] for i in info["imports"] if i["module"] == "env"}
        self.assertEqual(env, ORIGINAL_ENV_IMPORTS)


class RustByteCounterTests(RustTestCase):

    def test_same_rows_as_c(self):
        for data in (b"", b"x", b"hello, world\n" * 1000):
            rust, c = self.run_test(RUST["byte-counter"], data), self.run_test(C["byte-counter"], data)
            self.assertTrue(rust["success"], rust["error"])
            self.assertEqual(rust["metadata"], c["metadata"])
            self.assertEqual(self.rows(rust, "file_sizes"), [[{"Int64": len(data)}]])

    def test_reused_instance_flushes_per_content(self):
        con = self.run_dir([RUST["byte-counter"]], [FIXTURES / "test.zip", FIXTURES / "sample.db"])
        self.assertEqual(sorted(r[0] for r in con.execute("SELECT size_bytes FROM file_sizes")), [406, 12288])


class RustZipExtractorTests(RustTestCase):

    def test_test_zip_with_byte_counter(self):
        con = self.run_dir([RUST["zip-extractor"], RUST["byte-counter"]], [FIXTURES / "test.zip"])
        self.assertEqual(sorted(r[0] for r in con.execute("SELECT size_bytes FROM file_sizes")), [40, 53, 406])
        names = sorted(r[0] for r in con.execute("SELECT filename FROM contents WHERE depth = 1"))
        self.assertEqual(names, ["file1.txt", "file2.txt"])

    def test_same_children_as_c(self):
        for fixture in ("test.zip", "nested.zip"):
            rust = self.run_test(RUST["zip-extractor"], str(FIXTURES / fixture))
            c = self.run_test(C["zip-extractor"], str(FIXTURES / fixture))
            self.assertTrue(rust["success"], rust["error"])
            key = lambda s: (s["filename"], s.get("size"))  # noqa: E731
            self.assertEqual(sorted(map(key, rust["subcontent"])), sorted(map(key, c["subcontent"])), fixture)

    def test_not_a_zip(self):
        r = self.run_test(RUST["zip-extractor"], b"just some text\n")
        self.assertTrue(r["success"], r["error"])
        self.assertEqual(r["subcontent"], [])


class RustSqliteParserTests(RustTestCase):

    def test_sample_db_same_rows_as_c(self):
        rust = self.run_test(RUST["sqlite-parser"], str(FIXTURES / "sample.db"))
        c = self.run_test(C["sqlite-parser"], str(FIXTURES / "sample.db"))
        self.assertTrue(rust["success"], (rust["error"], rust["stderr"]))
        self.assertEqual(rust["metadata"], c["metadata"])
        self.assertEqual(self.rows(rust, "db_table_stats"),
                         [[{"String": "posts"}, {"Int64": 5}], [{"String": "users"}, {"Int64": 3}]])

    def test_not_sqlite(self):
        for sample in (FIXTURES / "notsqlite.db", FIXTURES / "test.zip"):
            r = self.run_test(RUST["sqlite-parser"], str(sample))
            self.assertTrue(r["success"], r["error"])
            self.assertEqual(r["metadata"]["rows"], [])
        r = self.run_test(RUST["sqlite-parser"], b"SQLite", "short.db")
        self.assertTrue(r["success"], r["error"])

    def test_corrupt_database_fails_cleanly(self):
        with open(FIXTURES / "sample.db", "rb") as f:
            data = bytearray(f.read())
        data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
        r = self.run_test(RUST["sqlite-parser"], bytes(data), "corrupt.db")
        self.assertFalse(r["success"])
        self.assertEqual(r["error_kind"], "module_error", r["error"])
        self.assertIn("rust-sqlite-parser:", r["stderr"])

    def test_combined_run(self):
        con = self.run_dir([RUST["sqlite-parser"], RUST["zip-extractor"], RUST["byte-counter"]],
                           [FIXTURES / "sample.db", FIXTURES / "test.zip"])
        self.assertEqual(sorted(con.execute("SELECT table_name, row_count FROM db_table_stats")),
                         [("posts", 5), ("users", 3)])
        self.assertEqual(sorted(r[0] for r in con.execute("SELECT size_bytes FROM file_sizes")),
                         [40, 53, 406, 12288])


class RustStdTests(RustTestCase):
    """A plain Rust std program (tests/guest/rust/std_fs.rs, no crates) using
    std::fs as real code does, through `wadup exec --dir`: reading a
    directory (Rust's std opens it with file rights: issue 8), files, seek,
    rename, copy, hard links, escapes refused, remove_dir_all."""

    STD_FS = REPO_ROOT / "build" / "tests" / "guest" / "rust" / "std_fs.wasm"

    def test_std_fs_under_exec(self):
        host = Path(tempfile.mkdtemp(dir=_WORK))
        (host / "sub").mkdir()
        (host / "hello.txt").write_text("hello from the host\n")
        proc = self.wadup("exec", "--dir", "%s::/work" % host, self.STD_FS)
        lines = proc.stdout.splitlines()
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertGreaterEqual(len(lines), 18)
        self.assertEqual([l for l in lines if not l.startswith("ok ")], [])
        # writes stayed in the sandbox
        self.assertEqual(sorted(p.name for p in host.iterdir()), ["hello.txt", "sub"])


if __name__ == "__main__":
    unittest.main()
