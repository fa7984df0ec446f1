#!/usr/bin/env bash
# Runs the libFuzzer targets of tools/fuzz for a given time each.
#
#   scripts/fuzz.sh [SECONDS] [FUZZER...]     (default: 60 s; parse lower npy)
#
# FUZZER is parse, lower or npy (hmoe-<name>-fuzzer). The targets come from
# the ASan + UBSan + libFuzzer build of scripts/sanitize.sh (build-asan/,
# made here if missing). Each fuzzer keeps its corpus in
# build-asan/fuzz/<name>/corpus across runs (so runs add up), starts from the
# seeds of tools/fuzz/make_seeds.py and the regression inputs in
# test/Fuzz/Inputs, and runs in libFuzzer's fork mode so that a finding does
# not end the run: crash-*, leak-*, timeout-* and oom-* inputs land in
# build-asan/fuzz/<name>/findings. Every run appends a line to
# build-asan/fuzz/history.tsv. Exit status 1 if a run left any finding.
#
# HMOE_FUZZ_PARALLEL=1 runs the fuzzers at the same time (one core each)
# instead of one after the other.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-asan
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
fuzzers=("$@")
((${#fuzzers[@]})) || fuzzers=(parse lower npy)

HMOE_SANITIZE_BUILD_ONLY=1 "$root/scripts/sanitize.sh" "$build" >/dev/null
out=$build/fuzz
/usr/bin/python3 "$root/tools/fuzz/make_seeds.py" "$root" "$out/seeds"

# The same false positive as in sanitize.sh (allow_user_poisoning=0).
export ASAN_OPTIONS=detect_leaks=1:allow_user_poisoning=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {
  local name=$1 dir=$out/$1 seeds args
  case $name in
  parse | lower)
    seeds=$out/seeds/mlir
    # Whole test files are seeds; the largest is ~17 KB.
    args=(-dict="$root/tools/fuzz/hmoe.dict" -max_len=24576)
    [ "$name" = lower ] && args+=(-timeout=60) || args+=(-timeout=10)
    ;;
  npy)
    seeds=$out/seeds/npy
    args=(-max_len=4096 -timeout=10)
    ;;
  *)
    echo "fuzz.sh: unknown fuzzer '$name' (parse, lower or npy)" >&2
    return 2
    ;;
  esac
  mkdir -p "$dir/corpus" "$dir/findings"
  local regressions=()
  [ -d "$root/test/Fuzz/Inputs/$name" ] && regressions=("$root/test/Fuzz/Inputs/$name")
  local before after start log=$dir/last-run.log
  before=$(ls "$dir/findings" | wc -l)
  start=$(date +%s)
  echo "fuzz.sh: $name for ${seconds}s (log: $log)"
  "$build/bin/hmoe-$name-fuzzer" "${args[@]}" -fork=1 -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -rss_limit_mb=4096 \
    -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$dir/findings/" "$dir/corpus" "$seeds" \
    ${regressions[@]+"${regressions[@]}"} >"$log" 2>&1 || true
  after=$(ls "$dir/findings" | wc -l)
  local stats
  stats=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
  printf '%s\t%s\t%ss\t%s\tcorpus %s\tnew findings %s\n' \
    "$(date -u +%FT%TZ)" "$name" "$(($(date +%s) - start))" "$stats" \
    "$(ls "$dir/corpus" | wc -l)" "$((after - before))" |
    tee -a "$out/history.tsv"
  ((after == before))
}

status=0
if [ "${HMOE_FUZZ_PARALLEL:-0}" != 0 ]; then
  pids=()
  for f in "${fuzzers[@]}"; do run_one "$f" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
else
  for f in "${fuzzers[@]}"; do run_one "$f" || status=1; done
fi
((status == 0)) || echo "fuzz.sh: findings in $out/*/findings" >&2
exit $status
