#!/usr/bin/env bash
# build-python.sh — builds the shared CPython runtime for wadup's Python
# modules, from Debian source packages, with Debian's clang-19 for
# wasm32-wasi:
#
#   build/python/runtime.wasm   CPython 3.11 + guest/python/runtime.c, a
#                               reactor exporting process(), stripped
#   build/python/stdlib.zip     the standard library as legacy-layout .pyc
#                               only (no .py, no test suites), zip root =
#                               sys.path entry
#   build/python/wasi-build/python.wasm   the plain interpreter (a WASI
#                               command, for checks under Node.js)
#   build/guest-libs/bzip2, build/guest-libs/xz   libbz2.a, liblzma.a for
#                               wasm32-wasi (headers in include/)
#
# Stages (each prints one line; output goes to build/python/build.log):
#   guest-libs  zlib and SQLite from scripts/build-guest-libs.sh (run if its
#               outputs are missing; waits while another run writes them)
#   sources     apt-get source python3.11 bzip2 xz-utils, all three unpacked
#               with Debian's patches (for CPython: 3.11.2 plus Debian's
#               security fixes to tarfile, zipfile, email, ...); configure
#               regenerated with autoconf, as debian/rules does, because
#               Debian patches edit configure.ac
#   bzip2, xz   the libraries for wasm32-wasi
#   native      a native CPython from the same tree (the "build python":
#               cross build, compileall)
#   wasi        the cross build (Tools/wasm/config.site-wasm32-wasi);
#               extension modules linked statically via Modules/Setup.local
#   runtime     runtime.wasm, checked with `build/wadup inspect` when the
#               CLI exists (only wasi_snapshot_preview1 imports; exports
#               process, memory, _initialize)
#   stdlib      stdlib.zip
#   smoke       runtime.wasm + stdlib.zip + a tiny app run under Node.js
#
# Debian patches: every patch in debian/patches/series is applied; none is
# skipped, as none breaks the WASI cross build or the runtime. The layout
# and sysconfig ones only change what the build itself writes and reads
# back (sysconfigdata-name.diff: _sysconfigdata__wasm32-wasi, without the
# platform) or paths nothing in the runtime uses (multiarch*.diff,
# distutils-*.diff, site.py's dist-packages: site is off;
# sysconfig-debian-schemes.diff makes posix_local sysconfig's default
# install scheme). Built with autoconf 2.71 (Debian's), not upstream's 2.69.
#
# Output directories: WADUP_PYTHON_OUT (default build/python) and
# WADUP_GUEST_LIBS (default build/guest-libs) put the build elsewhere, e.g.
# to try a change without touching the runtime others use.
#
# Idempotent: a stage is redone only when its stamp (build/python/.stamps)
# does not match a hash of the stage's own code, its inputs and the stages
# it depends on. Any failure stops the script with the end of the log.
#
# Source changes: xz's src/common/mythread.h gets `&& !defined(__wasi__)` on
# the #if that wraps its sigprocmask() helper (WASI has no signal masks;
# the helper is only used by the threaded xz tool, never by liblzma).
# SQLite is built with SQLITE_OS_OTHER (no VFS): guest/python/runtime.c
# provides one; compiled with -DWADUP_PY_SQLITE_VFS_ONLY it is also linked
# into python.wasm through Setup.local.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${WADUP_PYTHON_OUT:-$ROOT/build/python}
SRC="$OUT/src"
PYSRC="$SRC/python3.11"
NATIVE="$OUT/native-build"
WASI="$OUT/wasi-build"
GL=${WADUP_GUEST_LIBS:-$ROOT/build/guest-libs}
SYSROOT="$ROOT/build/wasi-sysroot"
LOG="$OUT/build.log"
STAMPS="$OUT/.stamps"
RUNTIME_C="$ROOT/guest/python/runtime.c"

WASM_CC=clang-19
WASM_AR=llvm-ar-19
WASM_RANLIB=llvm-ranlib-19
WASM_STRIP=llvm-strip-19
WASM_TARGET="--target=wasm32-wasi --sysroot=$SYSROOT"
# clang >= 16 makes these errors; CPython 3.11 and wasi-libc trip them.
WASM_WARN="-Wno-error=int-conversion -Wno-error=incompatible-function-pointer-types"
# 8 MiB shadow stack placed first (an overflow traps instead of corrupting
# data), 32 MiB initial memory; no maximum (wadup's --max-memory limits it).
STACK_SIZE=8388608
INITIAL_MEMORY=33554432
WASM_LINK_MEM="-Wl,--stack-first -Wl,-z,stack-size=$STACK_SIZE -Wl,--initial-memory=$INITIAL_MEMORY"
JOBS=$(nproc)

die() {
    echo "build-python.sh: error: $*" >&2
    exit 1
}

note() { echo "build-python.sh: $*"; }

# run CMD...: run CMD with its output appended to the log; on failure show
# the log's end and stop.
run() {
    echo "+ $*" >>"$LOG"
    if ! "$@" >>"$LOG" 2>&1; then
        echo "build-python.sh: command failed: $*" >&2
        tail -n 40 "$LOG" >&2
        die "see $LOG"
    fi
}

check_tools() {
    local t
    for t in "$WASM_CC" "$WASM_AR" "$WASM_RANLIB" "$WASM_STRIP" wasm-ld-19 cc make apt-get \
        dpkg-source autoconf sha256sum node; do
        command -v "$t" >/dev/null 2>&1 || die "$t not found; run scripts/setup.sh"
    done
    [ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc not installed; run scripts/setup.sh"
    if [ ! -f "$SYSROOT/.stamp" ]; then
        make -C "$ROOT" build/wasi-sysroot/.stamp >>"$LOG" 2>&1 || die "cannot create $SYSROOT"
    fi
}

# ---- stage bookkeeping --------------------------------------------------

# stage_key NAME EXTRA...: hash of the stage function's code, the build
# settings and EXTRA (input hashes, keys of the stages it depends on).
stage_key() {
    local fn=$1
    shift
    {
        declare -f "stage_$fn"
        echo "$WASM_TARGET $WASM_WARN $WASM_LINK_MEM ${SOURCE_DATE_EPOCH:-}"
        printf '%s\n' "$@"
    } | sha256sum | cut -d' ' -f1
}

key_of() { cat "$STAMPS/$1" 2>/dev/null || echo missing; }

# stage_outputs_present NAME: the stage's main outputs still exist.
stage_outputs_present() {
    case $1 in
    sources) [ -s "$SRC/source-date-epoch" ] && [ -f "$PYSRC/configure" ] && [ -f "$SRC/bzip2/bzlib.c" ] && [ -f "$SRC/xz-utils/configure" ] ;;
    bzip2) [ -s "$GL/bzip2/lib/libbz2.a" ] ;;
    xz) [ -s "$GL/xz/lib/liblzma.a" ] ;;
    native) [ -x "$NATIVE/python" ] ;;
    vfs) [ -s "$OUT/sqlite-vfs.o" ] ;;
    wasi) [ -s "$WASI/libpython3.11.a" ] && [ -s "$WASI/python.wasm" ] ;;
    runtime) [ -s "$OUT/runtime.wasm" ] ;;
    stdlib) [ -s "$OUT/stdlib.zip" ] ;;
    *) true ;;
    esac
}

# stage NAME EXTRA...: run stage_NAME unless its stamp matches.
stage() {
    local name=$1 key start
    shift
    key=$(stage_key "$name" "$@")
    if [ "$(key_of "$name")" = "$key" ] && stage_outputs_present "$name"; then
        note "[$name] up to date"
        return
    fi
    rm -f "$STAMPS/$name"
    start=$SECONDS
    echo "==== stage $name ($(date)) ====" >>"$LOG"
    "stage_$name"
    echo "$key" >"$STAMPS/$name"
    note "[$name] done in $((SECONDS - start)) s"
}

# ---- stages ---------------------------------------------------------------

# guest-libs: zlib and SQLite are another script's outputs. Wait while it
# runs (it moves finished directories into place), run it if they are
# missing, then require them.
guest_libs_present() {
    [ -s "$GL/zlib/lib/libz.a" ] && [ -s "$GL/zlib/include/zlib.h" ] &&
        [ -s "$GL/sqlite/lib/libsqlite3.a" ] && [ -s "$GL/sqlite/include/sqlite3.h" ]
}
guest_libs_busy() { pgrep -f "scripts/build-guest-libs.sh" >/dev/null 2>&1; }
stage_guest_libs() {
    local waited=0
    while guest_libs_busy && [ $waited -lt 1200 ]; do
        [ $waited = 0 ] && note "waiting for scripts/build-guest-libs.sh (run by someone else)"
        sleep 5
        waited=$((waited + 5))
    done
    if ! guest_libs_present; then
        note "building zlib and SQLite (scripts/build-guest-libs.sh)"
        run "$ROOT/scripts/build-guest-libs.sh"
    fi
    guest_libs_present || die "zlib/SQLite missing under $GL after scripts/build-guest-libs.sh"
}

# fetch PKG DEST [--skip-patches]: Debian source package PKG unpacked into DEST.
fetch() {
    local pkg=$1 dest=$2 opt=${3:-} dl dsc
    dl="$SRC/$pkg.download"
    rm -rf "$dl" "$dest"
    mkdir -p "$dl"
    (cd "$dl" && run apt-get -q -o APT::Sandbox::User=root source --download-only "$pkg")
    dsc=$(ls "$dl"/"$pkg"_*.dsc 2>/dev/null | head -n 1 || true)
    [ -n "$dsc" ] || die "no .dsc for $pkg (deb-src entries missing? run scripts/setup.sh)"
    # shellcheck disable=SC2086  # $opt is empty or one option
    run dpkg-source -x $opt "$dsc" "$dest"
    sed -n 's/^Version: //p' "$dsc" | head -n 1 >"$dest.version"
    rm -rf "$dl"
}

stage_sources() {
    mkdir -p "$SRC"
    fetch python3.11 "$PYSRC"
    [ -f "$PYSRC/Tools/wasm/config.site-wasm32-wasi" ] || die "no Tools/wasm in $PYSRC"
    # as debian/rules (stamp-patch): Debian's patches edit configure.ac
    rm -rf "$PYSRC/autom4te.cache" "$PYSRC/configure"
    (cd "$PYSRC" && run autoconf)
    rm -rf "$PYSRC/autom4te.cache"
    [ -s "$PYSRC/configure" ] || die "autoconf did not write $PYSRC/configure"
    fetch bzip2 "$SRC/bzip2"
    fetch xz-utils "$SRC/xz-utils"
    sed -i 's|^#if !(defined(_WIN32) \&\& !defined(__CYGWIN__))$|& \&\& !defined(__wasi__)|' \
        "$SRC/xz-utils/src/common/mythread.h"
    grep -q '!defined(__wasi__)' "$SRC/xz-utils/src/common/mythread.h" ||
        die "xz-utils: mythread.h no longer matches the expected #if"
    dpkg-parsechangelog -l "$PYSRC/debian/changelog" -STimestamp >"$SRC/source-date-epoch" ||
        die "cannot read $PYSRC/debian/changelog"
    note "sources: python3.11 $(cat "$PYSRC.version") (with $(grep -c '^[^#]' "$PYSRC/debian/patches/series") Debian patches)," \
        "bzip2 $(cat "$SRC/bzip2.version"), xz-utils $(cat "$SRC/xz-utils.version")"
}

# bzip2: the library's seven files, compiled directly (its Makefile is native-only).
stage_bzip2() {
    local src="$SRC/bzip2" stage="$GL/bzip2.stage" f objs=()
    rm -rf "$stage" && mkdir -p "$stage/include" "$stage/lib" "$stage/obj"
    for f in blocksort huffman crctable randtable compress decompress bzlib; do
        # shellcheck disable=SC2086
        run "$WASM_CC" $WASM_TARGET -O2 -D_FILE_OFFSET_BITS=64 -c "$src/$f.c" -o "$stage/obj/$f.o"
        objs+=("$stage/obj/$f.o")
    done
    run "$WASM_AR" rc "$stage/lib/libbz2.a" "${objs[@]}"
    run "$WASM_RANLIB" "$stage/lib/libbz2.a"
    rm -rf "$stage/obj"
    cp "$src/bzlib.h" "$stage/include/"
    cp "$SRC/bzip2.version" "$stage/VERSION"
    rm -rf "$GL/bzip2" && mv "$stage" "$GL/bzip2"
}

# xz: liblzma only, single-threaded, with its own configure.
stage_xz() {
    local src="$SRC/xz-utils" stage="$GL/xz.stage" b="$OUT/xz-build"
    rm -rf "$stage" "$b" && mkdir -p "$stage" "$b"
    (
        cd "$b"
        run env CC="$WASM_CC" CFLAGS="$WASM_TARGET -O2" AR="$WASM_AR" RANLIB="$WASM_RANLIB" \
            "$src/configure" --host=wasm32-unknown-wasi --build="$("$src/build-aux/config.guess")" \
            --prefix="$stage" --disable-shared --enable-static --disable-threads \
            --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
            --disable-lzma-links --disable-scripts --disable-doc --disable-nls --disable-rpath
        run make -C src/liblzma -j"$JOBS"
        run make -C src/liblzma install
    )
    rm -rf "$stage/lib/pkgconfig" "$stage/lib/liblzma.la"
    [ -s "$stage/lib/liblzma.a" ] && [ -s "$stage/include/lzma.h" ] || die "xz: liblzma not built"
    cp "$SRC/xz-utils.version" "$stage/VERSION"
    rm -rf "$GL/xz" "$b" && mv "$stage" "$GL/xz"
}

# native: the build python (built in its own directory, not installed).
stage_native() {
    rm -rf "$NATIVE" && mkdir -p "$NATIVE"
    (
        cd "$NATIVE"
        run "$PYSRC/configure" --prefix="$OUT/native" --without-ensurepip --disable-test-modules
        run make -j"$JOBS"
    )
    "$NATIVE/python" -c 'import sys, zlib; assert sys.version_info[:2] == (3, 11)' >>"$LOG" 2>&1 ||
        die "native python does not run"
}

setup_local() {
    local s='$(srcdir)/Modules/_sqlite'
    cat <<EOF
# Written by scripts/build-python.sh: compression and SQLite modules linked
# statically into libpython (first rule wins over Setup.stdlib). makesetup
# reads a line with "=" as a variable definition: no -DX=Y here.
*static*
zlib zlibmodule.c -I$GL/zlib/include $GL/zlib/lib/libz.a
_bz2 _bz2module.c -I$GL/bzip2/include $GL/bzip2/lib/libbz2.a
_lzma _lzmamodule.c -I$GL/xz/include $GL/xz/lib/liblzma.a
_sqlite3 _sqlite/blob.c _sqlite/connection.c _sqlite/cursor.c _sqlite/microprotocols.c _sqlite/module.c _sqlite/prepare_protocol.c _sqlite/row.c _sqlite/statement.c _sqlite/util.c -I$s -I$GL/sqlite/include -DPY_SQLITE_HAVE_SERIALIZE $OUT/sqlite-vfs.o $GL/sqlite/lib/libsqlite3.a
EOF
}

# pkg-config files so configure sees zlib (binascii's crc32), bzip2, xz (the
# versions only meet configure's minimum-version checks).
write_pc() {
    local name=$1 dir=$2 lib=$3 version=$4
    cat >"$OUT/pkgconfig/$name.pc" <<EOF
Name: $name
Description: $name for wasm32-wasi (wadup)
Version: $version
Cflags: -I$dir/include
Libs: -L$dir/lib -l$lib
EOF
}

# vfs: runtime.c's SQLite VFS alone, for python.wasm (Setup.local).
stage_vfs() {
    # shellcheck disable=SC2086
    run "$WASM_CC" $WASM_TARGET -O2 -Wall -Wextra -Werror -DWADUP_PY_SQLITE_VFS_ONLY \
        -I"$GL/sqlite/include" -c "$RUNTIME_C" -o "$OUT/sqlite-vfs.o"
}

# wasi: the cross build. make builds libpython3.11.a (with the static
# extension modules) and python.wasm.
stage_wasi() {
    local build_triple
    build_triple=$("$PYSRC/config.guess") # before the wasm CC is in the environment
    rm -rf "$WASI" "$OUT/pkgconfig" && mkdir -p "$WASI" "$OUT/pkgconfig"
    write_pc zlib "$GL/zlib" z 1.2.13
    write_pc bzip2 "$GL/bzip2" bz2 1.0.8
    write_pc liblzma "$GL/xz" lzma 5.4.1
    (
        cd "$WASI"
        run env CONFIG_SITE="$PYSRC/Tools/wasm/config.site-wasm32-wasi" \
            CC="$WASM_CC $WASM_TARGET" AR="$WASM_AR" RANLIB="$WASM_RANLIB" \
            CFLAGS="-O2 $WASM_WARN" \
            PKG_CONFIG_LIBDIR="$OUT/pkgconfig" PKG_CONFIG_PATH= \
            ac_cv_func_dlopen=no ac_cv_lib_dl_dlopen=no \
            "$PYSRC/configure" --host=wasm32-unknown-wasi --build="$build_triple" \
            --with-build-python="$NATIVE/python" --prefix=/wadup/python \
            --without-ensurepip --disable-test-modules
        setup_local >Modules/Setup.local
        # configure appends a 512 KiB stack and 10 MiB memory after LDFLAGS:
        # the real values are given at make time.
        run make -j"$JOBS" LDFLAGS_NODIST="$WASM_LINK_MEM"
    )
    [ -s "$WASI/libpython3.11.a" ] && [ -s "$WASI/python.wasm" ] || die "wasi: no libpython3.11.a/python.wasm"
    PYROOT="$PYSRC/Lib" node --no-warnings -e "$NODE_RUN" "$WASI/python.wasm" \
        -c 'import sys, zlib, _bz2, _lzma, _sqlite3, _decimal, pyexpat; print(sys.version); print(sys.builtin_module_names)' \
        >>"$LOG" 2>&1 || die "python.wasm does not start under node (see $LOG)"
}

# NODE_RUN: runs argv[1] (a WASI command) with the rest as its arguments,
# the directory $PYROOT (e.g. the source Lib/) mapped to / and on sys.path.
NODE_RUN='
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const file = process.argv[1];
const wasi = new WASI({ version: "preview1", args: ["python", ...process.argv.slice(2)],
  env: { PYTHONHOME: "/", PYTHONPATH: "/", PYTHONDONTWRITEBYTECODE: "1" },
  preopens: { "/": process.env.PYROOT }, returnOnExit: true });
const m = new WebAssembly.Module(fs.readFileSync(file));
const inst = new WebAssembly.Instance(m, wasi.getImportObject());
process.exitCode = wasi.start(inst);
'

# runtime: runtime.c + libpython + every library make linked python.wasm with.
make_var() {
    printf 'print-%%:\n\t@echo $($*)\n' | make -s -C "$WASI" -f Makefile -f - "print-$1"
}
stage_runtime() {
    local libs inc
    libs="$(make_var LIBS) $(make_var MODLIBS) $(make_var SYSLIBS)"
    libs=${libs//"$OUT/sqlite-vfs.o"/} # runtime.c itself holds the VFS
    inc="-I$WASI -I$PYSRC/Include -I$GL/sqlite/include"
    # shellcheck disable=SC2086
    run "$WASM_CC" $WASM_TARGET -O2 -Wall -Wextra -Werror $inc -c "$RUNTIME_C" -o "$OUT/runtime.o"
    # from the build directory: the Makefile's library paths are relative to it
    # shellcheck disable=SC2086
    (cd "$WASI" && run "$WASM_CC" $WASM_TARGET -O2 -mexec-model=reactor $WASM_LINK_MEM \
        -Wl,--export=process -o "$OUT/runtime.unstripped.wasm" "$OUT/runtime.o" libpython3.11.a \
        $libs -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks -lm)
    run "$WASM_STRIP" --strip-debug -o "$OUT/runtime.wasm.tmp" "$OUT/runtime.unstripped.wasm"
    mv "$OUT/runtime.wasm.tmp" "$OUT/runtime.wasm"
    check_runtime_imports
}

# check_runtime_imports: only wasi_snapshot_preview1 imports; process,
# memory and _initialize exported. Uses wadup's own reader when built.
check_runtime_imports() {
    local wasm="$OUT/runtime.wasm"
    if [ -x "$ROOT/build/wadup" ]; then
        "$ROOT/build/wadup" inspect "$wasm" >"$OUT/runtime.inspect" 2>&1 ||
            die "wadup inspect failed on $wasm: $(cat "$OUT/runtime.inspect")"
        cat "$OUT/runtime.inspect" >>"$LOG"
    fi
    node -e '
const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
const bad = WebAssembly.Module.imports(m).filter(i => i.module !== "wasi_snapshot_preview1" || i.kind !== "function");
const ex = WebAssembly.Module.exports(m).map(e => e.name);
if (bad.length) { console.error("foreign imports:", bad.map(i => i.module + "." + i.name).join(", ")); process.exit(1); }
for (const n of ["process", "memory", "_initialize"]) if (!ex.includes(n)) { console.error("missing export", n); process.exit(1); }
' "$wasm" >>"$LOG" 2>&1 || die "runtime.wasm has foreign imports or misses exports (see $LOG)"
}

# Parts of Lib/ not shipped: test suites, GUI, packaging tools, and modules
# that need what WASI lacks.
STDLIB_EXCLUDE="test idlelib tkinter turtledemo turtle.py ensurepip lib2to3 venv/scripts \
distutils/tests unittest/test ctypes/test sqlite3/test tkinter/test pydoc_data \
__phello__ site-packages"

stage_stdlib() {
    local st="$OUT/stdlib.stage" e sysconfigdata
    rm -rf "$st" && cp -a "$PYSRC/Lib" "$st"
    for e in $STDLIB_EXCLUDE; do rm -rf "${st:?}/$e"; done
    find "$st" -name __pycache__ -prune -exec rm -rf {} +
    find "$st" -type f ! -name '*.py' -delete
    # the cross build's sysconfig data (sysconfig, platform need it)
    sysconfigdata=$(ls "$WASI"/build/lib.*/_sysconfigdata_*.py 2>/dev/null | head -n 1 || true)
    [ -n "$sysconfigdata" ] || die "no _sysconfigdata in $WASI/build"
    cp "$sysconfigdata" "$st/"
    # -b: legacy layout (x.pyc next to x.py); -d: the path tracebacks show.
    run "$NATIVE/python" -E -s -m compileall -q -b -j0 -d /wadup/python/stdlib.zip "$st"
    find "$st" -name '*.py' -delete
    find "$st" -name __pycache__ -prune -exec rm -rf {} +
    find "$st" -type d -empty -delete
    run "$NATIVE/python" -E -s -c '
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
import time
when = time.gmtime(int(os.environ["SOURCE_DATE_EPOCH"]))[:6]
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            info = zipfile.ZipInfo(os.path.relpath(p, root), date_time=when)
            info.external_attr = 0o644 << 16
            with open(p, "rb") as fh:
                z.writestr(info, fh.read(), zipfile.ZIP_DEFLATED, 9)
os.replace(out + ".tmp", out)
' "$st" "$OUT/stdlib.zip"
    rm -rf "$st"
}

# smoke: runtime.wasm as a module would use it, under Node.js's WASI: the
# stdlib.zip, an app.zip with one module, the entry file, the per-content
# variables; process() twice on one instance.
SMOKE_PY='
import os, sys
def main():
    import json, zlib, bz2, lzma, sqlite3, decimal, hashlib, pyexpat, unicodedata
    db = sqlite3.connect("/tmp/t.db")
    db.execute("create table if not exists t(x)")
    assert lzma.decompress(lzma.compress(b"x")) == bz2.decompress(bz2.compress(b"x")) == b"x"
    print("smoke-ok", os.environ.get("WADUP_FILENAME"), sys.path)
'
SMOKE_JS='
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const wasi = new WASI({ version: "preview1", args: ["smoke"], preopens: { "/": process.argv[2] },
  env: { WADUP_FILENAME: "smoke.bin", WADUP_CONTENT_UUID: "0", WADUP_DEPTH: "0" }, returnOnExit: true });
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(process.argv[1])),
  wasi.getImportObject());
wasi.initialize(inst);
globalThis.keep = wasi; // node 20 frees a WASI object it still uses unless it stays referenced
for (let i = 0; i < 2; i++) { const rc = inst.exports.process(); if (rc !== 0) { console.error("process() =", rc); process.exit(1); } }
'
stage_smoke() {
    local d="$OUT/smoke"
    rm -rf "$d" && mkdir -p "$d/root/wadup/python" "$d/root/tmp" "$d/app"
    cp "$OUT/stdlib.zip" "$d/root/wadup/python/"
    echo smoke >"$d/root/wadup/python/entry"
    echo data >"$d/root/data.bin"
    printf '%s' "$SMOKE_PY" >"$d/app/smoke.py"
    run "$NATIVE/python" -E -s -c '
import compileall, sys, zipfile
app, out = sys.argv[1], sys.argv[2]
compileall.compile_file(app + "/smoke.py", quiet=1, legacy=True)
with zipfile.ZipFile(out, "w") as z:
    z.write(app + "/smoke.pyc", "smoke.pyc")
' "$d/app" "$d/root/wadup/python/app.zip"
    node --no-warnings -e "$SMOKE_JS" "$OUT/runtime.wasm" "$d/root" >"$d/out" 2>&1 || {
        cat "$d/out" >>"$LOG"
        die "runtime.wasm smoke test failed: $(tail -n 5 "$d/out")"
    }
    cat "$d/out" >>"$LOG"
    [ "$(grep -c '^smoke-ok smoke.bin' "$d/out")" = 2 ] || die "runtime.wasm smoke test: unexpected output (see $LOG)"
    rm -rf "$d"
}

hash_file() { sha256sum "$1" | cut -d' ' -f1; }

main() {
    mkdir -p "$OUT" "$STAMPS"
    : >"$LOG"
    check_tools
    local t0=$SECONDS
    local start=$SECONDS
    stage_guest_libs
    note "[guest-libs] zlib and SQLite present ($((SECONDS - start)) s)"
    stage sources
    # Reproducible builds: __DATE__/__TIME__ (sys.version) and zip entry
    # times come from the Debian changelog, so rebuilding gives the same
    # runtime.wasm and wadup's compiled-code cache stays valid.
    SOURCE_DATE_EPOCH=$(cat "$SRC/source-date-epoch")
    export SOURCE_DATE_EPOCH
    stage bzip2 "$(key_of sources)"
    stage xz "$(key_of sources)"
    stage native "$(key_of sources)"
    stage vfs "$(hash_file "$RUNTIME_C")" "$(hash_file "$GL/sqlite/include/sqlite3.h")"
    stage wasi "$(key_of native)" "$(key_of bzip2)" "$(key_of xz)" "$(hash_file "$OUT/sqlite-vfs.o")" \
        "$(hash_file "$GL/zlib/lib/libz.a")" "$(hash_file "$GL/sqlite/lib/libsqlite3.a")" \
        "$(declare -f setup_local write_pc)" "$NODE_RUN"
    stage runtime "$(key_of wasi)" "$(hash_file "$RUNTIME_C")" "$(declare -f make_var check_runtime_imports)"
    stage stdlib "$(key_of wasi)" "$STDLIB_EXCLUDE"
    stage smoke "$(key_of runtime)" "$(key_of stdlib)" "$SMOKE_PY" "$SMOKE_JS"
    note "runtime.wasm $(stat -c %s "$OUT/runtime.wasm") bytes, stdlib.zip $(stat -c %s "$OUT/stdlib.zip") bytes;" \
        "done in $((SECONDS - t0)) s (log: $LOG)"
}

main "$@"
