"""End-to-end WASI preview1 conformance (docs/module-abi.md, "WASI
preview1 behaviour"): the command programs in tests/guest/wasi, built by
`make examples` into build/tests/guest/wasi, check descriptor rights, path
containment and trailing slashes, descriptor rules (fd_tell, fd_seek,
fd_renumber, set_times flags), symbolic and hard links, and wadup's own
sandbox layout. Each prints "ok NAME" or "FAIL NAME (line N): ..." per
check and exits with the number of failures.

wasi_rights, wasi_paths and wasi_links run twice: through `wadup exec`
(an empty host directory preopened as /sandbox, the programs working in
it) and through `wadup test` (fd 3 the read-only root, working in /tmp).
wasi_layout checks what only `wadup run` / `wadup test` set up (/data.bin,
the read-only root, the WADUP_* environment) and runs through `wadup test`.

Binary: $WADUP (default build/wadup); with an ASan build, stderr is checked
for sanitizer reports. Run:
    python3 -m unittest tests.e2e.test_wasi_conformance -v
"""
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
PROGRAMS = BUILD / "tests" / "guest" / "wasi"
GENERAL = ("wasi_rights", "wasi_paths", "wasi_links")
LAYOUT = "wasi_layout"
SAMPLE = b"SAMPLE!\n"  # what wasi_layout expects in /data.bin
TIMEOUT = 300
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

# Checks each program makes (ok lines when all pass): a program that stops
# early or skips checks is caught even if it exits 0. Update these when
# adding checks.
EXPECTED_CHECKS = {"wasi_rights": 106, "wasi_paths": 109, "wasi_links": 147, "wasi_layout": 49}


WADUP = e2e_support.resolve_wadup()
CACHE_DIR = None


def setUpModule():
    global CACHE_DIR
    wasm = [PROGRAMS / (name + ".wasm") for name in GENERAL + (LAYOUT,)]
    missing = [str(p) for p in [WADUP] + wasm if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make build/wadup examples`): " + ", ".join(missing))
    CACHE_DIR = tempfile.mkdtemp(prefix="wadup-wasi-cache.")
    os.chmod(CACHE_DIR, 0o700)
    subprocess.run([str(WADUP), "compile", *map(str, wasm)], env=_env(), check=True, capture_output=True,
                   timeout=TIMEOUT)


def tearDownModule():
    if CACHE_DIR:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)


def _env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env["WADUP_CACHE_DIR"] = CACHE_DIR
    return env


class WasiConformance(unittest.TestCase):
    def run_wadup(self, *args):
        p = subprocess.run([str(WADUP), *map(str, args)], capture_output=True, timeout=TIMEOUT, env=_env())
        stderr = p.stderr.decode("utf-8", "replace")
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr, "sanitizer report from %s" % (args,))
        return p.returncode, p.stdout.decode("utf-8", "replace"), stderr

    def check_output(self, name, how, status, stdout):
        lines = stdout.splitlines()
        failed = [line for line in lines if line.startswith("FAIL")]
        self.assertEqual(failed, [], "%s via %s" % (name, how))
        self.assertEqual(status, 0, "%s via %s exited %d:\n%s" % (name, how, status, stdout[-2000:]))
        self.assertIn("done 0 failures", lines, "%s via %s did not finish" % (name, how))
        ok = [line for line in lines if line.startswith("ok ")]
        self.assertEqual(len(ok), EXPECTED_CHECKS[name], "%s via %s: checks made" % (name, how))
        self.assertEqual(len(set(ok)), len(ok), "%s: check names must be unique" % name)

    def via_exec(self, name):
        scratch = tempfile.mkdtemp(prefix="wadup-wasi-scratch.")
        try:
            status, out, err = self.run_wadup("exec", "-q", "--dir", scratch + "::/sandbox",
                                              PROGRAMS / (name + ".wasm"), ".")
            self.check_output(name, "wadup exec", status, out)
            self.assertEqual(os.listdir(scratch), [], "wadup exec must not write back to the host")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def via_test(self, name):
        work = tempfile.mkdtemp(prefix="wadup-wasi-sample.")
        try:
            sample = os.path.join(work, "sample.bin")
            with open(sample, "wb") as f:
                f.write(SAMPLE)
            status, out, err = self.run_wadup("test", "-m", PROGRAMS / (name + ".wasm"), "-s", sample)
            result = json.loads(out)
            self.assertIs(result["success"], True, "%s via wadup test: %s" % (name, result.get("error")))
            self.assertFalse(result["stdout_truncated"])
            self.check_output(name, "wadup test", status, result["stdout"])
            return result
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_rights_exec(self):
        self.via_exec("wasi_rights")

    def test_rights_test(self):
        self.via_test("wasi_rights")

    def test_paths_exec(self):
        self.via_exec("wasi_paths")

    def test_paths_test(self):
        self.via_test("wasi_paths")

    def test_links_exec(self):
        self.via_exec("wasi_links")

    def test_links_test(self):
        self.via_test("wasi_links")

    def test_run_test_layout(self):
        result = self.via_test(LAYOUT)
        self.assertEqual(result["metadata"]["rows"], [])


if __name__ == "__main__":
    unittest.main()
