#!/usr/bin/env python3
"""compile.py — how long compiling modules to native code takes, and how much
memory it needs: `wadup compile` of each module into a fresh cache, timed,
its CPU time (user + system, all processes: the part a busy machine does
not distort), the largest single process's peak RSS (cc1, normally) and the
peak of the whole process tree's RSS summed (parallel jobs add up, sampled
every 50 ms), printed as a table.

    bench/compile.py [MODULE.wasm ...] [--wadup BIN]... [-j N]... [--repeat N]

Without modules it measures the standard set: the CPython runtime
(build/python/runtime.wasm, or $WADUP_PYTHON_DIR/runtime.wasm), the SQLite
parser example (build/examples/sqlite-parser.wasm) and two generated ones:
`synthetic-2mb` (about 2 MB of code in 1400 ordinary functions: loops,
branches, loads, stores, calls — what a Go or Rust module looks like to the
compiler) and `bomb-5k` (examples/hostile/compile-bomb.py with 5000
statements: one giant function). `--synthetic` adds the generated ones to
modules given on the command line. Several --wadup (say the old and the new
build) and several -j values are compared in one table; each cell is the
minimum over --repeat runs (default 1). The machine's load average is printed
too: on a shared machine the numbers are only as good as it is idle.
"""

import argparse
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOMB_GENERATOR = REPO / "examples" / "hostile" / "compile-bomb.py"


def load_bomb_generator():
    spec = importlib.util.spec_from_file_location("compile_bomb", BOMB_GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---- the synthetic module ------------------------------------------------------

I32 = 0x7F
OP = dict(block=0x02, loop=0x03, if_=0x04, end=0x0B, br=0x0C, br_if=0x0D, call=0x10,
          local_get=0x20, local_set=0x21, i32_load=0x28, i32_store=0x36, i32_const=0x41,
          i32_eqz=0x45, i32_and=0x71, i32_sub=0x6B)
BINOPS = (0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x76, 0x77)  # add sub mul and or xor shl shr_u rotl
NLOCALS = 8          # besides the two parameters


class FuncWriter:
    """One function (i32, i32) -> i32 of random statements."""

    def __init__(self, gen, rng, index):
        self.g, self.rng, self.index, self.code = gen, rng, index, bytearray()

    def op(self, *codes):
        self.code += bytes(codes)

    def leb(self, n):
        self.code += self.g.leb_u(n)

    def sleb(self, n):
        self.code += self.g.leb_s(n)

    def local(self):
        """A parameter or local that is not a loop counter."""
        return self.rng.randrange(2 + NLOCALS - 3)

    def addr(self, var):
        self.op(OP["local_get"]); self.leb(var)
        self.op(OP["i32_const"]); self.sleb(0xFFFC)
        self.op(OP["i32_and"])

    def statement(self, depth):
        kind = self.rng.random()
        if kind < 0.35:                     # x = y OP z
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(self.rng.choice(BINOPS), OP["local_set"]); self.leb(self.local())
        elif kind < 0.55:                   # mem[y] = z
            self.addr(self.local())
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(OP["i32_store"]); self.leb(2); self.leb(self.rng.randrange(0, 256, 4))
        elif kind < 0.72:                   # x = mem[y]
            self.addr(self.local())
            self.op(OP["i32_load"]); self.leb(2); self.leb(self.rng.randrange(0, 256, 4))
            self.op(OP["local_set"]); self.leb(self.local())
        elif kind < 0.82 and self.index > 0:  # x = f(y, z), f earlier
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(OP["call"]); self.leb(self.rng.randrange(max(0, self.index - 30), self.index))
            self.op(OP["local_set"]); self.leb(self.local())
        elif kind < 0.92 and depth < 3:     # if (x) { ... }
            self.op(OP["local_get"]); self.leb(self.local())
            self.op(OP["if_"], 0x40)
            for _ in range(self.rng.randrange(1, 6)):
                self.statement(depth + 1)
            self.op(OP["end"])
        elif depth < 3:                     # for (i = x & 15; i; i--) { ... }
            counter = 2 + NLOCALS - 1 - depth   # one per nesting level: the loops end
            self.addr(self.local())
            self.op(OP["i32_const"]); self.sleb(15)
            self.op(OP["i32_and"], OP["local_set"]); self.leb(counter)
            self.op(OP["block"], 0x40, OP["loop"], 0x40)
            self.op(OP["local_get"]); self.leb(counter)
            self.op(OP["i32_eqz"], OP["br_if"]); self.leb(1)
            for _ in range(self.rng.randrange(1, 6)):
                self.statement(depth + 1)
            self.op(OP["local_get"]); self.leb(counter)
            self.op(OP["i32_const"]); self.sleb(1)
            self.op(OP["i32_sub"], OP["local_set"]); self.leb(counter)
            self.op(OP["br"]); self.leb(0)
            self.op(OP["end"], OP["end"])

    def body(self, size):
        while len(self.code) < size:
            self.statement(0)
        self.op(OP["local_get"], 0, OP["end"])
        body = self.g.vec([self.g.leb_u(NLOCALS) + bytes([I32])]) + bytes(self.code)
        return self.g.leb_u(len(body)) + body


def synthetic_module(code_bytes=2 << 20, seed=7):
    """A reactor with about code_bytes of code: function 0 is process() -> i32,
    the rest (i32, i32) -> i32 of 50 B - 2 KB (a few up to 20 KB)."""
    g, rng = load_bomb_generator(), random.Random(seed)
    bodies, total, index = [], 0, 0
    while total < code_bytes:
        size = rng.choice((rng.randrange(50, 2000),) * 19 + (rng.randrange(2000, 20000),))
        body = FuncWriter(g, rng, index).body(size)
        bodies.append(body)
        total += len(body)
        index += 1
    process = bytes([0x41, 0x00, 0x41, 0x00, OP["call"]]) + g.leb_u(len(bodies) - 1) + bytes([OP["end"]])
    bodies.append(g.leb_u(len(process) + 1) + bytes([0]) + process)
    types = g.vec([bytes([0x60]) + g.vec([bytes([I32]), bytes([I32])]) + g.vec([bytes([I32])]),
                   bytes([0x60]) + g.vec([]) + g.vec([bytes([I32])])])
    funcs = g.vec([g.leb_u(0)] * (len(bodies) - 1) + [g.leb_u(1)])
    out = bytearray(b"\0asm\x01\0\0\0")
    out += g.section(1, types) + g.section(3, funcs)
    out += g.section(5, g.vec([b"\x00" + g.leb_u(1)]))
    out += g.section(7, g.vec([g.name("process") + b"\x00" + g.leb_u(len(bodies) - 1),
                               g.name("memory") + b"\x02" + g.leb_u(0)]))
    out += g.section(10, g.vec(bodies))
    return bytes(out)


# ---- measuring -------------------------------------------------------------------

def tree_rss_kb(root):
    """RSS summed over root and its descendants (KiB), from /proc."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(wadup, module, jobs):
    """One `wadup compile` into a fresh cache -> dict(seconds, cpu (user + system of the whole tree),
    max_rss_kb (the largest single process), tree_rss_kb (sampled sum over the tree), ok, stderr)."""
    cache = tempfile.mkdtemp(prefix="wadup-bench-compile.")
    try:
        env = dict(os.environ, WADUP_CACHE_DIR=cache)
        cmd = [str(wadup), "compile", "-q"] + (["-j", str(jobs)] if jobs else []) + [str(module)]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        peak = [0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        return dict(seconds=seconds, cpu=usage.ru_utime + usage.ru_stime, max_rss_kb=usage.ru_maxrss,
                    tree_rss_kb=peak[0], ok=proc.returncode == 0, stderr=stderr.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def code_kib(path):
    """Size of the code section (KiB), read from the module's sections."""
    data = Path(path).read_bytes()
    pos = 8
    while pos < len(data):
        sid = data[pos]
        pos += 1
        size = shift = 0
        while True:
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if sid == 10:
            return size / 1024
        pos += size
    return 0.0


def default_modules(workdir, synthetic_only=False):
    mods = []
    if not synthetic_only:
        pydir = Path(os.environ.get("WADUP_PYTHON_DIR") or REPO / "build" / "python")
        for path in (pydir / "runtime.wasm", REPO / "build" / "examples" / "sqlite-parser.wasm"):
            if path.exists():
                mods.append((path.stem if path.stem != "runtime" else "python-runtime", path))
            else:
                print("compile.py: skipping %s (not built)" % path, file=sys.stderr)
    synth = Path(workdir) / "synthetic-2mb.wasm"
    synth.write_bytes(synthetic_module())
    bomb = Path(workdir) / "bomb-5k.wasm"
    bomb.write_bytes(load_bomb_generator().compile_bomb(5000, 2000))
    return mods + [("synthetic-2mb", synth), ("bomb-5k", bomb)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("modules", nargs="*", help=".wasm files (default: the standard set)")
    p.add_argument("--wadup", action="append", help="wadup binary (repeatable; default build/wadup)")
    p.add_argument("-j", "--jobs", action="append", type=int,
                   help="wadup compile -j N (repeatable; default: wadup's default, one per CPU)")
    p.add_argument("--repeat", type=int, default=1, help="runs per cell; the minimum is shown")
    p.add_argument("--synthetic", action="store_true", help="also the generated modules")
    p.add_argument("--keep", metavar="DIR", help="write the generated modules to DIR and keep them")
    a = p.parse_args()
    binaries = [Path(b) for b in (a.wadup or [REPO / "build" / "wadup"])]
    jobs_list = a.jobs or [0]
    workdir = a.keep or tempfile.mkdtemp(prefix="wadup-bench-modules.")
    os.makedirs(workdir, exist_ok=True)
    try:
        mods = [(Path(m).stem, Path(m)) for m in a.modules]
        if not mods or a.synthetic:
            mods += default_modules(workdir, synthetic_only=bool(mods))
        load0 = os.getloadavg()
        head = "%-16s %9s  %-22s %4s %9s %9s %12s %9s" % ("module", "code KiB", "wadup", "-j", "wall s", "CPU s",
                                                            "max proc MB", "tree MB")
        print("load average before: %.2f %.2f %.2f, %d CPUs" % (load0 + (os.cpu_count(),)))
        print(head)
        print("-" * len(head))
        for name, path in mods:
            for wadup in binaries:
                for jobs in jobs_list:
                    runs = [measure(wadup, path, jobs) for _ in range(a.repeat)]
                    best = min(runs, key=lambda r: r["seconds"])
                    label = str(wadup if len(str(wadup)) <= 22 else "..." + str(wadup)[-19:])
                    flag = "" if all(r["ok"] for r in runs) else "  FAILED: " + best["stderr"].strip()[-200:]
                    print("%-16s %9.0f  %-22s %4s %9.1f %9.1f %12.0f %9.0f%s" % (
                        name, code_kib(path), label, jobs or "cpus", best["seconds"], min(r["cpu"] for r in runs),
                        min(r["max_rss_kb"] for r in runs) / 1024, min(r["tree_rss_kb"] for r in runs) / 1024,
                        flag), flush=True)
        print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        if not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
