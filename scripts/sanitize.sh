#!/usr/bin/env bash
# Builds hmoe with AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/ and runs the whole test suite (lit and ctest) on it.
#   scripts/sanitize.sh [BUILD_DIR]      (default: build-asan)
# Any sanitizer report fails the run: UBSan is made fatal, ASan aborts on its
# first error, LeakSanitizer checks every process at exit.
#
# The same build has libFuzzer coverage and the fuzz targets
# (HMOE_ENABLE_FUZZERS), so scripts/fuzz.sh needs no build of its own; the
# coverage hooks cost the tests little.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-asan}

# setup.sh installs the packages (libclang-rt-22-dev has the sanitizer and
# libFuzzer runtimes) and configures from CFLAGS/CXXFLAGS/LDFLAGS.
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  "$root/scripts/setup.sh" "$build" -DHMOE_ENABLE_FUZZERS=ON
[ "${HMOE_SANITIZE_BUILD_ONLY:-0}" != 0 ] && exit 0

# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs when
# inlined into our instrumented code, but the uninstrumented libMLIR.so hands
# out memory from them without unpoisoning (a false use-after-poison).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build" && ctest --output-on-failure
