#!/usr/bin/env python3
"""cpu_bound.py — CPU-bound benchmark: CRC-32 (slicing-by-8) over 64 MiB,
run natively, inside wadup and under Node.js, from the same C source.

Builds build/bench/crc32.wasm (clang-19, wasm32-wasi reactor, -O2) and
build/bench/crc32_native (gcc -O2) from bench/crc32/, makes deterministic
pseudo-random content in a temporary directory, then times each runner
--repeat times and keeps the best:

  native  bench/crc32/native_main.c: time of open + reads + CRC (its stderr)
  wadup   `build/wadup test -m crc32.wasm -s data.bin --timeout 600`:
          "duration_ms" = time inside process() (after one untimed
          `build/wadup compile crc32.wasm` to warm the AOT cache)
  node    bench/crc32/run_node.mjs: time inside process() under node:wasi

All runners must print the same checksum, which must also equal Python's
zlib.crc32 of the content. Prints a table (runner | best ms | ratio to
native | best wall ms) and a verdict for the goal "wadup within 1.2x of
native and well ahead of Node" ("well ahead" = Node at least --node-margin
times slower than wadup, 1.25 by default).

Exit status: 0 goal met, 1 goal missed, 2 error (build failure, checksum
mismatch, a runner failing, build/wadup missing). With --runners lacking
wadup the verdict is skipped and the status is 0 if everything ran.
"""
import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "bench", "crc32")
OUT = os.path.join(ROOT, "build", "bench")
SYSROOT = os.path.join(ROOT, "build", "wasi-sysroot")
CHECKSUM_RE = re.compile(r"crc32 ([0-9a-f]{8})")
RUN_TIMEOUT = 900  # seconds, per run


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Run cmd, returning (CompletedProcess, wall ms)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, **kw)
    except FileNotFoundError as e:
        raise BenchError(f"cannot run {cmd[0]}: {e}") from e
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{' '.join(cmd)}: timed out after {RUN_TIMEOUT} s") from e
    return p, (time.perf_counter() - t0) * 1e3


def check_ok(p, what):
    if p.returncode != 0:
        raise BenchError(f"{what} failed (exit {p.returncode}):\n{p.stdout}{p.stderr}")


def ensure_sysroot():
    """Create build/wasi-sysroot the way the Makefile does, if missing."""
    stamp = os.path.join(SYSROOT, ".stamp")
    if os.path.exists(stamp):
        return
    for sub in ("include", "lib"):
        os.makedirs(os.path.join(SYSROOT, sub), exist_ok=True)
        link = os.path.join(SYSROOT, sub, "wasm32-wasi")
        if not os.path.islink(link):
            os.symlink(f"/usr/{sub}/wasm32-wasi", link)
    open(stamp, "a").close()


def build():
    ensure_sysroot()
    os.makedirs(OUT, exist_ok=True)
    wasm = os.path.join(OUT, "crc32.wasm")
    native = os.path.join(OUT, "crc32_native")
    p, _ = run(["clang-19", "--target=wasm32-wasi", f"--sysroot={SYSROOT}", "-O2",
                "-Wall", "-Wextra", "-Werror", "-mexec-model=reactor",
                "-o", wasm, os.path.join(SRC, "module.c")])
    check_ok(p, "building crc32.wasm")
    p, _ = run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", native,
                os.path.join(SRC, "module.c"), os.path.join(SRC, "native_main.c")])
    check_ok(p, "building crc32_native")
    return wasm, native


def make_content(directory, size, seed):
    data = random.Random(seed).randbytes(size)
    path = os.path.join(directory, "data.bin")
    with open(path, "wb") as f:
        f.write(data)
    return path, "%08x" % zlib.crc32(data)


def checksum_of(text, what):
    m = CHECKSUM_RE.search(text)
    if not m:
        raise BenchError(f"{what}: no 'crc32 xxxxxxxx' line in output: {text[:300]!r}")
    return m.group(1)


def run_native(native, data):
    p, wall = run([native, data])
    check_ok(p, "native run")
    m = re.search(r"native_ms ([0-9.]+)", p.stderr)
    if not m:
        raise BenchError(f"native run: no native_ms in stderr: {p.stderr!r}")
    return float(m.group(1)), wall, checksum_of(p.stdout, "native")


def parse_json_output(text, what):
    text = text.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):  # tolerate log lines before the object
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    raise BenchError(f"{what}: stdout is not a JSON object: {text[:500]!r}")


def run_wadup(wadup, wasm, data):
    p, wall = run([wadup, "test", "-m", wasm, "-s", data, "--timeout", "600"])
    res = parse_json_output(p.stdout, "wadup test")
    if res.get("success") is not True:
        raise BenchError(f"wadup test: module did not succeed (exit {p.returncode}): "
                         f"{json.dumps(res)[:800]}\n{p.stderr[-2000:]}")
    if "duration_ms" not in res:
        raise BenchError(f"wadup test: no duration_ms in {json.dumps(res)[:800]}")
    out = res.get("stdout", "")
    if not isinstance(out, str):
        out = json.dumps(out)
    return float(res["duration_ms"]), wall, checksum_of(out, "wadup")


def run_node(wasm, directory):
    p, wall = run(["node", os.path.join(SRC, "run_node.mjs"), wasm, directory])
    check_ok(p, "node run")
    res = parse_json_output(p.stdout, "node run")
    return float(res["process_ms"]), wall, checksum_of(res.get("stdout", ""), "node")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=64, help="content size (default 64)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per runner, best kept (default 3)")
    ap.add_argument("--seed", type=int, default=20240601, help="content PRNG seed")
    ap.add_argument("--wadup", default=os.path.join(ROOT, "build", "wadup"), help="wadup binary")
    ap.add_argument("--runners", default="native,wadup,node",
                    help="comma-separated subset of native,wadup,node (native is always run)")
    ap.add_argument("--goal-ratio", type=float, default=1.2, help="max wadup/native ratio (1.2)")
    ap.add_argument("--node-margin", type=float, default=1.25,
                    help="min node/wadup ratio counted as 'well ahead of Node' (1.25)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary content directory")
    args = ap.parse_args()

    runners = [r for r in args.runners.split(",") if r]
    for r in runners:
        if r not in ("native", "wadup", "node"):
            ap.error(f"unknown runner {r!r}")
    if "native" not in runners:
        runners.insert(0, "native")

    errors = []
    wadup = os.path.abspath(args.wadup)
    if "wadup" in runners and not (os.path.isfile(wadup) and os.access(wadup, os.X_OK)):
        errors.append(f"wadup: {wadup} not found or not executable — build the CLI first "
                      f"(make {os.path.relpath(wadup, ROOT)}) or pass --wadup PATH; "
                      f"--runners native,node skips it")
        log(f"cpu_bound: {errors[-1]}")
        runners.remove("wadup")

    wasm, native = build()
    log(f"cpu_bound: built {os.path.relpath(wasm, ROOT)} and {os.path.relpath(native, ROOT)}")

    tmp = tempfile.mkdtemp(prefix="wadup-bench-")
    try:
        data, expected = make_content(tmp, args.size_mib << 20, args.seed)
        log(f"cpu_bound: {args.size_mib} MiB of content in {data}, zlib crc32 {expected}")

        if "wadup" in runners:
            p, _ = run([wadup, "compile", wasm])
            if p.returncode != 0:
                errors.append(f"wadup compile failed (exit {p.returncode}): {p.stderr.strip()[-1000:]}")
                log(f"cpu_bound: {errors[-1]}")
                runners.remove("wadup")

        calls = {
            "native": lambda: run_native(native, data),
            "wadup": lambda: run_wadup(wadup, wasm, data),
            "node": lambda: run_node(wasm, tmp),
        }
        best = {}
        for r in runners:
            try:
                for i in range(args.repeat):
                    ms, wall, crc = calls[r]()
                    log(f"cpu_bound: {r:6} run {i + 1}: {ms:9.1f} ms (wall {wall:.1f} ms) crc32 {crc}")
                    if crc != expected:
                        raise BenchError(f"{r}: checksum {crc} != expected {expected}")
                    b = best.setdefault(r, [ms, wall])
                    b[0], b[1] = min(b[0], ms), min(b[1], wall)
            except BenchError as e:
                errors.append(str(e))
                log(f"cpu_bound: {r}: {e}")
                best.pop(r, None)
    finally:
        if args.keep:
            log(f"cpu_bound: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nCRC-32 slicing-by-8 over {args.size_mib} MiB, best of {args.repeat} "
          f"(ms = compute time: native in-process timer, wadup duration_ms, node process())")
    print(f"{'runner':<8}| {'best ms':>10} | {'ratio to native':>15} | {'best wall ms':>12}")
    print(f"{'-' * 8}+{'-' * 12}+{'-' * 17}+{'-' * 13}")
    base = best.get("native", [None])[0]
    for r in ("native", "wadup", "node"):
        if r in best:
            ms, wall = best[r]
            ratio = f"{ms / base:.2f}x" if base else "n/a"
            print(f"{r:<8}| {ms:>10.1f} | {ratio:>15} | {wall:>12.1f}")
        else:
            print(f"{r:<8}| {'-':>10} | {'-':>15} | {'-':>12}")

    goal = (f"wadup within {args.goal_ratio:g}x of native and well ahead of Node "
            f"(node >= {args.node_margin:g}x wadup)")
    if errors:
        print(f"VERDICT: ERROR — {goal}: not measured")
        for e in errors:
            print(f"  error: {e.splitlines()[0]}")
        return 2
    if "wadup" not in best:
        print(f"VERDICT: n/a — {goal}: wadup not run")
        return 0
    w = best["wadup"][0]
    ratio = w / base
    ok = ratio <= args.goal_ratio
    parts = [f"wadup {ratio:.2f}x native ({'ok' if ok else 'over'} <= {args.goal_ratio:g}x)"]
    if "node" in best:
        margin = best["node"][0] / w
        node_ok = margin >= args.node_margin
        ok = ok and node_ok
        parts.append(f"node {margin:.2f}x slower than wadup "
                     f"({'ok' if node_ok else 'short of'} >= {args.node_margin:g}x)")
    else:
        ok = False
        parts.append("node not run")
    print(f"VERDICT: {'PASS' if ok else 'FAIL'} — {goal}: {'; '.join(parts)}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log(f"cpu_bound: {e}")
        sys.exit(2)
