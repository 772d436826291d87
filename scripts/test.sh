#!/usr/bin/env bash
# test.sh — the whole test suite: installs what is missing, builds the
# normal and the sanitizer (ASan + UBSan) builds, then runs
#   1. the WASI layout check (wadup's constants vs wasi-libc, at compile time),
#   2. the unit tests, normal and sanitized,
#   3. the C SDK check under Node's WASI and the Python SDK/builder host tests,
#   4. the end-to-end tests (CLI, batch runner, Python modules), against the
#      normal and the sanitized binary.
# Compiled modules go to a fresh cache so the run also exercises compilation.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" all unit-bins
make -j"$jobs" asan
make python

cache=$(mktemp -d /tmp/wadup-test-cache.XXXXXX)
trap 'rm -rf "$cache"' EXIT
export WADUP_CACHE_DIR="$cache"
export WADUP_PYTHON_DIR="$PWD/build/python"   # the Python runtime, for both builds of wadup
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

failed=0
step() { echo; echo "==> $*"; }

step "WASI layout check (clang-19 --target=wasm32-wasi)"
clang-19 --target=wasm32-wasi --sysroot=build/wasi-sysroot -Isrc -fsyntax-only tests/unit/wasi_layout_check.c || failed=1

for build in build build/asan; do
    step "unit tests ($build)"
    for t in "$build"/tests/test_*; do
        "$t" || { echo "FAILED: $t"; failed=1; }
    done
done

step "C SDK escaping under node:wasi"
node tests/guest/run_sdk_escape.mjs build/tests/guest/sdk_escape.wasm || failed=1

step "Python SDK and module builder (host tests, Debian's python3)"
if /usr/bin/python3 -m unittest discover -s tests/python >"$cache/python.log" 2>&1; then
    tail -n 3 "$cache/python.log"
else
    tail -n 40 "$cache/python.log"
    echo "FAILED: tests/python"
    failed=1
fi

for bin in build/wadup build/asan/wadup; do
    step "end-to-end tests ($bin)"
    log="$cache/e2e.log"
    if WADUP="$bin" python3 -m unittest discover -s tests/e2e -v >"$log" 2>&1; then
        tail -n 4 "$log"
    else
        tail -n 80 "$log"
        echo "FAILED: e2e with $bin"
        failed=1
    fi
done

echo
if [ "$failed" = 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit "$failed"
