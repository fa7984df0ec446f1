#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs every test: the lit suite
# and the unit tests through ctest, then the same suite again on an
# AddressSanitizer + UndefinedBehaviorSanitizer build (scripts/sanitize.sh,
# build-asan/; HMOE_SANITIZE=0 skips it). This is the README's test command
# and what CI runs.
#
#   scripts/test.sh [BUILD_DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}

"$root/scripts/setup.sh" "$build"
# -V shows the lit summary (tests found, passed, failed) as well.
ctest --test-dir "$build" --output-on-failure -V
if [ "${HMOE_SANITIZE:-1}" != 0 ]; then
  "$root/scripts/sanitize.sh"
fi
