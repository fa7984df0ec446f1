#!/usr/bin/env bash
# Builds hmoe, sets up the peers' venv and runs the benchmarks:
#   bench/run.sh [--quick] [--threads N] [--repetitions N] [--peers LIST]
# Prints every figure and ratio in one run (see bench/RESULTS.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${HMOE_BUILD:-$root/build}
venv=${HMOE_BENCH_VENV:-$root/bench/.venv}
"$root/scripts/setup.sh" "$build" >/dev/null
HMOE_BENCH_VENV=$venv "$root/bench/setup.sh"
exec "$venv/bin/python" "$root/bench/bench.py" --hmoe-run "$build/bin/hmoe-run" "$@"
