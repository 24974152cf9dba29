#!/usr/bin/env bash
# Runs each libFuzzer target (tests/fuzz) for SECONDS (default 60) from its seed corpus
# (tests/fuzz/corpus/<target>, never modified: new inputs go to build-sanitize/fuzz/<target>/corpus)
# and prints executions and coverage. A crash leaves its input in build-sanitize/fuzz/<target>/
# and fails the script; reproduce with `build-sanitize/tests/fuzz/<target> <crash-file>`.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (builds build-sanitize if needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_model_load fuzz_text fuzz_tasks fuzz_hf_import fuzz_labelled_data
  fuzz_task_data)

if [ ! -f "$root/build-sanitize/CMakeCache.txt" ]; then
  "$root/scripts/sanitize_configure.sh" build-sanitize address,undefined -DEDGEBERT_BUILD_FUZZERS=ON
fi
cmake --build "$root/build-sanitize" --parallel "$(nproc)" --target "${targets[@]}"

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One fuzzer per core at a time (each is single-threaded): on 2 cores the pass takes half as long.
fuzz_one() {
  local target=$1 work="$root/build-sanitize/fuzz/$1" max_len result execs cov corpus
  mkdir -p "$work/corpus"
  local log="$work/last-run.log"
  # Model files and checkpoints folders are ~100-200 KB; texts and label files stay short so the
  # fuzzer spends its time on structure rather than on megabytes of filler.
  case $target in
    fuzz_model_load | fuzz_hf_import) max_len=262144 ;;
    fuzz_task_data) max_len=8192 ;;  # a SQuAD seed with its paragraphs
    *) max_len=4096 ;;
  esac
  # -rss_limit/-malloc_limit: a hostile input that makes us allocate > 2 GB is a finding too.
  if "$root/build-sanitize/tests/fuzz/$target" "$work/corpus" "$root/tests/fuzz/corpus/$target" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=2048 \
      -max_len=$max_len -print_final_stats=1 -artifact_prefix="$work/" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' ||
    echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  corpus=$(find "$work/corpus" -type f | wc -l)
  echo "fuzz: $target $result: ${seconds}s, $execs executions, ${cov:-cov: ?}, $corpus new corpus files"
  if [ "$result" = FAILED ]; then
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20
    echo "fuzz: full log $log"
    return 1
  fi
}
status=0
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge "$(nproc)" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
