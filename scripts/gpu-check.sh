#!/usr/bin/env bash
# The GPU check (docs/gpu.md), in two halves:
#
#   bash scripts/gpu-check.sh prepare   # here: LLVM/MLIR, the CUDA toolkit
#       compiles the check's layers (integration-matrix groups, W1/W2 in f32
#       and bf16, G1) with hmoe-compile --target=cuda into build/gpu-check
#       (about 21 MB: fatbins for sm_80 and sm_90a, libhmoe_cuda_runtime.so).
#
#   bash scripts/gpu-check.sh run       # on a GPU machine: driver, NumPy,
#                                       # PyTorch; no LLVM/MLIR, no network
#       1. every prepared case against the float64 reference (f32 at
#          docs/numerics.md's 1e-5, bf16 at 1e-2);
#       2. compute-sanitizer memcheck and racecheck on a few cases;
#       3. the device's copy bandwidth and dense bf16/f32 GEMM rates; W1/W2
#          (f32, bf16) and G1 at T = 1..65536 against PyTorch eager (and
#          torch.compile at T = 4096) and their floors; W1's expert stage
#          alone (bf16, T = 16384) against the dense bf16 rate.
#       Output goes to stdout and, where $OUT is set (the device tool), to
#       $OUT/gpu-check.log. Each stage has a time limit; the whole run stays
#       under 8 minutes.
#
# With the device tool: run(command="bash scripts/gpu-check.sh run",
# carry=["build/gpu-check"]).
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${GPU_CHECK_DIR:-build/gpu-check}
# Here: the project's venv (NumPy); on the GPU machine: its python3.
if [ -z "${PYTHON:-}" ] && [ -x python/.venv/bin/python ]; then
  PY=python/.venv/bin/python
else
  PY=${PYTHON:-python3}
fi

case "${1:-}" in
prepare)
  set -e
  rm -rf "$DIR"
  "$PY" scripts/gpu_check.py prepare --hmoe-compile build/bin/hmoe-compile \
    --out "$DIR" --bench
  du -sh "$DIR"
  ;;
run)
  LOG=${OUT:+$OUT/gpu-check.log}
  exec > >(tee ${LOG:-/dev/null}) 2>&1
  echo "== $(date -u) $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
  status=0
  echo "== 1. the prepared cases against the reference"
  timeout 240 "$PY" scripts/gpu_check.py check --dir "$DIR" || status=1
  if command -v compute-sanitizer >/dev/null; then
    echo "== 2. compute-sanitizer memcheck (3 cases), racecheck (2 cases)"
    timeout 120 compute-sanitizer --tool memcheck --error-exitcode 3 \
      "$PY" scripts/gpu_check.py check --dir "$DIR" --limit 3 || status=1
    timeout 120 compute-sanitizer --tool racecheck --error-exitcode 3 \
      "$PY" scripts/gpu_check.py check --dir "$DIR" --limit 2 || status=1
  else
    echo "== 2. skipped: no compute-sanitizer on PATH"
  fi
  echo "== 3. benchmarks"
  timeout 240 "$PY" scripts/gpu_check.py bench --dir "$DIR" \
    --tokens 1,16,4096,65536 --compile-tokens 4096 --reps 5 || status=1
  echo "== status $status"
  exit $status
  ;;
*)
  echo "usage: $0 prepare|run" >&2
  exit 2
  ;;
esac
