"""End-to-end tests of Python modules: `wadup python build` on the example
projects, then `wadup run` into SQLite (and `wadup test` / `inspect`).

Needs the Python runtime (build/python: `make python`) and Debian's
python3-* packages the examples depend on, resolved with /usr/bin/python3
($WADUP_TEST_PYTHON to override). The first test compiles the shared
runtime to native code (minutes, once per cache).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import zipfile

from tests.e2e.test_run import REPO, WADUP, RunTestCase, _cache, fixtures, module_path

PYTHON = os.environ.get("WADUP_TEST_PYTHON", "/usr/bin/python3")
BUILD_TIMEOUT = 120
_built = {}
_build_dir = tempfile.mkdtemp(prefix="wadup-e2e-python-")


def python_module(name):
    """Build examples/python-<name> once per test run; returns the .wasm path."""
    if name not in _built:
        out = os.path.join(_build_dir, "python-%s.wasm" % name)
        env = dict(os.environ, WADUP_CACHE_DIR=_cache)
        p = subprocess.run([WADUP, "python", "build", os.path.join(REPO, "examples", "python-" + name), "-o", out,
                            "--python", PYTHON], capture_output=True, text=True, timeout=BUILD_TIMEOUT, env=env)
        if p.returncode != 0:
            raise AssertionError("wadup python build python-%s failed:\n%s" % (name, p.stderr))
        _built[name] = out
    return _built[name]


class PythonTestCase(RunTestCase):
    def pymodules(self, *names, c_modules=()):
        d = os.path.join(self.tmp, "modules")
        os.makedirs(d, exist_ok=True)
        for n in names:
            shutil.copy(python_module(n), os.path.join(d, "python-%s.wasm" % n))
        for n in c_modules:
            shutil.copy(module_path(n), os.path.join(d, n + ".wasm"))
        return d


class TestPythonBuild(PythonTestCase):
    def test_build_is_pyc_only_and_shares_the_runtime(self):
        a, b = python_module("counter"), python_module("sqlite-parser")
        info = json.loads(self.wadup("inspect", "--json", a).stdout)
        self.assertTrue(info["kind"].startswith("reactor"))
        paths = sorted(f["path"] for f in info["embedded_files"])
        self.assertEqual(paths, ["/wadup/python/app.zip", "/wadup/python/entry", "/wadup/python/stdlib.zip"])
        keys = {line.split("\t")[2] for line in self.wadup("compile", a, b).stdout.splitlines()}
        self.assertEqual(len(keys), 1, "every Python module must share one compiled object")
        # No source in the bundle: nothing is compiled at run time (seed crash 2).
        with open(a, "rb") as f:
            data = f.read()
        start = data.index(b"PK\x03\x04", data.index(b"wadup.file:/wadup/python/app.zip"))
        names = zipfile.ZipFile(__import__("io").BytesIO(data[start:])).namelist()
        self.assertTrue(any(n.endswith(".pyc") for n in names))
        self.assertFalse(any(n.endswith(".py") for n in names), names)

    def test_build_errors_are_clear(self):
        proj = os.path.join(self.tmp, "proj")
        os.makedirs(proj)
        with open(os.path.join(proj, "pyproject.toml"), "w") as f:
            f.write('[project]\nname = "needs-missing"\ndependencies = ["surely-not-installed-pkg"]\n')
        with open(os.path.join(proj, "needs_missing.py"), "w") as f:
            f.write("def main():\n    pass\n")
        p = self.wadup("python", "build", proj, "-o", os.path.join(self.tmp, "x.wasm"), "--python", PYTHON, expect=1)
        self.assertIn("surely-not-installed-pkg", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.wasm")))

    def test_build_time(self):
        t0 = time.monotonic()
        self.wadup("python", "build", os.path.join(REPO, "examples", "python-counter"), "-o",
                   os.path.join(self.tmp, "c.wasm"), "--python", PYTHON, "-q")
        # A correctness guard, not the speed goal (bench/python.py measures that).
        self.assertLess(time.monotonic() - t0, 30)


class TestPythonExamples(PythonTestCase):
    def test_counter_reuses_the_instance(self):
        self.run_wadup(self.pymodules("counter"), self.inputs({"file%d.txt" % i: "file%d\n" % i for i in (1, 2, 3)}),
                       extra=("--threads", "1"))
        self.assertEqual(self.query("SELECT call_number FROM call_counter ORDER BY call_number"), [(1,), (2,), (3,)])

    def test_c_extension_imports(self):
        self.run_wadup(self.pymodules("module-test"), self.inputs({"test.txt": "test\n"}))
        rows = self.query("SELECT module_name, import_successful, error_message FROM c_extension_imports ORDER BY 1")
        expected = ["array", "binascii", "bz2", "cmath", "hashlib", "io", "itertools", "lzma", "math", "struct",
                    "time", "unicodedata", "zlib"]
        self.assertEqual([r[0] for r in rows], expected)
        self.assertTrue(all(r[1] == 1 for r in rows), rows)

    def test_multi_file_with_dependencies(self):
        self.run_wadup(self.pymodules("multi-file"), self.inputs({
            "text.txt": "Hello World\nThis is a test\nThree lines\n", "binary.bin": bytes([0, 1, 2, 3, 4])}))
        rows = self.query("SELECT c.filename, f.total_bytes, f.line_count, f.word_count, f.human_size, f.encoding_slug "
                          "FROM file_analysis f JOIN contents c ON c.id = f._content ORDER BY c.filename")
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][:4], ("text.txt", 39, 3, 8))
        self.assertEqual(rows[1][4], "39 Bytes")
        self.assertEqual(rows[1][5], "ascii")
        self.assertEqual(rows[0][:2], ("binary.bin", 5))

    def test_sqlite_parser(self):
        self.run_wadup(self.pymodules("sqlite-parser"), os.path.join(fixtures(), "sample.db"))
        self.assertEqual(self.query("SELECT table_name, row_count FROM db_table_stats ORDER BY 1"),
                         [("posts", 5), ("users", 3)])

    def test_large_files_and_many_branches(self):
        """Regression for the seed crashes: zipimported sub-modules with 28, 49 and 300 if/elif branches."""
        self.run_wadup(self.pymodules("large-file-test"), self.inputs({"t.txt": "x"}))
        checks = self.query("SELECT check_, ok FROM large_file_checks".replace("check_", "\"check\""))
        self.assertGreaterEqual(len(checks), 4)
        self.assertTrue(all(ok == 1 for _, ok in checks), checks)
        names = " ".join(c for c, _ in checks)
        for n in ("28", "49", "300"):
            self.assertIn(n, names)
        self.assertEqual(self.query("SELECT status FROM module_runs"), [("success",)])

    def test_pydantic(self):
        self.run_wadup(self.pymodules("pydantic-test"), self.inputs({"t.txt": "x"}))
        self.assertEqual(self.query("SELECT name, age, email FROM users ORDER BY age"),
                         [("Bob", 25, "bob@example.com"), ("Alice", 30, "alice@example.com"),
                          ("Charlie", 35, "charlie@example.com")])
        info = dict(self.query("SELECT key, value FROM info"))
        self.assertEqual(info["status"], "success")
        self.assertTrue(info["pydantic_version"].startswith("1.10"))
        self.assertIn("validation_error", info)

    def test_python_zip_extractor_feeds_other_modules(self):
        self.run_wadup(self.pymodules("zip-extractor", c_modules=("byte-counter",)),
                       os.path.join(fixtures(), "test.zip"))
        self.assertEqual(sorted(r[0] for r in self.query("SELECT size_bytes FROM file_sizes")), [40, 53, 406])
        self.assertEqual(self.query("SELECT count(*) FROM contents WHERE depth = 1"), [(2,)])


class TestPythonFailures(PythonTestCase):
    def check_failure_then_recovery(self, name, trigger, kind, extra=()):
        files = {"a_ok.txt": "fine", "b_bad.txt": trigger, "c_ok.txt": "fine too"}
        self.run_wadup(self.pymodules(name), self.inputs(files), extra=("--threads", "1", *extra))
        rows = self.query("SELECT c.filename, r.status, r.error_kind, r.exit_code, r.stderr FROM module_runs r "
                          "JOIN contents c ON c.id = r.content_id ORDER BY c.filename")
        self.assertEqual([(r[0], r[1]) for r in rows],
                         [("a_ok.txt", "success"), ("b_bad.txt", "failed"), ("c_ok.txt", "success")])
        self.assertEqual(rows[1][2], kind)
        table = name + "_ok"
        ok_rows = self.query("SELECT filename FROM %s ORDER BY filename" % table)
        self.assertEqual(ok_rows, [("a_ok.txt",), ("c_ok.txt",)])  # nothing from the failed content leaks
        return rows[1]

    def test_exception(self):
        row = self.check_failure_then_recovery("raises", "boom", "module_error")
        self.assertIn("Traceback", row[4])

    def test_sys_exit(self):
        row = self.check_failure_then_recovery("exit", "exit", "module_error")
        self.assertEqual(row[3], 2)

    def test_infinite_loop_times_out(self):
        self.check_failure_then_recovery("loop", "loop", "timeout", extra=("--timeout", "3"))


if __name__ == "__main__":
    unittest.main()
