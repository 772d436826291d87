"""End-to-end tests of `wadup exec`: WASI command modules run like native
programs (argv, environment, preopens, passthrough stdio, exit statuses,
--dir trees copied into the sandbox and never written back, limits, cache).

Run from the repository root:

    python3 -m unittest tests.e2e.test_exec -v
    WADUP=build/asan/wadup python3 -m unittest discover -s tests/e2e -p test_exec.py

WADUP is the binary (default build/wadup). The compiled-module cache is a
fresh temporary directory for this module (WADUP_CACHE_DIR is ignored), so
the cache test sees the first compilation. The guest is
build/tests/guest/cmd/exec_probe.wasm (`make examples`), a command module
whose argv[1] picks what it does (tests/guest/cmd/exec_probe.c).
"""

import os
import shutil
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
PROBE = BUILD / "tests" / "guest" / "cmd" / "exec_probe.wasm"
REACTOR = BUILD / "examples" / "simple-test.wasm"
TIMEOUT = 120
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

# Exit statuses documented in docs/module-abi.md ("wadup exec").
USAGE, TIMED_OUT, SETUP, CANNOT_RUN, NOT_FOUND, TRAP = 2, 124, 125, 126, 127, 134


WADUP = e2e_support.resolve_wadup()
CACHE_DIR = None
WORK_DIR = None


def setUpModule():
    global CACHE_DIR, WORK_DIR
    missing = [str(p) for p in (WADUP, PROBE, REACTOR) if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make build/wadup examples`): " + ", ".join(missing))
    CACHE_DIR = tempfile.mkdtemp(prefix="wadup-exec-cache.")
    WORK_DIR = tempfile.mkdtemp(prefix="wadup-exec-work.")
    # Compile the probe once, so the tests' timings do not include it.
    subprocess.run([str(WADUP), "compile", "-q", str(PROBE)], env=_env(CACHE_DIR), check=True,
                   capture_output=True, timeout=600)


def tearDownModule():
    for d in (CACHE_DIR, WORK_DIR):
        if d:
            shutil.rmtree(d, ignore_errors=True)


def _env(cache_dir, **extra):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env["WADUP_CACHE_DIR"] = cache_dir
    env.update(extra)
    return env


def fnv1a(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def host_listing(root):
    """What `exec_probe ls` prints for a host tree (symbolic links as links,
    never followed; special files left out, as wadup does), as a set of
    lines."""
    lines = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if os.path.islink(full):
                dirnames.remove(name)
                lines.add("l %s %s" % (rel, os.readlink(full)))
                continue
            lines.add("d " + rel)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                lines.add("l %s %s" % (os.path.normpath(os.path.join(rel_dir, name)), os.readlink(full)))
                continue
            if not os.path.isfile(full):
                continue
            with open(full, "rb") as f:
                data = f.read()
            lines.add("f %s %d %s" % (os.path.normpath(os.path.join(rel_dir, name)), len(data), fnv1a(data)))
    return lines


def snapshot(root):
    """Everything about a host tree that a write-back would change."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            data = None
            if os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    data = f.read()
            state[os.path.relpath(full, root)] = (st.st_mode, st.st_size, st.st_mtime_ns, data)
    return state


class ExecTest(unittest.TestCase):
    maxDiff = 4000

    def exec_(self, *args, input=None, stdin=None, cache_dir=None, timeout=TIMEOUT, env_extra=None):
        """`wadup exec ARGS...` -> CompletedProcess with bytes stdout/stderr."""
        cmd = [str(WADUP), "exec"] + [str(a) for a in args]
        kwargs = {"input": input} if input is not None else {"stdin": stdin if stdin is not None else subprocess.DEVNULL}
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=str(REPO_ROOT),
                              env=_env(cache_dir or CACHE_DIR, **(env_extra or {})), **kwargs)
        self.check_stderr(proc.stderr, cmd)
        return proc

    def check_stderr(self, stderr, cmd):
        text = stderr.decode("utf-8", "replace")
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, text, "sanitizer report from %s:\n%s" % (" ".join(map(str, cmd)), text[-6000:]))

    def probe(self, *args, **kw):
        return self.exec_(*(list(kw.pop("opts", [])) + [PROBE] + list(args)), **kw)

    def tree(self):
        """A host tree: nested directories, a 3 MiB file, small files."""
        root = tempfile.mkdtemp(dir=WORK_DIR)
        os.makedirs(os.path.join(root, "sub", "deep"))
        os.makedirs(os.path.join(root, "empty-dir"))
        with open(os.path.join(root, "top.txt"), "w") as f:
            f.write("top level\n")
        with open(os.path.join(root, "sub", "inner.txt"), "w") as f:
            f.write("inner\n")
        with open(os.path.join(root, "sub", "deep", "leaf.txt"), "w") as f:
            f.write("leaf\n")
        with open(os.path.join(root, "sub", "big.bin"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024))
        return root

    # -- argv, environment, stdio -----------------------------------------

    def test_argv_and_environment_exactly_as_given(self):
        p = self.probe("args", "-x", "--flag", "two words", "",
                       opts=["--env", "A=1", "--env", "B=x = y", "--env", "EMPTY="],
                       env_extra={"WADUP_FILENAME": "leak", "WADUP_SECRET": "leak", "HOME": "/leak"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().splitlines(), [
            "argc 6", "arg exec_probe", "arg args", "arg -x", "arg --flag", "arg two words", "arg ",
            "env A=1", "env B=x = y", "env EMPTY="])

    def test_no_environment_without_env(self):
        p = self.probe("args")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().splitlines(), ["argc 2", "arg exec_probe", "arg args"])

    def test_stdin_to_stdout(self):
        data = os.urandom(300 * 1024) + b"\nend\n"
        p = self.probe("echo", input=data)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, data)

    def test_stdio_is_streamed(self):
        """Each line comes back before the next one is written: nothing is
        captured until the end."""
        cmd = [str(WADUP), "exec", str(PROBE), "lines"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(CACHE_DIR))
        try:
            for word in ("one", "two", "three"):
                proc.stdin.write(word.encode() + b"\n")
                proc.stdin.flush()
                self.assertEqual(proc.stdout.readline(), b"got: " + word.encode() + b"\n")
            proc.stdin.close()
            self.assertEqual(proc.wait(timeout=TIMEOUT), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            err = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
        self.check_stderr(err, cmd)

    def test_stderr_passed_through(self):
        p = self.probe("stderr", "to the error stream")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(p.stderr, b"to the error stream\n")

    def test_fdstat_reports_host_types(self):
        out_path = os.path.join(tempfile.mkdtemp(dir=WORK_DIR), "out.txt")
        with open(out_path, "wb") as out:
            proc = subprocess.run([str(WADUP), "exec", str(PROBE), "fdstat"],
                                  stdout=out, stderr=subprocess.PIPE, env=_env(CACHE_DIR), timeout=TIMEOUT,
                                  input=b"")
        self.check_stderr(proc.stderr, ["fdstat"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(out_path) as f:
            # fd 0 a pipe (WASI has no pipe type: unknown = 0), fd 1 a regular file (4)
            self.assertEqual(f.read(), "0 0\n1 4\n")
        self.assertEqual(proc.stderr, b"2 0\n")  # a pipe
        with open(os.devnull, "rb") as null:
            p = self.probe("fdstat", stdin=null)
        self.assertTrue(p.stdout.startswith(b"0 2\n"), p.stdout)  # /dev/null: a character device

    def test_closed_stdout_is_epipe_not_a_signal(self):
        cmd = [str(WADUP), "exec", str(PROBE), "echo"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(CACHE_DIR))
        proc.stdout.close()
        try:
            proc.stdin.write(b"x" * (1 << 20))
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read()
        proc.stderr.close()
        status = proc.wait(timeout=TIMEOUT)
        self.check_stderr(err, cmd)
        self.assertEqual(status, 1, "the guest sees EPIPE and fails; wadup is not killed by SIGPIPE")

    def test_closed_stdio_never_reaches_wadup_files(self):
        """With fds 0 and 1 closed, wadup puts /dev/null there before opening
        anything, so the guest's stdin/stdout cannot be the module file or
        an object being written to the cache."""
        cache = tempfile.mkdtemp(dir=WORK_DIR)
        os.chmod(cache, 0o700)
        cmd = ["sh", "-c", '"$0" exec "$1" echo <&- >&-', str(WADUP), str(PROBE)]
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env=_env(cache))
        self.check_stderr(proc.stderr, cmd)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        p = self.probe("args", cache_dir=cache)  # the object compiled meanwhile is intact
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")

    # -- exit statuses -----------------------------------------------------

    def test_exit_codes(self):
        for code in (0, 3, 255):
            p = self.probe("exit", str(code))
            self.assertEqual(p.returncode, code, p.stderr)
            self.assertEqual(p.stdout, b"exiting %d\n" % code)
            self.assertEqual(p.stderr, b"")
        p = self.probe("exit", "256")
        self.assertEqual(p.returncode, 255)
        self.assertIn(b"exit code 256 does not fit an exit status", p.stderr)

    def test_trap(self):
        p = self.probe("trap")
        self.assertEqual(p.returncode, TRAP)
        self.assertEqual(p.stdout, b"before the trap\n")
        self.assertEqual(p.stderr.decode(),
                         "wadup exec: exec_probe: unreachable: unreachable instruction executed\n")

    def test_timeout_stops_a_guest_blocked_on_stdin(self):
        cmd = [str(WADUP), "exec", "--timeout", "1", str(PROBE), "echo"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env(CACHE_DIR))
        t0 = time.monotonic()
        try:
            proc.wait(timeout=30)  # stdin stays open, never written
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        elapsed = time.monotonic() - t0
        proc.stdin.close()
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        self.check_stderr(err, cmd)
        self.assertEqual(proc.returncode, TIMED_OUT, err)
        self.assertIn(b"exec_probe: timeout: still running after 1 s", err)
        self.assertLess(elapsed, 10)

    def test_timeout_stops_a_guest_blocked_on_stdout(self):
        cmd = [str(WADUP), "exec", "--timeout", "1", str(PROBE), "echo"]
        with open("/dev/zero", "rb") as zero:
            proc = subprocess.Popen(cmd, stdin=zero, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=_env(CACHE_DIR))
            try:
                status = proc.wait(timeout=30)  # stdout is never read: the pipe fills up
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            err = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
        self.check_stderr(err, cmd)
        self.assertEqual(status, TIMED_OUT, err)

    # -- --dir -------------------------------------------------------------

    def test_dir_tree_is_visible(self):
        root = self.tree()
        p = self.probe("ls", "/data", opts=["--dir", root + "::/data"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(set(p.stdout.decode().splitlines()), host_listing(root))
        self.assertIn("f sub/big.bin %d" % (3 * 1024 * 1024), p.stdout.decode())

    def test_writes_stay_in_the_sandbox(self):
        root = self.tree()
        before = snapshot(root)
        p = self.probe("mutate", "data", opts=["--dir", root + "::data"])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(lines[0], "mutated")
        seen = set(lines[1:])
        text = b"overwritten in the sandbox\n"
        self.assertIn("f top.txt %d %s" % (len(text), fnv1a(text)), seen)
        created = b"created in the sandbox\n"
        self.assertIn("f created.txt %d %s" % (len(created), fnv1a(created)), seen)
        self.assertIn("f renamed.txt 5 %s" % fnv1a(b"leaf\n"), seen)
        self.assertIn("d newdir", seen)
        self.assertFalse(any(l.startswith("f sub/inner.txt") or l.startswith("f sub/deep/leaf.txt") for l in seen))
        self.assertEqual(snapshot(root), before, "the host tree must be untouched")

    def test_max_memory_smaller_than_the_tree(self):
        root = self.tree()
        p = self.probe("ls", "/data", opts=["--max-memory", "2M", "--dir", root + "::/data"])
        self.assertEqual(p.returncode, SETUP, p.stderr)
        self.assertEqual(p.stdout, b"")
        err = p.stderr.decode()
        self.assertIn("memory_limit", err)
        self.assertIn("do not fit --max-memory (2097152 bytes)", err)
        self.assertIn("big.bin", err)

    def test_the_tree_counts_toward_max_memory(self):
        """3 MiB of files and a guest allocating 4 MiB: fits 16M, not 6M."""
        root = self.tree()
        p = self.probe("grow", "4", opts=["--max-memory", "16M", "--dir", root + "::/data"])
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.probe("grow", "4", opts=["--max-memory", "6M", "--dir", root + "::/data"])
        self.assertIn(p.returncode, (TRAP, SETUP), p.stderr)
        self.assertIn(b"memory_limit", p.stderr)

    def test_symlinks_are_not_followed_out_of_the_tree(self):
        """Host links become sandbox links with the same target text: one
        inside the tree works, one pointing outside (absolute, or escaping
        with "..") resolves to nothing of the host."""
        root = self.tree()
        outside = tempfile.mkdtemp(dir=WORK_DIR)
        with open(os.path.join(outside, "secret.txt"), "w") as f:
            f.write("outside the tree\n")
        os.symlink(outside, os.path.join(root, "to-outside"))
        os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "sub", "secret-link"))
        rel_escape = os.path.relpath(os.path.join(outside, "secret.txt"), os.path.join(root, "sub"))
        os.symlink(rel_escape, os.path.join(root, "sub", "escape-link"))
        os.symlink("top.txt", os.path.join(root, "inside-link"))
        dirs = ["--dir", root + "::/data"]
        p = self.probe("ls", "/data", opts=dirs)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode()
        self.assertEqual(set(out.splitlines()), host_listing(root))
        self.assertIn("l inside-link top.txt", out)
        self.assertNotIn("outside the tree", out)
        self.assertEqual(p.stderr, b"")
        for path in ("/data/to-outside/secret.txt", "/data/sub/secret-link", "/data/sub/escape-link"):
            p = self.probe("cat", path, opts=dirs)
            self.assertNotEqual(p.returncode, 0, path)
            self.assertNotIn(b"outside the tree", p.stdout)
        p = self.probe("cat", "/data/inside-link", opts=dirs)
        self.assertEqual((p.returncode, p.stdout), (0, b"top level\n"), p.stderr)

    def test_special_files_are_left_out(self):
        root = self.tree()
        os.mkfifo(os.path.join(root, "sub", "fifo"))
        p = self.probe("ls", "/data", opts=["--dir", root + "::/data"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(set(p.stdout.decode().splitlines()), host_listing(root))
        self.assertEqual(p.stderr.decode(), "wadup exec: --dir: skipped %s/sub/fifo: not a regular file or directory\n"
                         % root)

    def test_fd3_is_free_without_dir(self):
        p = self.probe("open3")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"errno 8\n")  # EBADF
        p = self.probe("prestat")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"")
        p = self.probe("ls", "/")
        self.assertNotEqual(p.returncode, 0, "no preopen: nothing to list")

    def test_preopen_names_in_order(self):
        a, b = self.tree(), tempfile.mkdtemp(dir=WORK_DIR)
        p = self.probe("prestat", opts=["--dir", a + "::/data", "--dir", b + "::out"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"3 /data\n4 out\n")
        p = self.probe("prestat", opts=["--dir", b, "--dir", a + "::/data"])
        self.assertEqual(p.stdout, ("3 %s\n4 /data\n" % b).encode(), "HOST alone maps to the same path")

    def test_dot_mapping_serves_relative_paths(self):
        root = self.tree()
        p = self.probe("cat", "sub/inner.txt", opts=["--dir", root + "::."])
        self.assertEqual((p.returncode, p.stdout), (0, b"inner\n"), p.stderr)
        p = self.probe("prestat", opts=["--dir", root + "::."])
        self.assertEqual(p.stdout, b"3 .\n")

    def test_nested_mappings(self):
        a, b = self.tree(), tempfile.mkdtemp(dir=WORK_DIR)
        with open(os.path.join(b, "in-b.txt"), "w") as f:
            f.write("b\n")
        p = self.probe("cat", "/data/extra/in-b.txt", opts=["--dir", a + "::/data", "--dir", b + "::/data/extra"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"b\n")
        p = self.probe("cat", "/data/x", opts=["--dir", a + "::/data", "--dir", b + "::/data/sub"])
        self.assertEqual(p.returncode, SETUP, "the inner mapping's place is taken by the outer tree")
        self.assertIn(b"already exists in the sandbox", p.stderr)

    def test_bad_dir_mappings(self):
        a = self.tree()
        p = self.probe("args", opts=["--dir", a + "::../up"])
        self.assertEqual(p.returncode, USAGE)
        p = self.probe("args", opts=["--dir", a + "::/d", "--dir", a + "::d"])
        self.assertEqual(p.returncode, USAGE)
        self.assertIn(b"same sandbox directory", p.stderr)
        p = self.probe("args", opts=["--dir", os.path.join(a, "no-such-dir") + "::/d"])
        self.assertEqual(p.returncode, SETUP)
        self.assertIn(b"cannot open directory", p.stderr)

    # -- modules, cache and usage -------------------------------------------

    def test_compiled_object_cache_is_reused(self):
        cache = tempfile.mkdtemp(dir=WORK_DIR)
        os.chmod(cache, 0o700)
        first = self.probe("exit", "0", cache_dir=cache)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn(b"compiling exec_probe", first.stderr)
        second = self.probe("exit", "0", cache_dir=cache)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertNotIn(b"compil", second.stderr)
        self.assertEqual(second.stderr, b"")

    def test_reactor_is_refused(self):
        p = self.exec_(REACTOR)
        self.assertEqual(p.returncode, CANNOT_RUN)
        self.assertIn(b"not a command: it does not export _start", p.stderr)
        self.assertNotIn(b"compil", p.stderr, "refused before compiling")

    def test_invalid_and_missing_modules(self):
        bad = os.path.join(tempfile.mkdtemp(dir=WORK_DIR), "bad.wasm")
        with open(bad, "wb") as f:
            f.write(b"\0asm\x01\0\0\0garbage")
        p = self.exec_(bad)
        self.assertEqual(p.returncode, CANNOT_RUN)
        self.assertIn(b"invalid_module", p.stderr)
        p = self.exec_(bad + ".missing")
        self.assertEqual(p.returncode, NOT_FOUND)

    def test_usage_errors(self):
        self.assertEqual(self.exec_().returncode, USAGE)
        self.assertEqual(self.exec_("--env", "NOEQUALS", PROBE).returncode, USAGE)
        self.assertEqual(self.exec_("--timeout", "soon", PROBE).returncode, USAGE)
        self.assertEqual(self.exec_("--dir", "::/x", PROBE).returncode, USAGE)
        self.assertEqual(self.exec_("--help").returncode, 0)

    def test_options_after_the_module_belong_to_it(self):
        p = self.probe("args", "--timeout", "x", "--env", "A=B")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"arg --timeout\narg x\narg --env\narg A=B\n", p.stdout)


if __name__ == "__main__":
    unittest.main()
