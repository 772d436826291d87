#!/usr/bin/env python3
"""soak.py — every hostile module together with the good ones, over many
contents, with 2 workers: the run must end in bounded time, the wadup
process's peak RSS must stay below workers x --max-memory + a margin, and
every good module's rows must be there for every content.

    bench/soak.py [--contents 10000] [--timeout 0.01] [--max-memory 64M]
                  [--workers 2] [--wadup build/wadup] [--keep DIR]

Modules: build/examples/*.wasm (byte-counter, simple-test, zip-extractor,
sqlite-parser...) and build/examples/hostile/*.wasm. Inputs: random files
(every one different, so none is skipped as a duplicate) and, one in 50, a
zip of three random members, so extraction runs too. The time-wasting
hostile modules each cost --timeout per content, which is why the default
is 10 ms. Prints a table of its figures; exits 1 if a check fails.
"""
import argparse
import glob
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
GOOD = {"byte-counter": "file_sizes"}   # good module -> a table it fills for every content
RSS_MARGIN = 256 * MIB                   # wadup itself, the store's queue, SQLite's cache
# plus, per worker, what idle instances keep between contents (--max-idle-memory,
# by default --max-memory: docs/module-abi.md)


def parse_size(s):
    units = {"K": 1024, "M": MIB, "G": 1024 * MIB}
    return int(float(s[:-1]) * units[s[-1].upper()]) if s[-1].upper() in units else int(s)


def make_inputs(d, n):
    """n inputs: random bytes of 64..4096 bytes, one in 50 a zip."""
    os.makedirs(d)
    for i in range(n):
        path = os.path.join(d, "c%05d" % i)
        if i % 50 == 49:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                for k in range(3):
                    z.writestr("member%d.bin" % k, os.urandom(100 + k))
            data = buf.getvalue()
        else:
            data = os.urandom(64 + (i * 7919) % 4032)
        with open(path + (".zip" if i % 50 == 49 else ".bin"), "wb") as f:
            f.write(data)


def make_modules(d):
    os.makedirs(d)
    names = []
    for path in sorted(glob.glob(os.path.join(REPO, "build", "examples", "*.wasm")) +
                       glob.glob(os.path.join(REPO, "build", "examples", "hostile", "*.wasm"))):
        name = os.path.basename(path)
        shutil.copy(path, os.path.join(d, name))
        names.append(name[:-5])
    return names


def run(args, env):
    """Run a command: (seconds, peak RSS in bytes, stdout, stderr, process).
    GNU time reports the RSS of a process it forks itself, so this Python
    process's own size never counts."""
    t0 = time.monotonic()
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        p = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name, *args], capture_output=True, env=env)
        kib = rss.read().strip().splitlines()
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    return time.monotonic() - t0, (int(kib[-1]) * 1024 if kib and kib[-1].isdigit() else 0), out, err, p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contents", type=int, default=10000)
    ap.add_argument("--timeout", default="0.01")
    ap.add_argument("--max-memory", default="64M")
    ap.add_argument("--max-output", default="64K", help="stdout/stderr kept per run (huge-stdout writes 1 MiB per content)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--wadup", default=os.path.join(REPO, "build", "wadup"))
    ap.add_argument("--time-limit", type=float, default=3600.0, help="seconds the run may take")
    ap.add_argument("--keep", help="keep inputs, modules and results here")
    a = ap.parse_args()

    work = a.keep or tempfile.mkdtemp(prefix="wadup-soak-")
    if a.keep and os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    inputs, modules, db = os.path.join(work, "input"), os.path.join(work, "modules"), os.path.join(work, "soak.db")
    make_inputs(inputs, a.contents)
    names = make_modules(modules)
    env = dict(os.environ)
    env.setdefault("WADUP_CACHE_DIR", os.path.join(work, "cache"))
    # compile first, so the soak's time is the run's (compile limits of a
    # compile-bomb module, if present, apply here)
    compile_s, _, _, err, p = run([a.wadup, "compile", modules], env)
    wall, rss, out, err, p = run([a.wadup, "run", "-q", "-t", str(a.workers), "--timeout", a.timeout,
                                  "--max-memory", a.max_memory, "--max-output", a.max_output,
                                  "--modules", modules, "--input", inputs,
                                  "-o", db], env)
    failures = []
    if p.returncode != 0:
        failures.append("wadup run exited %d: %s" % (p.returncode, err[-2000:]))
    idle = parse_size(a.max_memory)   # the --max-idle-memory default
    limit = a.workers * parse_size(a.max_memory) + a.workers * idle + RSS_MARGIN
    if rss > limit:
        failures.append("peak RSS %.0f MiB over the bound %.0f MiB" % (rss / MIB, limit / MIB))
    if wall > a.time_limit:
        failures.append("the run took %.0f s, over %.0f s" % (wall, a.time_limit))
    stats = {}
    if os.path.exists(db):
        con = sqlite3.connect(db)
        processed = con.execute("SELECT count(*) FROM contents WHERE status NOT IN ('duplicate', 'skipped')").fetchone()[0]
        stats["contents"] = con.execute("SELECT count(*) FROM contents").fetchone()[0]
        stats["processed"] = processed
        roots = con.execute("SELECT count(*) FROM contents WHERE parent_id IS NULL").fetchone()[0]
        if roots != a.contents:
            failures.append("%d input contents stored, expected %d" % (roots, a.contents))
        for module, table in GOOD.items():
            if module not in names:
                continue
            have = con.execute("SELECT count(DISTINCT _content) FROM \"%s\" WHERE _module = ?" % table,
                               (module,)).fetchone()[0]
            bad = con.execute("SELECT count(*) FROM module_runs WHERE module = ? AND status != 'success'",
                              (module,)).fetchone()[0]
            stats["%s rows" % module] = have
            if have != processed or bad:
                failures.append("%s: rows for %d of %d contents, %d failed runs" % (module, have, processed, bad))
        stats["kinds"] = con.execute("SELECT module, coalesce(error_kind, 'success'), count(*) FROM module_runs "
                                     "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        con.close()
    else:
        failures.append("no results database")

    print("soak: %d inputs, %d modules (%d hostile), %d workers, --timeout %s, --max-memory %s" %
          (a.contents, len(names), len(glob.glob(os.path.join(modules, "*.wasm"))) - len(
              [n for n in names if os.path.exists(os.path.join(REPO, "build", "examples", n + ".wasm"))]),
           a.workers, a.timeout, a.max_memory))
    print("%-34s %s" % ("figure", "value"))
    print("%-34s %.1f s" % ("compile (all modules)", compile_s))
    print("%-34s %.1f s (limit %.0f s)" % ("run wall time", wall, a.time_limit))
    print("%-34s %.0f MiB (bound %.0f MiB = %d x %s + margin %d x %s idle + %d MiB)" %
          ("peak RSS of wadup", rss / MIB, limit / MIB, a.workers, a.max_memory, a.workers, a.max_memory,
           RSS_MARGIN // MIB))
    for k in ("contents", "processed", "byte-counter rows"):
        if k in stats:
            print("%-34s %d" % (k, stats[k]))
    if stats.get("processed") and wall:
        print("%-34s %.0f" % ("contents per second", stats["processed"] / wall))
    print()
    print("%-24s %-24s %s" % ("module", "outcome", "runs"))
    for module, kind, n in stats.get("kinds", []):
        print("%-24s %-24s %d" % (module, kind, n))
    print()
    if failures:
        for f in failures:
            print("FAIL: " + f)
    else:
        print("PASS")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
