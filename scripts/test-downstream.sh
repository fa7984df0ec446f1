#!/usr/bin/env bash
# Installs a built hmoe into a temporary prefix, then configures, builds and
# tests examples/downstream against that prefix only (find_package(HMoE)):
# the check that the installed CMake package, headers, generated .inc files,
# libraries and tools are complete. Run by ctest (test "downstream").
#
#   scripts/test-downstream.sh [BUILD_DIR]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hmoe-downstream.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== install hmoe into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
echo "   $(grep -c '^-- Installing' "$work/install.log") files"

cache() { grep -m1 "^$1:" "$build/CMakeCache.txt" | cut -d= -f2-; }
echo "== configure and build examples/downstream against it"
# Same compilers and flags as hmoe's build (a sanitizer build's libraries
# need the sanitizer runtime in whatever links them).
cmake -G Ninja -S "$root/examples/downstream" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER="$(cache CMAKE_C_COMPILER)" \
  -DCMAKE_CXX_COMPILER="$(cache CMAKE_CXX_COMPILER)" \
  -DCMAKE_C_FLAGS="$(cache CMAKE_C_FLAGS)" \
  -DCMAKE_CXX_FLAGS="$(cache CMAKE_CXX_FLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(cache CMAKE_EXE_LINKER_FLAGS)" \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DHMoE_DIR="$work/prefix/lib/cmake/hmoe" >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
ninja -C "$work/build" check-downstream
