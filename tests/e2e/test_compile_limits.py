"""End-to-end tests of the compile limits (--compile-timeout, --compile-memory)
and of the compile_error kind, with a module that is hostile only to the C
compiler (examples/hostile/compile-bomb.py, generated here) and one that
wasm2c rejects although wadup's own reader accepts it.

Run from the repository root:

    python3 -m unittest tests.e2e.test_compile_limits -v
    WADUP=build/asan/wadup python3 -m unittest tests.e2e.test_compile_limits -v

Every test uses a fresh compiled-module cache (nothing is cached), every
wadup invocation has a timeout, and every stderr is checked for sanitizer
reports.
"""

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
from pathlib import Path
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_support  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "build"
BYTE_COUNTER = BUILD / "examples" / "byte-counter.wasm"
GENERATOR = REPO_ROOT / "examples" / "hostile" / "compile-bomb.py"

TIMEOUT = 120               # seconds for any single wadup process
COMPILE_TIMEOUT = 3         # --compile-timeout the tests use
# Time a command may take beyond --compile-timeout: start-up, reading the
# module, killing and reaping the compiler. Measured at 0.2-0.3 s (normal
# and ASan builds); the bound leaves room for a loaded machine.
TIMEOUT_MARGIN = 2.5
# An address-space limit that small modules compile under (byte-counter
# needs about 128 MiB of address space in cc1) but the bomb exceeds at once.
COMPILE_MEMORY = "256M"
# The bomb: cc -O2 needs about 95 s and 1.2 GB for it (12 s / 400 MB at 5000
# statements: far worse than linear), wasm2c well under a second.
BOMB_OPS, BOMB_LOCALS = 20000, 2000
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


def _load_generator():
    spec = importlib.util.spec_from_file_location("compile_bomb", GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


WADUP = e2e_support.resolve_wadup()
_WORK = None   # scratch directory of this module
BOMB = None    # the generated compile bomb
W2C_BAD = None # a module wasm2c rejects


def wasm2c_rejected_module():
    """A reactor whose only function is ill-typed (i32.add on an empty
    stack): wadup's reader does not validate function bodies, wasm2c does."""
    gen = _load_generator()
    body = gen.vec([]) + bytes([0x6A, 0x0B])  # no locals; i32.add; end
    return (b"\0asm\x01\0\0\0"
            + gen.section(1, gen.vec([bytes([0x60]) + gen.vec([]) + gen.vec([bytes([0x7F])])]))
            + gen.section(3, gen.vec([gen.leb_u(0)]))
            + gen.section(5, gen.vec([b"\x00" + gen.leb_u(1)]))
            + gen.section(7, gen.vec([gen.name("process") + b"\x00" + gen.leb_u(0),
                                      gen.name("memory") + b"\x02" + gen.leb_u(0)]))
            + gen.section(10, gen.vec([gen.leb_u(len(body)) + body])))


def setUpModule():
    global _WORK, BOMB, W2C_BAD
    missing = [str(p) for p in (WADUP, BYTE_COUNTER, GENERATOR) if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make build/wadup examples`): " + ", ".join(missing))
    _WORK = tempfile.mkdtemp(prefix="wadup-e2e-compile-limits.")
    BOMB = Path(_WORK) / "compile-bomb.wasm"
    BOMB.write_bytes(_load_generator().compile_bomb(BOMB_OPS, BOMB_LOCALS))
    W2C_BAD = Path(_WORK) / "wasm2c-rejects.wasm"
    W2C_BAD.write_bytes(wasm2c_rejected_module())


def tearDownModule():
    if _WORK:
        shutil.rmtree(_WORK, ignore_errors=True)


def processes_mentioning(text):
    """Live processes whose command line mentions `text` (zombies have none)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline:
            found.append("%s: %s" % (pid, cmdline.replace("\0", " ")[:200]))
    return found


class CompileLimitsTest(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=_WORK)
        self.cache = os.path.join(self.dir, "cache")  # fresh: nothing is cached

    def wadup(self, *args, timeout=TIMEOUT, **env_overrides):
        """Run wadup with ARGS and a fresh cache -> (CompletedProcess, seconds)."""
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env["WADUP_CACHE_DIR"] = self.cache
        env.update(env_overrides)
        cmd = [str(WADUP)] + [str(a) for a in args]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=str(REPO_ROOT), env=env)
        elapsed = time.monotonic() - t0
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr, "sanitizer report from %s:\n%s" % (" ".join(cmd), stderr[-6000:]))
        self.assertGreaterEqual(proc.returncode, 0, "wadup killed by signal %d: %s" % (-proc.returncode, stderr))
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), elapsed

    def sample(self, data=b"some content", name="sample.bin"):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_test(self, module, *extra, **env_overrides):
        """`wadup test -q -m MODULE -s SAMPLE EXTRA...` -> (status, result JSON, stderr, seconds)."""
        proc, elapsed = self.wadup("test", "-q", "-m", module, "-s", self.sample(), *extra, **env_overrides)
        try:
            result = json.loads(proc.stdout)
        except ValueError:
            self.fail("stdout of wadup test is not JSON; exit %d\n%r\n%s" % (proc.returncode, proc.stdout[:2000],
                                                                             proc.stderr[-2000:]))
        return proc.returncode, result, proc.stderr, elapsed

    def assert_compile_error(self, status, result, *phrases):
        self.assertEqual(status, 1, result)
        self.assertIs(result["success"], False)
        self.assertEqual(result["error_kind"], "compile_error", result["error"])
        self.assertTrue(result["error"].startswith("compile_error: "), result["error"])
        for phrase in phrases:
            self.assertIn(phrase, result["error"])

    def assert_no_compiler_left(self):
        """Nothing compiles in the cache any more and nothing is left there."""
        deadline = time.monotonic() + 2
        while processes_mentioning(self.cache) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_mentioning(self.cache), [], "compiler processes outlived wadup")
        left = os.listdir(self.cache) if os.path.isdir(self.cache) else []
        self.assertEqual(left, [], "temporary files or objects left in the cache")

    # -- wadup test ----------------------------------------------------------

    def test_timeout_kills_the_compiler_in_time(self):
        status, r, _, elapsed = self.run_test(BOMB, "--compile-timeout", COMPILE_TIMEOUT)
        self.assert_compile_error(status, r, "the C compiler exceeded --compile-timeout (%d s)" % COMPILE_TIMEOUT)
        self.assertLess(elapsed, COMPILE_TIMEOUT + TIMEOUT_MARGIN, "the compile timeout was not enforced in time")
        self.assertGreater(elapsed, COMPILE_TIMEOUT - 0.5, "killed before its time")
        self.assert_no_compiler_left()

    def test_memory_limit(self):
        status, r, _, elapsed = self.run_test(BOMB, "--compile-memory", COMPILE_MEMORY)
        self.assert_compile_error(status, r, "the C compiler ran out of memory under --compile-memory (256 MiB)")
        self.assertLess(elapsed, 60)
        self.assert_no_compiler_left()

    def test_small_module_compiles_under_the_test_limits(self):
        status, r, stderr, _ = self.run_test(BYTE_COUNTER, "--compile-memory", COMPILE_MEMORY,
                                             "--compile-timeout", 60)
        self.assertEqual(status, 0, (r, stderr))
        self.assertIs(r["success"], True)

    def test_wasm2c_failure_is_named(self):
        proc, _ = self.wadup("inspect", W2C_BAD)
        self.assertEqual(proc.returncode, 0, "wadup's reader must accept it: " + proc.stderr)
        status, r, _, _ = self.run_test(W2C_BAD)
        self.assert_compile_error(status, r, "compile_error: wasm2c failed: ", "type mismatch")
        self.assertNotIn("C compiler", r["error"])

    def test_compiler_failure_is_named(self):
        # A C compiler that always fails stands for a module wasm2c accepts and cc rejects.
        fake = os.path.join(self.dir, "failing-cc")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\ncase "$1" in --version) echo "fake-cc 1.0"; exit 0;; esac\n'
                    'echo "module.c:1: error: this compiler rejects everything" >&2\nexit 1\n')
        os.chmod(fake, 0o755)
        status, r, _, _ = self.run_test(BYTE_COUNTER, WADUP_CC=fake)
        self.assert_compile_error(status, r, "compile_error: the C compiler failed: ",
                                  "this compiler rejects everything")

    def test_bad_option_values(self):
        for args in (("--compile-timeout", "soon"), ("--compile-timeout", "-1"), ("--compile-memory", "lots"),
                     ("--compile-memory", "-5M")):
            for command in (("test", "-m", BYTE_COUNTER, "-s", self.sample()), ("compile", BYTE_COUNTER),
                            ("run", "--modules", self.dir, "--input", self.sample())):
                proc, _ = self.wadup(*command, *args)
                self.assertEqual(proc.returncode, 2, (command, args, proc.stderr))
                self.assertIn(args[0], proc.stderr)

    # -- wadup compile -------------------------------------------------------

    def test_compile_reports_and_fails(self):
        mods = os.path.join(self.dir, "modules")
        os.mkdir(mods)
        shutil.copy(BOMB, os.path.join(mods, "bomb.wasm"))
        shutil.copy(BYTE_COUNTER, os.path.join(mods, "byte-counter.wasm"))
        proc, _ = self.wadup("compile", "-q", "--compile-memory", COMPILE_MEMORY, mods)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual([line.split("\t")[:2] for line in proc.stdout.splitlines()], [["byte-counter", "compiled"]])
        self.assertIn("bomb.wasm: compile_error: the C compiler ran out of memory under --compile-memory (256 MiB)",
                      proc.stderr)

    # -- wadup run -----------------------------------------------------------

    def run_dir(self, *extra):
        mods = os.path.join(self.dir, "modules")
        inputs = os.path.join(self.dir, "inputs")
        os.makedirs(mods, exist_ok=True)
        os.makedirs(inputs, exist_ok=True)
        shutil.copy(BOMB, os.path.join(mods, "a-bomb.wasm"))  # first in name order
        shutil.copy(BYTE_COUNTER, os.path.join(mods, "byte-counter.wasm"))
        for i in range(4):
            with open(os.path.join(inputs, "f%d" % i), "wb") as f:
                f.write(b"x" * (10 + i))
        db = os.path.join(self.dir, "out.db")
        proc, _ = self.wadup("run", "-q", "--modules", mods, "--input", inputs, "-o", db, *extra)
        return proc, db

    def query(self, db, sql):
        con = sqlite3.connect(db)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def test_run_goes_on_without_the_hostile_module(self):
        proc, db = self.run_dir("--compile-memory", COMPILE_MEMORY)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("compile_error", proc.stderr)
        self.assertEqual(sorted(r[0] for r in self.query(db, "SELECT size_bytes FROM file_sizes")), [10, 11, 12, 13])
        rows = dict((n, (s, e)) for n, s, e in self.query(db, "SELECT name, status, error FROM modules"))
        self.assertEqual(rows["byte-counter"], ("loaded", None))
        status, error = rows["a-bomb"]
        self.assertEqual(status, "failed")
        self.assertTrue(error.startswith("compile_error: the C compiler ran out of memory under --compile-memory "
                                         "(256 MiB)"), error)

    def test_run_timeout_recorded(self):
        # byte-counter compiles in about 1.5 s: the budget is per module.
        proc, db = self.run_dir("--compile-timeout", 8, "--compile-memory", 0)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.query(db, "SELECT count(*) FROM file_sizes"), [(4,)])
        error = self.query(db, "SELECT error FROM modules WHERE name = 'a-bomb'")[0][0]
        self.assertEqual(error, "compile_error: the C compiler exceeded --compile-timeout (8 s)")

    def test_run_strict_stops(self):
        proc, _ = self.run_dir("--compile-memory", COMPILE_MEMORY, "--strict")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("compile_error", proc.stderr)


if __name__ == "__main__":
    unittest.main()
