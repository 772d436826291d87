"""build_module.py — turn a wadup Python project into the files embedded in a
Python module: app.zip (the project's code, its dependencies and the
``wadup`` package, as bytecode) and entry (the entry module's name).

    PYTHON build_module.py PROJECT_DIR --out-dir DIR [--wadup-package PATH]

``wadup python build`` runs this with the chosen interpreter (``--python``)
and then embeds DIR/app.zip and DIR/entry into a copy of the shared Python
runtime. It must run on CPython 3.11: the .pyc files must match the
runtime's 3.11 bytecode.

The project (PROJECT_DIR/pyproject.toml):

    [project]
    name = "my-module"                    # required
    dependencies = ["chardet", "python-slugify[unidecode]"]

    [tool.wadup]
    entry-point = "my_module"             # default: name with '-' -> '_'
    optional-native = ["markupsafe"]      # distributions whose native
                                          # extensions are optional speed-ups

and the code in one of: src/<entry>/ (package), <entry>/ (package),
src/<entry>.py or <entry>.py (single module).

Dependencies are taken, with their own dependencies, from the environment
of the interpreter running this script (a virtual environment, or Debian's
python3-* packages for /usr/bin/python3); nothing is downloaded. Only pure
Python works: a native extension (.so) is dropped when the same module also
exists as .py, or when its distribution is listed in optional-native, and
is an error otherwise.

Output: every .py compiled (optimization 0, unchecked-hash .pyc, legacy
layout: pkg/mod.pyc where pkg/mod.py was) and stored without its source;
other files of packages are kept as data; each distribution's metadata
directory is kept (without RECORD) so importlib.metadata.version() works.
The zip is deflated with sorted names and fixed timestamps, so the same
inputs give the same bytes. One JSON line on stdout:
{"name", "entry", "distributions", "files", "notes"}; errors go to stderr
with exit status 1.
"""
import sys

if sys.implementation.name != "cpython" or sys.version_info[:2] != (3, 11):
    sys.stderr.write(
        "wadup python build: error: build_module.py must run on CPython 3.11 (the wadup Python runtime's "
        "bytecode version), not %s %s (%s); pass an interpreter with --python, e.g. --python /usr/bin/python3 "
        "on Debian bookworm\n" % (sys.implementation.name, sys.version.split()[0], sys.executable))
    sys.exit(1)

import argparse  # noqa: E402
import ast  # noqa: E402
import csv  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import keyword  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import tomllib  # noqa: E402
import zipfile  # noqa: E402

# The runtime embeds app.zip at this path; compiled code names its source
# file below it, so tracebacks read "/wadup/python/app.zip/pkg/mod.py".
ZIP_PREFIX = "/wadup/python/app.zip/"
PYC_MAGIC_311 = (3495).to_bytes(2, "little") + b"\r\n"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Files never bundled: bytecode (we compile our own), stubs, Cython sources.
SKIP_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".pxi")
NATIVE_RE = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll)$", re.IGNORECASE)
# Metadata files not worth shipping (RECORD's hashes are for the .py files).
META_SKIP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "SOURCES.txt", "installed-files.txt",
             "not-zip-safe", "dependency_links.txt", "zip-safe"}

# PEP 508 environment of the wadup runtime: CPython 3.11 on wasm32-wasi.
TARGET_ENV = {
    "os_name": "posix",
    "sys_platform": "wasi",
    "platform_machine": "wasm32",
    "platform_system": "wasi",
    "platform_release": "0.0.0",
    "platform_version": "0.0.0",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "implementation_version": platform.python_version(),
    "python_version": "3.11",
    "python_full_version": platform.python_version(),
}
_LEGACY_MARKER_NAMES = {
    "os.name": "os_name", "sys.platform": "sys_platform", "platform.version": "platform_version",
    "platform.machine": "platform_machine", "platform.python_implementation": "platform_python_implementation",
    "python_implementation": "platform_python_implementation",
}


class BuildError(Exception):
    pass


def normalize(name):
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- PEP 508 requirements ---------------------------------------------------------

_NAME_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*")


class Requirement:
    def __init__(self, text):
        self.text = text
        body, _, marker = text.partition(";")
        m = _NAME_RE.match(body)
        if not m:
            raise ValueError("not a PEP 508 requirement: %r" % text)
        self.name = m.group(1)
        rest = body[m.end():]
        self.extras = set()
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                raise ValueError("unclosed '[' in requirement %r" % text)
            self.extras = {normalize(e.strip()) for e in rest[1:close].split(",") if e.strip()}
            rest = rest[close + 1:]
        rest = rest.strip()
        self.url = None
        if rest.startswith("@"):
            self.url = rest[1:].strip()
            rest = ""
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1].strip()
        self.specifier = rest
        self.marker = marker.strip() or None
        if self.specifier and not re.fullmatch(r"\s*(===|==|!=|<=|>=|~=|<|>)\s*[^,\s]+\s*"
                                               r"(,\s*(===|==|!=|<=|>=|~=|<|>)\s*[^,\s]+\s*)*", self.specifier):
            raise ValueError("cannot read the version specifier of requirement %r" % text)


_MARKER_TOKEN = re.compile(r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>|\(|\))|"""
                           r"""(?P<word>not\s+in\b|[A-Za-z_][A-Za-z0-9_.]*))""")


class MarkerError(ValueError):
    pass


def _version_key(v):
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", v)
    if not m:
        return None
    return tuple(int(x) for x in m.group(1).split("."))


def _compare_versions(lhs, op, rhs):
    """PEP 440 comparison on release numbers (pre/post/dev tags ignored).
    None when it cannot be decided."""
    if op == "===":
        return lhs.strip() == rhs.strip()
    if op in ("==", "!=") and rhs.strip().endswith(".*"):
        a, b = _version_key(lhs), _version_key(rhs.strip()[:-2])
        if a is None or b is None:
            return None
        eq = a[:len(b)] == b
        return eq if op == "==" else not eq
    a, b = _version_key(lhs), _version_key(rhs)
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    if op == "~=":
        rb = _version_key(rhs)
        if len(rb) < 2:
            return None
        return a >= b and a[:len(rb) - 1] == rb[:-1]
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}.get(op)


def evaluate_marker(marker, extras=frozenset()):
    """Evaluate a PEP 508 marker for the wadup runtime (TARGET_ENV) with the
    given requested extras. Raises MarkerError when it cannot."""
    tokens = []
    pos = 0
    marker = marker.strip()
    while pos < len(marker):
        m = _MARKER_TOKEN.match(marker, pos)
        if not m or m.end() == pos:
            raise MarkerError("cannot parse marker %r" % marker)
        pos = m.end()
        if m.group("str") is not None:
            tokens.append(("str", m.group("str")[1:-1]))
        elif m.group("op") is not None:
            tokens.append(("op", m.group("op")))
        else:
            w = re.sub(r"\s+", " ", m.group("word"))
            tokens.append(("op", w) if w in ("and", "or", "in", "not", "not in") else ("var", w))
        while pos < len(marker) and marker[pos].isspace():
            pos += 1
    i = 0

    def peek():
        return tokens[i] if i < len(tokens) else (None, None)

    def take():
        nonlocal i
        t = peek()
        i += 1
        return t

    def value():
        kind, v = take()
        if kind == "str":
            return ("str", v)
        if kind == "var":
            v = _LEGACY_MARKER_NAMES.get(v, v)
            if v == "extra":
                return ("extra", None)
            if v not in TARGET_ENV:
                raise MarkerError("unknown marker variable %r in %r" % (v, marker))
            return ("env", TARGET_ENV[v], v)
        raise MarkerError("cannot parse marker %r" % marker)

    def atom():
        if peek() == ("op", "("):
            take()
            r = expr()
            if take() != ("op", ")"):
                raise MarkerError("unbalanced parentheses in marker %r" % marker)
            return r
        lhs = value()
        kind, op = take()
        if kind != "op" or op not in ("==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"):
            raise MarkerError("cannot parse marker %r" % marker)
        rhs = value()
        if lhs[0] == "extra" or rhs[0] == "extra":
            other = rhs if lhs[0] == "extra" else lhs
            if other[0] != "str" or op not in ("==", "!="):
                raise MarkerError("unsupported use of 'extra' in marker %r" % marker)
            hit = normalize(other[1]) in extras
            return hit if op == "==" else not hit
        a, b = lhs[1], rhs[1]
        if op == "in":
            return a in b
        if op == "not in":
            return a not in b
        version_var = any(x[0] == "env" and x[2] in ("python_version", "python_full_version",
                                                      "implementation_version", "platform_release")
                          for x in (lhs, rhs))
        if version_var or op in ("<", "<=", ">", ">=", "~="):
            r = _compare_versions(a, op, b)
            if r is not None:
                return r
            if op in ("==", "!="):
                return (a == b) if op == "==" else (a != b)
            raise MarkerError("cannot compare %r %s %r in marker %r" % (a, op, b, marker))
        if op in ("==", "==="):
            return a == b
        if op == "!=":
            return a != b
        raise MarkerError("cannot evaluate marker %r" % marker)

    def conj():
        r = atom()
        while peek() == ("op", "and"):
            take()
            r = atom() and r
        return r

    def expr():
        r = conj()
        while peek() == ("op", "or"):
            take()
            r = conj() or r
        return r

    result = expr()
    if i != len(tokens):
        raise MarkerError("cannot parse marker %r" % marker)
    return result


def specifier_mismatch(spec, version):
    """The first clause of spec that version does not satisfy, or None."""
    for clause in spec.split(","):
        m = re.fullmatch(r"\s*(===|==|!=|<=|>=|~=|<|>)\s*(\S+)\s*", clause)
        if m and _compare_versions(version, m.group(1), m.group(2)) is False:
            return clause.strip()
    return None


# ---- the project ---------------------------------------------------------------------

def load_project(project_dir):
    path = os.path.join(project_dir, "pyproject.toml")
    if not os.path.isdir(project_dir):
        raise BuildError("project directory %s does not exist" % project_dir)
    if not os.path.isfile(path):
        raise BuildError("%s not found: a wadup Python project needs a pyproject.toml with a [project] table"
                         % path)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BuildError("%s: invalid TOML: %s" % (path, e))
    project = data.get("project")
    if not isinstance(project, dict):
        raise BuildError("%s has no [project] table (it needs at least: [project] name = \"...\")" % path)
    name = project.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BuildError("%s: [project] name is missing or not a string" % path)
    deps = project.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise BuildError("%s: [project] dependencies must be a list of strings (PEP 508 requirements)" % path)
    tool = data.get("tool", {}).get("wadup", {})
    if not isinstance(tool, dict):
        raise BuildError("%s: [tool.wadup] must be a table" % path)
    entry = tool.get("entry-point", name.replace("-", "_"))
    if not isinstance(entry, str) or not entry.isidentifier() or keyword.iskeyword(entry) or not entry.isascii():
        raise BuildError("%s: entry point %r is not a valid module name; set [tool.wadup] entry-point = "
                         "\"module_name\" (a Python identifier)" % (path, entry))
    if entry == "wadup":
        raise BuildError("%s: the entry module cannot be called 'wadup' (that is the wadup package)" % path)
    optional = tool.get("optional-native", [])
    if not isinstance(optional, list) or not all(isinstance(d, str) for d in optional):
        raise BuildError("%s: [tool.wadup] optional-native must be a list of distribution names" % path)
    unknown = sorted(set(tool) - {"entry-point", "optional-native"})
    return {"name": name, "entry": entry, "dependencies": deps, "unknown_tool_keys": unknown,
            "optional_native": {normalize(d) for d in optional}}


def find_entry(project_dir, entry):
    """(kind, path) of the entry module: ('package', dir) or ('module', file)."""
    candidates = [("package", os.path.join(project_dir, "src", entry)),
                  ("package", os.path.join(project_dir, entry)),
                  ("module", os.path.join(project_dir, "src", entry + ".py")),
                  ("module", os.path.join(project_dir, entry + ".py"))]
    found, no_init = [], []
    for kind, p in candidates:
        if kind == "package" and os.path.isdir(p):
            if os.path.isfile(os.path.join(p, "__init__.py")):
                found.append((kind, p))
            else:
                no_init.append(p)
        elif kind == "module" and os.path.isfile(p):
            found.append((kind, p))
    if not found and no_init:
        raise BuildError("%s is a directory without __init__.py: the entry package needs one" % no_init[0])
    if not found:
        rel = ["src/%s/__init__.py" % entry, "%s/__init__.py" % entry, "src/%s.py" % entry, "%s.py" % entry]
        raise BuildError("entry module %r not found in %s: expected one of %s (set [tool.wadup] entry-point "
                         "if the module has another name)" % (entry, project_dir, ", ".join(rel)))
    if len(found) > 1:
        raise BuildError("entry module %r is ambiguous: both %s and %s exist"
                         % (entry, found[0][1], found[1][1]))
    return found[0]


def walk_files(top):
    """Every file below top (following symbolic links once), as paths relative
    to top with '/' separators; __pycache__ and hidden names skipped."""
    out = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith(".")
                             and not d.endswith((".egg-info", ".dist-info")))
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), top)
            out.append(rel.replace(os.sep, "/"))
    return out


def _defines_main(tree):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main":
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "main" for t in node.targets):
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name) == "main" for a in node.names):
                return True
        if isinstance(node, (ast.If, ast.Try)):
            sub = ast.Module(body=list(getattr(node, "body", [])) + list(getattr(node, "orelse", [])),
                             type_ignores=[])
            if _defines_main(sub):
                return True
    return False


# ---- the bundle --------------------------------------------------------------------------

class Bundle:
    """Files for app.zip: arcname -> (source path on disk, origin)."""

    def __init__(self):
        self.files = {}
        self.notes = []

    def add(self, arcname, path, origin):
        prev = self.files.get(arcname)
        if prev is not None and prev[0] != path:
            if _read(prev[0]) == _read(path):
                return
            raise BuildError("%s would be provided by both %s (%s) and %s (%s)"
                             % (arcname, prev[1], prev[0], origin, path))
        self.files[arcname] = (path, origin)

    def top_levels(self, origin):
        return {a.split("/", 1)[0].split(".", 1)[0] for a, (_, o) in self.files.items() if o == origin}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def select_files(rel_paths, origin, label, optional_native=False):
    """Split a distribution's or project's files into kept ones and native
    extensions: returns (kept, dropped) relative paths. A native extension
    whose module also exists as .py is dropped (noted); otherwise it is an
    error, unless optional_native (the package is declared to work without
    its native parts)."""
    keep, native = [], []
    py = {p for p in rel_paths if p.endswith(".py")}
    for p in rel_paths:
        base = p.rsplit("/", 1)[-1]
        if base.endswith(SKIP_SUFFIXES) or "/__pycache__/" in "/" + p:
            continue
        if NATIVE_RE.search(base):
            native.append(p)
        else:
            keep.append(p)
    dropped = []
    for p in native:
        d, _, base = p.rpartition("/")
        twin = (d + "/" if d else "") + base.split(".", 1)[0] + ".py"
        if twin in py or optional_native:
            dropped.append(p)
        elif origin == "project":
            raise BuildError("%s needs native extension file '%s' which the wadup Python runtime does not "
                             "provide (only pure-Python code can be bundled)" % (label, p))
        else:
            name = label.split("'")[1]
            raise BuildError("%s needs native extension file '%s' which the wadup Python runtime does not "
                             "provide (only pure-Python code can be bundled; if '%s' works without it, as an "
                             "optional speed-up, list it in [tool.wadup] optional-native = [\"%s\"])"
                             % (label, p, name, name))
    return keep, dropped


def project_files(project_dir, entry, bundle):
    kind, path = find_entry(project_dir, entry)
    label = "the project"
    if kind == "module":
        rels, base = [entry + ".py"], os.path.dirname(path)
        native = [f for f in os.listdir(base) if f.startswith(entry + ".") and NATIVE_RE.search(f)]
        if native:
            raise BuildError("%s needs native extension file '%s' which the wadup Python runtime does not "
                             "provide" % (label, native[0]))
        layout = "src/%s.py" % entry if os.path.basename(base) == "src" else "%s.py" % entry
    else:
        base = os.path.dirname(path)
        rels = [entry + "/" + r for r in walk_files(path)]
        layout = "src/%s/" % entry if os.path.basename(base) == "src" else "%s/" % entry
        keep, dropped = select_files(rels, "project", label)
        for p in dropped:
            bundle.notes.append("the project: dropped native file %s (its .py is bundled)" % p)
        rels = keep
    for r in rels:
        bundle.add(r, os.path.join(base, *r.split("/")), "project")
    entry_file = path if kind == "module" else os.path.join(path, "__init__.py")
    try:
        tree = ast.parse(_read(entry_file), entry_file)
        if not _defines_main(tree):
            bundle.notes.append("%s defines no main() at top level (checked statically): wadup calls "
                                "%s.main() for every content" % (layout + ("" if kind == "module" else "__init__.py"),
                                                                  entry))
    except SyntaxError:
        pass  # reported by the compile step
    if entry in sys.stdlib_module_names:
        bundle.notes.append("entry module %r has the name of a standard library module, which it hides" % entry)
    return layout


def wadup_files(pkg_dir, bundle):
    if not os.path.isfile(os.path.join(pkg_dir, "__init__.py")):
        raise BuildError("--wadup-package %s is not the wadup package (no __init__.py); it is "
                         "guest/python/wadup in the wadup source tree" % pkg_dir)
    for r in walk_files(pkg_dir):
        if not r.endswith(SKIP_SUFFIXES):
            bundle.add("wadup/" + r, os.path.join(pkg_dir, *r.split("/")), "wadup")


# ---- dependencies ----------------------------------------------------------------------------

def install_hint(name):
    deb = "python3-" + normalize(name).replace("python-", "")
    return ("install it into the interpreter used for the build: in a virtual environment "
            "(python3.11 -m venv .venv && .venv/bin/pip install '%s', then build with --python .venv/bin/python), "
            "or on Debian with its python3-* package, usually 'apt-get install %s' (then build with "
            "--python /usr/bin/python3)" % (name, deb))


def find_distribution(name):
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    want = normalize(name)
    for d in importlib.metadata.distributions():
        n = d.metadata["Name"]
        if n and normalize(n) == want:
            return d
    return None


def _meta_dir(dist):
    p = getattr(dist, "_path", None)
    return os.fspath(p) if p is not None else None


def distribution_files(dist, label):
    """(base directory, relative paths of importable files) of a distribution."""
    base = os.path.normpath(os.fspath(dist.locate_file("")))
    meta = _meta_dir(dist)
    rels = None
    record = dist.read_text("RECORD")
    listing_root = base
    if record is None and meta and os.path.isdir(meta):
        installed = dist.read_text("installed-files.txt")
        if installed is not None:
            record = "\n".join(installed.splitlines())
            listing_root = meta
    if record is not None:
        rels = []
        rows = csv.reader(io.StringIO(record)) if listing_root == base else ([l] for l in record.splitlines())
        for row in rows:
            if not row or not row[0].strip():
                continue
            full = os.path.normpath(os.path.join(listing_root, row[0].strip()))
            rel = os.path.relpath(full, base)
            if rel.startswith("..") or os.path.isabs(rel):
                continue  # scripts, headers, data outside the import root
            if meta and os.path.normpath(full).startswith(os.path.normpath(meta) + os.sep):
                continue
            rel = rel.replace(os.sep, "/")
            top = rel.split("/", 1)[0]
            if top.endswith((".dist-info", ".egg-info", ".data")) or (("/" not in rel) and rel.endswith(".pth")):
                continue
            if os.path.isfile(full):
                rels.append(rel)
    if not rels:
        names = (dist.read_text("top_level.txt") or "").split()
        if not names:
            names = [normalize(dist.metadata["Name"] or "").replace("-", "_")]
        rels = []
        for top in names:
            top = top.strip().replace("\\", "/")
            if not top:
                continue
            p = os.path.join(base, *top.split("/"))
            if os.path.isdir(p):
                rels += [top + "/" + r for r in walk_files(p)]
                continue
            parent = os.path.dirname(p) if "/" in top else base
            leaf = top.rsplit("/", 1)[-1]
            prefix = (top.rsplit("/", 1)[0] + "/") if "/" in top else ""
            hits = sorted(f for f in (os.listdir(parent) if os.path.isdir(parent) else [])
                          if f == leaf + ".py" or (f.startswith(leaf + ".") and NATIVE_RE.search(f)))
            rels += [prefix + f for f in hits]
    rels = sorted(set(rels))
    if not any(r.endswith(".py") or NATIVE_RE.search(r) for r in rels):
        raise BuildError("%s has no importable Python files under %s (an editable install? install it "
                         "normally)" % (label, base))
    return base, rels


def metadata_files(dist):
    """(arcname, path) of the distribution's metadata files worth shipping."""
    meta = _meta_dir(dist)
    if not meta:
        return []
    base = os.path.normpath(os.fspath(dist.locate_file("")))
    if os.path.dirname(os.path.normpath(meta)) != base:
        return []
    name = os.path.basename(os.path.normpath(meta))
    if os.path.isfile(meta):
        return [(name, meta)]
    out = []
    for r in walk_files(meta):
        if r.rsplit("/", 1)[-1] not in META_SKIP:
            out.append((name + "/" + r, os.path.join(meta, *r.split("/"))))
    return out


def resolve_dependencies(requirements, bundle, optional_native=frozenset()):
    """Add every dependency (transitively) to the bundle; returns
    ['name==version', ...] in resolution order."""
    # (requirement text, who requires it, extras of the requirer for its marker)
    queue = [(r, "the project", frozenset()) for r in requirements]
    resolved = {}   # normalized name -> (dist, set of extras already handled)
    order = []
    while queue:
        text, parent, parent_extras = queue.pop(0)
        try:
            req = Requirement(text)
        except ValueError as e:
            raise BuildError("%s: %s" % (parent, e))
        if req.marker:
            try:
                active = evaluate_marker(req.marker, parent_extras)
            except MarkerError as e:
                active = find_distribution(req.name) is not None
                bundle.notes.append("%s: %s; %s '%s'" % (parent, e, "bundling the installed" if active
                                                          else "skipping the not installed", req.name))
            if not active:
                if parent == "the project":
                    bundle.notes.append("the project: skipped '%s' (its marker is false for the wadup runtime)"
                                        % text)
                continue
        key = normalize(req.name)
        if req.url:
            bundle.notes.append("%s: '%s' is a direct URL requirement; using the installed distribution"
                                % (parent, text))
        entry = resolved.get(key)
        dist = entry[0] if entry else find_distribution(req.name)
        if dist is None:
            who = "dependency" if parent == "the project" else "dependency of %s," % parent
            raise BuildError("%s '%s' is not installed for %s (Python %s); %s"
                             % (who, req.name, sys.executable, platform.python_version(), install_hint(req.name)))
        label = "%s==%s" % (dist.metadata["Name"] or req.name, dist.version)
        if req.specifier:
            bad = specifier_mismatch(req.specifier, dist.version)
            if bad:
                bundle.notes.append("%s wants '%s' but %s is installed (version specifiers are not enforced)"
                                    % (parent, text, label))
        first = entry is None
        if first:
            entry = resolved[key] = (dist, set())
            order.append(label)
            optional = normalize(dist.metadata["Name"] or req.name) in optional_native
            _add_distribution(dist, label, bundle, optional)
        old_extras = frozenset(entry[1])
        new_extras = req.extras - old_extras
        if not first and not new_extras:
            continue
        provided = {normalize(e) for e in (dist.metadata.get_all("Provides-Extra") or [])}
        provided |= {normalize(e) for r in dist.requires or []
                     for e in re.findall(r"extra\s*==\s*['\"]([^'\"]+)['\"]", r)}
        for e in sorted(new_extras - provided):
            bundle.notes.append("%s: %s has no extra '%s'" % (parent, label, e))
        entry[1].update(req.extras)
        all_extras = frozenset(entry[1])
        for r in dist.requires or []:
            # the first time: the base requirements and what the extras turn on;
            # later: only what the new extras turn on
            try:
                rq = Requirement(r)
            except ValueError as e:
                raise BuildError("%s: %s" % (label, e))
            if rq.marker and "extra" in rq.marker:
                try:
                    now = evaluate_marker(rq.marker, all_extras)
                    before = False if first else evaluate_marker(rq.marker, old_extras)
                except MarkerError:
                    now, before = True, not first
                if now and not before:
                    queue.append((r, label, all_extras))
            elif first:
                queue.append((r, label, all_extras))
    return order


def _add_distribution(dist, label, bundle, optional_native=False):
    base, rels = distribution_files(dist, "dependency '%s'" % label.split("==")[0])
    keep, dropped = select_files(rels, label, "dependency '%s'" % label.split("==")[0], optional_native)
    for r in keep:
        if r.split("/", 1)[0].split(".", 1)[0] == "wadup":
            raise BuildError("dependency %s provides a module named 'wadup', which would hide the wadup package"
                             % label)
        bundle.add(r, os.path.join(base, *r.split("/")), label)
    if dropped:
        how = "listed in optional-native" if optional_native else \
            ("that has a pure-Python copy" if len(dropped) == 1 else "that have a pure-Python copy")
        bundle.notes.append("%s: dropped %d native extension file%s %s (e.g. %s)"
                            % (label, len(dropped), "" if len(dropped) == 1 else "s", how, dropped[0]))
    for arc, path in metadata_files(dist):
        bundle.add(arc, path, label)


# ---- compile and zip ---------------------------------------------------------------------

def compile_pyc(source, dfile):
    """What py_compile.compile(..., optimize=0, invalidation_mode=UNCHECKED_HASH)
    writes, without touching the disk."""
    code = compile(source, dfile, "exec", dont_inherit=True, optimize=0)
    return (importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + importlib.util.source_hash(source)
            + marshal.dumps(code))


def build_zip(bundle, out_path):
    entries = {}
    for arc in sorted(bundle.files):
        path, origin = bundle.files[arc]
        data = _read(path)
        if arc.endswith(".py"):
            try:
                entries[arc[:-3] + ".pyc"] = compile_pyc(data, ZIP_PREFIX + arc)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
                where = "%s:%s" % (arc, getattr(e, "lineno", "?"))
                if origin in ("project", "wadup"):
                    raise BuildError("cannot compile %s: %s" % (where, e))
                bundle.notes.append("%s: skipped %s, which does not compile on Python 3.11 (%s)"
                                    % (origin, where, getattr(e, "msg", e)))
        else:
            entries[arc] = data
    dirs = set()
    for arc in entries:
        parts = arc.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]) + "/")
    tmp = out_path + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(set(entries) | dirs):
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.create_system = 3
            if name.endswith("/"):
                zi.external_attr = (0o40755 << 16) | 0x10
                zf.writestr(zi, b"")
            else:
                zi.external_attr = 0o644 << 16
                zi.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(zi, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    os.replace(tmp, out_path)
    return len(entries)


def _write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def build(project_dir, out_dir, wadup_package):
    if importlib.util.MAGIC_NUMBER != PYC_MAGIC_311:
        raise BuildError("this interpreter writes bytecode with magic %r, not CPython 3.11's"
                         % importlib.util.MAGIC_NUMBER)
    project = load_project(project_dir)
    bundle = Bundle()
    if project["unknown_tool_keys"]:
        bundle.notes.append("ignored unknown [tool.wadup] keys: %s" % ", ".join(project["unknown_tool_keys"]))
    project_files(project_dir, project["entry"], bundle)
    wadup_files(wadup_package, bundle)
    dists = resolve_dependencies(project["dependencies"], bundle, project["optional_native"])
    unused = project["optional_native"] - {normalize(d.split("==")[0]) for d in dists}
    if unused:
        bundle.notes.append("optional-native names distributions that are not bundled: %s"
                            % ", ".join(sorted(unused)))
    for label in dists:
        tops = bundle.top_levels(label)
        if project["entry"] in tops:
            raise BuildError("dependency %s provides a module named %r, the same name as the entry module"
                             % (label, project["entry"]))
        for name in sorted(tops & set(sys.stdlib_module_names)):
            bundle.notes.append("%s provides module '%s', which hides the standard library's (app.zip comes "
                                "first on sys.path)" % (label, name))
    os.makedirs(out_dir, exist_ok=True)
    nfiles = build_zip(bundle, os.path.join(out_dir, "app.zip"))
    _write_atomic(os.path.join(out_dir, "entry"), project["entry"].encode("ascii"))
    return {"name": project["name"], "entry": project["entry"], "distributions": dists, "files": nfiles,
            "notes": bundle.notes}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="build_module.py",
                                 description="Build app.zip and entry for a wadup Python module.")
    ap.add_argument("project_dir", help="directory holding pyproject.toml")
    ap.add_argument("--out-dir", required=True, help="where app.zip and entry are written")
    ap.add_argument("--wadup-package", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "wadup"),
                    help="the wadup package directory (default: the one next to this script)")
    args = ap.parse_args(argv)
    try:
        result = build(os.path.abspath(args.project_dir), os.path.abspath(args.out_dir),
                       os.path.abspath(args.wadup_package))
    except BuildError as e:
        sys.stderr.write("wadup python build: error: %s\n" % e)
        return 1
    except OSError as e:
        sys.stderr.write("wadup python build: error: %s\n" % e)
        return 1
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
