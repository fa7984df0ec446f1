#!/usr/bin/env bash
# The GPU check (docs/gpu.md), in two halves:
#
#   bash scripts/gpu-check.sh prepare   # here: LLVM/MLIR, the CUDA toolkit
#       compiles the check's layers (integration-matrix groups, W1/W2 in f32
#       and bf16, G1) with hmoe-compile --target=cuda into build/gpu-check
#       (about 65 MB: the cases' fatbins for sm_80 and sm_90a, the
#       benchmarks' sm_90a images, libhmoe_cuda_runtime.so) and packs it
#       into build/gpu-check.tar.gz (about 21 MB: a device call carries
#       64 MiB with the source tree, and the images compress 3x).
#
#   bash scripts/gpu-check.sh run       # on a GPU machine: driver, NumPy,
#                                       # PyTorch; no LLVM/MLIR, no network
#       1. every prepared case against the float64 reference (f32 at
#          docs/numerics.md's 1e-5, bf16 at 1e-2); stage functions called
#          with index operands out of range must fail their device-side
#          checks (CUDA_ERROR_ASSERT), in range must run;
#       2. compute-sanitizer memcheck and racecheck on a few cases, and
#          racecheck on a staged kernel with a race on purpose (it must
#          report it);
#       3. each kernel's time (ncu) in W1/W2 bf16 on tensor cores, G1, W1 f32;
#       4. the device's copy bandwidth and dense bf16/f32 GEMM rates; W1/W2
#          (f32, bf16) and G1 at T = 1..65536 against PyTorch eager (and
#          torch.compile at T = 4096) and their floors, hmoe and its peers
#          timed in turns (ROUNDS, 3; the median and the rounds' spread);
#          W1's expert stage alone (bf16, T = 16384) against the dense bf16
#          rate; hmoe.dispatch alone at DeepSeek-V3's shape (T = 16384,
#          K = 8, 256 experts; dropless and a capacity in each fill order),
#          checked against NumPy, against the bytes it moves; routing
#          alone (DeepSeek-V3's on a warp per token and on a thread, G1's
#          too) beside PyTorch and its floor.
#       Output goes to stdout and, where $OUT is set (the device tool), to
#       $OUT/gpu-check.log. Each stage has a time limit (CHECK_S, SAN_S,
#       NCU_S, BENCH_S; 0 skips a stage); the whole run stays under 10 minutes.
#
# With the device tool: run(command="bash scripts/gpu-check.sh run",
# carry=["build/gpu-check.tar.gz"]); `run` unpacks it into build/gpu-check.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR=${GPU_CHECK_DIR:-build/gpu-check}
DIR=${DIR%/}
PACK=$DIR.tar.gz
# Here: the project's venv (NumPy); on the GPU machine: its python3.
if [ -z "${PYTHON:-}" ] && [ -x python/.venv/bin/python ]; then
  PY=python/.venv/bin/python
else
  PY=${PYTHON:-python3}
fi

case "${1:-}" in
prepare)
  set -e
  rm -rf "$DIR" "$PACK"
  "$PY" scripts/gpu_check.py prepare --hmoe-compile build/bin/hmoe-compile \
    --out "$DIR" --bench
  du -sh "$DIR"
  # A device call carries the source tree and the carried paths, 64 MiB in
  # all, so the libraries travel compressed (the fatbins and the host code
  # compress 3x; gzip, which any machine unpacks). Past 64 MiB
  # the run would fail on the device machine, its minutes spent, so say so
  # here.
  tar -czf "$PACK" -C "$(dirname "$DIR")" "$(basename "$DIR")"
  # The directory here is what the pack holds: `run` here unpacks nothing.
  touch -r "$PACK" "$DIR/.unpacked"
  # (Tracked files and untracked ones git does not ignore, as the call
  # copies them; a file deleted from the work tree counts nothing.)
  tree=$({ git ls-files -z --cached --others --exclude-standard |
    xargs -0 stat -c %s 2>/dev/null || true; } | awk '{s += $1} END {print s + 0}')
  prepared=$(stat -c %s "$PACK")
  echo "$PACK: $prepared bytes; carried with the tree:" \
    "$(( (tree + prepared) / 1048576 )) MiB of 64"
  if [ $(( tree + prepared )) -gt $(( 64 * 1048576 )) ]; then
    echo "error: $PACK ($prepared bytes) and the tree ($tree) pass the" \
      "device call's 64 MiB; drop benchmark libraries (gpu_check.py)" >&2
    exit 1
  fi
  ;;
run)
  # Each stage's limit in seconds, and the benchmark's token counts, can be
  # set from the environment (a short lease: CHECK_S=120 BENCH_S=0 ...).
  # (118 cases, a process each: 240 s; stop 36's 50 took under 120.)
  : "${CHECK_S:=240}" "${CASE_S:=60}" "${SAN_S:=40}" "${NCU_S:=25}" \
    "${BENCH_S:=240}"
  LOG=${OUT:+$OUT/gpu-check.log}
  export PYTHONUNBUFFERED=1
  exec > >(tee ${LOG:-/dev/null}) 2>&1
  echo "== $(date -u) $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv || true
  "$PY" -c 'import sys, numpy; print("python", sys.version.split()[0], "numpy", numpy.__version__)'
  # The carried pack, unpacked unless the directory already holds it (a
  # warm machine keeps the last call's directory: a newer pack replaces
  # it, whether or not the copy kept the pack's time).
  if [ -f "$PACK" ] && { [ ! -e "$DIR/.unpacked" ] ||
      [ "$PACK" -nt "$DIR/.unpacked" ]; }; then
    rm -rf "$DIR"
    # (A pack made for another GPU_CHECK_DIR holds another directory.)
    if ! tar -xzf "$PACK" -C "$(dirname "$DIR")" || [ ! -d "$DIR" ] ||
        ! touch -r "$PACK" "$DIR/.unpacked"; then
      echo "error: $PACK did not unpack into $DIR" >&2
      exit 1
    fi
    echo "unpacked $PACK into $DIR"
  elif [ ! -d "$DIR" ]; then
    echo "error: neither $PACK nor $DIR is here: carry the pack" \
      "(run(..., carry=[\"$PACK\"]))" >&2
    exit 1
  else
    echo "using $DIR as it is (no $PACK newer than it)"
  fi
  status=0
  if [ "$CHECK_S" -gt 0 ]; then
    echo "== 1. the prepared cases against the reference (a process each)"
    timeout "$CHECK_S" "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --isolate "$CASE_S" || status=1
    echo "== 1b. index operands from a caller out of range: a device assert each"
    timeout 120 "$PY" scripts/gpu_check.py guards --dir "$DIR" \
      --timeout "$CASE_S" || status=1
  fi
  if [ "$SAN_S" -gt 0 ] && command -v compute-sanitizer >/dev/null; then
    echo "== 2. compute-sanitizer memcheck (8 cases), racecheck (5 cases and a race)"
    # One layer in f32, bf16 on tensor cores and on the threads' GEMMs, and
    # f32 in TF32; racecheck on tensor cores (bf16 by default).
    timeout "$SAN_S" compute-sanitizer --tool memcheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'gemm-gemm-nested_laplace_ffn(|-bf16|-bf16-tensor-cores-0|-f32-tf32)[.]so$' \
      --limit 4 || status=1
    timeout "$SAN_S" compute-sanitizer --tool racecheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'bf16[.]so$' --limit 2 || status=1
    # Capacity in score order (a thread per assignment reading its
    # expert's keys): memcheck (bounds).
    timeout "$SAN_S" compute-sanitizer --tool memcheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'capacity-capacity-score-long[.]so$' --limit 1 || status=1
    # A warp per token routing DeepSeek-V3's 256 experts (each lane's
    # experts' rows, the choices every lane stores): memcheck (bounds).
    timeout "$SAN_S" compute-sanitizer --tool memcheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'warp-group_limited-deepseek_v3-warp-route-experts-0[.]so$' \
      --limit 1 || status=1
    # The workgroup tiles' cp.async copies, stages and barriers
    # (warp-stage-bytes; wide/ffn_512's two stages in dynamic workgroup
    # memory): memcheck (bounds) and racecheck.
    for tool in memcheck racecheck; do
      timeout "$SAN_S" compute-sanitizer --tool $tool \
        --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
        --match 'wide-ffn_512-bf16-warp-stage-bytes-128-short-pointers[.]so$' \
        --limit 1 || status=1
    done
    # The threads' K tiles (thread-stage-bytes): copies, then reads, a
    # barrier after each: racecheck, with one stage and with two (the next
    # K tile's cp.async copies in flight while this one is read).
    timeout "$SAN_S" compute-sanitizer --tool racecheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'gemm-gemm-nested_laplace_ffn-thread-stage-bytes-128-block-rows-64(|-thread-stages-2)[.]so$' \
      --limit 2 || status=1
    # Warpgroup MMA's tiles, aligned to 1024 bytes within the buffer
    # (warp-wgmma): memcheck (bounds).
    timeout "$SAN_S" compute-sanitizer --tool memcheck \
      --error-exitcode 3 "$PY" scripts/gpu_check.py check --dir "$DIR" \
      --match 'wide-ffn_512-bf16-warp-stage-bytes-128-short-pointers-warp-wgmma-chip-sm_90a[.]so$' \
      --limit 1 || status=1
    # racecheck's own check: the same kernel without its barrier per K
    # tile (warp-test-drop-barrier, a race on purpose) must show hazards,
    # else the clean runs above prove nothing about cp.async's writes and
    # named barriers. Its results are not checked.
    races=$(mktemp)
    timeout "$SAN_S" compute-sanitizer --tool racecheck \
      "$PY" scripts/gpu_check.py check --dir "$DIR" --races --limit 1 \
      >"$races" 2>&1
    # (The case's own PASS or FAIL against the reference does not count.)
    grep -E 'RACECHECK SUMMARY|hazard|Error' "$races" | head -20
    if grep -Eq 'RACECHECK SUMMARY: [1-9][0-9]* hazard' "$races"; then
      echo "racecheck reports the dropped barrier's race (expected)"
    else
      echo "FAIL: racecheck reported no hazard without the barrier per K tile" \
        "(or ran past SAN_S=$SAN_S s)"
      status=1
    fi
    rm -f "$races"
  else
    echo "== 2. skipped: SAN_S=0 or no compute-sanitizer on PATH"
  fi
  if [ "$NCU_S" -gt 0 ] && command -v ncu >/dev/null; then
    # Where the time goes: each kernel's duration (two calls: a warm-up
    # and one more), per library and token count.
    echo "== 3. kernel times (ncu)"
    for spec in ${PROFILE:-libW1-bf16.so:4096 libW2-bf16.so:4096 \
        libG1.so:65536 libW1-f32.so:4096}; do
      echo "-- ${spec%:*} at T = ${spec#*:}"
      timeout "$NCU_S" ncu --clock-control none \
        --metrics gpu__time_duration.sum --print-summary per-kernel \
        "$PY" scripts/gpu_check.py profile --dir "$DIR" \
        --match "^${spec%:*}\$" --tokens "${spec#*:}" || status=1
    done
  fi
  if [ "$BENCH_S" -gt 0 ]; then
    echo "== 4. benchmarks"
    timeout "$BENCH_S" "$PY" scripts/gpu_check.py bench --dir "$DIR" \
      --tokens "${TOKENS:-1,16,4096,65536}" --match "${BENCH_MATCH:-}" \
      --compile-tokens "${COMPILE_TOKENS-4096}" --reps 5 \
      --rounds "${ROUNDS:-3}" || status=1
  fi
  echo "== status $status"
  exit $status
  ;;
*)
  echo "usage: $0 prepare|run" >&2
  exit 2
  ;;
esac
