#!/usr/bin/env python3
"""bench/python.py — Python module speed (issue goals in brackets):
  * `wadup python build` of a small project           [< 3 s]
  * first process(): interpreter start + first main() [<= 20 ms]
  * per-content overhead of a trivial main()          [<= 0.3 ms]
Prints a table with the measured values. Needs the Python runtime
(`make python`) and compiles it on first use (minutes, once per cache).
Usage: bench/python.py [--python /usr/bin/python3] [--contents 2000]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WADUP = os.path.join(REPO, "build", "wadup")


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--contents", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="wadup-bench-python-")
    mods = os.path.join(work, "modules")
    os.makedirs(mods)
    wasm = os.path.join(mods, "python-trivial.wasm")
    builds = []
    for _ in range(a.repeat):
        t0 = time.monotonic()
        run(WADUP, "python", "build", os.path.join(REPO, "bench", "python-trivial"), "-o", wasm, "--python",
            a.python, "-q")
        builds.append(time.monotonic() - t0)
    print("bench: compiling the Python runtime if it is not cached yet (minutes)...", file=sys.stderr)
    run(WADUP, "compile", "-q", wasm, timeout=3600)
    sample = os.path.join(work, "sample.txt")
    with open(sample, "w") as f:
        f.write("hello\n")
    starts = []
    for _ in range(a.repeat + 2):
        out = subprocess.run([WADUP, "test", "-q", "-m", wasm, "-s", sample], capture_output=True, text=True)
        d = json.loads(out.stdout)
        if not d["success"]:
            sys.exit("bench: the trivial module failed: %s" % d["error"])
        starts.append(d["duration_ms"])
    inputs = os.path.join(work, "inputs")
    os.makedirs(inputs)
    for i in range(a.contents):
        with open(os.path.join(inputs, "f%05d" % i), "w") as f:
            f.write("content %d\n" % i)
    db = os.path.join(work, "r.db")
    t0 = time.monotonic()
    run(WADUP, "run", "-q", "--force", "--threads", "1", "--modules", mods, "--input", inputs, "-o", db)
    wall = time.monotonic() - t0
    con = sqlite3.connect(db)
    durations = [r[0] for r in con.execute("SELECT duration_ms FROM module_runs ORDER BY content_id")]
    con.close()
    steady = durations[1:]
    per_call = statistics.median(steady)
    rows = [
        ("wadup python build (small project)", "%.2f s" % min(builds), "< 3 s", min(builds) < 3),
        ("first process(): start + main()", "%.1f ms" % min(starts), "<= 20 ms", min(starts) <= 20),
        ("per-content, trivial main() (median in process())", "%.3f ms" % per_call, "<= 0.3 ms", per_call <= 0.3),
        ("per-content, whole run / contents (1 worker)", "%.3f ms" % (wall * 1000 / a.contents), "", None),
    ]
    print("\n%-52s %12s %10s %6s" % ("measurement", "value", "goal", ""))
    print("-" * 84)
    for name, value, goal, ok in rows:
        print("%-52s %12s %10s %6s" % (name, value, goal, "" if ok is None else ("PASS" if ok else "FAIL")))
    print("\n(first call of %d contents: %.1f ms; best of %d builds and starts)" % (len(durations), durations[0],
                                                                                    a.repeat))


if __name__ == "__main__":
    main()
