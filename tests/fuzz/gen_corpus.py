#!/usr/bin/python3
"""gen_corpus.py — seed corpora for wadup's libFuzzer harnesses (tests/fuzz).

Writes build/fuzz/corpus/<harness>/ ($FUZZ_BUILD/corpus/ when set; run by
scripts/fuzz-corpus.sh, which builds the example modules first):

  wasm      the project's built modules (build/examples, build/tests/guest/**):
            small ones whole, every one also as a skeleton (function bodies
            cut to `end`, data and large custom sections dropped), plus a
            few hand-written modules (wat2wasm) using tables, globals, tags,
            memory64, shared memory, passive segments, start, name section;
  metadata  valid and invalid metadata files and sub-content descriptors in
            the harness's record format, alone, in sequences and under limits;
  vfs       operation sequences: the engine's tree, bulk create/remove
            cycles (holes, compaction, index rebuilds), renames, references
            held across unlink/clear, put_borrowed, mkdir_p, lookups with
            "." and "..", a failing copier; symbolic links (chains of 40
            and 41, loops, dangling, climbing and absolute targets resolved
            beneath a directory), hard links (written through one name,
            read through another, unlinked while open);
  wasi      call sequences: open/create, write, seek, read, readdir, rename,
            unlink, mkdir/rmdir, renumber, poll_oneoff, args/env, fdstat,
            rights, the between-contents reset; symbolic links (chains,
            a loop, climbing and absolute targets), hard links, readlink, a
            descriptor on a subdirectory with escaping paths, rights probes
            on every kind of descriptor, /data.bin opened for writing;
  export    databases through the store (contents, runs with output and
            metadata) and raw rows in the store's schema.

Every encoder below mirrors the decoder of its harness: keep them in step.
"""
import hashlib
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# FUZZ_BUILD (scripts/fuzz.sh): the fuzz build directory, relative to the
# project root unless absolute; build/fuzz by default.
OUT = os.path.join(ROOT, os.environ.get("FUZZ_BUILD") or os.path.join("build", "fuzz"), "corpus")


def write(harness, name, data):
    """Store one seed (file name: a label plus a short content hash)."""
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:10]
    with open(os.path.join(d, "%s-%s" % (name, h)), "wb") as f:
        f.write(data)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


# ---------------------------------------------------------------- wasm

def leb_u(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def read_leb(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def sections(b):
    """(id, payload) of every section of a module, or None."""
    if b[:4] != b"\0asm":
        return None
    pos, out = 8, []
    try:
        while pos < len(b):
            sid = b[pos]
            size, p = read_leb(b, pos + 1)
            out.append((sid, b[p:p + size]))
            pos = p + size
    except IndexError:
        return None
    return out


def skeleton(b, keep_custom):
    """The module with minimal function bodies, no data, small customs only."""
    secs = sections(b)
    if secs is None:
        return None
    out = bytearray(b[:8])
    for sid, payload in secs:
        if sid in (11, 12):  # data, datacount
            continue
        if sid == 0:
            if not keep_custom or len(payload) > 4096:
                continue
        if sid == 10:
            n, _ = read_leb(payload, 0)
            payload = leb_u(n) + b"\x02\x00\x0b" * n
        out += bytes([sid]) + leb_u(len(payload)) + payload
    return bytes(out)


WAT_MODULES = {
    "features": r"""
(module
  (type (func (param i32 i64) (result f32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "env" "mem" (memory 1 2))
  (import "env" "tab" (table 1 funcref))
  (import "env" "g" (global (mut i32)))
  (table $t 2 10 externref)
  (global $g2 i64 (i64.const 5))
  (tag $e (param i32))
  (func $f (export "process") (result i32) i32.const 0)
  (func $s)
  (start $s)
  (elem (i32.const 0) $f)
  (elem declare func $s)
  (data (i32.const 8) "hi")
  (data "passive")
  (export "t" (table $t))
  (export "g2" (global $g2))
  (export "e" (tag $e)))
""",
    "memory64": r"""(module $named (memory (export "memory") i64 1 100) (func (export "_start")))""",
    "shared": r"""(module (memory (export "memory") 1 4 shared) (func (export "process") (result i32) i32.const 1))""",
    "reactor": r"""
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (memory (export "memory") 1)
  (func (export "_initialize"))
  (func (export "process") (result i32) i32.const 0)
  (@custom "wadup.file:/lib/a.txt" "hello"))
""",
    "empty": "(module)",
}


def wasm_seeds():
    dirs = [os.path.join(ROOT, d) for d in ("build/examples", "build/examples/hostile", "build/tests/guest",
                                            "build/tests/guest/cmd", "build/tests/guest/wasi")]
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".wasm"):
                continue
            b = open(os.path.join(d, name), "rb").read()
            base = name[:-5]
            if len(b) <= 65536:
                write("wasm", base, b)
            for keep in (True, False):
                s = skeleton(b, keep)
                if s:
                    write("wasm", base + ("-skel" if keep else "-bare"), s)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in WAT_MODULES.items():
            src, dst = os.path.join(tmp, name + ".wat"), os.path.join(tmp, name + ".wasm")
            open(src, "w").write(text)
            try:
                subprocess.run(["wat2wasm", "--enable-all", "--debug-names", "-o", dst, src], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                write("wasm", "wat-" + name, open(dst, "rb").read())
            except (OSError, subprocess.CalledProcessError):
                pass
    write("wasm", "header-only", b"\0asm\x01\0\0\0")
    write("wasm", "bad-magic", b"\x7fELF\x02\x01\x01\0")
    write("wasm", "version2", b"\0asm\x02\0\0\0")
    write("wasm", "component", b"\0asm\x0d\0\x01\0")


# ------------------------------------------------------------ metadata

ALL_TYPES = ('{"name":"t","columns":[{"name":"i","data_type":"Int64"},{"name":"f","data_type":"Float64"},'
             '{"name":"s","data_type":"String"},{"name":"b","data_type":"Boolean"}]}')
META_DOCS = [
    '{"tables":[%s],"rows":[{"table_name":"t","values":[{"Int64":1},{"Float64":2.5},{"String":"x"},{"Boolean":true}]},'
    '{"table_name":"t","values":[null,null,null,null]}]}' % ALL_TYPES,
    '{"tables":[{"name":"file_sizes","columns":[{"name":"size_bytes","data_type":"Int64"}]}],'
    '"rows":[{"table_name":"file_sizes","values":[{"Int64":9223372036854775807}]}]}',
    '{"rows":[{"table_name":"file_sizes","values":[{"Int64":-9223372036854775808}]}]}',
    '{"tables":[],"rows":[]}',
    ' {"version":2,"tables":[{"name":"k","comment":1,"columns":[{"name":"v","data_type":"String","x":0}]}]} \n',
    '{"tables":[%s]}' % ALL_TYPES,
    '{"tables":[{"name":"s","columns":[{"name":"v","data_type":"String"}]}],"rows":[{"table_name":"s","values":'
    '[{"String":"a\\u0000b \\u00e9 \\ud83d\\ude00"}]}]}',
    '{"tables":[{"name":"t","columns":[{"name":"i","data_type":"Float64"}]}]}',  # redefinition conflict after doc 0
    '{"tables":{}}', '{"tables":[1]}', '[]', '"x"', '{', '{"tables":[{"name":"t"}]}',
    '{"tables":[{"name":"9x","columns":[{"name":"c","data_type":"Int64"}]}]}',
    '{"tables":[{"name":"t","columns":[{"name":"c","data_type":"Int32"}]}]}',
    '{"tables":[{"name":"t","columns":[{"name":"c","data_type":"Int64"},{"name":"c","data_type":"Int64"}]}]}',
    '{"tables":[{"name":"t","columns":[]}]}', '{"rows":[{"table_name":"nope","values":[]}]}',
    '{"tables":[%s],"rows":[{"table_name":"t","values":[{"Int64":1.5},1,{"String":2},{"Boolean":"no"}]}]}' % ALL_TYPES,
    '{"tables":[%s],"rows":[{"table_name":"t","values":[{"Int64":1}]}]}' % ALL_TYPES,
    '{"tables":[%s],"rows":[{"table_name":"t","values":[{"Float64":1e400},null,null,null]}]}' % ALL_TYPES,
    '{"rows":[],"rows":[]}', '{"tables":[{"name":"%s","columns":[{"name":"c","data_type":"Int64"}]}]}' % ("n" * 65),
    '{"a":NaN}', '{"a":1e999}', '{"a":"\\ud800"}', '{"a":123456789012345678901234567890}',
    '{"tables":[' + ",".join('{"name":"t%d","columns":[{"name":"c","data_type":"Boolean"}]}' % i for i in range(40))
    + ']}',
    '{"rows":[' + ",".join('{"table_name":"t","values":[{"Int64":%d},{"Float64":%d.5},{"String":"%s"},'
                           '{"Boolean":false}]}' % (i, i, "s" * i) for i in range(30)) + ']}',
    "[" * 3000 + "]" * 3000,
    '{"s":"' + "a" * 5000 + '"}', '{"n":' + "4" * 400 + '}', '{"k":' + "t" * 300 + '}',
]
SUB_DOCS = [
    '{"filename":"inner.txt"}', '{"filename":"d/\\u00e9.bin","offset":10,"length":0,"extra":[1]}',
    '{"filename":"x","offset":1}', '{"filename":"x","offset":-1,"length":2}', '{"filename":5}',
    '{"filename":"a\\u0000b"}', '{}', '{"filename":"%s"}' % ("f" * 4097),
    '{"filename":"s","offset":9223372036854775807,"length":9223372036854775807}',
]


def meta_rec(op, doc):
    b = doc.encode() if isinstance(doc, str) else doc
    return bytes([op]) + u16(len(b)) + b[:65535]


def metadata_seeds():
    for i, d in enumerate(META_DOCS):
        write("metadata", "file%02d" % i, b"\x00" + meta_rec(0, d))
        write("metadata", "file%02d-limited" % i, b"\x00" + meta_rec(8 * 2, d))
    for i, d in enumerate(SUB_DOCS):
        write("metadata", "sub%02d" % i, b"\x00" + meta_rec(4, d))
    seq = meta_rec(0, META_DOCS[5]) + meta_rec(0, META_DOCS[0]) + meta_rec(1, META_DOCS[27]) + meta_rec(5, "")
    seq += meta_rec(0, META_DOCS[7]) + meta_rec(6, "") + meta_rec(2, META_DOCS[1]) + meta_rec(3, META_DOCS[2])
    write("metadata", "sequence", b"\x00" + seq)
    write("metadata", "sequence-limits", b"\x05" + seq + meta_rec(8 * 3 + 4, SUB_DOCS[1]))
    write("metadata", "deadline", b"\x80" + meta_rec(0x38, META_DOCS[0]) + meta_rec(0x3c, SUB_DOCS[0]))
    for lim in range(1, 8):
        write("metadata", "limit%d" % lim, b"\x00" + meta_rec(8 * lim, META_DOCS[0]) + meta_rec(8 * lim, META_DOCS[-3]))
    write("metadata", "new-schema", b"\x00" + meta_rec(0, META_DOCS[0]) + meta_rec(7, "") + meta_rec(0, META_DOCS[7]))


# ------------------------------------------------------------------ vfs

class Vfs:
    """Encoder for fuzz_vfs.c (op numbers: run_op; nodes: pick_node)."""
    CREATE, MKDIR, UNLINK, RMDIR, RENAME, LOOKUP, LOOKUP_PARENT = 0, 2, 3, 4, 5, 7, 8
    WRITE, TRUNCATE, READ, TAKE, OPEN, CLOSE, CLEAR, PUT, MKDIR_P, BULK, BULK_RM, MISC = (
        9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)
    SYMLINK, LINK, READLINK, RESOLVE, BULK_SYMLINK = 22, 24, 25, 26, 27
    FOLLOW, BENEATH, PARENT = 1, 2, 4
    FIXED = ["a", "b", "c", "d", "A", "tmp", "x.txt", ".", "..", "", "a/b", "f", "l", "m"]
    TARGETS = ["a", "b", "c", "d", "l", "m", "f", "..", "../..", ".", "./", "a/b", "d/", "d/a", "../tmp", "a/../b",
               "/", "/tmp", "/tmp/a", "/data.bin", "data.bin", "x.txt", "tmp/../..", "l/", "..//.", "../a", "l/..",
               "m/l"]

    def __init__(self, budget=0, data=b"content"):
        self.b = bytearray([budget, len(data)]) + data

    def node(self, path):
        """A reference slot (int), or an absolute path: followed, or "@/path" for a link itself."""
        if isinstance(path, int):
            self.b += bytes([path])
        else:
            nofollow = path.startswith("@")
            p = path.lstrip("@").encode()
            self.b += bytes([0x31 if nofollow else 0x30, len(p)]) + p

    def name(self, n):
        if n in self.FIXED:
            self.b.append(self.FIXED.index(n))
        elif n == "long255":
            self.b.append(100)
        elif n == "long256":
            self.b.append(108)
        else:
            raw = n.encode()
            self.b += bytes([0x70]) + u16(len(raw)) + raw

    def target(self, t):
        """pick_target: a fixed target, "" / NUL / the long ones by label, or raw bytes."""
        specials = {"": 0xa0, "nul": 0xa8, "max": 0xb0, "max+1": 0xb8, "long256": 0xbc}
        if t in self.TARGETS:
            self.b.append(self.TARGETS.index(t))
        elif t in specials:
            self.b.append(specials[t])
        else:
            raw = t.encode()
            self.b += bytes([0xc8]) + u16(len(raw)) + raw

    @staticmethod
    def path_flags(absolute, ncomp, trailing):
        """pick_path's flags byte: bit 0 absolute, 1 + (f >> 1) % 5 components, bit 6 trailing '/'."""
        for f in range(128):
            if f & 1 == absolute and bool(f & 0x40) == trailing and 1 + (f >> 1) % 5 == ncomp:
                return f
        raise ValueError("no flags for %d components" % ncomp)

    def start(self, start):
        self.node(start)
        if start == "/":
            self.b.append(0)  # start: the root node itself (not NULL)

    def path(self, p):
        """A path of fixed names where possible (pick_path)."""
        comps = p.strip("/").split("/") if p.strip("/") else [""]
        self.b.append(self.path_flags(p.startswith("/"), len(comps), p.endswith("/")))
        for c in comps:
            self.name(c)

    def op(self, code, *parts):
        self.b.append(code)
        for kind, v in parts:
            getattr(self, kind)(v) if kind in ("node", "name", "target") else self.b.extend(v)
        return self

    def create(self, d, n, is_dir=False):
        return self.op(self.MKDIR if is_dir else self.CREATE, ("node", d), ("name", n))

    def write(self, f, data, off=None):
        self.op(self.WRITE, ("node", f))
        self.b += bytes([1]) if off is None else bytes([0]) + u16(off)
        self.b += u16(len(data)) + data
        return self

    def simple(self, code, *nodes):
        self.b.append(code)
        for n in nodes:
            self.node(n)
        return self

    def bulk(self, d, prefix, count):
        return self.op(self.BULK, ("node", d), ("raw", bytes([prefix, count - 1])))

    def bulk_rm(self, d, stride, phase):
        return self.op(self.BULK_RM, ("node", d), ("raw", bytes([stride - 1, phase])))

    def rename(self, d1, n1, d2, n2):
        self.op(self.RENAME, ("node", d1), ("name", n1))
        self.b.append(0 if d1 != d2 else 1)  # pick another directory when the byte & 3 == 0
        if d1 != d2:
            self.node(d2)
        self.name(n2)
        return self

    def lookup(self, p, parent=False, start="/"):
        """vfs_lookup or vfs_lookup_parent (op_resolve's api 1 and 2)."""
        self.b.append(self.LOOKUP_PARENT if parent else self.LOOKUP)
        self.start(start)
        self.b.append(0)  # a pick_path path
        self.path(p)
        return self

    def resolve(self, p, flags, start="/", target=False):
        """vfs_resolve with flags; the path a pick_path one, or a pick_target one when target."""
        self.b.append(self.RESOLVE)
        self.start(start)
        self.b.append(flags | (0x80 if target else 0))
        self.target(p) if target else self.path(p)
        return self

    def resolve_all(self, p, start="/", target=False):
        for flags in range(8):
            self.resolve(p, flags, start, target)
        return self

    def symlink(self, d, n, t):
        return self.op(self.SYMLINK, ("node", d), ("name", n), ("target", t))

    def link(self, src, d, n):
        self.op(self.LINK, ("node", src))
        self.b.append(1)  # pick the directory (not the source's parent)
        self.node(d)
        self.name(n)
        return self

    def readlink(self, n):
        return self.simple(self.READLINK, n)

    def chain(self, d, prefix, count, last):
        return self.op(self.BULK_SYMLINK, ("node", d), ("raw", bytes([prefix, count - 1])), ("target", last))

    def read(self, f, off=0, length=2000):
        self.b.append(self.READ)
        self.node(f)
        self.b += bytes([0]) + u16(off) + u16(length)
        return self

    def open(self, slot, n):
        self.b += bytes([self.OPEN, slot])
        self.node(n)
        return self

    def close(self, slot):
        self.b += bytes([self.CLOSE, slot])
        return self

    def put(self, p, data):
        self.b.append(self.PUT)
        comps = p.strip("/").split("/")
        self.b.append(self.path_flags(True, len(comps), False))
        for c in comps:
            self.name(c)
        self.b += u16(len(data)) + data
        return self

    def mkdir_p(self, p, writable):
        self.b.append(self.MKDIR_P)
        comps = p.strip("/").split("/")
        self.b.append(self.path_flags(True, len(comps), False))
        for c in comps:
            self.name(c)
        self.b.append(1 if writable else 0)
        return self

    def copier_toggle(self):
        self.b += bytes([self.MISC, 0])
        return self


def vfs_seeds():
    v = Vfs()
    v.create("/tmp", "a").write("/tmp/a", b"hello").write("/tmp/a", b"XY", 10).lookup("/tmp/a")
    v.create("/tmp", "d", True).create("/tmp/d", "x").rename("/tmp", "a", "/tmp/d", "b").lookup("/tmp/d/b/", True)
    v.lookup("/tmp/./d/b").read("/tmp/d/b").simple(v.TAKE, "/tmp/d/b")
    write("vfs", "basic", bytes(v.b))
    v = Vfs()  # holes, compaction and index rebuilds in one big directory
    for i in range(4):
        v.bulk("/tmp", i, 128).bulk_rm("/tmp", 2 + i % 3, i % 2)
    v.lookup("/tmp/c050").lookup("/tmp/a001", True)
    write("vfs", "bulk", bytes(v.b))
    v = Vfs(budget=8 * 1)  # 4 KiB budget: ENOSPC everywhere
    v.bulk("/tmp", 0, 40).create("/tmp", "long255").write("/tmp/a000", b"z" * 500, 3000)
    v.symlink("/tmp", "l", "max").link("/tmp/a001", "/tmp", "b")
    write("vfs", "budget", bytes(v.b))
    v = Vfs()  # references across unlink, rename over, clear
    v.create("/tmp", "f").open(0, "/tmp/f").simple(v.UNLINK, "/tmp").b.append(v.FIXED.index("f"))
    v.write(0, b"still open").read(0).create("/tmp", "d", True).open(1, "/tmp/d")
    v.create("/tmp/d", "x").simple(v.CLEAR, "/tmp").create(1, "y").lookup("..", start=1).close(0).close(1)
    write("vfs", "refs", bytes(v.b))
    v = Vfs(budget=0x80)  # copier installed
    v.put("/lib/x.bin", b"borrowed bytes").read("/lib/x.bin").copier_toggle()
    v.read("/data.bin").simple(v.TAKE, "/data.bin").copier_toggle().simple(v.TAKE, "/data.bin")
    v.put("/tmp/a", b"over").mkdir_p("/tmp/p/q/r", True).mkdir_p("/x/../y", False).mkdir_p("/", True)
    write("vfs", "host", bytes(v.b))
    v = Vfs()
    v.create("/tmp", "d", True).create("/tmp/d", "e", True).rename("/tmp", "d", "/tmp/d/e", "z")
    v.rename("/tmp/d", "e", "/tmp", "d").create("/tmp", "a").rename("/tmp", "a", "/tmp", "long256")
    v.rename("/tmp", "a", "/tmp", "a").simple(v.RMDIR, "/tmp").b.append(v.FIXED.index("d"))
    v.simple(v.TRUNCATE, "/tmp/a").b += bytes([0]) + u16(100)
    write("vfs", "rename", bytes(v.b))
    v = Vfs()  # symbolic links: to a file, chains, loops, dangling, written through, readlink
    v.create("/tmp", "d", True).create("/tmp/d", "f").write("/tmp/d/f", b"target bytes")
    v.symlink("/tmp", "l", "d/f").symlink("/tmp", "m", "l").symlink("/tmp", "c", "c").symlink("/tmp", "b", "d/")
    v.resolve_all("tmp/l").resolve_all("tmp/m").resolve_all("tmp/c").resolve_all("tmp/b/f").resolve_all("tmp/b/")
    v.lookup("/tmp/m", True).lookup("/tmp/b/", True).readlink("@/tmp/m").readlink("/tmp/m")
    v.write("/tmp/m", b"through two links", 3).read("/tmp/d/f").simple(v.UNLINK, "/tmp").b.append(v.FIXED.index("l"))
    v.resolve_all("tmp/m").symlink("/tmp", "l", "/tmp/d").resolve_all("/tmp/l/f").resolve_all("tmp/l/f")
    v.rename("/tmp", "m", "/tmp/d", "a").resolve_all("tmp/d/a").open(0, "@/tmp/c").simple(v.UNLINK, "/tmp")
    v.b.append(v.FIXED.index("c"))
    v.readlink(0).close(0).symlink("/tmp", "a", "nul").symlink("/tmp", "a", "").symlink("/tmp", "a", "long256")
    v.resolve_all("tmp/a").symlink("/", "a", "tmp").symlink("/tmp/d", "l", "x.txt")
    write("vfs", "symlinks", bytes(v.b))
    v = Vfs()  # hard links: shared bytes, unlink one name, rename over another link, links kept open
    v.create("/tmp", "a").write("/tmp/a", b"shared").create("/tmp", "d", True).link("/tmp/a", "/tmp/d", "b")
    v.write("/tmp/d/b", b"SH").read("/tmp/a").link("/tmp/a", "/tmp", "c").link("/tmp/d", "/tmp", "e")
    v.link("/data.bin", "/tmp", "x").link("/tmp/a", "/tmp/d", "b").rename("/tmp", "a", "/tmp/d", "b")
    v.rename("/tmp", "c", "/tmp", "m").simple(v.UNLINK, "/tmp").b.append(v.FIXED.index("a"))
    v.open(0, "/tmp/m").simple(v.UNLINK, "/tmp").b.append(v.FIXED.index("m"))
    v.simple(v.UNLINK, "/tmp/d").b.append(v.FIXED.index("b"))
    v.write(0, b"unlinked, open").link(0, "/tmp", "f").close(0)
    v.symlink("/tmp", "l", "a").link("@/tmp/l", "/tmp/d", "l").resolve_all("tmp/d/l").simple(v.CLEAR, "/tmp/d")
    write("vfs", "hardlinks", bytes(v.b))
    v = Vfs()  # 40 links are followed, the 41st is ELOOP; a loop of links
    v.create("/tmp", "x.txt").chain("/tmp", 15, 40, "x.txt").chain("/tmp", 16, 41, "x.txt")
    v.chain("/tmp", 17, 3, "r00").lookup("/tmp/p00").lookup("/tmp/q00").resolve_all("r01", start="/tmp", target=True)
    write("vfs", "chain", bytes(v.b))
    v = Vfs()  # containment: climbing and absolute links beneath a directory
    v.create("/tmp", "d", True).create("/tmp/d", "a").symlink("/tmp/d", "l", "..").symlink("/tmp/d", "m", "../..")
    v.symlink("/tmp/d", "b", "/tmp").symlink("/tmp/d", "c", "l/d").symlink("/tmp/d", "f", "max")
    for p in ("l", "m", "b", "c/a", "c/l/d/a", "f", "..", "../d/a", "a/..", "a/"):
        v.resolve_all(p, start="/tmp/d", target=True)
    v.symlink("/tmp/d", "x.txt", "max+1")
    write("vfs", "beneath", bytes(v.b))


# ----------------------------------------------------------------- wasi

def wasi_functions():
    text = open(os.path.join(ROOT, "src", "wasi", "wasi_functions.def")).read()
    return re.findall(r"^WASI_FN\((\w+),", text, re.M)


class Wasi:
    """Encoder for fuzz_wasi.c (arguments: draw_args)."""
    PRESET = {"out": 0, "iovs": 1, "bufs": 2, "subs": 3, "events": 4, "dirents": 5, "out64": 6, "zero": 7}
    PATHS = ["/", ".", "..", "tmp", "tmp/a.txt", "/tmp/b", "metadata/out.json", "subcontent/data_0.bin",
             "subcontent/metadata_0.json", "data.bin", "/data.bin", "tmp/dir", "tmp/dir/x", "nope", "tmp/",
             "tmp/a.txt/", "tmp/../tmp/./a.txt", "tmp//a.txt", "../..", "tmp/dir/..", "metadata", "subcontent",
             "/tmp/dir/../a.txt",
             "tmp/l1", "tmp/l2", "tmp/loop", "tmp/dir/l3", "l2", "l1", "loop", "dir", "a.txt", "../tmp/a.txt",
             "dir/../..", "tmp/../..", "x", "l3", "../x", "tmp/dir/../../..", "./../tmp", "tmp/l1/", "tmp/l2/x",
             "l3/x", "/tmp", "tmp/dir/l3/", "..", "../l1", "tmp/l1/..", "tmp/b"]
    O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC = 1, 2, 4, 8
    (R_ALL, R_NONE, R_READ, R_WRITE, R_RWS, R_MAX, R_READDIR, R_READ_SIZE, R_DIR, R_NO_WRITE, R_FILE,
     R_DIR_FILE) = range(12)

    def __init__(self, fns, budget=0, data=b"input data"):
        self.fns = fns
        self.b = bytearray([budget]) + u16(len(data)) + data

    def call(self, name, *args):
        self.b += bytes([0, self.fns.index(name)])
        for a in args:
            self.b += a
        return self

    def host(self, kind, raw=b""):
        self.b += bytes([0xE0, kind]) + raw
        return self

    def probe(self, fd, k):
        """probe_step: descriptor fd, probe choice k (k & 0x80: fd_write EROFS on a read-only file)."""
        return self.host(6, bytes([fd, k]))

    def open(self, dirfd, p, oflags=0, base=0, inh=0, lookup=1, fdflags=0):
        return self.call("path_open", self.fd(dirfd), self.x(lookup), self.path(p), self.x(oflags), self.r(base),
                         self.r(inh), self.x(fdflags), self.ptr("out"))

    def symlink(self, target, dirfd, p):
        return self.call("path_symlink", self.path(target), self.fd(dirfd), self.path(p))

    @staticmethod
    def fd(n):
        return bytes([n])

    @classmethod
    def ptr(cls, where):
        return bytes([cls.PRESET[where] << 3])

    @staticmethod
    def n(v):
        """arg_len: k % 6 in {0, 1} gives (k >> 3) & 7; k % 6 == 2 takes the next byte."""
        for k in range(256):
            if v < 8 and k % 6 in (0, 1) and (k >> 3) & 7 == v:
                return bytes([k])
        return bytes([2, v])

    @classmethod
    def path(cls, p):
        return bytes([cls.PATHS.index(p)])

    @staticmethod
    def x(v):
        return bytes([v])

    @staticmethod
    def o(v):
        return bytes([0]) + u16(v)

    @staticmethod
    def X(v):
        return bytes([3]) + u64(v)

    @staticmethod
    def r(i):
        return bytes([i])


def wasi_seeds():
    fns = wasi_functions()
    W = Wasi
    w = Wasi(fns)
    w.call("path_open", W.fd(3), W.x(0), W.path("tmp/a.txt"), W.x(1), W.r(0), W.r(0), W.x(0), W.ptr("out"))
    w.call("fd_write", W.fd(4), W.ptr("iovs"), W.n(3), W.ptr("out64"))
    w.call("fd_seek", W.fd(4), W.X(0), bytes([0]), W.ptr("out"))
    w.call("fd_read", W.fd(4), W.ptr("iovs"), W.n(2), W.ptr("out64"))
    w.call("fd_pread", W.fd(4), W.ptr("iovs"), W.n(1), W.o(3), W.ptr("out64"))
    w.call("fd_filestat_get", W.fd(4), W.ptr("out"))
    w.call("fd_readdir", W.fd(3), W.ptr("dirents"), W.n(200), W.X(0), W.ptr("out"))
    w.call("path_create_directory", W.fd(3), W.path("tmp/dir"))
    w.call("path_rename", W.fd(3), W.path("tmp/a.txt"), W.fd(3), W.path("tmp/dir/x"))
    w.call("path_filestat_get", W.fd(3), W.x(0), W.path("tmp/dir/x"), W.ptr("out"))
    w.call("fd_renumber", W.fd(4), W.fd(3))
    w.call("fd_close", W.fd(3))
    write("wasi", "files", bytes(w.b))
    w = Wasi(fns)
    w.call("args_sizes_get", W.ptr("out"), W.ptr("out64")).call("args_get", W.ptr("out"), W.ptr("bufs"))
    w.call("environ_sizes_get", W.ptr("out"), W.ptr("out64")).call("environ_get", W.ptr("out"), W.ptr("bufs"))
    w.call("clock_time_get", bytes([1]), W.X(0), W.ptr("out")).call("clock_res_get", bytes([0]), W.ptr("out"))
    w.call("random_get", W.ptr("bufs"), W.n(100)).call("sched_yield")
    w.call("poll_oneoff", W.ptr("subs"), W.ptr("events"), W.n(2), W.ptr("out"))
    w.call("poll_oneoff", W.ptr("subs"), W.ptr("events"), W.n(4), W.ptr("out"))
    w.call("fd_prestat_get", W.fd(3), W.ptr("out")).call("fd_prestat_dir_name", W.fd(3), W.ptr("out"), W.n(1))
    w.call("fd_fdstat_get", W.fd(1), W.ptr("out")).call("fd_write", W.fd(1), W.ptr("iovs"), W.n(4), W.ptr("out"))
    w.host(3, bytes([1, 2, 5]) + b"A=b=c" + bytes([0]))
    write("wasi", "misc", bytes(w.b))
    w = Wasi(fns, budget=3)  # 8 KiB budget
    w.call("path_open", W.fd(3), W.x(0), W.path("/tmp/b"), W.x(1), W.r(3), W.r(0), W.x(1), W.ptr("out"))
    w.call("fd_allocate", W.fd(4), W.o(0), W.o(60000))
    w.call("fd_filestat_set_size", W.fd(4), W.o(7000))
    w.call("fd_fdstat_set_rights", W.fd(4), W.r(2), W.r(1))
    w.call("fd_write", W.fd(4), W.ptr("iovs"), W.n(8), W.ptr("out"))
    w.host(2, u16(4) + b"next").call("fd_readdir", W.fd(3), W.ptr("dirents"), W.n(30), W.X(3), W.ptr("out"))
    w.call("path_unlink_file", W.fd(3), W.path("tmp/a.txt/"))
    w.call("path_remove_directory", W.fd(3), W.path("tmp/dir/.."))
    write("wasi", "limits", bytes(w.b))
    w = Wasi(fns)  # symbolic links: a chain, a loop, through a directory, climbing; readlink; hard links
    w.open(3, "tmp/a.txt", W.O_CREAT).call("fd_write", W.fd(4), W.ptr("iovs"), W.n(3), W.ptr("out64"))
    w.call("path_create_directory", W.fd(3), W.path("tmp/dir")).symlink("l2", 3, "tmp/l1").symlink("a.txt", 3, "tmp/l2")
    w.symlink("loop", 3, "tmp/loop").symlink("../..", 3, "tmp/dir/l3").symlink("/tmp", 3, "tmp/b")
    for p in ("tmp/l1", "tmp/loop", "tmp/dir/l3/", "tmp/l1/", "tmp/l2/x", "tmp/l1/.."):
        w.call("path_filestat_get", W.fd(3), W.x(1), W.path(p), W.ptr("out"))
        w.call("path_filestat_get", W.fd(3), W.x(0), W.path(p), W.ptr("out"))
    w.call("path_readlink", W.fd(3), W.path("tmp/l1"), W.ptr("bufs"), W.n(200), W.ptr("out"))
    w.call("path_readlink", W.fd(3), W.path("tmp/dir/l3"), W.ptr("bufs"), W.n(2), W.ptr("out"))
    w.open(3, "tmp/l1", 0, W.R_RWS).call("fd_read", W.fd(5), W.ptr("iovs"), W.n(2), W.ptr("out64"))
    w.call("path_link", W.fd(3), W.x(0), W.path("tmp/a.txt"), W.fd(3), W.path("tmp/dir/x"))
    w.call("path_link", W.fd(3), W.x(0), W.path("tmp/l1"), W.fd(3), W.path("tmp/b"))
    w.call("path_link", W.fd(3), W.x(0), W.path("data.bin"), W.fd(3), W.path("tmp/b"))
    w.call("path_unlink_file", W.fd(3), W.path("tmp/a.txt")).call("fd_pread", W.fd(4), W.ptr("iovs"), W.n(1), W.o(0),
                                                                  W.ptr("out64"))
    w.call("path_rename", W.fd(3), W.path("tmp/l2"), W.fd(3), W.path("tmp/dir/x"))
    write("wasi", "links", bytes(w.b))
    w = Wasi(fns)  # a descriptor on tmp/dir: paths beneath it, escapes refused
    w.call("path_create_directory", W.fd(3), W.path("tmp/dir")).open(3, "tmp/dir", W.O_DIRECTORY, W.R_DIR, W.R_ALL)
    w.symlink("..", 4, "l3").symlink("../..", 4, "l1").symlink("x", 4, "l2").open(4, "x", W.O_CREAT, W.R_ALL)
    for p in ("..", "../..", "../x", "l3", "l3/x", "l1", "l2", "x", "./../tmp", "/tmp", "dir/../..", "../l1"):
        w.open(4, p, 0, W.R_READ).call("path_filestat_get", W.fd(4), W.x(1), W.path(p), W.ptr("out"))
        w.call("path_unlink_file", W.fd(4), W.path(p))
    w.call("path_rename", W.fd(4), W.path("x"), W.fd(3), W.path("tmp/b"))
    w.call("path_link", W.fd(3), W.x(0), W.path("tmp/b"), W.fd(4), W.path("../x"))
    w.call("fd_readdir", W.fd(4), W.ptr("dirents"), W.n(200), W.X(0), W.ptr("out"))
    write("wasi", "beneath", bytes(w.b))
    w = Wasi(fns)  # rights: partial opens, growing refused, probes on every kind of descriptor
    w.open(3, "tmp/a.txt", W.O_CREAT, W.R_READ).open(3, "tmp", W.O_DIRECTORY, W.R_NO_WRITE, W.R_RWS)
    w.call("fd_fdstat_set_rights", W.fd(4), W.r(W.R_ALL), W.r(W.R_NONE))
    w.call("fd_fdstat_set_rights", W.fd(5), W.r(W.R_READDIR), W.r(W.R_READ))
    w.call("fd_fdstat_set_rights", W.fd(5), W.r(W.R_READDIR), W.r(W.R_ALL))
    w.open(5, "a.txt", 0, W.R_ALL, W.R_ALL).call("fd_write", W.fd(6), W.ptr("iovs"), W.n(2), W.ptr("out"))
    for fd in (0, 1, 2, 3, 4, 5, 6):
        for k in range(0, 31):
            w.probe(fd, k)
    w.call("fd_renumber", W.fd(6), W.fd(1)).probe(1, 0).call("fd_renumber", W.fd(0), W.fd(7))
    w.host(2, u16(3) + b"new").probe(3, 17)
    write("wasi", "rights", bytes(w.b))
    w = Wasi(fns)  # /data.bin opened with write rights: writes are EROFS
    w.open(3, "data.bin", 0, W.R_RWS).call("fd_write", W.fd(4), W.ptr("iovs"), W.n(1), W.ptr("out"))
    w.call("fd_pwrite", W.fd(4), W.ptr("iovs"), W.n(1), W.o(0), W.ptr("out")).probe(4, 0x80).probe(4, 0x81)
    w.call("fd_filestat_set_size", W.fd(4), W.o(0)).open(3, "data.bin", W.O_TRUNC, W.R_RWS)
    w.probe(3, 0x80).probe(3, 0x90)
    write("wasi", "data-rw", bytes(w.b))
    w = Wasi(fns, budget=0x50)  # as wadup exec: /tmp preopened on fd 3, /metadata on 4, no root
    w.call("fd_prestat_get", W.fd(3), W.ptr("out")).call("fd_prestat_dir_name", W.fd(3), W.ptr("out"), W.n(4))
    w.open(3, "x", W.O_CREAT, W.R_RWS).open(3, "dir", W.O_DIRECTORY, W.R_DIR, W.R_ALL).symlink("..", 3, "l1")
    w.call("path_create_directory", W.fd(3), W.path("dir"))
    for p in ("..", "../..", "../x", "l1", "./../tmp", "/tmp", "../tmp/a.txt", "dir/../..", "x", "l3/x", "../l1"):
        w.open(3, p, 0, W.R_READ).call("path_filestat_get", W.fd(4), W.x(1), W.path(p), W.ptr("out"))
        w.call("path_rename", W.fd(3), W.path("x"), W.fd(4), W.path(p))
    w.call("path_link", W.fd(3), W.x(0), W.path("x"), W.fd(4), W.path("x")).probe(3, 5).probe(4, 9)
    w.host(2, u16(3) + b"new")
    write("wasi", "exec", bytes(w.b))
    for name in fns:  # every function once with preset arguments
        w = Wasi(fns)
        w.b += bytes([0, fns.index(name)]) + bytes([0] * 24)
        write("wasi", "fn-" + name, bytes(w.b))


# --------------------------------------------------------------- export

def text(s):
    """pick_text: fixed index < 0xc0, or raw bytes."""
    fixed = [b"a", b"data.bin", "été.txt".encode(), b"\xff\xfe", b'x"y\\z\n', b"", b"doc_type", b"_module",
             b"col_doc_type", b"Contents", b"\xed\xa0\x80", b"wadup_x"]
    if s in fixed:
        return bytes([fixed.index(s)])
    return bytes([0xC0, len(s)]) + s


def export_content(flags, filename, runs, error=None):
    """make_content; flags & 1 (a parent) only for a content after the first."""
    b = bytes([flags]) + (bytes([0]) if flags & 1 else b"")  # parent: the first content
    b += u32(0x1234)  # uuid suffix
    b += (bytes([2]) if flags & 1 else b"")  # depth
    b += text(filename) + (text(b"/in/" + filename) if not flags & 1 else b"")
    b += u32(1000) + bytes(range(32))
    if flags & 16:
        b += text(error or b"failed: reason")
    if flags & 64:
        b += text(b"timeout")
    b += u16(0) + u32(12345) + u16(5) + bytes([len(runs)])
    for r in runs:
        b += r
    return b


def export_run(flags, out=b"", err=b"", meta=None):
    b = bytes([flags])
    if not flags & 1:
        b += text(b"module failed")
    b += bytes([0])
    if flags & 2:
        b += u16(len(out)) + out
    if flags & 4:
        b += u16(len(err)) + err
    b += u16(8) + u32(4096)
    if flags & 32:
        m = meta.encode()
        b += u16(len(m)) + m
    return b


def v_int(v):
    return bytes([1]) + u64(v)


def v_real(v):
    return bytes([2]) + struct.pack("<d", v)


def v_text(s):
    return bytes([5, len(s)]) + s


V_NULL = bytes([0])


def raw_content(i, name=b"f.bin"):
    """bind_any values of a contents row (17 columns)."""
    return bytes([0]) + v_int(i) + v_text(b"uuid-%d" % i) + V_NULL + v_int(1) + v_int(0) + v_text(name) + V_NULL + \
        v_int(10) + V_NULL + v_text(b"success") + V_NULL * 4 + v_real(1.7e9) + v_real(3.5) + v_int(1)


def raw_run(content, started=2.0):
    """a module_runs row (12 columns)."""
    return bytes([1]) + v_int(content) + v_text(b"m") + v_text(b"failed") + v_text(b"exit") + v_int(3) + \
        v_text(b"boom") + v_text(b"out") + V_NULL + v_int(0) + v_int(1) + v_real(started) + v_int(5)


def raw_table(name, module):
    """raw_table: a physical table (created), listed, with two rows."""
    return bytes([2]) + text(name) + text(module) + text(b"c") + bytes([1, 2]) + \
        v_int(1) + v_text(b"x") + V_NULL + v_int(2) + v_real(0.5) + v_text(b"m")


def export_seeds():
    meta = META_DOCS[0]
    runs = [export_run(1 | 32, meta=meta), export_run(2 | 4, out=b"hello\n", err=b"\xff bad utf8")]
    seed = bytes([0, 1]) + text(b"byte-counter") + text(b"Contents")
    seed += export_content(0, b"data.bin", runs) + export_content(1 | 2, "été.txt".encode(), [export_run(1 | 8)])
    write("export", "store", seed)
    clash = '{"tables":[{"name":"doc_type","columns":[{"name":"doc_type","data_type":"String"},' \
            '{"name":"_content","data_type":"Int64"}]}],"rows":[{"table_name":"doc_type","values":' \
            '[{"String":"x"},{"Int64":1}]}]}'
    seed = bytes([2, 2]) + text(b"m1") + text(b"M1") + text(b"\xff\xfe")
    seed += export_content(16 | 64, b"\xff\xfe", [export_run(1 | 32, meta=clash), export_run(1 | 32, meta=meta)])
    write("export", "store-clash", seed)
    write("export", "raw", bytes([1, 2]) + raw_content(1) + raw_content(2, b"\xc3") + raw_run(1) + raw_table(b"t", b"m"))
    write("export", "raw-v1", bytes([1, 1]) + raw_content(1) + raw_table(b"t", b"t") + raw_run(1, 1e300))


def main():
    wasm_seeds()
    metadata_seeds()
    vfs_seeds()
    wasi_seeds()
    export_seeds()
    for h in sorted(os.listdir(OUT)):
        print("fuzz-corpus: %-9s %4d seeds" % (h, len(os.listdir(os.path.join(OUT, h)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
