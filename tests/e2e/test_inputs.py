"""End-to-end tests of how wadup opens and reads input files.

- An input file truncated while wadup has it mapped (files over 64 KiB are
  mmapped) must not kill the process with SIGBUS: a module reading the
  vanished bytes gets EIO, a sub-content slice whose bytes vanished before
  it was hashed is recorded as `unreadable`, and everything else in the
  run is intact.
- Special files (FIFOs, devices) are refused at once, never waited on.

The race "regular file when enumerated, FIFO or symbolic link when opened"
cannot be timed from outside the process (the two steps are microseconds
apart); tests/unit/test_inputs.c reproduces it deterministically by
swapping the path between the enumeration and the open the runner does.

Binary: $WADUP (default build/wadup); compiled-module cache:
$WADUP_CACHE_DIR (default a fresh temporary dir). The modules are compiled
first, so the timing of a run is not dominated by compilation.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WADUP = os.path.abspath(os.path.join(REPO, os.environ.get("WADUP", "build/wadup")))
EXAMPLES = os.path.join(REPO, "build", "examples")
GUEST = os.path.join(REPO, "build", "tests", "guest")
TIMEOUT = 300
BIG = 4 * 1024 * 1024          # mapped, not read (above 64 KiB)
SANITIZER_REPORTS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

_cache = os.environ.get("WADUP_CACHE_DIR") or tempfile.mkdtemp(prefix="wadup-e2e-inputs-cache-")


def module_path(name):
    for base in (EXAMPLES, os.path.join(EXAMPLES, "hostile"), GUEST):
        p = os.path.join(base, name + ".wasm")
        if os.path.exists(p):
            return p
    raise FileNotFoundError(name)


def wait_until_mapped(proc, path, timeout=120):
    """Return once the process `proc` has `path` mapped (/proc/PID/maps)."""
    real = os.path.realpath(path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("wadup exited before mapping %s" % path)
        try:
            with open("/proc/%d/maps" % proc.pid) as f:
                if any(line.rstrip("\n").endswith(" " + real) for line in f):
                    return
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.01)
    raise AssertionError("%s was never mapped" % path)


class InputTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wadup-inputs-test-")
        self.db_path = os.path.join(self.tmp, "results.db")
        self.env = dict(os.environ, WADUP_CACHE_DIR=_cache)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def modules(self, *names):
        """A modules directory; a name "file=module" copies module as file.wasm."""
        d = os.path.join(self.tmp, "modules")
        os.makedirs(d, exist_ok=True)
        for n in names:
            as_name, _, module = n.partition("=")
            shutil.copy(module_path(module or as_name), os.path.join(d, as_name + ".wasm"))
        self.wadup("compile", d)
        return d

    def inputs(self, files):
        d = os.path.join(self.tmp, "input")
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return d

    def check_clean(self, stderr):
        for bad in SANITIZER_REPORTS:
            self.assertNotIn(bad, stderr)

    def wadup(self, *args, expect=0, timeout=TIMEOUT):
        p = subprocess.run([WADUP, *args], capture_output=True, text=True, timeout=timeout, env=self.env)
        self.check_clean(p.stderr)
        if expect is not None:
            self.assertEqual(p.returncode, expect, p.stderr)
        return p

    def start(self, *args):
        return subprocess.Popen([WADUP, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)

    def truncate_when_mapped(self, proc, path, delay):
        """Truncate `path` to 0 bytes `delay` seconds after `proc` mapped it;
        return (returncode, stdout, stderr) of proc."""
        try:
            wait_until_mapped(proc, path)
            time.sleep(delay)
            os.truncate(path, 0)
            out, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.check_clean(err)
        return proc.returncode, out, err

    def query(self, sql, *args):
        con = sqlite3.connect(self.db_path)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()


class TestTruncatedWhileMapped(InputTestCase):

    def test_module_read_gets_io_error_and_the_run_goes_on(self):
        mods = self.modules("byte-counter", "slow-reader")
        d = self.inputs({"a.txt": b"abc", "big.bin": os.urandom(BIG), "c.bin": os.urandom(100 * 1024)})
        big = os.path.join(d, "big.bin")
        proc = self.start("run", "-q", "--modules", mods, "--input", d, "-o", self.db_path)
        rc, _, err = self.truncate_when_mapped(proc, big, 0.5)
        self.assertEqual(rc, 0, "wadup must survive the truncation: " + err)
        contents = {name: (status, error) for name, status, error in
                    self.query("SELECT filename, status, error FROM contents")}
        self.assertEqual(set(contents), {"a.txt", "big.bin", "c.bin"})
        self.assertEqual(contents["a.txt"], ("success", None))
        self.assertEqual(contents["c.bin"], ("success", None))
        self.assertEqual(contents["big.bin"][0], "failed")
        self.assertIn("slow-reader: module_error", contents["big.bin"][1])
        runs = {(f, m): (s, e, out) for f, m, s, e, out in self.query(
            "SELECT c.filename, r.module, r.status, r.error_kind, r.stderr FROM module_runs r "
            "JOIN contents c ON c.id = r.content_id")}
        status, kind, stderr = runs[("big.bin", "slow-reader")]
        self.assertEqual((status, kind), ("failed", "module_error"))
        self.assertIn("errno 29 (I/O error)", stderr)
        for name in ("a.txt", "c.bin"):
            self.assertEqual(runs[(name, "slow-reader")][0], "success")
        for name in ("a.txt", "big.bin", "c.bin"):
            self.assertEqual(runs[(name, "byte-counter")][0], "success")
        sizes = dict(self.query("SELECT c.filename, f.size_bytes FROM file_sizes f JOIN contents c ON c.id = f._content"))
        self.assertEqual(sizes, {"a.txt": 3, "big.bin": BIG, "c.bin": 100 * 1024})

    def test_slice_hashed_after_truncation_is_unreadable(self):
        # a-splitter runs first and reads the whole file (still intact): it
        # emits a zero-copy slice of it. slow-reader then sleeps past the
        # truncation, so the slice's bytes are gone when it is hashed.
        mods = self.modules("a-splitter=splitter", "byte-counter", "slow-reader")
        d = self.inputs({"big.bin": b"S" + b"x" * (BIG - 1), "small.txt": b"tiny"})
        big = os.path.join(d, "big.bin")
        proc = self.start("run", "-q", "--modules", mods, "--input", d, "-o", self.db_path)
        rc, _, err = self.truncate_when_mapped(proc, big, 0.75)
        self.assertEqual(rc, 0, "wadup must survive the truncation: " + err)
        rows = self.query("SELECT c.filename, c.status, c.error, c.sha256 FROM contents c "
                          "JOIN contents p ON p.id = c.parent_id WHERE p.filename = 'big.bin'")
        self.assertEqual(len(rows), 1, rows)
        name, status, error, sha = rows[0]
        self.assertEqual((name, status, sha), ("slice.bin", "unreadable", None))
        self.assertIn("I/O error", error)
        self.assertIn(big, error)
        self.assertEqual(self.query("SELECT status FROM contents WHERE filename = 'small.txt'"), [("success",)])
        self.assertEqual(self.query("SELECT count(*) FROM module_runs r JOIN contents c ON c.id = r.content_id "
                                    "WHERE c.filename = 'slice.bin'"), [(0,)])

    def test_wadup_test_sample_truncated(self):
        sample = os.path.join(self.tmp, "big.bin")
        with open(sample, "wb") as f:
            f.write(os.urandom(BIG))
        self.modules("slow-reader")  # compiled into the cache
        proc = self.start("test", "-q", "-m", module_path("slow-reader"), "-s", sample)
        rc, out, err = self.truncate_when_mapped(proc, sample, 0.5)
        self.assertEqual(rc, 1, err)
        result = json.loads(out)
        self.assertIs(result["success"], False)
        self.assertEqual(result["error_kind"], "module_error")
        self.assertIn("errno 29 (I/O error)", result["stderr"])


class TestSpecialFiles(InputTestCase):

    def test_wadup_test_refuses_fifo_and_device_at_once(self):
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        for sample, what in ((fifo, "not a regular file (FIFO)"), ("/dev/null", "not a regular file (character device)")):
            with self.subTest(sample=sample):
                start = time.monotonic()
                p = self.wadup("test", "-q", "-m", module_path("byte-counter"), "-s", sample, expect=2, timeout=60)
                self.assertLess(time.monotonic() - start, 30)
                self.assertIn(sample, p.stderr)
                self.assertIn(what, p.stderr)
                self.assertEqual(p.stdout, "")

    def test_wadup_test_follows_an_explicit_symlink(self):
        target = os.path.join(self.tmp, "target.bin")
        with open(target, "wb") as f:
            f.write(b"12345")
        link = os.path.join(self.tmp, "link.bin")
        os.symlink(target, link)
        p = self.wadup("test", "-q", "-m", module_path("byte-counter"), "-s", link)
        rows = json.loads(p.stdout)["metadata"]["rows"]
        self.assertEqual(rows, [{"table_name": "file_sizes", "values": [{"Int64": 5}]}])

    def test_run_skips_fifo_without_blocking(self):
        mods = self.modules("byte-counter")
        d = self.inputs({"a.txt": b"abc"})
        os.mkfifo(os.path.join(d, "pipe"))
        p = self.wadup("run", "--modules", mods, "--input", d, "--input", "/dev/null", "-o", self.db_path,
                       timeout=120)
        self.assertIn("pipe: not a regular file", p.stderr)
        self.assertIn("/dev/null: not a regular file", p.stderr)
        self.assertEqual(self.query("SELECT filename, status FROM contents"), [("a.txt", "success")])


if __name__ == "__main__":
    unittest.main()
