#!/usr/bin/env bash
# fuzz.sh [SECONDS] — build and run wadup's libFuzzer harnesses
# (tests/fuzz/fuzz_*.c, docs/fuzzing.md):
#   1. make fuzz (clang-19, ASan + UBSan + libFuzzer) into build/fuzz/;
#   2. seed corpora into build/fuzz/corpus/<harness>/ (scripts/fuzz-corpus.sh);
#   3. every regression input in tests/fuzz/regressions/<harness>/ once
#      (inputs of crashes found and fixed: they must stay fixed);
#   4. each harness for SECONDS (default 20) on its corpus, artifacts
#      (crash-*, leak-*, timeout-*, oom-*) into build/fuzz/artifacts/<harness>/,
#      the libFuzzer log into build/fuzz/logs/<harness>.log;
# then a table harness | execs | execs/s | cov | new crashes, and a line
# "TESTS fuzz: N passed, M failed" (one test per harness: its regressions
# and its run) for scripts/test.sh. Exits non-zero if anything crashed.
#
# Environment: FUZZ_HARNESSES="wasm vfs" runs only those; FUZZ_JOBS for
# make; FUZZ_NICE=10 runs the fuzzers under nice; FUZZ_BUILD=build/x/fuzz
# builds and runs everything there instead of build/fuzz (make's FUZZ_DIR),
# so a second tree can fuzz while build/ is in use.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
case "$seconds" in *[!0-9]* | "") echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
harnesses=${FUZZ_HARNESSES:-"wasm metadata vfs wasi export"}
fb=${FUZZ_BUILD:-build/fuzz}
export FUZZ_BUILD=$fb # for fuzz-corpus.sh / gen_corpus.py
nice_cmd=()
if [ -n "${FUZZ_NICE:-}" ]; then nice_cmd=(nice -n "$FUZZ_NICE"); fi

make -s -j"${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}" FUZZ_DIR="$fb" fuzz
./scripts/fuzz-corpus.sh

# Leaks are bugs too; a crash must stop the run with a report.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

mkdir -p "$fb/logs"
declare -A reg_failed status execs rate cov crashes

# run_regressions H: every input of tests/fuzz/regressions/H once; sets reg_failed[H].
run_regressions() {
    local h=$1 dir="tests/fuzz/regressions/$1" log="$fb/logs/$1.regressions.log"
    reg_failed[$h]=0
    [ -d "$dir" ] || return 0
    local inputs=("$dir"/*)
    [ -e "${inputs[0]}" ] || return 0
    if ! "$fb/fuzz_$h" -runs=1 "${inputs[@]}" >"$log" 2>&1; then
        reg_failed[$h]=1
        echo "fuzz.sh: $h: a regression input crashes again (see $log):" >&2
        grep -E 'Running:|INVARIANT|ERROR|SUMMARY' "$log" | tail -n 6 >&2 || true
    fi
}

# fz_stat LOG NAME: a value of libFuzzer's -print_final_stats output.
fz_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

# run_harness H: fuzz H for $seconds; fills the table columns.
run_harness() {
    local h=$1 log="$fb/logs/$1.log" art="$fb/artifacts/$1/"
    mkdir -p "$art" "$fb/corpus/$h"
    local before after dict=()
    before=$(find "$art" -type f | wc -l)
    if [ -f "tests/fuzz/$h.dict" ]; then dict=(-dict="tests/fuzz/$h.dict"); fi
    local rc=0
    "${nice_cmd[@]}" "$fb/fuzz_$h" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" "$fb/corpus/$h" >"$log" 2>&1 || rc=$?
    after=$(find "$art" -type f | wc -l)
    execs[$h]=$(fz_stat "$log" number_of_executed_units)
    rate[$h]=$(fz_stat "$log" average_exec_per_sec)
    cov[$h]=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true) # none if it crashed at once
    crashes[$h]=$((after - before))
    if [ "$rc" != 0 ] && [ "${crashes[$h]}" = 0 ]; then crashes[$h]=1; fi
    if [ "${crashes[$h]}" != 0 ]; then
        echo "fuzz.sh: $h: crashed (exit $rc, see $log); new artifacts in $art:" >&2
        grep -E 'INVARIANT|ERROR|SUMMARY|Test unit written' "$log" | tail -n 6 >&2 || true
    fi
}

for h in $harnesses; do
    [ -x "$fb/fuzz_$h" ] || { echo "fuzz.sh: no harness $fb/fuzz_$h" >&2; exit 2; }
    run_regressions "$h"
done
for h in $harnesses; do run_harness "$h"; done

passed=0 failed=0
printf '\n%-10s %12s %10s %8s %12s %12s\n' harness execs execs/s cov "new crashes" regressions
for h in $harnesses; do
    reg="ok"
    [ "${reg_failed[$h]}" = 0 ] || reg="FAILED"
    printf '%-10s %12s %10s %8s %12s %12s\n' "$h" "${execs[$h]:-?}" "${rate[$h]:-?}" "${cov[$h]:-?}" \
        "${crashes[$h]}" "$reg"
    if [ "${crashes[$h]}" = 0 ] && [ "${reg_failed[$h]}" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "TESTS fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
