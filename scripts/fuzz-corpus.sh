#!/usr/bin/env bash
# fuzz-corpus.sh — seed corpora for the libFuzzer harnesses into
# build/fuzz/corpus/<harness>/, or $FUZZ_BUILD/corpus/ (docs/fuzzing.md).
# Builds the example and guest-test modules first (make examples; skipped
# with FUZZ_SKIP_EXAMPLES=1), since the wasm seeds are the project's own
# modules; then runs tests/fuzz/gen_corpus.py with Debian's python3.
# Seeds are named <label>-<content hash>, so regenerating them is
# idempotent; inputs libFuzzer adds to the same directories (named by
# their SHA-1) stay, so the corpus grows from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${FUZZ_SKIP_EXAMPLES:-0}" != 1 ]; then
    make -s examples >/dev/null || echo "fuzz-corpus.sh: make examples failed; wasm seeds from what is built" >&2
fi
mkdir -p "${FUZZ_BUILD:-build/fuzz}/corpus"
/usr/bin/python3 tests/fuzz/gen_corpus.py
