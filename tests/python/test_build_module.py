"""Tests of guest/python/build_module.py (the builder behind `wadup python
build`) and of the Python example modules, on the host.

    /usr/bin/python3 -m unittest discover -s tests/python -v

The builder runs as a subprocess of this interpreter (which must be CPython
3.11). Fake installed distributions are made in a temporary directory put
on PYTHONPATH. The "examples on the host" tests build each example and run
its app.zip with this interpreter in isolated mode (-I -S: no site or
dist-packages, so only what was bundled can be imported), through a small
stand-in for the runtime glue (_begin_content, main(), _end_content) with
the wadup package pointed at a temporary guest root (WADUP_GUEST_ROOT).
Examples whose dependencies are not installed are skipped.
"""
import importlib.metadata
import importlib.util
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST = os.path.join(REPO, "guest", "python")
BUILDER = os.path.join(GUEST, "build_module.py")
WADUP_PKG = os.path.join(GUEST, "wadup")
EXAMPLES = os.path.join(REPO, "examples")
FIXTURES = os.path.join(REPO, "tests", "fixtures")
IS_311 = sys.implementation.name == "cpython" and sys.version_info[:2] == (3, 11)

if IS_311:
    sys.path.insert(0, GUEST)
    import build_module  # noqa: E402

NATIVE = "cpython-311-x86_64-linux-gnu.so"


def write(path, text="", mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def make_dist(site, name, version, files, requires=(), extras=(), egg_info=False, top_level=None):
    """A fake installed distribution in site: files {relpath: text}."""
    for rel, text in files.items():
        write(os.path.join(site, rel), text, "wb" if isinstance(text, bytes) else "w")
    norm = name.replace("-", "_")
    if egg_info:
        meta = os.path.join(site, "%s-%s.egg-info" % (norm, version))
        write(os.path.join(meta, "PKG-INFO"), "Metadata-Version: 1.2\nName: %s\nVersion: %s\n" % (name, version))
        write(os.path.join(meta, "top_level.txt"), "\n".join(top_level or []) + "\n")
        req = "\n".join(r for r in requires if ";" not in r)
        for e in extras:
            req += "\n[%s]\n" % e + "\n".join(r.split(";")[0] for r in requires if "extra == '%s'" % e in r)
        write(os.path.join(meta, "requires.txt"), req + "\n")
        return
    meta = "%s-%s.dist-info" % (norm, version)
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Provides-Extra: " + e for e in extras]
    lines += ["Requires-Dist: " + r for r in requires]
    write(os.path.join(site, meta, "METADATA"), "\n".join(lines) + "\n")
    if top_level is not None:
        write(os.path.join(site, meta, "top_level.txt"), "\n".join(top_level) + "\n")
    record = [rel + ",," for rel in files] + [meta + "/METADATA,,", meta + "/RECORD,,",
                                              "../../bin/some-script,,"]
    write(os.path.join(site, meta, "RECORD"), "\n".join(record) + "\n")


def project(root, name="my-mod", deps=(), entry=None, layout="src", code=None, extra_toml=""):
    """A project directory; layout: src, flat, single, single-src."""
    os.makedirs(root, exist_ok=True)
    toml = '[project]\nname = "%s"\ndependencies = %s\n' % (name, json.dumps(list(deps)))
    if entry:
        toml += '\n[tool.wadup]\nentry-point = "%s"\n' % entry
    write(os.path.join(root, "pyproject.toml"), toml + extra_toml)
    mod = entry or name.replace("-", "_")
    code = code if code is not None else "import wadup\n\ndef main():\n    return 42\n"
    if layout == "src":
        write(os.path.join(root, "src", mod, "__init__.py"), code)
    elif layout == "flat":
        write(os.path.join(root, mod, "__init__.py"), code)
    elif layout == "single":
        write(os.path.join(root, mod + ".py"), code)
    elif layout == "single-src":
        write(os.path.join(root, "src", mod + ".py"), code)
    return root


@unittest.skipUnless(IS_311, "the builder needs CPython 3.11 (run with /usr/bin/python3)")
class BuilderTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="wadup-build-test-")
        self.site = os.path.join(self.tmp, "site")
        os.makedirs(self.site)
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def build(self, proj, expect_ok=True):
        env = dict(os.environ, PYTHONPATH=self.site)
        env.pop("PYTHONHOME", None)
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, BUILDER, proj, "--out-dir", self.out, "--wadup-package", WADUP_PKG],
                           capture_output=True, text=True, env=env, timeout=120)
        self.elapsed = time.monotonic() - t0
        if expect_ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "")
            lines = p.stdout.splitlines()
            self.assertEqual(len(lines), 1, p.stdout)
            return json.loads(lines[0])
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertTrue(p.stderr.startswith("wadup python build: error: "), p.stderr)
        return p.stderr

    def names(self):
        with zipfile.ZipFile(os.path.join(self.out, "app.zip")) as z:
            return [n for n in z.namelist() if not n.endswith("/")]

    def run_app(self, entry, contents, extra_code=""):
        """Run the built app.zip like the runtime does; one result dict per content."""
        return run_app(os.path.join(self.out, "app.zip"), entry, contents, self.tmp, extra_code)


GLUE = r'''
import importlib, json, os, shutil, sys
app, entry, root, contents = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path.insert(0, app)
os.environ["WADUP_GUEST_ROOT"] = root
import wadup
assert wadup.__file__.startswith(app), wadup.__file__
mod = importlib.import_module(entry)
for i, c in enumerate(contents):
    for d in ("metadata", "subcontent"):
        shutil.rmtree(os.path.join(root, d), ignore_errors=True)
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, "data.bin"), "wb") as f:
        f.write(bytes.fromhex(c["data"]))
    wadup._begin_content(c["name"], "uuid-%d" % i, 0)
    try:
        mod.main()
        wadup._end_content()
        error = None
    except BaseException as e:
        error = "%s: %s" % (type(e).__name__, e)
    rows, tables, sub = [], {}, []
    for f in sorted(os.listdir(os.path.join(root, "metadata")), key=lambda n: int(n[7:-5])):
        with open(os.path.join(root, "metadata", f), "rb") as fh:
            doc = json.loads(fh.read().decode("utf-8"))
        for t in doc["tables"]:
            tables[t["name"]] = [(c["name"], c["data_type"]) for c in t["columns"]]
        for r in doc["rows"]:
            rows.append([r["table_name"]] + [None if v is None else list(v.values())[0] for v in r["values"]])
    sd = os.path.join(root, "subcontent")
    for f in sorted(os.listdir(sd)):
        if f.startswith("metadata_"):
            with open(os.path.join(sd, f), "rb") as fh:
                desc = json.loads(fh.read().decode("utf-8"))
            n = f[len("metadata_"):-len(".json")]
            data = os.path.join(sd, "data_%s.bin" % n)
            if os.path.exists(data):
                with open(data, "rb") as fh:
                    desc["data"] = fh.read().decode("latin-1")
            sub.append(desc)
    print(json.dumps({"error": error, "tables": tables, "rows": rows, "subcontent": sub}))
'''


def run_app(app_zip, entry, contents, tmp, extra_code=""):
    root = tempfile.mkdtemp(prefix="guest-root-", dir=tmp)
    spec = json.dumps([{"name": name, "data": data.hex()} for name, data in contents])
    p = subprocess.run([sys.executable, "-I", "-S", "-c", GLUE, app_zip, entry, root, spec],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("glue failed (%d): %s" % (p.returncode, p.stderr))
    return [json.loads(line) for line in p.stdout.splitlines()], p.stderr


class LayoutTest(BuilderTestCase):
    def test_src_layout_and_default_entry(self):
        proj = project(os.path.join(self.tmp, "p"), name="my-mod", layout="src")
        write(os.path.join(proj, "src", "my_mod", "sub", "__init__.py"), "X = 1\n")
        write(os.path.join(proj, "src", "my_mod", "data", "table.json"), "{}")
        write(os.path.join(proj, "src", "my_mod", "types.pyi"), "")
        write(os.path.join(proj, "src", "my_mod", "__pycache__", "junk.cpython-311.pyc"), "junk")
        r = self.build(proj)
        self.assertEqual(r, {"name": "my-mod", "entry": "my_mod", "distributions": [], "files": 4, "notes": []})
        self.assertEqual(sorted(self.names()), ["my_mod/__init__.pyc", "my_mod/data/table.json",
                                                "my_mod/sub/__init__.pyc", "wadup/__init__.pyc"])
        with open(os.path.join(self.out, "entry"), "rb") as f:
            self.assertEqual(f.read(), b"my_mod")

    def test_flat_layout(self):
        proj = project(os.path.join(self.tmp, "p"), name="flat-one", layout="flat")
        r = self.build(proj)
        self.assertEqual(r["entry"], "flat_one")
        self.assertIn("flat_one/__init__.pyc", self.names())

    def test_single_file_layouts(self):
        for layout in ("single", "single-src"):
            with self.subTest(layout=layout):
                proj = project(os.path.join(self.tmp, layout), name="solo", layout=layout)
                write(os.path.join(proj, "setup.py"), "raise SystemExit\n")  # never bundled
                r = self.build(proj)
                self.assertEqual(r["entry"], "solo")
                self.assertEqual(sorted(self.names()), ["solo.pyc", "wadup/__init__.pyc"])

    def test_entry_point_setting(self):
        proj = project(os.path.join(self.tmp, "p"), name="whatever", entry="real_entry", layout="src")
        r = self.build(proj)
        self.assertEqual((r["name"], r["entry"]), ("whatever", "real_entry"))
        with open(os.path.join(self.out, "entry")) as f:
            self.assertEqual(f.read(), "real_entry")

    def test_errors(self):
        p = os.path.join(self.tmp, "none")
        os.makedirs(p)
        self.assertIn("pyproject.toml not found", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[tool.x]\n")
        self.assertIn("no [project] table", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[project]\nversion = '1'\n")
        self.assertIn("[project] name is missing", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[project\nname=")
        self.assertIn("invalid TOML", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[project]\nname = 'x'\ndependencies = 'chardet'\n")
        self.assertIn("dependencies must be a list", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[project]\nname = 'no-code'\n")
        err = self.build(p, expect_ok=False)
        self.assertIn("entry module 'no_code' not found", err)
        self.assertIn("src/no_code/__init__.py, no_code/__init__.py, src/no_code.py, no_code.py", err)
        write(os.path.join(p, "pyproject.toml"), "[project]\nname = 'x'\n[tool.wadup]\nentry-point = 'a-b'\n")
        self.assertIn("not a valid module name", self.build(p, expect_ok=False))
        write(os.path.join(p, "pyproject.toml"), "[project]\nname = 'wadup'\n")
        self.assertIn("cannot be called 'wadup'", self.build(p, expect_ok=False))
        self.assertIn("does not exist", self.build(os.path.join(self.tmp, "missing"), expect_ok=False))

    def test_ambiguous_and_bad_packages(self):
        proj = project(os.path.join(self.tmp, "p"), name="amb", layout="src")
        write(os.path.join(proj, "amb.py"), "def main(): pass\n")
        self.assertIn("ambiguous", self.build(proj, expect_ok=False))
        proj = project(os.path.join(self.tmp, "q"), name="nsp", layout="single")
        os.makedirs(os.path.join(proj, "src", "nsp"))  # a directory without __init__.py is not the entry
        self.assertEqual(self.build(proj)["entry"], "nsp")
        os.unlink(os.path.join(proj, "nsp.py"))
        self.assertIn("without __init__.py", self.build(proj, expect_ok=False))

    def test_syntax_error_in_project(self):
        proj = project(os.path.join(self.tmp, "p"), name="bad", layout="src", code="def main(:\n")
        err = self.build(proj, expect_ok=False)
        self.assertIn("cannot compile bad/__init__.py:1", err)

    def test_native_file_in_project(self):
        proj = project(os.path.join(self.tmp, "p"), name="nat", layout="src")
        write(os.path.join(proj, "src", "nat", "_fast." + NATIVE), "ELF")
        err = self.build(proj, expect_ok=False)
        self.assertIn("needs native extension file 'nat/_fast.%s'" % NATIVE, err)

    def test_missing_main_is_noted(self):
        proj = project(os.path.join(self.tmp, "p"), name="nomain", layout="src", code="X = 1\n")
        r = self.build(proj)
        self.assertTrue(any("defines no main()" in n for n in r["notes"]), r["notes"])
        proj = project(os.path.join(self.tmp, "q"), name="imported", layout="src",
                       code="from imported.impl import main\n")
        write(os.path.join(proj, "src", "imported", "impl.py"), "def main(): pass\n")
        self.assertEqual(self.build(proj)["notes"], [])

    def test_wrong_interpreter_is_refused(self):
        code = ("import sys; sys.version_info = (3, 12, 1, 'final', 0); sys.argv = %r; "
                "exec(compile(open(%r).read(), %r, 'exec'), {'__name__': '__main__'})"
                % ([BUILDER, "x", "--out-dir", "y"], BUILDER, BUILDER))
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("must run on CPython 3.11", p.stderr)
        self.assertIn("--python", p.stderr)


class OutputTest(BuilderTestCase):
    def test_only_bytecode_for_python_code(self):
        proj = project(os.path.join(self.tmp, "p"), name="pkg", layout="src")
        write(os.path.join(proj, "src", "pkg", "mod.py"), "VALUE = 'm'\n")
        write(os.path.join(proj, "src", "pkg", "notes.txt"), "data")
        make_dist(self.site, "depone", "1.0", {"depone/__init__.py": "X = 1\n", "depone/res.dat": "r",
                                               "depone/stub.pyi": ""})
        write(os.path.join(proj, "pyproject.toml"), '[project]\nname = "pkg"\ndependencies = ["depone"]\n')
        self.build(proj)
        names = self.names()
        self.assertFalse([n for n in names if n.endswith((".py", ".pyi", ".so"))], names)
        self.assertIn("pkg/mod.pyc", names)
        self.assertIn("depone/__init__.pyc", names)
        self.assertIn("depone/res.dat", names)
        self.assertIn("pkg/notes.txt", names)
        self.assertIn("depone-1.0.dist-info/METADATA", names)
        self.assertNotIn("depone-1.0.dist-info/RECORD", names)
        with zipfile.ZipFile(os.path.join(self.out, "app.zip")) as z:
            for info in z.infolist():
                self.assertEqual(info.date_time, (1980, 1, 1, 0, 0, 0))
                if not info.filename.endswith("/"):
                    self.assertEqual(info.compress_type, zipfile.ZIP_DEFLATED)
            self.assertEqual(z.namelist(), sorted(z.namelist()))
            pyc = z.read("pkg/mod.pyc")
        # byte for byte what py_compile writes (optimize 0, unchecked hash, legacy layout)
        src = os.path.join(proj, "src", "pkg", "mod.py")
        ref = os.path.join(self.tmp, "ref.pyc")
        py_compile.compile(src, cfile=ref, dfile=build_module.ZIP_PREFIX + "pkg/mod.py", doraise=True,
                           optimize=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        with open(ref, "rb") as f:
            self.assertEqual(pyc, f.read())
        self.assertEqual(pyc[:4], importlib.util.MAGIC_NUMBER)
        self.assertEqual(int.from_bytes(pyc[4:8], "little"), 1)  # hash-based, not checked

    def test_deterministic(self):
        proj = project(os.path.join(self.tmp, "p"), name="det", layout="src")
        write(os.path.join(proj, "src", "det", "a.py"), "A = 1\n")
        self.build(proj)
        with open(os.path.join(self.out, "app.zip"), "rb") as f:
            first = f.read()
        os.utime(os.path.join(proj, "src", "det", "a.py"), (1, 1))
        self.build(proj)
        with open(os.path.join(self.out, "app.zip"), "rb") as f:
            self.assertEqual(f.read(), first)

    def test_runs_from_the_zip(self):
        proj = project(os.path.join(self.tmp, "p"), name="runme", layout="src", code=textwrap.dedent("""
            import wadup
            from runme.helper import double
            wadup.define_table("out", [("name", str), ("n", int), ("src_present", bool)])
            def main():
                data = wadup.read_content()
                src = __loader__.get_source(__name__) is not None
                wadup.insert_row("out", [wadup.filename(), double(len(data)), src])
            """))
        write(os.path.join(proj, "src", "runme", "helper.py"), "def double(x):\n    return 2 * x\n")
        self.build(proj)
        results, _ = self.run_app("runme", [("a.txt", b"abc"), ("b.txt", b"")])
        self.assertEqual([r["rows"] for r in results], [[["out", "a.txt", 6, False]], [["out", "b.txt", 0, False]]])

    def test_fast(self):
        proj = project(os.path.join(self.tmp, "p"), name="quick", layout="src")
        self.build(proj)
        self.assertLess(self.elapsed, 2.0)  # typically about 0.1 s


class DependencyTest(BuilderTestCase):
    def dep_project(self, deps):
        return project(os.path.join(self.tmp, "p"), name="user", deps=deps, layout="src")

    def test_missing_dependency(self):
        err = self.build(self.dep_project(["surely-not-installed-pkg>=1"]), expect_ok=False)
        self.assertIn("dependency 'surely-not-installed-pkg' is not installed", err)
        self.assertIn("pip install", err)
        self.assertIn("apt-get install python3-surely-not-installed-pkg", err)
        make_dist(self.site, "hasmissing", "1.0", {"hasmissing.py": ""}, requires=["gone-sub"])
        err = self.build(self.dep_project(["hasmissing"]), expect_ok=False)
        self.assertIn("dependency of hasmissing==1.0, 'gone-sub' is not installed", err)

    def test_native_extension_rejected(self):
        make_dist(self.site, "natdep", "2.0", {"nat/__init__.py": "from nat._speed import f\n",
                                               "nat/_speed." + NATIVE: b"\x7fELF"})
        err = self.build(self.dep_project(["natdep"]), expect_ok=False)
        self.assertIn("dependency 'natdep' needs native extension file 'nat/_speed.%s' which the wadup Python "
                      "runtime does not provide" % NATIVE, err)

    def test_optional_native(self):
        make_dist(self.site, "Speedy", "1.0", {"speedy/__init__.py": "try:\n    from speedy._c import f\n"
                                                                      "except ImportError:\n    f = None\n",
                                               "speedy/_c." + NATIVE: b"\x7fELF"})
        proj = self.dep_project(["speedy"])
        err = self.build(proj, expect_ok=False)
        self.assertIn("list it in [tool.wadup] optional-native = [\"Speedy\"]", err)
        with open(os.path.join(proj, "pyproject.toml"), "a") as f:
            f.write('\n[tool.wadup]\noptional-native = ["Speedy", "not-used"]\n')
        r = self.build(proj)
        self.assertIn("speedy/__init__.pyc", self.names())
        self.assertFalse([n for n in self.names() if n.endswith(".so")])
        self.assertTrue(any("Speedy==1.0: dropped 1 native extension file listed in optional-native" in n
                            for n in r["notes"]), r["notes"])
        self.assertTrue(any("not bundled: not-used" in n for n in r["notes"]), r["notes"])

    def test_native_copy_dropped_when_py_exists(self):
        make_dist(self.site, "halfnat", "1.10", {"half/__init__.py": "", "half/main.py": "M = 1\n",
                                                 "half/main." + NATIVE: b"\x7fELF",
                                                 "half/__init__." + NATIVE: b"\x7fELF"})
        r = self.build(self.dep_project(["halfnat"]))
        names = self.names()
        self.assertIn("half/main.pyc", names)
        self.assertFalse([n for n in names if n.endswith(".so")], names)
        self.assertEqual(r["distributions"], ["halfnat==1.10"])
        self.assertTrue(any("halfnat==1.10: dropped 2 native extension files" in n for n in r["notes"]), r["notes"])

    def test_transitive_extras_and_markers(self):
        make_dist(self.site, "top-dep", "1.0", {"top_dep/__init__.py": ""}, extras=["fancy"],
                  requires=["base-dep", "fancy-dep; extra == 'fancy'", "win-dep; sys_platform == 'win32'",
                            "old-dep; python_version < '3.8'", "test-dep; extra == 'tests'"])
        make_dist(self.site, "base-dep", "0.1", {"base_dep.py": "B = 1\n"})
        make_dist(self.site, "fancy-dep", "3.0", {"fancy_dep/__init__.py": "", "fancy_dep/x.py": ""})
        r = self.build(self.dep_project(["top-dep"]))
        self.assertEqual(r["distributions"], ["top-dep==1.0", "base-dep==0.1"])
        r = self.build(self.dep_project(["top-dep[fancy]", "base-dep; python_version >= '3.8'",
                                         "win-only; sys_platform == 'win32'"]))
        self.assertEqual(r["distributions"], ["top-dep==1.0", "base-dep==0.1", "fancy-dep==3.0"])
        self.assertIn("fancy_dep/x.pyc", self.names())
        self.assertTrue(any("skipped 'win-only" in n for n in r["notes"]), r["notes"])
        # an extra asked for later adds its requirements
        r = self.build(self.dep_project(["top-dep", "top-dep[fancy]"]))
        self.assertIn("fancy-dep==3.0", r["distributions"])

    def test_debian_style_egg_info_without_file_list(self):
        make_dist(self.site, "Debby", "4.0", {"debby/__init__.py": "", "debby/core.py": "",
                                              "debby/locale/x.mo": b"\x00"},
                  egg_info=True, top_level=["debby"], requires=["plain-dep", "opt-dep; extra == 'opt'"],
                  extras=["opt"])
        make_dist(self.site, "plain-dep", "1", {"plain_dep.py": ""})
        make_dist(self.site, "opt-dep", "1", {"opt_dep.py": ""})
        r = self.build(self.dep_project(["debby[opt]"]))
        self.assertEqual(r["distributions"], ["Debby==4.0", "plain-dep==1", "opt-dep==1"])
        names = self.names()
        for n in ("debby/__init__.pyc", "debby/core.pyc", "debby/locale/x.mo", "Debby-4.0.egg-info/PKG-INFO",
                  "plain_dep.pyc", "opt_dep.pyc"):
            self.assertIn(n, names)

    def test_version_specifiers_are_noted_not_enforced(self):
        make_dist(self.site, "vers", "2.5", {"vers.py": ""})
        r = self.build(self.dep_project(["vers<2"]))
        self.assertEqual(r["distributions"], ["vers==2.5"])
        self.assertTrue(any("wants 'vers<2' but vers==2.5 is installed" in n for n in r["notes"]), r["notes"])
        self.assertEqual(self.build(self.dep_project(["vers>=2,<3", "vers (~=2.1)"]))["notes"], [])

    def test_conflicts(self):
        make_dist(self.site, "evil", "1", {"wadup/__init__.py": ""})
        err = self.build(self.dep_project(["evil"]), expect_ok=False)
        self.assertIn("provides a module named 'wadup'", err)
        make_dist(self.site, "turtle-backport", "1", {"turtle/__init__.py": ""})  # not imported by the builder
        r = self.build(self.dep_project(["turtle-backport"]))
        self.assertTrue(any("provides module 'turtle', which hides the standard library's" in n for n in r["notes"]),
                        r["notes"])
        make_dist(self.site, "shadow", "1", {"user.py": ""})
        err = self.build(self.dep_project(["shadow"]), expect_ok=False)
        self.assertIn("same name as the entry module", err)

    def test_importlib_metadata_works_from_the_zip(self):
        make_dist(self.site, "versioned", "7.1", {"versioned/__init__.py": textwrap.dedent("""
            import importlib.metadata
            __version__ = importlib.metadata.version("versioned")
            """)})
        proj = project(os.path.join(self.tmp, "p"), name="user", deps=["versioned"], layout="src",
                       code=textwrap.dedent("""
            import wadup, versioned
            wadup.define_table("v", [("version", str)])
            def main():
                wadup.insert_row("v", [versioned.__version__])
            """))
        self.build(proj)
        results, _ = self.run_app("user", [("x", b"")])
        self.assertEqual(results[0]["rows"], [["v", "7.1"]])


@unittest.skipUnless(IS_311, "needs CPython 3.11")
class MarkerAndRequirementTest(unittest.TestCase):
    def test_requirements(self):
        r = build_module.Requirement("Foo.Bar[Extra_One, two] (>=1.0,<2) ; python_version >= '3.8'")
        self.assertEqual((r.name, r.extras, r.specifier, r.marker),
                         ("Foo.Bar", {"extra-one", "two"}, ">=1.0,<2", "python_version >= '3.8'"))
        r = build_module.Requirement("pkg @ https://example.invalid/pkg.whl")
        self.assertEqual((r.name, r.url), ("pkg", "https://example.invalid/pkg.whl"))
        for bad in ("", "-x", "x[a", "x >=> 1"):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    build_module.Requirement(bad)

    def test_markers(self):
        ev = build_module.evaluate_marker
        self.assertTrue(ev('python_version >= "3.8"'))
        self.assertFalse(ev('python_version < "3.11"'))
        self.assertTrue(ev('python_version == "3.11"'))
        self.assertTrue(ev('python_full_version >= "3.11.0"'))
        self.assertFalse(ev('sys_platform == "win32" or os_name == "nt"'))
        self.assertTrue(ev('(sys_platform != "win32" and platform_system != "Windows") or extra == "x"'))
        self.assertTrue(ev('implementation_name == "cpython" and platform_python_implementation == "CPython"'))
        self.assertTrue(ev("'wasm' in platform_machine"))
        self.assertTrue(ev('python_version not in "2.7, 3.5"'))
        self.assertFalse(ev('extra == "tests"'))
        self.assertTrue(ev('extra == "Tests_X"', frozenset({"tests-x"})))
        self.assertTrue(ev('python_version == "3.*"'))
        with self.assertRaises(build_module.MarkerError):
            ev('nonsense_var == "1"')
        with self.assertRaises(build_module.MarkerError):
            ev('python_version >= ')


def _installed(*names):
    for n in names:
        try:
            importlib.metadata.distribution(n)
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


def _major(name):
    try:
        return int(importlib.metadata.version(name).split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


@unittest.skipUnless(IS_311, "needs CPython 3.11")
class ExamplesOnHostTest(unittest.TestCase):
    """Each example built, then run from its app.zip in an isolated interpreter."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="wadup-examples-test-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def build_example(self, name):
        out = os.path.join(self.tmp, name)
        p = subprocess.run([sys.executable, BUILDER, os.path.join(EXAMPLES, name), "--out-dir", out,
                            "--wadup-package", WADUP_PKG], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        info = json.loads(p.stdout)
        with zipfile.ZipFile(os.path.join(out, "app.zip")) as z:
            self.assertFalse([n for n in z.namelist() if n.endswith(".py")])
        return os.path.join(out, "app.zip"), info["entry"]

    def run_example(self, name, contents):
        app, entry = self.build_example(name)
        return run_app(app, entry, contents, self.tmp)

    def test_counter(self):
        results, _ = self.run_example("python-counter", [("a", b"1"), ("b", b"2"), ("c", b"3")])
        self.assertEqual([r["rows"] for r in results], [[["call_counter", 1]], [["call_counter", 2]],
                                                         [["call_counter", 3]]])
        self.assertEqual(results[0]["tables"], {"call_counter": [["call_number", "Int64"]]})

    def test_module_test(self):
        results, _ = self.run_example("python-module-test", [("a", b"")])
        rows = results[0]["rows"]
        self.assertEqual(len(rows), 13)
        self.assertEqual([r[1] for r in rows], ["array", "binascii", "bz2", "cmath", "hashlib", "io", "itertools",
                                                "lzma", "math", "struct", "time", "unicodedata", "zlib"])
        self.assertTrue(all(r[2] is True and r[3] is None for r in rows), rows)
        self.assertEqual(results[0]["tables"]["c_extension_imports"],
                         [["module_name", "String"], ["import_successful", "Boolean"], ["error_message", "String"]])

    def test_sqlite_parser(self):
        with open(os.path.join(FIXTURES, "sample.db"), "rb") as f:
            db = f.read()
        results, _ = self.run_example("python-sqlite-parser", [("sample.db", db), ("text", b"not sqlite"),
                                                                ("short", b"SQL"),
                                                                ("broken.db", b"SQLite format 3\x00" + b"\xff" * 200)])
        self.assertEqual(results[0]["rows"], [["db_table_stats", "posts", 5], ["db_table_stats", "users", 3]])
        self.assertEqual(results[1]["rows"], [])
        self.assertIsNone(results[1]["error"])
        self.assertEqual(results[2]["rows"], [])
        self.assertIsNotNone(results[3]["error"])  # reported, not swallowed

    def test_zip_extractor(self):
        with open(os.path.join(FIXTURES, "test.zip"), "rb") as f:
            z = f.read()
        with open(os.path.join(FIXTURES, "corrupt.zip"), "rb") as f:
            corrupt = f.read()
        results, stderr = self.run_example("python-zip-extractor", [("test.zip", z), ("plain.txt", b"hello"),
                                                                     ("corrupt.zip", corrupt)])
        self.assertEqual([s["filename"] for s in results[0]["subcontent"]], ["file1.txt", "file2.txt"])
        self.assertTrue(all(len(s["data"]) > 0 for s in results[0]["subcontent"]))
        self.assertEqual(results[1]["subcontent"], [])
        self.assertIsNone(results[1]["error"])
        self.assertIsNone(results[2]["error"])  # a corrupt entry is skipped, as in the C zip-extractor
        self.assertEqual([s["filename"] for s in results[2]["subcontent"]], ["ok.txt"])
        self.assertIn("skipped 'broken.txt'", stderr)

    def test_large_file(self):
        results, stderr = self.run_example("python-large-file-test", [("x", b"")])
        rows = results[0]["rows"]
        self.assertEqual(len(rows), 7)
        self.assertTrue(all(r[2] is True for r in rows), rows)
        self.assertIn("SUCCESS!", stderr)

    def test_raises_does_not_leak(self):
        results, _ = self.run_example("python-raises", [("a", b"one"), ("b", b"boom"), ("c", b"three")])
        self.assertEqual(results[0]["rows"], [["raises_ok", "a", 3]])
        self.assertIn("ValueError: boom", results[1]["error"])
        self.assertEqual(results[1]["rows"], [])
        self.assertEqual(results[2]["rows"], [["raises_ok", "c", 5]])  # the failed content's row is gone

    def test_exit_and_loop_build(self):
        for name, entry in (("python-exit", "python_exit"), ("python-loop", "python_loop")):
            app, got = self.build_example(name)
            self.assertEqual(got, entry)
        results, _ = run_app(app.replace("python-loop", "python-exit"), "python_exit",
                             [("a", b"ok"), ("exit", b"")], self.tmp)
        self.assertEqual(results[0]["rows"], [["exit_ok", "a", 2]])
        self.assertEqual(results[1]["error"], "SystemExit: 2")

    @unittest.skipUnless(_installed("chardet", "humanize", "python-slugify"),
                         "chardet, humanize, python-slugify not installed (apt-get install python3-chardet "
                         "python3-humanize python3-slugify)")
    def test_multi_file(self):
        results, _ = self.run_example("python-multi-file", [("t.txt", b"hello world\nsecond line"),
                                                             ("e", b"")])
        row = results[0]["rows"][0]
        self.assertEqual(row[:6], ["file_analysis", 23, 2, 4, 23, "23 Bytes"])
        self.assertEqual((row[6], row[9]), ("ascii", "ascii"))
        self.assertEqual(results[1]["rows"][0][1:7], [0, 0, 0, 0, "0 Bytes", "empty"])
        self.assertEqual([c for c, _ in results[0]["tables"]["file_analysis"]],
                         ["total_bytes", "line_count", "word_count", "char_count", "human_size", "encoding",
                          "encoding_confidence", "encoding_language", "encoding_slug"])

    @unittest.skipUnless(_installed("pydantic", "typing-extensions") and _major("pydantic") == 1,
                         "pydantic 1.x not installed (apt-get install python3-pydantic; pydantic 2 needs "
                         "its native pydantic_core)")
    def test_pydantic(self):
        results, _ = self.run_example("python-pydantic-test", [("x", b"")])
        rows = results[0]["rows"]
        self.assertEqual([r for r in rows if r[0] == "users"],
                         [["users", "Alice", 30, "alice@example.com"], ["users", "Bob", 25, "bob@example.com"],
                          ["users", "Charlie", 35, "charlie@example.com"]])
        info = {r[1]: r[2] for r in rows if r[0] == "info"}
        import pydantic
        self.assertEqual(info["status"], "success")
        self.assertEqual(info["pydantic_version"], str(pydantic.VERSION))
        self.assertEqual(info["users_validated"], "3")
        self.assertIn("age", info["validation_error"])


if __name__ == "__main__":
    unittest.main()
