"""End-to-end tests of Go modules (guest/go, examples/go-*) through the
wadup command line: the three Go examples on fixtures written by
tests/e2e/go_fixtures.py (tar and gzip extraction as sub-content, ELF
headers, image sizes), recursion through `wadup run`, what the Go wasip1
runtime needs from wadup's WASI (guest/go/testdata/runtime-check: timers,
goroutines, GC, clocks, random_get, output, environment), and the command
shape (a fresh instance per content, exit codes, panics, timeouts).

    python3 -m unittest tests/e2e/test_go.py -v
    WADUP=build/asan/wadup python3 -m unittest discover -s tests/e2e -p test_go.py -v

Needs `make go-examples` (build/examples/go-*.wasm and
build/tests/guest/go/runtime-check.wasm; Debian's golang-1.23). WADUP and
WADUP_CACHE_DIR as in test_cli.py; a Go module takes minutes to compile to
native code the first time (once per cache).
"""

import importlib.util
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
TIMEOUT = 1800  # compiling a Go module (1.5-2 MB of code) takes minutes on 2 cores
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

GO = {n: EXAMPLES / ("go-%s.wasm" % n) for n in ("tar-extractor", "elf-info", "image-info")}
RUNTIME_CHECK = REPO_ROOT / "build" / "tests" / "guest" / "go" / "runtime-check.wasm"

_spec = importlib.util.spec_from_file_location("go_fixtures", Path(__file__).with_name("go_fixtures.py"))
go_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(go_fixtures)


WADUP = e2e_support.resolve_wadup()
_WORK = None
_CACHE = None
_FIX = None


def setUpModule():
    global _WORK, _CACHE, _FIX
    missing = [str(p) for p in [WADUP, RUNTIME_CHECK] + list(GO.values()) if not p.exists()]
    if missing:
        raise RuntimeError("missing build outputs (run `make go-examples`): " + ", ".join(missing))
    _WORK = tempfile.mkdtemp(prefix="wadup-go.")
    _CACHE = os.environ.get("WADUP_CACHE_DIR") or os.path.join(_WORK, "cache")
    _FIX = Path(_WORK) / "fixtures"
    subprocess.run(["python3", str(Path(__file__).with_name("go_fixtures.py")), str(_FIX)], check=True)


def tearDownModule():
    if _WORK:
        shutil.rmtree(_WORK, ignore_errors=True)


class GoTestCase(unittest.TestCase):

    def wadup(self, *args, check_sanitizers=True):
        env = dict(os.environ, WADUP_CACHE_DIR=_CACHE)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        proc = subprocess.run([str(WADUP)] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=TIMEOUT, env=env)
        if check_sanitizers:
            for marker in SANITIZER_MARKERS:
                self.assertNotIn(marker, proc.stderr, proc.stderr[-3000:])
        return proc

    def run_test(self, module, fixture, *extra):
        proc = self.wadup("test", "-m", module, "-s", _FIX / fixture, *extra)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return json.loads(proc.stdout)

    def run_dir(self, modules, fixtures, *extra):
        work = tempfile.mkdtemp(dir=_WORK)
        mods, ins = os.path.join(work, "modules"), os.path.join(work, "inputs")
        os.makedirs(mods)
        os.makedirs(ins)
        for m in modules:
            shutil.copy(m, mods)
        for f in fixtures:
            shutil.copy(_FIX / f, ins)
        db = os.path.join(work, "results.db")
        proc = self.wadup("run", "-q", "--modules", mods, "--input", ins, "-o", db, *extra)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        con = sqlite3.connect(db)
        self.addCleanup(con.close)
        return con

    @staticmethod
    def rows(result, table):
        return [[next(iter(v.values())) if v is not None else None for v in r["values"]]
                for r in result["metadata"]["rows"] if r["table_name"] == table]

    def assertSucceeded(self, r):
        self.assertTrue(r["success"], (r["error_kind"], r["error"], r["stderr"]))

    def assertExited(self, r, code, stderr_part):
        self.assertFalse(r["success"])
        self.assertEqual((r["error_kind"], r["exit_code"]), ("exit", code), r["error"])
        self.assertIn(stderr_part, r["stderr"])
        self.assertEqual(r["metadata"]["rows"], [])


class GoModuleShapeTests(GoTestCase):

    def test_go_modules_are_commands_wadup_provides_everything_for(self):
        for module in list(GO.values()) + [RUNTIME_CHECK]:
            info = json.loads(self.wadup("inspect", "--json", module).stdout)
            self.assertTrue(info["kind"].startswith("command"), (module, info["kind"]))
            # guest/go/build-module.sh aligned Go's first heap arena (4 MiB,
            # 5 pages past the initial memory): nothing to clear at start-up.
            self.assertEqual((info["memories"][0]["min_pages"] + 5) % 64, 0, module)
            self.assertEqual([e["name"] for e in info["exports"]], ["_start", "memory"], module)
            for imp in info["imports"]:
                self.assertEqual(imp["module"], "wasi_snapshot_preview1", (module, imp))
                self.assertIs(imp["provided"], True, (module, imp))

    def test_without_a_content_main_does_nothing(self):
        # wadup exec sets no WADUP_FILENAME: wadup.Main returns at once, as
        # in the _start of a Go 1.24 module that also exports process.
        proc = self.wadup("exec", RUNTIME_CHECK)
        self.assertEqual((proc.returncode, proc.stdout), (0, ""), proc.stderr)


class GoSdkHostTests(unittest.TestCase):

    def test_sdk_unit_tests_natively(self):
        # guest/go's own tests (JSON, name and type checks), run natively.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
        env.update(GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=readonly", GOENV="off", GOWORK="off",
                   CGO_ENABLED="0", GOCACHE=os.environ.get("WADUP_GO_CACHE", str(REPO_ROOT / "build/go/cache")),
                   GOPATH=str(REPO_ROOT / "build/go/path"))
        go = os.environ.get("WADUP_GO", "/usr/lib/go-1.23/bin/go")
        proc = subprocess.run([go, "test", "-count=1", "."], cwd=REPO_ROOT / "guest" / "go", capture_output=True,
                              text=True, env=env, timeout=600)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("ok", proc.stdout)


class GoTarExtractorTests(GoTestCase):

    def expected_entries(self, compressed):
        return [list(e) + [compressed] for e in go_fixtures.TAR_ENTRIES]

    def test_plain_tar_entries_are_zero_copy_slices(self):
        r = self.run_test(GO["tar-extractor"], "archive.tar")
        self.assertSucceeded(r)
        self.assertEqual(self.rows(r, "tar_entries"), self.expected_entries(False))
        tar = (_FIX / "archive.tar").read_bytes()
        subs = {s["filename"]: s for s in r["subcontent"]}
        self.assertEqual(sorted(subs), sorted(go_fixtures.TAR_FILES))
        for name, data in go_fixtures.TAR_FILES.items():
            s = subs[name]
            self.assertEqual(s["kind"], "slice", name)
            self.assertEqual(tar[s["offset"]:s["offset"] + s["length"]], data, name)
            self.assertEqual(bytes.fromhex(s["data_hex"]), data, name)

    def test_pax_headers_before_the_data(self):
        r = self.run_test(GO["tar-extractor"], "pax.tar")
        self.assertSucceeded(r)
        self.assertEqual([row[0] for row in self.rows(r, "tar_entries")], list(go_fixtures.PAX_FILES))
        tar = (_FIX / "pax.tar").read_bytes()
        got = {s["filename"]: tar[s["offset"]:s["offset"] + s["length"]] for s in r["subcontent"]}
        self.assertEqual(got, go_fixtures.PAX_FILES)

    def test_tar_gz_entries_are_bytes(self):
        r = self.run_test(GO["tar-extractor"], "archive.tar.gz")
        self.assertSucceeded(r)
        self.assertEqual(self.rows(r, "tar_entries"), self.expected_entries(True))
        got = {s["filename"]: (s["kind"], bytes.fromhex(s["data_hex"])) for s in r["subcontent"]}
        self.assertEqual(got, {n: ("bytes", d) for n, d in go_fixtures.TAR_FILES.items()})

    def test_gzip_without_tar_is_emitted_decompressed(self):
        r = self.run_test(GO["tar-extractor"], "message.txt.gz")
        self.assertSucceeded(r)
        self.assertEqual(r["metadata"]["rows"], [])
        self.assertEqual([(s["filename"], bytes.fromhex(s["data_hex"])) for s in r["subcontent"]],
                         [("message.txt", b"A gzip file that holds no tar archive.\n")])

    def test_truncated_tar_fails(self):
        r = self.run_test(GO["tar-extractor"], "truncated.tar")
        self.assertExited(r, 1, "go-tar-extractor: tar: hello.txt: truncated entry")
        self.assertEqual(r["subcontent"], [])  # wadup test shows a failed call's emissions: there are none

    def test_other_files_are_skipped(self):
        for f in ("plain.txt", "image.png", "lib64.so"):
            r = self.run_test(GO["tar-extractor"], f)
            self.assertSucceeded(r)
            self.assertEqual((r["metadata"]["rows"], r["subcontent"]), ([], []), f)


class GoElfInfoTests(GoTestCase):

    def test_elf64_shared_object(self):
        r = self.run_test(GO["elf-info"], "lib64.so")
        self.assertSucceeded(r)
        self.assertEqual(self.rows(r, "elf_info"),
                         [["ELFCLASS64", "little", "ELFOSABI_NONE", "ET_DYN", "EM_X86_64", 0x1000, 5]])
        self.assertEqual(self.rows(r, "elf_sections"), [
            [0, "", "SHT_NULL", "0x0", 0, 0, 0],
            [1, ".text", "SHT_PROGBITS", "SHF_ALLOC+SHF_EXECINSTR", 0x1000, 64, 16],
            [2, ".dynstr", "SHT_STRTAB", "SHF_ALLOC", 0x2000, 80, 21],
            [3, ".dynamic", "SHT_DYNAMIC", "SHF_WRITE+SHF_ALLOC", 0x3000, 104, 64],
            [4, ".shstrtab", "SHT_STRTAB", "0x0", 0, 168, 34],
        ])
        self.assertEqual(self.rows(r, "elf_libraries"), [["libc.so.6"], ["libm.so.6"]])

    def test_elf32_big_endian_static(self):
        r = self.run_test(GO["elf-info"], "prog32.elf")
        self.assertSucceeded(r)
        self.assertEqual(self.rows(r, "elf_info"),
                         [["ELFCLASS32", "big", "ELFOSABI_NONE", "ET_EXEC", "EM_PPC", 0x10000100, 5]])
        self.assertEqual([row[1:4] for row in self.rows(r, "elf_sections")], [
            ["", "SHT_NULL", "0x0"], [".text", "SHT_PROGBITS", "SHF_ALLOC+SHF_EXECINSTR"],
            [".data", "SHT_PROGBITS", "SHF_WRITE+SHF_ALLOC"], [".bss", "SHT_NOBITS", "SHF_WRITE+SHF_ALLOC"],
            [".shstrtab", "SHT_STRTAB", "0x0"]])
        self.assertEqual(self.rows(r, "elf_libraries"), [])

    def test_broken_elf_fails(self):
        r = self.run_test(GO["elf-info"], "broken.elf")
        self.assertExited(r, 1, "go-elf-info: elf: unknown ELF class")

    def test_other_files_are_skipped(self):
        for f in ("plain.txt", "archive.tar"):
            r = self.run_test(GO["elf-info"], f)
            self.assertSucceeded(r)
            self.assertEqual(r["metadata"]["rows"], [], f)


class GoImageInfoTests(GoTestCase):

    def test_formats_and_sizes(self):
        for f, want in (("image.png", ["png", 3, 2]), ("image.gif", ["gif", 5, 4]), ("image.jpg", ["jpeg", 16, 8])):
            r = self.run_test(GO["image-info"], f)
            self.assertSucceeded(r)
            self.assertEqual(self.rows(r, "image_info"), [want], f)

    def test_truncated_png_fails(self):
        r = self.run_test(GO["image-info"], "truncated.png")
        self.assertExited(r, 1, "go-image-info: png: unexpected EOF")

    def test_other_files_are_skipped(self):
        for f in ("plain.txt", "archive.tar.gz", "lib64.so"):
            r = self.run_test(GO["image-info"], f)
            self.assertSucceeded(r)
            self.assertEqual(r["metadata"]["rows"], [], f)


class GoRunTests(GoTestCase):

    def test_all_go_examples_recursively(self):
        fixtures = ["archive.tar", "archive.tar.gz", "message.txt.gz", "lib64.so", "prog32.elf", "image.png",
                    "image.gif", "image.jpg", "plain.txt", "broken.elf"]
        con = self.run_dir(list(GO.values()), fixtures)
        kids = sorted(con.execute(
            "SELECT p.filename, c.filename, c.depth, c.slice_offset IS NOT NULL FROM contents c "
            "JOIN contents p ON p.id = c.parent_id"))
        self.assertEqual(kids, [
            ("archive.tar", "docs/notes.md", 1, 1), ("archive.tar", "empty.txt", 1, 1),
            ("archive.tar", "hello.txt", 1, 1),
            ("archive.tar.gz", "docs/notes.md", 1, 0), ("archive.tar.gz", "empty.txt", 1, 0),
            ("archive.tar.gz", "hello.txt", 1, 0),
            ("message.txt.gz", "message.txt", 1, 0)])
        self.assertEqual(con.execute("SELECT count(*), sum(compressed) FROM tar_entries").fetchone(), (10, 5))
        self.assertEqual(sorted(con.execute("SELECT format, width, height FROM image_info")),
                         [("gif", 5, 4), ("jpeg", 16, 8), ("png", 3, 2)])
        self.assertEqual(sorted(con.execute("SELECT class, machine FROM elf_info")),
                         [("ELFCLASS32", "EM_PPC"), ("ELFCLASS64", "EM_X86_64")])
        self.assertEqual(sorted(con.execute("SELECT library FROM elf_libraries")), [("libc.so.6",), ("libm.so.6",)])
        failed = list(con.execute("SELECT c.filename, r.module, r.error_kind, r.exit_code FROM module_runs r "
                                  "JOIN contents c ON c.id = r.content_id WHERE r.status != 'success'"))
        self.assertEqual(failed, [("broken.elf", "go-elf-info", "exit", 1)])


class GoRuntimeTests(GoTestCase):

    def test_what_the_go_runtime_needs_works(self):
        r = self.run_test(RUNTIME_CHECK, "plain.txt", "-f", "named.txt")
        self.assertSucceeded(r)
        checks = {row[0]: (row[1], row[2]) for row in self.rows(r, "go_runtime")}
        self.assertEqual(sorted(checks), ["args", "clock", "content", "env", "gc", "goroutines", "random",
                                          "readonly", "sleep"])
        for name, (ok, detail) in checks.items():
            self.assertIs(ok, True, (name, detail))
        self.assertEqual(checks["args"][1], "runtime-check")
        self.assertEqual(checks["env"][1], "named.txt|named.txt|0|36")  # a 36-character UUID
        self.assertEqual(checks["content"][1], str((_FIX / "plain.txt").stat().st_size))
        self.assertEqual((r["stdout"], r["stderr"]), ("runtime-check: stdout\n", "runtime-check: stderr\n"))
        again = self.run_test(RUNTIME_CHECK, "plain.txt")
        rnd = {row[0]: row[2] for row in self.rows(again, "go_runtime")}["random"]
        self.assertNotEqual(rnd, checks["random"][1])

    def test_failures(self):
        for name, code, stderr in (("exit7", 7, ""), ("panic", 2, "panic: runtime-check: boom"),
                                   ("nil", 2, "nil pointer dereference"),
                                   ("noflush", 1, "runtime-check: failing on purpose")):
            r = self.run_test(RUNTIME_CHECK, "plain.txt", "-f", name)
            self.assertExited(r, code, stderr)

    def test_timeout_stops_a_sleeping_module(self):
        r = self.run_test(RUNTIME_CHECK, "plain.txt", "-f", "sleep", "--timeout", "1")
        self.assertFalse(r["success"])
        self.assertEqual(r["error_kind"], "timeout", r["error"])
        self.assertLess(r["duration_ms"], 10000)

    def test_fresh_instance_per_content_in_a_run(self):
        # Each content gets its own instance: every run's rows are its own,
        # including after a failed content.
        work = tempfile.mkdtemp(dir=_WORK)
        os.makedirs(os.path.join(work, "in"))
        for i, name in enumerate(("a.txt", "panic", "b.txt", "exit7", "c.txt")):
            with open(os.path.join(work, "in", name), "w") as f:
                f.write("content %d\n" % i)
        shutil.copy(RUNTIME_CHECK, work)
        db = os.path.join(work, "r.db")
        proc = self.wadup("run", "-q", "-t", "1", "--modules", work, "--input", os.path.join(work, "in"), "-o", db)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        con = sqlite3.connect(db)
        self.addCleanup(con.close)
        runs = dict(con.execute("SELECT c.filename, coalesce(r.error_kind, r.status) FROM module_runs r "
                                "JOIN contents c ON c.id = r.content_id"))
        self.assertEqual(runs, {"a.txt": "success", "b.txt": "success", "c.txt": "success", "panic": "exit",
                                "exit7": "exit"})
        per_content = list(con.execute("SELECT c.filename, count(*) FROM go_runtime g JOIN contents c "
                                       "ON c.id = g._content GROUP BY 1 ORDER BY 1"))
        self.assertEqual(per_content, [("a.txt", 9), ("b.txt", 9), ("c.txt", 9)])
        envs = sorted(r[0] for r in con.execute("SELECT detail FROM go_runtime WHERE \"check\" = 'env'"))
        self.assertEqual([e.split("|")[:3] for e in envs],
                         [["a.txt", "a.txt", "0"], ["b.txt", "b.txt", "0"], ["c.txt", "c.txt", "0"]])
        self.assertTrue(all(e.split("|")[3] == "36" for e in envs), envs)


if __name__ == "__main__":
    unittest.main()
