#!/usr/bin/env python3
"""compile-bomb.py — write a WebAssembly module that is cheap to read and to
translate but expensive to compile: one function with many locals and a very
long straight-line body, every result stored to linear memory so that the C
compiler can neither fold nor drop any of it. wasm2c turns it into one huge C
function, and `cc -O2` spends time and memory on it far faster than linearly.

The module is a valid wadup reactor (exports `process` () -> i32 and `memory`,
no imports), so wadup accepts it and only compiling it is hostile: it exists to
test the compile limits (--compile-timeout, --compile-memory).

    python3 examples/hostile/compile-bomb.py -o bomb.wasm [--ops N] [--locals N]

Also importable: compile_bomb(ops, locals_count, seed) returns the bytes.
"""

import argparse
import random
import sys

I32 = 0x7F
OP_LOCAL_GET, OP_LOCAL_SET, OP_I32_CONST = 0x20, 0x21, 0x41
OP_I32_LOAD, OP_I32_STORE, OP_END = 0x28, 0x36, 0x0B
BINOPS = (0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x77)  # add sub mul and or xor shl rotl


def leb_u(n):
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def leb_s(n):
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def vec(items):
    return leb_u(len(items)) + b"".join(items)


def name(s):
    return leb_u(len(s)) + s.encode()


def section(section_id, payload):
    return bytes([section_id]) + leb_u(len(payload)) + payload


def body(ops, locals_count, seed):
    """The function body: load every local from memory, then `ops` statements
    local[c] = local[a] OP local[b]; store local[c]; finally return a local."""
    rng = random.Random(seed)
    code = bytearray()
    code += vec([leb_u(locals_count) + bytes([I32])])
    memarg = lambda offset: leb_u(2) + leb_u(offset)  # align 4, offset
    for i in range(locals_count):
        code += bytes([OP_I32_CONST]) + leb_s(0) + bytes([OP_I32_LOAD]) + memarg((i * 4) % 60000)
        code += bytes([OP_LOCAL_SET]) + leb_u(i)
    for k in range(ops):
        a, b, c = rng.randrange(locals_count), rng.randrange(locals_count), rng.randrange(locals_count)
        code += bytes([OP_LOCAL_GET]) + leb_u(a) + bytes([OP_LOCAL_GET]) + leb_u(b)
        code += bytes([rng.choice(BINOPS), OP_LOCAL_SET]) + leb_u(c)
        code += bytes([OP_I32_CONST]) + leb_s(0) + bytes([OP_LOCAL_GET]) + leb_u(c)
        code += bytes([OP_I32_STORE]) + memarg((k * 4) % 60000)
    code += bytes([OP_LOCAL_GET]) + leb_u(0) + bytes([OP_END])
    return leb_u(len(code)) + bytes(code)


def compile_bomb(ops=60000, locals_count=2000, seed=1):
    """The module's bytes."""
    out = bytearray(b"\0asm\x01\0\0\0")
    out += section(1, vec([bytes([0x60]) + vec([]) + vec([bytes([I32])])]))   # type 0: () -> i32
    out += section(3, vec([leb_u(0)]))                                       # func 0: type 0
    out += section(5, vec([b"\x00" + leb_u(1)]))                             # memory 0: 1 page
    out += section(7, vec([name("process") + b"\x00" + leb_u(0),             # exports
                           name("memory") + b"\x02" + leb_u(0)]))
    out += section(10, vec([body(ops, locals_count, seed)]))                 # code
    return bytes(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True, help="the .wasm file to write")
    p.add_argument("--ops", type=int, default=60000, help="straight-line statements (default 60000)")
    p.add_argument("--locals", type=int, default=2000, help="i32 locals (default 2000)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.ops < 0 or a.locals < 1:
        p.error("--ops must be >= 0 and --locals >= 1")
    data = compile_bomb(a.ops, a.locals, a.seed)
    with open(a.output, "wb") as f:
        f.write(data)
    print("%s: %d bytes" % (a.output, len(data)), file=sys.stderr)


if __name__ == "__main__":
    main()
