#!/usr/bin/env python3
"""bench/batch.py — speed and memory of `wadup run` (issue goals in brackets).

Measures, in one run on this machine:
  * 100,000 files of 1 KiB with byte-counter: contents/s and per-content
    overhead next to a native baseline doing the same work (stat + SQLite
    insert, bench/native_baseline.c)          [>= 20,000 contents/s]
  * peak RSS of that run                      [< 200 MiB]
  * thread scaling 1 -> 2 workers, with byte-counter (tiny per-content work,
    so the single writer thread and the enumeration weigh in) and with the
    CRC-32 module on 64 KiB files (real per-content work)   [>= 1.8x]
  * the SQLite sink alone (bench/sink_bench.c) [>= 500,000 rows/s]
Prints a table with the measured values and ratios. Usage:
  bench/batch.py [--files N] [--keep]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WADUP = os.path.join(REPO, "build", "wadup")


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def make_tree(root, n, size):
    """n files of `size` deterministic pseudo-random bytes in 100 directories."""
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        return
    state = 0x12345678
    for i in range(n):
        d = os.path.join(root, "d%03d" % (i % 100))
        os.makedirs(d, exist_ok=True)
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        head = state.to_bytes(8, "little") + i.to_bytes(8, "little")
        with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
            f.write((head * (size // 16 + 1))[:size])
    open(stamp, "w").close()


def timed_run(args):
    """Run a command; return (wall seconds, peak RSS in MiB) of that child."""
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, rusage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench: %s failed:\n%s" % (" ".join(args), err))
    return wall, rusage.ru_maxrss / 1024.0


def wadup_run(modules, inputs, db, threads):
    return timed_run([WADUP, "run", "-q", "--force", "--modules", modules, "--input", inputs, "-o", db,
                      "--threads", str(threads)])


def best(fn, repeat):
    runs = [fn() for _ in range(repeat)]
    return min(runs, key=lambda r: r[0]), max(r[1] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    sh("make", "-C", REPO, "-s", "build/wadup", "examples", "bench-bins")
    work = os.path.join(tempfile.gettempdir(), "wadup-bench-batch")
    small = os.path.join(work, "small-%d" % a.files)
    medium = os.path.join(work, "medium")
    mods_bc = os.path.join(work, "mods-byte-counter")
    mods_crc = os.path.join(work, "mods-crc32")
    for d in (mods_bc, mods_crc):
        os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(REPO, "build/examples/byte-counter.wasm"), mods_bc)
    sh("bash", "-c", "cd %s && ./bench/cpu_bound.sh --size-mib 1 --repeat 1 --runners native >/dev/null 2>&1 || true" % REPO)
    crc = os.path.join(REPO, "build/bench/crc32.wasm")
    if not os.path.exists(crc):
        sys.exit("bench: build/bench/crc32.wasm missing (bench/cpu_bound.sh builds it)")
    shutil.copy(crc, mods_crc)
    print("bench: preparing %d files of 1 KiB and 2,000 files of 64 KiB in %s" % (a.files, work), file=sys.stderr)
    make_tree(small, a.files, 1024)
    make_tree(medium, 2000, 65536)
    sh(WADUP, "compile", "-q", mods_bc, mods_crc, stdout=subprocess.DEVNULL)
    db = os.path.join(work, "bench.db")

    # Native baseline and wadup on the same files, same run.
    native = min(float(subprocess.run([os.path.join(REPO, "build/bench/native_baseline"), small, db + ".native"],
                                      check=True, capture_output=True, text=True).stdout.split()[1])
                 for _ in range(a.repeat))
    (w1, rss1), _ = best(lambda: wadup_run(mods_bc, small, db, 1), a.repeat)
    (w2, rss2), peak = best(lambda: wadup_run(mods_bc, small, db, 2), a.repeat)
    (c1, _), _ = best(lambda: wadup_run(mods_crc, medium, db, 1), a.repeat)
    (c2, _), _ = best(lambda: wadup_run(mods_crc, medium, db, 2), a.repeat)
    sink = subprocess.run([os.path.join(REPO, "build/bench/sink_bench"), db + ".sink", "20000", "50"],
                          check=True, capture_output=True, text=True).stdout.split()
    sink_rows, sink_s = int(sink[0]), float(sink[1])

    n = a.files
    rate = n / w2
    rows = [
        ("native baseline (stat + insert)", "%.3f s" % native, "%.0f files/s" % (n / native), "", ""),
        ("wadup run, byte-counter, 1 worker", "%.3f s" % w1, "%.0f contents/s" % (n / w1), "", ""),
        ("wadup run, byte-counter, 2 workers", "%.3f s" % w2, "%.0f contents/s" % rate, ">= 20000/s",
         "PASS" if rate >= 20000 else "FAIL"),
        ("per-content overhead vs native", "", "%.1f us" % ((w2 - native) / n * 1e6), "", ""),
        ("  wadup / native time", "", "%.1fx" % (w2 / native), "", ""),
        ("peak RSS, %d-file run" % n, "", "%.1f MiB" % peak, "< 200 MiB", "PASS" if peak < 200 else "FAIL"),
        ("scaling 1->2, byte-counter", "", "%.2fx" % (w1 / w2), ">= 1.8x", "PASS" if w1 / w2 >= 1.8 else "FAIL"),
        ("scaling 1->2, crc32 on 2000 x 64 KiB", "%.3f / %.3f s" % (c1, c2), "%.2fx" % (c1 / c2), ">= 1.8x",
         "PASS" if c1 / c2 >= 1.8 else "FAIL"),
        ("SQLite sink alone", "%.3f s" % sink_s, "%.0f rows/s" % (sink_rows / sink_s), ">= 500000/s",
         "PASS" if sink_rows / sink_s >= 500000 else "FAIL"),
    ]
    print("\n%-40s %16s %20s %12s %6s" % ("measurement", "time", "value", "goal", ""))
    print("-" * 100)
    for r in rows:
        print("%-40s %16s %20s %12s %6s" % r)
    print("\n(%d cores; best of %d; 1-worker RSS %.1f MiB, 2-worker RSS %.1f MiB)" % (os.cpu_count(), a.repeat, rss1, rss2))
    if not a.keep:
        for f in (db, db + ".native", db + ".sink"):
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f + suffix):
                    os.remove(f + suffix)


if __name__ == "__main__":
    main()
