"""End-to-end tests of the imports beyond WASI: the env binary128 (long
double) helpers in both import shapes, their results checked against an
exact oracle (binary128.py), how `wadup inspect` and instantiation report
imports, and the Go wasip1 module shape (_start ending in proc_exit(0),
then process on the same instance).

    python3 -m unittest tests/e2e/test_softfloat.py -v
    WADUP=build/asan/wadup python3 -m unittest discover -s tests/e2e -p test_softfloat.py -v

Needs `make examples` (build/tests/guest/abi/*.wasm). WADUP and
WADUP_CACHE_DIR as in test_cli.py.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import binary128  # noqa: E402
import e2e_support  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ABI = REPO_ROOT / "build" / "tests" / "guest" / "abi"
SOFTFLOAT = ABI / "softfloat.wasm"
SOFTFLOAT_MV = ABI / "softfloat_mv.wasm"
GO_START = ABI / "go_start.wasm"
TIMEOUT = 300
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


WADUP = e2e_support.resolve_wadup()
_WORK = None
_CACHE = None


def setUpModule():
    global _WORK, _CACHE
    missing = [str(p) for p in (WADUP, SOFTFLOAT, SOFTFLOAT_MV, GO_START) if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make examples`): " + ", ".join(missing))
    _WORK = tempfile.mkdtemp(prefix="wadup-softfloat.")
    _CACHE = os.environ.get("WADUP_CACHE_DIR") or os.path.join(_WORK, "cache")


def tearDownModule():
    if _WORK:
        shutil.rmtree(_WORK, ignore_errors=True)


class AbiTestCase(unittest.TestCase):

    def wadup(self, *args):
        env = dict(os.environ, WADUP_CACHE_DIR=_CACHE)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        proc = subprocess.run([str(WADUP)] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, proc.stderr, proc.stderr[-3000:])
        return proc

    def run_json(self, module, data=b"x"):
        sample = os.path.join(_WORK, "sample.bin")
        with open(sample, "wb") as f:
            f.write(data)
        proc = self.wadup("test", "-m", module, "-s", sample)
        return proc.returncode, json.loads(proc.stdout), proc.stderr

    def wat_module(self, name, text):
        if not shutil.which("wat2wasm"):
            self.skipTest("wat2wasm (wabt) not installed")
        wat = os.path.join(_WORK, name + ".wat")
        out = os.path.join(_WORK, name + ".wasm")
        with open(wat, "w") as f:
            f.write(text)
        subprocess.run(["wat2wasm", wat, "-o", out], check=True, timeout=60)
        return out


class SoftFloatTests(AbiTestCase):
    """The test module calls every helper on cases with known results."""

    def check_module(self, module, abi, param_ptr):
        info = json.loads(self.wadup("inspect", "--json", module).stdout)
        env_imports = [i for i in info["imports"] if i["module"] == "env"]
        self.assertEqual(len(env_imports), len(binary128.FUNCTIONS))
        for imp in env_imports:
            self.assertIs(imp["provided"], True, imp)
        mul = next(i for i in env_imports if i["name"] == "__multf3")
        self.assertEqual(mul["type"], "(i32, i64, i64, i64, i64) -> ()" if param_ptr
                         else "(i64, i64, i64, i64) -> (i64, i64)")

        status, r, stderr = self.run_json(module)
        self.assertEqual(status, 0, (r["error"], stderr))
        self.assertTrue(r["success"], r["error"])
        rows = r["metadata"]["rows"]
        shape = [x["values"] for x in rows if x["table_name"] == "softfloat_shape"]
        self.assertEqual(shape, [[{"String": abi}, {"Int64": len(binary128.CASES)}, {"Int64": 0}]])
        checks = [x["values"] for x in rows if x["table_name"] == "softfloat_checks"]
        self.assertEqual(len(checks), len(binary128.CASES))
        for (fn, operands), values in zip(binary128.CASES, checks):
            name, a, b, got, want, ok = (next(iter(v.values())) for v in values)
            self.assertEqual(name, fn)
            self.assertTrue(ok, values)
            # again, independently of the module's embedded table: the oracle on the operands it reports
            raws = [int(a, 16), int(b, 16)][:len(binary128.case_raws(fn, operands))]
            self.assertEqual(raws, binary128.case_raws(fn, operands), fn)
            expected, any_nan = binary128.expected(fn, raws)
            if any_nan:
                fmt = {"q": binary128.F128, "d": binary128.F64, "f": binary128.F32}[binary128.FUNCTIONS[fn][1]]
                self.assertEqual(binary128.decode(int(got, 16), fmt).kind, "nan", (fn, values))
            else:
                self.assertEqual(int(got, 16), expected, (fn, operands, values))

    def test_result_pointer_shape(self):
        self.check_module(SOFTFLOAT, "result_pointer", True)

    def test_multivalue_shape(self):
        self.check_module(SOFTFLOAT_MV, "multivalue", False)

    def test_known_values(self):
        # a few of the cases by hand, so the oracle itself is checked against well-known encodings
        q = lambda fn, *ops: binary128.expected(fn, binary128.case_raws(fn, list(ops)))[0]
        self.assertEqual(q("__divtf3", 1, 3), 0x3FFD5555555555555555555555555555)
        self.assertEqual(q("__addtf3", 1, 2), 0x40008000000000000000000000000000)
        self.assertEqual(q("__divtf3", 2, 0), 0x7FFF0000000000000000000000000000)
        self.assertEqual(q("__trunctfdf2", binary128.rounded(binary128.num(binary128.Fraction(1, 3)))),
                         0x3FD5555555555555)
        self.assertEqual(q("__extenddftf2", binary128.decode(0x3FB999999999999A, binary128.F64)),
                         0x3FFB999999999999A000000000000000)

    def test_result_pointer_out_of_bounds_traps(self):
        module = self.wat_module("sf-oob", """
(module
  (import "env" "__multf3" (func $m (param i32 i64 i64 i64 i64)))
  (memory (export "memory") 1)
  (func (export "process") (result i32)
    (call $m (i32.const 65530) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))
    (i32.const 0)))
""")
        status, r, _ = self.run_json(module)
        self.assertEqual(status, 1)
        self.assertEqual(r["error_kind"], "out_of_bounds", r["error"])


class ImportReportTests(AbiTestCase):

    def test_every_missing_import_is_named(self):
        module = self.wat_module("missing", """
(module
  (import "env" "mystery_one" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "__multf3" (func (param i64) (result i64)))
  (import "wasi_snapshot_preview1" "fd_read" (func (param i32)))
  (import "other" "mystery_two" (func))
  (memory (export "memory") 1)
  (func (export "process") (result i32) (i32.const 0)))
""")
        status, r, _ = self.run_json(module)
        self.assertEqual(status, 1)
        self.assertEqual(r["error_kind"], "instantiate")
        msg = r["error"]
        self.assertIn("4 imports are not provided", msg)
        self.assertIn("unknown import env.mystery_one (func (i32) -> i32)", msg)
        self.assertIn("unknown import other.mystery_two (func () -> ())", msg)
        self.assertIn("import env.__multf3 has type (i64) -> i64 but wadup provides "
                      "(i32, i64, i64, i64, i64) -> () or (i64, i64, i64, i64) -> (i64, i64)", msg)
        self.assertIn("import wasi_snapshot_preview1.fd_read has type (i32) -> ()", msg)
        self.assertNotIn("fd_write", msg)

        info = json.loads(self.wadup("inspect", "--json", module).stdout)
        provided = {(i["module"], i["name"]): i["provided"] for i in info["imports"]}
        self.assertEqual(provided, {("env", "mystery_one"): False, ("wasi_snapshot_preview1", "fd_write"): True,
                                    ("env", "__multf3"): False, ("wasi_snapshot_preview1", "fd_read"): False,
                                    ("other", "mystery_two"): False})
        text = self.wadup("inspect", module).stdout
        self.assertRegex(text, r"(?m)^\s+env\.mystery_one\s.*\[NOT PROVIDED\]$")
        self.assertRegex(text, r"(?m)^\s+wasi_snapshot_preview1\.fd_write\s+func [^\[]*$")

    def test_helpers_under_wasi_names_are_not_importable(self):
        # the names wadup compiles the helpers under are not part of the ABI
        module = self.wat_module("renamed", """
(module
  (import "wasi_snapshot_preview1" "wadup_env___multf3_m" (func (param i64 i64 i64 i64) (result i64 i64)))
  (memory (export "memory") 1)
  (func (export "process") (result i32) (i32.const 0)))
""")
        status, r, _ = self.run_json(module)
        self.assertEqual(status, 1)
        self.assertEqual(r["error_kind"], "instantiate")
        self.assertIn("unknown import wasi_snapshot_preview1.wadup_env___multf3_m", r["error"])


class GoShapeTests(AbiTestCase):
    """A module exporting _start (ending in proc_exit(0)) and process, like Go 1.24+ wasip1."""

    def test_start_once_then_process_per_content(self):
        info = json.loads(self.wadup("inspect", "--json", GO_START).stdout)
        self.assertTrue(info["kind"].startswith("reactor with _start"), info["kind"])
        inputs = os.path.join(_WORK, "go-inputs")
        mods = os.path.join(_WORK, "go-modules")
        os.makedirs(inputs, exist_ok=True)
        os.makedirs(mods, exist_ok=True)
        shutil.copy(GO_START, mods)
        for i in range(3):
            with open(os.path.join(inputs, "f%d.txt" % i), "w") as f:
                f.write("file %d\n" % i)
        db = os.path.join(_WORK, "go.db")
        proc = self.wadup("run", "-q", "--modules", mods, "--input", inputs, "-o", db, "--force", "-t", "1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        con = sqlite3.connect(db)
        try:
            rows = con.execute("SELECT start_runs, call_number FROM go_shape ORDER BY call_number").fetchall()
        finally:
            con.close()
        self.assertEqual(rows, [(1, 1), (1, 2), (1, 3)])

    def test_wadup_test(self):
        status, r, stderr = self.run_json(GO_START)
        self.assertEqual(status, 0, (r["error"], stderr))
        self.assertEqual(r["metadata"]["rows"], [{"table_name": "go_shape", "values": [{"Int64": 1}, {"Int64": 1}]}])


if __name__ == "__main__":
    unittest.main()
