#!/usr/bin/env bash
# test.sh — the whole test suite: installs what is missing, builds the
# normal and the sanitizer (ASan + UBSan) builds, then runs
#   1. the WASI layout check (wadup's constants vs wasi-libc, at compile time),
#   2. the unit tests, normal and sanitized,
#   3. the C SDK check under Node's WASI and the Python SDK/builder host tests,
#   4. the end-to-end tests (CLI, batch runner, Python modules), against the
#      normal and the sanitized binary,
#   5. the fuzz harnesses' regression inputs and a short run of each
#      (scripts/fuzz.sh, FUZZ_SECONDS per harness, default 20).
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

passed=0 failed=0 skipped=0
step() { echo; echo "==> $*"; }

# tally_c LOG STATUS: add up the "TESTS suite: N passed, M failed" lines a
# C unit-test binary printed; a binary that died before printing one, or
# exited non-zero without failures counted, counts as one failed test.
tally_c() {
    local log=$1 status=$2 p f
    p=$(sed -n 's/^TESTS [^:]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^TESTS [^:]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
    passed=$((passed + p)) failed=$((failed + f))
}

# tally_py LOG STATUS: add up a Python unittest log ("Ran N tests", then
# "OK" or "FAILED (failures=a, errors=b, skipped=c)").
tally_py() {
    local log=$1 status=$2 n f s p
    n=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$log" | tail -n 1)
    n=${n:-0}
    # (grep finding nothing must not end the script under set -e/pipefail)
    f=$(tail -n 3 "$log" | { grep -o -E '(failures|errors|unexpected successes)=[0-9]+' || true; } |
        awk -F= '{s+=$2} END {print s+0}')
    s=$(tail -n 3 "$log" | { grep -o -E 'skipped=[0-9]+' || true; } | awk -F= '{s+=$2} END {print s+0}')
    if [ "$status" != 0 ] && [ "$f" = 0 ]; then f=1; fi
    p=$((n - f - s)); [ "$p" -ge 0 ] || p=0
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# tally_one STATUS: a check that is one test.
tally_one() { if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi; }

step "WASI layout check (clang-19 --target=wasm32-wasi)"
rc=0; clang-19 --target=wasm32-wasi --sysroot=build/wasi-sysroot -Isrc -fsyntax-only tests/unit/wasi_layout_check.c || rc=$?
tally_one "$rc"

for build in build build/asan; do
    step "unit tests ($build)"
    for t in "$build"/tests/test_*; do
        rc=0; "$t" >"$cache/unit.log" 2>&1 || rc=$?
        grep -v '^TESTS ' "$cache/unit.log" || true
        [ "$rc" = 0 ] || echo "FAILED: $t"
        tally_c "$cache/unit.log" "$rc"
    done
done

step "C SDK escaping under node:wasi"
rc=0; node tests/guest/run_sdk_escape.mjs build/tests/guest/sdk_escape.wasm || rc=$?
tally_one "$rc"

step "Python SDK and module builder (host tests, Debian's python3)"
rc=0; /usr/bin/python3 -m unittest discover -s tests/python >"$cache/python.log" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then tail -n 3 "$cache/python.log"; else tail -n 40 "$cache/python.log"; echo "FAILED: tests/python"; fi
tally_py "$cache/python.log" "$rc"

for bin in build/wadup build/asan/wadup; do
    step "end-to-end tests ($bin)"
    log="$cache/e2e.log"
    rc=0; WADUP="$bin" /usr/bin/python3 -m unittest discover -s tests/e2e -v >"$log" 2>&1 || rc=$?
    if [ "$rc" = 0 ]; then tail -n 4 "$log"; else grep -E '^(FAIL|ERROR):' "$log" || true; tail -n 80 "$log"; echo "FAILED: e2e with $bin"; fi
    tally_py "$log" "$rc"
done

step "fuzz harnesses: regressions, then ${FUZZ_SECONDS:-20} s each (scripts/fuzz.sh)"
rc=0; ./scripts/fuzz.sh "${FUZZ_SECONDS:-20}" >"$cache/fuzz.log" 2>&1 || rc=$?
grep -v '^TESTS ' "$cache/fuzz.log" | tail -n 30 || true
[ "$rc" = 0 ] || echo "FAILED: scripts/fuzz.sh"
tally_c "$cache/fuzz.log" "$rc"

echo
if [ "$skipped" != 0 ]; then echo "($skipped skipped)"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
