#!/usr/bin/env bash
# cpu_bound.sh — CPU-bound benchmark (CRC-32 over 64 MiB: native vs wadup vs
# Node.js). Thin wrapper around bench/cpu_bound.py; see it for options, e.g.
#   bench/cpu_bound.sh --runners native,node --repeat 5
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/cpu_bound.py" "$@"
