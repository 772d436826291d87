"""End-to-end tests of the compile pipeline (docs/compilation.md): export names
cannot put C code into the compiled object, -j / --compile-jobs are parsed and
do not change the object (its cache key), and a module split into several
translation units runs like before.

Run from the repository root:

    python3 -m unittest tests.e2e.test_compile_pipeline -v
    WADUP=build/asan/wadup python3 -m unittest tests.e2e.test_compile_pipeline -v

Every wadup invocation has its own fresh cache and a timeout, and every stderr
is checked for sanitizer reports.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "build"
BYTE_COUNTER = BUILD / "examples" / "byte-counter.wasm"
SQLITE_PARSER = BUILD / "examples" / "sqlite-parser.wasm"
GENERATOR = REPO_ROOT / "examples" / "hostile" / "compile-bomb.py"
TIMEOUT = 600
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


def _generator():
    spec = importlib.util.spec_from_file_location("compile_bomb", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


WADUP = e2e_support.resolve_wadup()


def injecting_module(marker):
    """A reactor whose third export's name closes wasm2c's comment and adds a
    constructor that creates `marker`: wasm2c 1.0.32 copies export names into
    C comments verbatim."""
    g = _generator()
    evil = ("x' */\n#ifndef PWN\n#define PWN\nextern int system(const char *);\n"
            "__attribute__((constructor)) static void pwn(void) { system(\"touch %s\"); }\n#endif\n/* '" % marker)
    body = bytes([0x00, 0x41, 0x00, 0x0B])  # no locals; i32.const 0; end
    return (b"\0asm\x01\0\0\0"
            + g.section(1, g.vec([bytes([0x60]) + g.vec([]) + g.vec([bytes([0x7F])])]))
            + g.section(3, g.vec([g.leb_u(0)]))
            + g.section(5, g.vec([b"\x00" + g.leb_u(1)]))
            + g.section(7, g.vec([g.name("process") + b"\x00" + g.leb_u(0),
                                  g.name("memory") + b"\x02" + g.leb_u(0),
                                  g.name(evil) + b"\x00" + g.leb_u(0)]))
            + g.section(10, g.vec([g.leb_u(len(body)) + body])))


class CompilePipelineTest(unittest.TestCase):
    def setUp(self):
        missing = [str(p) for p in (WADUP, BYTE_COUNTER, SQLITE_PARSER) if not p.exists()]
        if missing:
            self.skipTest("missing build outputs: " + ", ".join(missing))
        self.dir = tempfile.mkdtemp(prefix="wadup-e2e-pipeline.")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def wadup(self, cache, *args):
        env = dict(os.environ, WADUP_CACHE_DIR=os.path.join(self.dir, cache))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        proc = subprocess.run([str(WADUP)] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env, cwd=str(REPO_ROOT))
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, proc.stderr)
        self.assertGreaterEqual(proc.returncode, 0, proc.stderr)
        return proc

    def sample(self, data=b"0123456789"):
        path = os.path.join(self.dir, "sample.bin")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_export_names_do_not_reach_the_compiler(self):
        marker = os.path.join(self.dir, "constructor-ran")
        module = os.path.join(self.dir, "inject.wasm")
        with open(module, "wb") as f:
            f.write(injecting_module(marker))
        proc = self.wadup("c", "test", "-q", "-m", module, "-s", self.sample())
        result = json.loads(proc.stdout)
        self.assertIs(result["success"], True, result)
        self.assertFalse(os.path.exists(marker), "code from an export name ran in wadup")

    def test_jobs_option(self):
        keys = []
        for jobs in ("1", "2", "0"):
            proc = self.wadup("j" + jobs, "compile", "-q", "-j", jobs, BYTE_COUNTER)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            name, status, key = proc.stdout.strip().split("\t")
            self.assertEqual((name, status), ("byte-counter", "compiled"))
            keys.append(key)
        self.assertEqual(len(set(keys)), 1, "the number of jobs must not change the object")
        for bad in ("-1", "x", "257"):
            proc = self.wadup("bad", "compile", "-j", bad, BYTE_COUNTER)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("--compile-jobs", proc.stderr)
        proc = self.wadup("t", "test", "-q", "--compile-jobs", "1", "-m", BYTE_COUNTER, "-s", self.sample())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(proc.stdout)["metadata"]["rows"][0]["values"], [{"Int64": 10}])

    def test_split_module_runs_and_says_what_it_compiles(self):
        import sqlite3
        db = os.path.join(self.dir, "sample.db")
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE t(a, b)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [(i, "v%d" % i) for i in range(50)])
        con.commit()
        con.close()
        proc = self.wadup("s", "test", "-m", SQLITE_PARSER, "-s", db)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stderr, r"compiling sqlite-parser \(\d+ KiB of code\) to native code: \d+ units, "
                                      r"\d+ parallel jobs")
        self.assertNotIn("as one unit", proc.stderr)
        rows = json.loads(proc.stdout)["metadata"]["rows"]
        self.assertIn({"String": "t"}, rows[0]["values"])
        self.assertIn({"Int64": 50}, rows[0]["values"])


if __name__ == "__main__":
    unittest.main()
