#!/usr/bin/env bash
# The main job: set up and build, then compile the example nested LL HMoE
# layer (examples/nested_ll_hmoe.mlir).
#
# The CPU lowering pipeline and runner are not built yet (issue #3), so for
# now this shows the layer verified and decomposed into its stages
# (score -> route -> dispatch -> experts -> combine). It does not run the
# layer and prints no results or speed.
#
#   scripts/main.sh [BUILD_DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}

"$root/scripts/setup.sh" "$build" >/dev/null
example="$root/examples/nested_ll_hmoe.mlir"
echo "== $example, verified and decomposed by hmoe-opt --hmoe-decompose:"
"$build/bin/hmoe-opt" --hmoe-decompose "$example"
echo "== Not yet run: the CPU pipeline (hmoe-lower-to-cpu, hmoe-run) is issue #3."
