#!/usr/bin/env bash
# Builds hmoe with AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/ and runs the whole test suite (lit and ctest) on it.
#   scripts/sanitize.sh [BUILD_DIR]      (default: build-asan)
# Any sanitizer report fails the run: UBSan is made fatal, ASan aborts on its
# first error, LeakSanitizer checks every process at exit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-asan}

# The packages (libclang-rt-22-dev has the sanitizer runtimes) and the
# normal build.
"$root/scripts/setup.sh" >/dev/null

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DLLVM_ENABLE_LLD=ON \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
fi
ninja -C "$build" all hmoe-doc
# allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs when
# inlined into our instrumented code, but the uninstrumented libMLIR.so hands
# out memory from them without unpoisoning (a false use-after-poison).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build" && ctest --output-on-failure
