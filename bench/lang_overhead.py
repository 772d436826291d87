#!/usr/bin/env python3
"""bench/lang_overhead.py — what wadup spends per content on a trivial
module in each guest language: the byte counter (file_sizes(size_bytes),
one row per content) in C, and in the other languages next to it.

For each module: `wadup run --threads 1` over N small contents (best of
--repeat runs), reporting
  * per content, whole run: wall time / N (instantiation, the module,
    the store; a command module gets a fresh instance per content),
  * per content, in the module: the median of module_runs.duration_ms
    (the entry point only: process(), or _start for a command),
  * overhead: the first column minus the C module's.
Issue goal in brackets: a Go command module's overhead [<= 2 ms].

Modules (a missing one is listed and skipped; add a language with
--module LABEL=PATH[=GOAL_MS]):
  C              build/examples/byte-counter.wasm        (make)
  Rust           build/examples/rust-byte-counter.wasm   (make)
  Go (command)   build/bench/go-byte-counter.wasm        (make bench-bins)
Usage: bench/lang_overhead.py [--contents 1000] [--repeat 3] [--module LABEL=PATH[=GOAL_MS]]...
Compiles the modules on first use (a Go module takes minutes, once per cache).
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WADUP = os.environ.get("WADUP", os.path.join(REPO, "build", "wadup"))

# (label, module path relative to the repository, goal for the overhead in ms or None)
MODULES = [
    ("C", "build/examples/byte-counter.wasm", None),
    ("Rust", "build/examples/rust-byte-counter.wasm", None),
    ("Go (command)", "build/bench/go-byte-counter.wasm", 2.0),
]


def measure(module, inputs, work, repeat):
    """Best wall time per content and the median duration_ms, over `repeat` runs."""
    mods = os.path.join(work, "modules-" + os.path.basename(module))
    os.makedirs(mods, exist_ok=True)
    shutil.copy(module, mods)
    subprocess.run([WADUP, "compile", "-q", mods], check=True, timeout=7200, stdout=subprocess.DEVNULL)
    db = os.path.join(work, "r.db")
    best, medians = None, []
    n = len(os.listdir(inputs))
    for _ in range(repeat):
        t0 = time.monotonic()
        subprocess.run([WADUP, "run", "-q", "--force", "--threads", "1", "--modules", mods, "--input", inputs,
                        "-o", db], check=True)
        wall = (time.monotonic() - t0) * 1000 / n
        best = wall if best is None else min(best, wall)
        con = sqlite3.connect(db)
        rows = con.execute("SELECT status, duration_ms FROM module_runs").fetchall()
        con.close()
        failed = [r for r in rows if r[0] != "success"]
        if failed or len(rows) != n:
            sys.exit("bench: %s: %d of %d runs failed" % (module, len(failed), len(rows)))
        medians.append(statistics.median(r[1] for r in rows))
    return best, min(medians)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--contents", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--module", action="append", default=[], metavar="LABEL=PATH[=GOAL_MS]")
    a = ap.parse_args()
    modules = list(MODULES)
    for spec in a.module:
        parts = spec.split("=")
        if len(parts) not in (2, 3):
            sys.exit("bench: --module wants LABEL=PATH[=GOAL_MS]")
        modules.append((parts[0], parts[1], float(parts[2]) if len(parts) == 3 else None))
    work = tempfile.mkdtemp(prefix="wadup-bench-lang-")
    try:
        inputs = os.path.join(work, "inputs")
        os.makedirs(inputs)
        for i in range(a.contents):
            with open(os.path.join(inputs, "f%05d" % i), "w") as f:
                f.write("content %d\n" % i)
        results = []
        for label, path, goal in modules:
            full = path if os.path.isabs(path) else os.path.join(REPO, path)
            if not os.path.exists(full):
                print("bench: %s: %s not built, skipped" % (label, path), file=sys.stderr)
                continue
            print("bench: %s (%s)..." % (label, path), file=sys.stderr)
            results.append((label, goal) + measure(full, inputs, work, a.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = next((r[2] for r in results if r[0] == "C"), None)
    print("\n%d contents, 1 worker, best of %d runs\n" % (a.contents, a.repeat))
    print("%-16s %14s %14s %12s %10s" % ("module", "whole run/ct", "in module", "overhead", "goal"))
    print("-" * 70)
    for label, goal, wall, med in results:
        over = wall - base if base is not None else None
        verdict = ""
        if goal is not None and over is not None:
            verdict = "<= %g ms %s" % (goal, "PASS" if over <= goal else "FAIL")
        print("%-16s %11.3f ms %11.3f ms %12s %10s" % (label, wall, med,
                                                       "" if over is None else "%+.3f ms" % over, verdict))


if __name__ == "__main__":
    main()
