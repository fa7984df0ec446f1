#!/usr/bin/env bash
# Takes a fresh Debian 12 machine (root, apt) to a built hmoe tree: installs
# the packages, configures and builds. On a ready machine it installs
# nothing and rebuilds nothing, so running it again is quick.
#
#   scripts/setup.sh [BUILD_DIR [CMAKE_ARG...]]      (default: build)
#
# CMAKE_ARGs (and CFLAGS/CXXFLAGS/LDFLAGS) apply when BUILD_DIR is configured
# for the first time.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift $(($# > 0 ? 1 : 0))

# LLVM/MLIR 22 come from Debian 12's bookworm-security suite; libomp-22-dev
# runs the OpenMP loops of hmoe-lower-to-cpu; libclang-rt-22-dev has the
# sanitizer runtimes (scripts/sanitize.sh); python3-numpy is for the
# float64 reference and the integration tests (/usr/bin/python3);
# python3-dev, python3-venv and python3-torch for the Python package
# (python/.venv below sees Debian's NumPy and PyTorch); mpich and
# libmpich-dev run layers with expert parallelism (experts_on) across MPI
# processes.
packages=(
  cmake ninja-build ccache python3 python3-numpy libgtest-dev
  python3-dev python3-venv python3-torch
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libomp-22-dev libclang-rt-22-dev mpich libmpich-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Python package's build and test tools, pinned (python/requirements.txt).
venv=$root/python/.venv
if ! "$venv/bin/python" -c "import nanobind, pytest, numpy, torch" 2>/dev/null; then
  echo "setup: creating $venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    -r "$root/python/requirements.txt"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DLLVM_ENABLE_LLD=ON "$@"
fi
# The generated dialect and pass docs are part of the build.
ninja -C "$build" all hmoe-doc
