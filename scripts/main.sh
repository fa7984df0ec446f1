#!/usr/bin/env bash
# The main job: set up and build, then compile the example nested LL HMoE
# layer (examples/nested_ll_hmoe.mlir) for the CPU with hmoe-run, run it on
# seeded random inputs, check it against the float64 reference and print
# the error and the throughput (tokens/s, GFLOP/s).
#
#   scripts/main.sh [BUILD_DIR] [TOKENS]     (default: build, 1024)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
tokens=${2:-1024}

"$root/scripts/setup.sh" "$build" >/dev/null
PYTHONPATH="$root/python" exec /usr/bin/python3 "$root/scripts/run_example.py" \
  --hmoe-run "$build/bin/hmoe-run" \
  --example "$root/examples/nested_ll_hmoe.mlir" --tokens "$tokens"
