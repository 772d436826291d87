"""End-to-end tests of the wadup command line, run exactly as a user would.

Run from the repository root:

    python3 -m unittest discover -s tests/e2e -v
    WADUP=build/asan/wadup python3 -m unittest discover -s tests/e2e -v

Environment:
  WADUP            the binary to test (default: build/wadup under the repository root)
  WADUP_CACHE_DIR  the compiled-module cache shared by the tests (default: a fresh
                   temporary directory created once per run, so the first use of each
                   module compiles it and later uses hit the cache)
  ASAN_OPTIONS     passed through; defaults to detect_leaks=1

Every wadup invocation has a timeout, so a hang fails the test instead of
hanging CI, and every invocation's stderr is checked for sanitizer reports, so
running the suite against the ASan/UBSan build catches memory errors.
"""

import concurrent.futures
import json
import os
import random
import re
import shutil
import stat
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
EXAMPLES = BUILD / "examples"
HOSTILE = EXAMPLES / "hostile"
GUEST = BUILD / "tests" / "guest"

SIMPLE_TEST = EXAMPLES / "simple-test.wasm"
BYTE_COUNTER = EXAMPLES / "byte-counter.wasm"
WASI_PROBE = GUEST / "wasi_probe.wasm"
STATE_PROBE = GUEST / "state_probe.wasm"

TIMEOUT = 120  # seconds for any single wadup process

RESULT_KEYS = {
    "success", "error", "error_kind", "module", "exit_code", "stdout", "stderr",
    "stdout_truncated", "stderr_truncated", "metadata", "subcontent", "duration_ms",
    "peak_memory",
}
VALUE_KINDS = {"Int64", "Float64", "String", "Boolean"}
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
ONE_MIB = 1024 * 1024


WADUP = e2e_support.resolve_wadup()
CACHE_DIR = None   # set in setUpModule
_OWN_CACHE = None  # the temporary cache this run created (removed at the end)
_WORK_DIR = None   # scratch directory for samples and module copies


def setUpModule():
    global CACHE_DIR, _OWN_CACHE, _WORK_DIR
    missing = [str(p) for p in (WADUP, SIMPLE_TEST, BYTE_COUNTER, WASI_PROBE, STATE_PROBE, HOSTILE)
               if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make build/wadup examples` / `make asan`): "
                           + ", ".join(missing))
    if os.environ.get("WADUP_CACHE_DIR"):
        CACHE_DIR = os.environ["WADUP_CACHE_DIR"]
    else:
        _OWN_CACHE = tempfile.mkdtemp(prefix="wadup-e2e-cache.")
        CACHE_DIR = _OWN_CACHE
    _WORK_DIR = tempfile.mkdtemp(prefix="wadup-e2e-work.")


def tearDownModule():
    for d in (_OWN_CACHE, _WORK_DIR):
        if d:
            shutil.rmtree(d, ignore_errors=True)


def hostile(name):
    return HOSTILE / (name + ".wasm")


def wasm_leb128(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def custom_section(name, payload):
    """A complete wasm custom section: id 0, size, name length, name, payload."""
    name = name.encode()
    body = wasm_leb128(len(name)) + name + payload
    return b"\x00" + wasm_leb128(len(body)) + body


def huge_stdout_expected(length):
    """What examples/hostile/huge-stdout.c writes: 64 KiB chunks of a fixed pattern."""
    chunk = bytes(10 if i % 64 == 63 else ord("a") + i % 26 for i in range(64 * 1024))
    reps = length // len(chunk) + 1
    return (chunk * reps)[:length].decode()


class WadupTestCase(unittest.TestCase):
    maxDiff = 4000

    # -- running wadup -------------------------------------------------------

    def env(self, **overrides):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env["WADUP_CACHE_DIR"] = CACHE_DIR
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    def assert_clean_stderr(self, stderr, what):
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr, "sanitizer report from %s:\n%s" % (what, stderr[-6000:]))

    def wadup(self, *args, env=None, timeout=TIMEOUT):
        """Run wadup with ARGS; returns the CompletedProcess (text mode)."""
        cmd = [str(WADUP)] + [str(a) for a in args]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=str(REPO_ROOT),
                              env=env if env is not None else self.env())
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        self.assert_clean_stderr(stderr, " ".join(cmd))
        self.assertGreaterEqual(proc.returncode, 0,
                                "wadup killed by signal %d: %s\n%s" % (-proc.returncode, " ".join(cmd), stderr))
        return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)

    def write_sample(self, data, name=None):
        d = tempfile.mkdtemp(dir=_WORK_DIR)
        path = os.path.join(d, name or "sample.bin")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def scratch_dir(self):
        return tempfile.mkdtemp(dir=_WORK_DIR)

    def run_test(self, module, sample_bytes, *extra_args, sample_name=None, env=None, timeout=TIMEOUT):
        """`wadup test -q -m MODULE -s SAMPLE EXTRA...` -> (exit status, result JSON, stderr)."""
        sample = self.write_sample(sample_bytes, sample_name)
        proc = self.wadup("test", "-q", "-m", module, "-s", sample, *extra_args, env=env, timeout=timeout)
        try:
            result = json.loads(proc.stdout)
        except ValueError as e:
            self.fail("stdout of wadup test is not one JSON document (%s); exit %d\nstdout: %r\nstderr: %s"
                      % (e, proc.returncode, proc.stdout[:2000], proc.stderr[-2000:]))
        self.assertIsInstance(result, dict, "stdout must hold one JSON object")
        self.check_result_shape(result, proc.returncode)
        return proc.returncode, result, proc.stderr

    def check_result_shape(self, r, status):
        self.assertEqual(set(r), RESULT_KEYS)
        self.assertIsInstance(r["success"], bool)
        self.assertEqual(status, 0 if r["success"] else 1, "exit status must follow success")
        if r["success"]:
            self.assertIsNone(r["error"])
            self.assertIsNone(r["error_kind"])
        else:
            self.assertIsInstance(r["error"], str)
            self.assertTrue(r["error"])
            self.assertIsInstance(r["error_kind"], str)
        self.assertIsInstance(r["exit_code"], int)
        self.assertIsInstance(r["stdout"], str)
        self.assertIsInstance(r["stderr"], str)
        self.assertIsInstance(r["stdout_truncated"], bool)
        self.assertIsInstance(r["stderr_truncated"], bool)
        self.assertIsInstance(r["duration_ms"], (int, float))
        self.assertGreaterEqual(r["duration_ms"], 0)
        self.assertIsInstance(r["peak_memory"], int)
        self.assertGreaterEqual(r["peak_memory"], 0)
        meta = r["metadata"]
        self.assertEqual(set(meta), {"tables", "rows"})
        columns = {}
        for table in meta["tables"]:
            self.assertEqual(set(table), {"name", "columns"})
            self.assertNotIn(table["name"], columns, "table defined twice")
            for col in table["columns"]:
                self.assertEqual(set(col), {"name", "data_type"})
                self.assertIn(col["data_type"], VALUE_KINDS)
            columns[table["name"]] = [c["data_type"] for c in table["columns"]]
        for row in meta["rows"]:
            self.assertEqual(set(row), {"table_name", "values"})
            self.assertIn(row["table_name"], columns, "row for an undefined table")
            types = columns[row["table_name"]]
            self.assertEqual(len(row["values"]), len(types))
            for value, typ in zip(row["values"], types):
                if value is not None:
                    self.assertEqual(list(value), [typ], "value %r in a %s column" % (value, typ))
        for i, sub in enumerate(r["subcontent"]):
            self.assertEqual(sub["index"], i)
            self.assertIn(sub["kind"], ("bytes", "slice"))
            expected = {"index", "filename", "size", "truncated", "data_hex", "kind"}
            if sub["kind"] == "slice":
                expected |= {"offset", "length"}
            self.assertEqual(set(sub), expected)
            self.assertRegex(sub["data_hex"], r"^([0-9a-f]{2})*$")
            self.assertEqual(len(sub["data_hex"]), 2 * min(sub["size"], 4096))
            self.assertEqual(sub["truncated"], sub["size"] > 4096)

    def compile(self, *args, cache_dir=None, env=None):
        """`wadup compile ARGS` -> (exit status, [(name, state, key)], stderr)."""
        extra = ["--cache-dir", cache_dir] if cache_dir else []
        proc = self.wadup("compile", *extra, *args, env=env)
        lines = []
        for line in proc.stdout.splitlines():
            parts = line.split("\t")
            self.assertEqual(len(parts), 3, "bad compile line %r" % line)
            self.assertIn(parts[1], ("compiled", "cached"), line)
            self.assertRegex(parts[2], KEY_RE)
            lines.append(tuple(parts))
        return proc.returncode, lines, proc.stderr

    @staticmethod
    def rows(result, table):
        return [row["values"] for row in result["metadata"]["rows"] if row["table_name"] == table]


# ---------------------------------------------------------------------------
# Hostile modules: what each must produce. Shared by the single-run tests, the
# repeated runs and the parallel runs.
# ---------------------------------------------------------------------------

HOSTILE_ARGS = {
    "infinite-loop": ["--timeout", "2"],
    "sleepy": ["--timeout", "2"],
    "memory-bomb": ["--timeout", "30", "--max-memory", "64M"],
    "tmp-bomb": ["--timeout", "30", "--max-memory", "64M"],
    "metadata-bomb": ["--timeout", "60", "--max-memory", "64M"],
    "json-tree-bomb": ["--max-memory", "32M"],
    "metadata-slow": ["--timeout", "1", "--max-memory", "2G"],
    "poll-race": ["--timeout", "1", "--max-memory", "512M"],
    "slice-flood": ["--max-memory", "16M"],
    "table-churn": ["--max-memory", "64M"],
}


def _fails_with(kind, exit_code=None, in_error=()):
    def check(tc, status, r):
        tc.assertEqual(status, 1)
        tc.assertIs(r["success"], False)
        tc.assertEqual(r["error_kind"], kind, r["error"])
        if exit_code is not None:
            tc.assertEqual(r["exit_code"], exit_code)
        for text in in_error:
            tc.assertIn(text, r["error"])
    return check


def _check_huge_stdout(tc, status, r):
    tc.assertEqual(status, 0, r["error"])
    tc.assertIs(r["success"], True)
    tc.assertIs(r["stdout_truncated"], True)
    tc.assertEqual(len(r["stdout"]), ONE_MIB)
    tc.assertEqual(r["stdout"], huge_stdout_expected(ONE_MIB))
    tc.assertIs(r["stderr_truncated"], False)


def _check_bad_metadata(tc, status, r):
    _fails_with("metadata_error", in_error=("/metadata/bad.json", "'good'", "'n'"))(tc, status, r)
    tc.assertIn({"name": "good", "columns": [{"name": "n", "data_type": "Int64"}]}, r["metadata"]["tables"])
    tc.assertEqual(tc.rows(r, "good"), [[{"Int64": 7}]])


def _check_metadata_bomb(tc, status, r):
    """Parsed rows count toward --max-memory: the host keeps what fits
    (about 60 of the 200 files of ~1 MiB) and refuses the rest."""
    _fails_with("metadata_error", in_error=("left under the memory limit", "more metadata errors"))(tc, status, r)
    kept = len(tc.rows(r, "bomb"))
    tc.assertEqual(kept % 1000, 0)
    tc.assertTrue(30000 <= kept <= 64000, kept)


def _succeeds(tc, status, r):
    tc.assertEqual(status, 0, r["error"])
    tc.assertIs(r["success"], True)


def _check_table_squatter(tc, status, r):
    """Valid metadata; the database's naming rules apply only in `wadup run`
    (tests/e2e/test_store_containment.py)."""
    _succeeds(tc, status, r)
    tc.assertEqual([t["name"] for t in r["metadata"]["tables"]],
                   ["file_sizes", "file_sizes__content", "t__content", "contents_uuid", "redo", "wadup_content",
                    "contents", "sneaky", "cased", "FILE_SIZES"])
    tc.assertEqual(tc.rows(r, "file_sizes"), [[{"String": "squatted"}]])


def _check_wide_table(tc, status, r):
    """The 2000-column table is refused by the parser; the 1000-column ones are kept."""
    _fails_with("metadata_error", in_error=("/metadata/wide.json: table 'wide'",))(tc, status, r)
    names = [t["name"] for t in r["metadata"]["tables"]]
    tc.assertEqual(names, ["wide_ok"] + ["w%03d" % k for k in range(25)])
    tc.assertEqual(len(r["metadata"]["rows"]), 26)


def _check_exit_0_reactor(tc, status, r):
    tc.assertEqual(status, 0, r["error"])
    tc.assertIs(r["success"], True)
    tc.assertEqual(r["exit_code"], 0)
    tc.assertEqual(r["stdout"], "exit-0-reactor: calling exit(0)\n")


def _check_exit_3(tc, status, r):
    _fails_with("exit", exit_code=3)(tc, status, r)
    tc.assertEqual(r["stdout"], "exit-3: exiting with status 3\n")


def _check_slow_reader(tc, status, r):
    """On an intact sample it only reads it late (tests/e2e/test_inputs.py
    truncates the file meanwhile and expects an I/O error)."""
    tc.assertEqual(status, 0, r["error"])
    tc.assertIs(r["success"], True)
    tc.assertEqual(r["stdout"], "slow-reader: read %d bytes\n" % len(HOSTILE_SAMPLE))


HOSTILE_CHECKS = {
    "bad-indirect-call": _fails_with("indirect_call"),
    "bad-metadata": _check_bad_metadata,
    "bad-slice": _fails_with("metadata_error", in_error=("outside the content",)),
    "div-zero": _fails_with("integer_divide_by_zero"),
    "exit-0-reactor": _check_exit_0_reactor,
    "exit-3": _check_exit_3,
    "fd3-leak": _succeeds,
    "huge-stdout": _check_huge_stdout,
    "infinite-loop": _fails_with("timeout"),
    "int-overflow": _fails_with("integer_overflow"),
    "invalid-conversion": _fails_with("invalid_conversion"),
    "json-tree-bomb": _fails_with("metadata_error", in_error=("/metadata/bomb.json: not parsed: parsing it needs more than",)),
    "memory-bomb": _fails_with("memory_limit", exit_code=1),
    "memory-hoarder": _succeeds,
    "metadata-bomb": _check_metadata_bomb,
    # under load the deadline may come while it still writes (test_hostile checks the parse case)
    "metadata-slow": _fails_with("timeout"),
    "out-of-bounds": _fails_with("out_of_bounds"),
    "poll-race": _fails_with("timeout"),
    "recursion": _fails_with("stack_overflow"),
    "rename-churn": _succeeds,
    "returns-error": _fails_with("module_error", exit_code=2),
    "sleepy": _fails_with("timeout"),
    "slice-flood": _fails_with("metadata_error", in_error=("'filename' is 1048576 bytes, more than the limit of 4096",)),
    "slow-reader": _check_slow_reader,
    "table-churn": _succeeds,
    "table-squatter": _check_table_squatter,
    "tmp-bomb": _fails_with("memory_limit", exit_code=1),
    "unknown-import": _fails_with("instantiate", in_error=("env.mystery_function",)),
    "unreachable": _fails_with("unreachable"),
    "wide-table": _check_wide_table,
}

HOSTILE_SAMPLE = b"hostile sample\n"


class HostileModuleTests(WadupTestCase):

    def run_hostile(self, name):
        status, result, _ = self.run_test(hostile(name), HOSTILE_SAMPLE, *HOSTILE_ARGS.get(name, []))
        with self.subTest(module=name):
            self.check_module_name(result, name)
            HOSTILE_CHECKS[name](self, status, result)
        return result

    def check_module_name(self, result, name):
        if name == "unknown-import":
            # the module is never instantiated; wadup may leave the name out
            self.assertIn(result["module"], (name, None))
        else:
            self.assertEqual(result["module"], name)

    def test_every_hostile_module_has_an_expectation(self):
        built = sorted(p.stem for p in HOSTILE.glob("*.wasm"))
        sources = sorted(p.stem for p in (REPO_ROOT / "examples" / "hostile").glob("*.c"))
        self.assertEqual(built, sources)
        self.assertEqual(sorted(HOSTILE_CHECKS), built)

    def test_infinite_loop_times_out_quickly(self):
        start = time.monotonic()
        result = self.run_hostile("infinite-loop")
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 10.0, "--timeout 2 must stop a spinning module promptly")
        self.assertGreaterEqual(result["duration_ms"], 1900)
        self.assertEqual(result["error"], "timeout: still running after 2 s")

    def test_sleepy_times_out_inside_host_call(self):
        start = time.monotonic()
        self.run_hostile("sleepy")
        self.assertLess(time.monotonic() - start, 10.0)

    def test_out_of_bounds(self):
        self.run_hostile("out-of-bounds")

    def test_recursion_is_stack_overflow(self):
        self.run_hostile("recursion")

    def test_recursion_with_small_stack_is_stack_overflow(self):
        status, result, _ = self.run_test(hostile("recursion"), HOSTILE_SAMPLE, "--max-stack", "256K")
        HOSTILE_CHECKS["recursion"](self, status, result)

    def test_memory_bomb_hits_memory_limit(self):
        self.run_hostile("memory-bomb")

    def test_tmp_bomb_hits_memory_limit(self):
        self.run_hostile("tmp-bomb")

    def test_huge_stdout_truncated_at_default_cap(self):
        self.run_hostile("huge-stdout")

    def test_huge_stdout_truncated_at_max_output(self):
        status, result, _ = self.run_test(hostile("huge-stdout"), HOSTILE_SAMPLE, "--max-output", "1000")
        self.assertEqual(status, 0)
        self.assertIs(result["success"], True)
        self.assertIs(result["stdout_truncated"], True)
        self.assertEqual(len(result["stdout"]), 1000)
        self.assertEqual(result["stdout"], huge_stdout_expected(1000))

    def test_bad_slice_is_metadata_error(self):
        self.run_hostile("bad-slice")

    def test_bad_metadata_keeps_good_rows(self):
        self.run_hostile("bad-metadata")

    def test_metadata_bomb_is_bounded(self):
        self.run_hostile("metadata-bomb")

    def test_exit_3(self):
        self.run_hostile("exit-3")

    def test_exit_0_in_reactor_is_success(self):
        self.run_hostile("exit-0-reactor")

    def test_unknown_import_fails_to_instantiate(self):
        self.run_hostile("unknown-import")

    def test_unreachable(self):
        self.run_hostile("unreachable")

    def test_div_zero(self):
        self.run_hostile("div-zero")

    def test_int_overflow(self):
        self.run_hostile("int-overflow")

    def test_invalid_conversion(self):
        self.run_hostile("invalid-conversion")

    def test_bad_indirect_call(self):
        self.run_hostile("bad-indirect-call")

    def test_returns_error_is_module_error(self):
        self.run_hostile("returns-error")

    def test_each_hostile_module_twice_in_a_row(self):
        for name in sorted(HOSTILE_CHECKS):
            for attempt in (1, 2):
                with self.subTest(module=name, attempt=attempt):
                    self.run_hostile(name)

    def test_all_hostile_modules_in_parallel(self):
        names = sorted(HOSTILE_CHECKS) * 2
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = {pool.submit(self.run_test, hostile(n), HOSTILE_SAMPLE, *HOSTILE_ARGS.get(n, [])): n
                       for n in names}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                status, result, _ = future.result()
                with self.subTest(module=name):
                    self.check_module_name(result, name)
                    HOSTILE_CHECKS[name](self, status, result)


class BasicModuleTests(WadupTestCase):

    def test_simple_test_succeeds_without_rows(self):
        status, r, _ = self.run_test(SIMPLE_TEST, b"some content")
        self.assertEqual(status, 0)
        self.assertIs(r["success"], True)
        self.assertEqual(r["module"], "simple-test")
        self.assertEqual(r["exit_code"], 0)
        self.assertEqual(r["metadata"], {"tables": [], "rows": []})
        self.assertEqual(r["subcontent"], [])
        self.assertEqual(r["stdout"], "")
        self.assertIs(r["stdout_truncated"], False)
        self.assertIs(r["stderr_truncated"], False)

    def test_byte_counter_counts_exact_sizes(self):
        for size in (0, 1, 5, 4095, 4096, 65537, ONE_MIB, ONE_MIB + 3):
            with self.subTest(size=size):
                data = random.Random(size).randbytes(size)
                status, r, _ = self.run_test(BYTE_COUNTER, data)
                self.assertEqual(status, 0, r["error"])
                self.assertIs(r["success"], True)
                self.assertEqual(r["module"], "byte-counter")
                self.assertEqual(r["metadata"]["tables"],
                                 [{"name": "file_sizes", "columns": [{"name": "size_bytes", "data_type": "Int64"}]}])
                self.assertEqual(r["metadata"]["rows"],
                                 [{"table_name": "file_sizes", "values": [{"Int64": size}]}])

    def test_subcontent_bytes_and_slice(self):
        status, r, _ = self.run_test(STATE_PROBE, b"emit")
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(r["subcontent"], [
            {"index": 0, "filename": "child.txt", "size": 11, "truncated": False,
             "data_hex": b"child-bytes".hex(), "kind": "bytes"},
            {"index": 1, "filename": "slice.bin", "size": 2, "truncated": False,
             "data_hex": b"em".hex(), "kind": "slice", "offset": 0, "length": 2},
        ])
        self.assertEqual(self.rows(r, "leftover"), [[{"Int64": 1}]])

    def test_timeout_zero_means_no_timeout(self):
        status, r, _ = self.run_test(SIMPLE_TEST, b"x", "--timeout", "0")
        self.assertEqual(status, 0)
        self.assertIs(r["success"], True)

    def test_memory_size_suffixes(self):
        for value in ("64M", "65536K", "1G", "67108864"):
            with self.subTest(max_memory=value):
                status, r, _ = self.run_test(BYTE_COUNTER, b"abc", "--max-memory", value)
                self.assertEqual(status, 0, r["error"])
                self.assertEqual(self.rows(r, "file_sizes"), [[{"Int64": 3}]])

    def test_max_memory_below_initial_memory_is_memory_limit(self):
        # byte-counter's linear memory starts at 2 pages (128 KiB)
        status, r, _ = self.run_test(BYTE_COUNTER, b"abc", "--max-memory", "64K")
        self.assertEqual(status, 1)
        self.assertEqual(r["error_kind"], "memory_limit", r["error"])

    def test_small_max_stack_still_runs_normal_module(self):
        status, r, _ = self.run_test(BYTE_COUNTER, b"abcd", "--max-stack", "256K")
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(self.rows(r, "file_sizes"), [[{"Int64": 4}]])


class InvalidModuleTests(WadupTestCase):

    def check_invalid(self, data, expected_text):
        path = os.path.join(self.scratch_dir(), "broken.wasm")
        with open(path, "wb") as f:
            f.write(data)
        status, r, _ = self.run_test(path, b"sample")
        self.assertEqual(status, 1)
        self.assertIs(r["success"], False)
        self.assertEqual(r["error_kind"], "invalid_module")
        self.assertIn(expected_text, r["error"])
        self.assertEqual(r["metadata"], {"tables": [], "rows": []})
        self.assertEqual(r["subcontent"], [])
        return path

    def test_empty_file(self):
        self.check_invalid(b"", "not a WebAssembly module")

    def test_random_bytes(self):
        data = random.Random(1234).randbytes(1000)
        self.assertNotEqual(data[:4], b"\0asm")
        self.check_invalid(data, "not a WebAssembly module")

    def test_text_file(self):
        self.check_invalid(b"this is just some text\nnot a module\n", "not a WebAssembly module")

    def test_truncated_module(self):
        self.check_invalid(BYTE_COUNTER.read_bytes()[:100], "truncated")

    def test_compile_invalid_module_fails(self):
        path = self.check_invalid(b"\x7fELF not wasm", "not a WebAssembly module")
        status, lines, stderr = self.compile(path, cache_dir=self.scratch_dir())
        self.assertEqual(status, 1)
        self.assertEqual(lines, [])
        self.assertIn("broken.wasm", stderr)


class UsageErrorTests(WadupTestCase):

    def check_usage_error(self, *args):
        proc = self.wadup(*args)
        self.assertEqual(proc.returncode, 2, "args %r: stderr %s" % (args, proc.stderr))
        self.assertEqual(proc.stdout, "", "nothing may be printed on stdout for a usage error")
        self.assertTrue(proc.stderr.strip(), "a usage error must explain itself on stderr")
        return proc

    def test_missing_module(self):
        self.check_usage_error("test", "-q", "-s", self.write_sample(b"x"))

    def test_missing_sample(self):
        self.check_usage_error("test", "-q", "-m", SIMPLE_TEST)

    def test_unreadable_sample(self):
        proc = self.check_usage_error("test", "-q", "-m", SIMPLE_TEST, "-s", "/nonexistent/sample.bin")
        self.assertIn("/nonexistent/sample.bin", proc.stderr)

    def test_sample_is_a_directory(self):
        self.check_usage_error("test", "-q", "-m", SIMPLE_TEST, "-s", self.scratch_dir())

    def test_unreadable_module(self):
        proc = self.check_usage_error("test", "-q", "-m", "/nonexistent/module.wasm", "-s", self.write_sample(b"x"))
        self.assertIn("/nonexistent/module.wasm", proc.stderr)

    def test_bad_option_values(self):
        sample = self.write_sample(b"x")
        for option, value in (("--timeout", "abc"), ("--timeout", "-1"), ("--timeout", ""),
                              ("--max-memory", "12Q"), ("--max-memory", "0"), ("--max-memory", "-1"),
                              ("--max-stack", "xx"), ("--max-output", "-5")):
            with self.subTest(option=option, value=value):
                proc = self.check_usage_error("test", "-q", "-m", SIMPLE_TEST, "-s", sample, option, value)
                self.assertIn(option, proc.stderr)

    def test_unknown_option(self):
        self.check_usage_error("test", "-q", "-m", SIMPLE_TEST, "-s", self.write_sample(b"x"), "--bogus")

    def test_unknown_command(self):
        proc = self.check_usage_error("frobnicate")
        self.assertIn("frobnicate", proc.stderr)

    def test_no_command(self):
        self.check_usage_error()

    def test_help_and_version(self):
        proc = self.wadup("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: wadup", proc.stdout)
        for command in ("test", "compile", "inspect", "version"):
            self.assertIn(command, proc.stdout)
        proc = self.wadup("version")
        self.assertEqual(proc.returncode, 0)
        self.assertRegex(proc.stdout, r"^wadup \d+\.\d+\.\d+\n$")
        proc = self.wadup("test", "--help")
        self.assertEqual(proc.returncode, 0)
        for option in ("--module", "--sample", "--filename", "--timeout", "--max-memory", "--max-stack",
                       "--max-output", "--cache-dir", "--quiet"):
            self.assertIn(option, proc.stdout)


class WasiProbeTests(WadupTestCase):

    def probe(self, module, sample, *args, **kw):
        status, r, _ = self.run_test(module, sample, *args, **kw)
        self.assertEqual(status, 0, r["error"])
        self.assertIs(r["success"], True)
        self.assertEqual(r["metadata"]["tables"], [{"name": "checks", "columns": [
            {"name": "name", "data_type": "String"}, {"name": "ok", "data_type": "Boolean"},
            {"name": "detail", "data_type": "String"}]}])
        checks = {}
        for values in self.rows(r, "checks"):
            name, ok, detail = values[0]["String"], values[1]["Boolean"], values[2]["String"]
            self.assertNotIn(name, checks, "check %s reported twice" % name)
            checks[name] = detail
            self.assertIs(ok, True, "check %s failed: %s" % (name, detail))
        return checks

    def test_wasi_probe_checks(self):
        sample = random.Random(7).randbytes(1234)
        checks = self.probe(WASI_PROBE, sample, "-f", "given name.bin")
        for name in ("data_size", "data_readonly", "root_readonly", "tmp_write_read", "append",
                     "ftruncate_pread_pwrite", "unlink", "rename", "mkdir_rmdir", "dot_dotdot", "readdir",
                     "env_filename", "env_depth", "env_uuid", "argv0", "sleep_20ms", "realtime", "random",
                     "sock_shutdown"):
            self.assertIn(name, checks)
        self.assertNotIn("embedded", checks)
        self.assertEqual(checks["env_filename"], "given name.bin")
        self.assertEqual(checks["argv0"], "wasi_probe")
        self.assertEqual(checks["data_size"], "1234")
        self.assertEqual(checks["readdir"], ".,..,x,y,z,")
        self.assertEqual(checks["env_depth"], "0")
        self.assertRegex(checks["env_uuid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

    def test_filename_defaults_to_sample_basename(self):
        checks = self.probe(WASI_PROBE, b"", sample_name="the-sample.dat")
        self.assertEqual(checks["env_filename"], "the-sample.dat")
        self.assertEqual(checks["data_size"], "0")

    def test_fresh_uuid_per_run(self):
        a = self.probe(WASI_PROBE, b"a")["env_uuid"]
        b = self.probe(WASI_PROBE, b"a")["env_uuid"]
        self.assertNotEqual(a, b)

    def test_embedded_file_custom_section(self):
        original = WASI_PROBE.read_bytes()
        copy = os.path.join(self.scratch_dir(), "wasi_probe_embedded.wasm")
        with open(copy, "wb") as f:
            f.write(original + custom_section("wadup.file:/probe/embedded.txt", b"embedded-payload"))

        checks = self.probe(copy, b"abc")
        self.assertEqual(checks["embedded"], "embedded-payload")
        self.assertEqual(checks["data_size"], "3")

        cache = self.scratch_dir()
        os.chmod(cache, 0o700)
        status, first, _ = self.compile(WASI_PROBE, cache_dir=cache)
        self.assertEqual(status, 0)
        self.assertEqual(first, [("wasi_probe", "compiled", first[0][2])])
        status, second, _ = self.compile(copy, cache_dir=cache)
        self.assertEqual(status, 0)
        self.assertEqual(second, [("wasi_probe_embedded", "cached", first[0][2])],
                         "custom sections must not change the compiled object")

    def test_inspect_lists_embedded_file(self):
        copy = os.path.join(self.scratch_dir(), "probe.wasm")
        with open(copy, "wb") as f:
            f.write(WASI_PROBE.read_bytes() + custom_section("wadup.file:/probe/embedded.txt", b"embedded-payload"))
        proc = self.wadup("inspect", "--json", copy)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        info = json.loads(proc.stdout)
        self.assertEqual(info["embedded_files"], [{"path": "/probe/embedded.txt", "size": 16}])
        self.assertIn({"name": "wadup.file:/probe/embedded.txt", "size": 16}, info["custom_sections"])


class CompileTests(WadupTestCase):

    def fresh_cache(self):
        d = self.scratch_dir()
        os.chmod(d, 0o700)
        return d

    def test_compile_then_cached(self):
        cache = self.fresh_cache()
        status, lines, _ = self.compile(SIMPLE_TEST, cache_dir=cache)
        self.assertEqual(status, 0)
        self.assertEqual(len(lines), 1)
        name, state, key = lines[0]
        self.assertEqual((name, state), ("simple-test", "compiled"))
        self.assertTrue(os.path.isfile(os.path.join(cache, key + ".so")))
        status, lines, _ = self.compile(SIMPLE_TEST, cache_dir=cache)
        self.assertEqual(status, 0)
        self.assertEqual(lines, [("simple-test", "cached", key)])

    def test_key_depends_on_content_not_name(self):
        cache = self.fresh_cache()
        copy = os.path.join(self.scratch_dir(), "renamed.wasm")
        shutil.copyfile(SIMPLE_TEST, copy)
        _, a, _ = self.compile(SIMPLE_TEST, cache_dir=cache)
        _, b, _ = self.compile(copy, cache_dir=cache)
        self.assertEqual(b, [("renamed", "cached", a[0][2])])
        _, c, _ = self.compile(hostile("div-zero"), cache_dir=cache)
        self.assertNotEqual(c[0][2], a[0][2])

    def test_compile_directory_sorted_and_invalid_module_does_not_stop_others(self):
        cache = self.fresh_cache()
        src = self.scratch_dir()
        # created out of order, so a directory listing is unlikely to be sorted already
        shutil.copyfile(SIMPLE_TEST, os.path.join(src, "zeta.wasm"))
        shutil.copyfile(hostile("div-zero"), os.path.join(src, "alpha.wasm"))
        with open(os.path.join(src, "broken.wasm"), "wb") as f:
            f.write(b"not wasm at all")
        shutil.copyfile(hostile("returns-error"), os.path.join(src, "mid.wasm"))
        with open(os.path.join(src, "notes.txt"), "w") as f:
            f.write("not a module\n")

        status, lines, stderr = self.compile(src, cache_dir=cache)
        self.assertEqual(status, 1, "an invalid module must make the exit status 1")
        self.assertIn("broken.wasm", stderr)
        self.assertEqual([(n, s) for n, s, _ in lines], [("alpha", "compiled"), ("mid", "compiled"),
                                                          ("zeta", "compiled")])
        for _, _, key in lines:
            self.assertTrue(os.path.isfile(os.path.join(cache, key + ".so")))

        status, again, _ = self.compile(src, cache_dir=cache)
        self.assertEqual(status, 1)
        self.assertEqual(again, [(n, "cached", k) for n, _, k in lines])

    def test_compile_several_arguments(self):
        cache = self.fresh_cache()
        status, lines, _ = self.compile(SIMPLE_TEST, hostile("unreachable"), cache_dir=cache)
        self.assertEqual(status, 0)
        self.assertEqual([(n, s) for n, s, _ in lines], [("simple-test", "compiled"), ("unreachable", "compiled")])

    def test_compile_usage(self):
        proc = self.wadup("compile")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        proc = self.wadup("compile", "/nonexistent/module.wasm")
        self.assertNotEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout, "")
        self.assertIn("/nonexistent/module.wasm", proc.stderr)

    def test_concurrent_compiles_of_the_same_module(self):
        cache = self.fresh_cache()
        env = self.env()
        cmd = [str(WADUP), "compile", "--cache-dir", cache, str(BYTE_COUNTER)]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(REPO_ROOT))
                 for _ in range(2)]
        outputs = []
        try:
            for p in procs:
                out, err = p.communicate(timeout=TIMEOUT)
                outputs.append((p.returncode, out.decode(), err.decode()))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        keys = set()
        for status, out, err in outputs:
            self.assert_clean_stderr(err, " ".join(cmd))
            self.assertEqual(status, 0, err)
            parts = out.rstrip("\n").split("\t")
            self.assertEqual(len(parts), 3, out)
            self.assertEqual(parts[0], "byte-counter")
            self.assertIn(parts[1], ("compiled", "cached"))
            self.assertRegex(parts[2], KEY_RE)
            keys.add(parts[2])
        self.assertEqual(len(keys), 1, "both compiles must report the same key")
        key = keys.pop()
        self.assertTrue(os.path.isfile(os.path.join(cache, key + ".so")))
        leftovers = [n for n in os.listdir(cache) if n != key + ".so"]
        self.assertEqual(leftovers, [], "no temporary files may be left in the cache")

        status, r, _ = self.run_test(BYTE_COUNTER, b"12345", "--cache-dir", cache)
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(self.rows(r, "file_sizes"), [[{"Int64": 5}]])
        _, lines, _ = self.compile(BYTE_COUNTER, cache_dir=cache)
        self.assertEqual(lines, [("byte-counter", "cached", key)])


class CacheDirectoryTests(WadupTestCase):

    def fresh_dir(self, mode=0o700):
        d = self.scratch_dir()
        os.chmod(d, mode)
        return d

    def so_files(self, d):
        return sorted(n for n in os.listdir(d) if n.endswith(".so"))

    def test_world_writable_cache_is_refused(self):
        cache = self.fresh_dir(0o777)
        proc = self.wadup("test", "-q", "-m", SIMPLE_TEST, "-s", self.write_sample(b"x"), "--cache-dir", cache)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertIn("refusing", proc.stderr)
        self.assertEqual(self.so_files(cache), [])

    def test_world_writable_cache_from_environment_is_refused(self):
        cache = self.fresh_dir(0o777)
        proc = self.wadup("test", "-q", "-m", SIMPLE_TEST, "-s", self.write_sample(b"x"),
                          env=self.env(WADUP_CACHE_DIR=cache))
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertIn("refusing", proc.stderr)
        self.assertEqual(self.so_files(cache), [])

    def test_group_writable_cache_is_refused(self):
        cache = self.fresh_dir(0o770)
        proc = self.wadup("compile", "--cache-dir", cache, SIMPLE_TEST)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        self.assertIn("refusing", proc.stderr)
        self.assertEqual(self.so_files(cache), [])

    def test_cache_dir_from_environment(self):
        cache = self.fresh_dir()
        status, r, _ = self.run_test(SIMPLE_TEST, b"x", env=self.env(WADUP_CACHE_DIR=cache))
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(len(self.so_files(cache)), 1)

    def test_cache_dir_option_overrides_environment(self):
        env_cache = self.fresh_dir()
        opt_cache = self.fresh_dir()
        status, r, _ = self.run_test(SIMPLE_TEST, b"x", "--cache-dir", opt_cache,
                                     env=self.env(WADUP_CACHE_DIR=env_cache))
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(len(self.so_files(opt_cache)), 1)
        self.assertEqual(self.so_files(env_cache), [])

    def test_cache_dir_is_created_private(self):
        parent = self.fresh_dir()
        cache = os.path.join(parent, "new", "cache")
        status, r, _ = self.run_test(SIMPLE_TEST, b"x", "--cache-dir", cache)
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(len(self.so_files(cache)), 1)
        mode = stat.S_IMODE(os.stat(cache).st_mode)
        self.assertEqual(mode & 0o022, 0, "a cache directory wadup creates must not be group/world writable")

    def test_xdg_cache_home_fallback(self):
        xdg = self.fresh_dir()
        status, r, _ = self.run_test(SIMPLE_TEST, b"x", env=self.env(WADUP_CACHE_DIR=None, XDG_CACHE_HOME=xdg))
        self.assertEqual(status, 0, r["error"])
        self.assertEqual(len(self.so_files(os.path.join(xdg, "wadup"))), 1)


class InspectTests(WadupTestCase):

    def inspect_json(self, module, expected_status):
        proc = self.wadup("inspect", "--json", module)
        self.assertEqual(proc.returncode, expected_status, proc.stderr)
        try:
            info = json.loads(proc.stdout)
        except ValueError as e:
            self.fail("inspect --json stdout is not one JSON document (%s): %r; stderr: %s"
                      % (e, proc.stdout[:500], proc.stderr[:500]))
        self.assertIsInstance(info, dict)
        return info

    def test_inspect_json_reactor(self):
        info = self.inspect_json(BYTE_COUNTER, 0)
        self.assertTrue(info["kind"].startswith("reactor"), info["kind"])
        self.assertEqual(info["size"], BYTE_COUNTER.stat().st_size)
        self.assertTrue(info["imports"])
        for imp in info["imports"]:
            self.assertEqual(imp["module"], "wasi_snapshot_preview1")
            self.assertIs(imp["provided"], True, imp)
        self.assertIn({"name": "process", "kind": "func", "type": "() -> i32"}, info["exports"])
        self.assertEqual(info["embedded_files"], [])
        self.assertNotIn("error_kind", info)

    def test_inspect_json_command(self):
        info = self.inspect_json(hostile("exit-3"), 0)
        self.assertTrue(info["kind"].startswith("command"), info["kind"])
        self.assertIn("_start", [e["name"] for e in info["exports"]])

    def test_inspect_json_unknown_import(self):
        info = self.inspect_json(hostile("unknown-import"), 1)
        self.assertEqual(info["error_kind"], "instantiate")
        self.assertIn("env.mystery_function", info["error"])
        self.assertIn({"module": "env", "name": "mystery_function", "kind": "func", "type": "(i32) -> i32",
                       "provided": False}, info["imports"])

    def test_inspect_json_not_wasm(self):
        path = os.path.join(self.scratch_dir(), "text.wasm")
        with open(path, "w") as f:
            f.write("hello, I am text\n")
        info = self.inspect_json(path, 1)
        self.assertEqual(info["error_kind"], "invalid_module")
        self.assertIn("not a WebAssembly module", info["error"])

    def test_inspect_text_reactor(self):
        proc = self.wadup("inspect", BYTE_COUNTER)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"(?m)^kind:\s+reactor")
        self.assertRegex(proc.stdout, r"(?m)^\s+process\s+func \(\) -> i32\s*$")
        self.assertRegex(proc.stdout, r"(?m)^\s+wasi_snapshot_preview1\.fd_write\s+func ")
        self.assertNotIn("NOT PROVIDED", proc.stdout)
        # byte-counter declares 2 initial pages and no maximum
        self.assertRegex(proc.stdout, r"(?m)^memory 0:\s+2 pages initial, no max$")

    def test_inspect_text_unknown_import(self):
        proc = self.wadup("inspect", hostile("unknown-import"))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stdout, r"(?m)^\s+env\.mystery_function\s.*\[NOT PROVIDED\]$")
        self.assertIn("instantiate", proc.stdout)

    def test_inspect_text_not_wasm(self):
        path = os.path.join(self.scratch_dir(), "text.wasm")
        with open(path, "w") as f:
            f.write("hello, I am text\n")
        proc = self.wadup("inspect", path)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("invalid_module", proc.stdout)
        self.assertIn("not a WebAssembly module", proc.stdout)

    def test_inspect_usage(self):
        proc = self.wadup("inspect")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")
        proc = self.wadup("inspect", "/nonexistent/module.wasm")
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stdout, "")


if __name__ == "__main__":
    unittest.main()
