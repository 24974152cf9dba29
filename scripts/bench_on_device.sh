#!/usr/bin/env bash
# edgebert on a real Raspberry Pi (or any ARM Linux board reachable by ssh), beside ONNX Runtime's
# int8 on the same shapes:
#   1. cross-builds edgebert-bench for the target (scripts/cross_build.sh; Raspberry Pi OS
#      bookworm's libc, as scripts/sysroot.sh fetches it),
#   2. writes the int8 benchmark models here (build/bench/edgebert_make_bench_models: random
#      weights, the shapes of bench/perf_model.py's estimates) and, when this machine's fixture
#      venv has torch, onnx and onnxruntime (bench/requirements-peers.txt), their ONNX Runtime
#      int8 twins (bench/peers.py --export-onnx: the same classifiers, quantize_dynamic),
#   3. copies them to the board (scp), runs edgebert-bench there and, where the board's python3
#      has numpy and onnxruntime (`pip install onnxruntime`), bench/ort_time.py, then prints the
#      side by side (p50 ms, batch 1, random token ids).
#
# usage: scripts/bench_on_device.sh --ssh USER@HOST | --qemu CPU
#          [--target aarch64|armv7] [--models bert-mini,minilm-l6,bert-base] [--seq 16,64,128]
#          [--threads 1,4] [--runs 20] [--dir /tmp/edgebert-bench]
# --qemu CPU (cortex-a72, cortex-a76, ...) runs the edgebert part here under qemu-user instead:
# no copy and no ONNX Runtime; qemu timings say nothing about a board (the tests use it to
# check the script end to end). Compare the figures with bench/perf_model.py --estimate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ssh_host="" qemu_cpu="" target=aarch64 models=bert-mini,minilm-l6,bert-base seq=16,64,128
threads=1,4 runs=20 dir=/tmp/edgebert-bench
usage() { sed -n '14,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ssh) ssh_host=${2:?}; shift 2 ;;
    --qemu) qemu_cpu=${2:?}; shift 2 ;;
    --target) target=${2:?}; shift 2 ;;
    --models) models=${2:?}; shift 2 ;;
    --seq) seq=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "bench_on_device: unknown option $1" >&2; usage ;;
  esac
done
if [ -z "$ssh_host" ] && [ -z "$qemu_cpu" ]; then usage; fi
if [ -n "$ssh_host" ] && [ -n "$qemu_cpu" ]; then
  echo "bench_on_device: --ssh or --qemu, not both" >&2; exit 2
fi
case "$target" in
  aarch64) qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu
                 -E "LD_LIBRARY_PATH=$root/build-cross/sysroot-arm64/usr/lib/aarch64-linux-gnu") ;;
  armv7)   qemu=(qemu-arm -L /usr/arm-linux-gnueabihf
                 -E "LD_LIBRARY_PATH=$root/build-cross/sysroot-armhf/usr/lib/arm-linux-gnueabihf") ;;
  *) echo "bench_on_device: unknown target '$target' (aarch64, armv7)" >&2; exit 2 ;;
esac

# 1. the board's edgebert-bench; 2. models (host tools).
"$root/scripts/cross_build.sh" "$target" edgebert-bench
bench="$root/build-cross/$target/bench/edgebert-bench"
[ -x "$root/build/bench/edgebert_make_bench_models" ] ||
  cmake --build "$root/build" --target edgebert_make_bench_models
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
IFS=, read -r -a model_list <<<"$models"
names=()
for m in "${model_list[@]}"; do names+=("$m-int8"); done
"$root/build/bench/edgebert_make_bench_models" "$stage" "${names[@]}" >/dev/null
cp "$bench" "$root/bench/ort_time.py" "$stage/"
venv_python="$root/.venv-fixtures/bin/python"
with_ort=0
if [ -n "$ssh_host" ] && [ -x "$venv_python" ] &&
   "$venv_python" -c "import torch, onnx, onnxruntime" 2>/dev/null; then
  "$venv_python" "$root/bench/peers.py" --shapes "$models" --export-onnx "$stage" >/dev/null
  with_ort=1
elif [ -n "$ssh_host" ]; then
  echo "bench_on_device: no torch + onnx + onnxruntime in $venv_python: edgebert only" \
       "(tests/fixtures/setup_venv.sh, then pip install -r bench/requirements-peers.txt)" >&2
fi

# 3. run there (or here under qemu), one JSON report per model.
results="$stage/results"
mkdir -p "$results"
if [ -n "$ssh_host" ]; then
  ssh "$ssh_host" "mkdir -p '$dir'"
  scp -q "$stage"/edgebert-bench "$stage"/ort_time.py "$stage"/*.ebm \
    $([ "$with_ort" -eq 1 ] && echo "$stage"/*.onnx) "$ssh_host:$dir/"
  device_ort=0
  if [ "$with_ort" -eq 1 ] && ssh "$ssh_host" "python3 -c 'import numpy, onnxruntime'" 2>/dev/null; then
    device_ort=1
  elif [ "$with_ort" -eq 1 ]; then
    echo "bench_on_device: $ssh_host's python3 lacks numpy or onnxruntime: edgebert only" >&2
  fi
  ssh "$ssh_host" "cat /proc/cpuinfo | grep -m1 -E 'Model|model name' || true; uname -m" >&2
  for m in "${model_list[@]}"; do
    ssh "$ssh_host" "cd '$dir' && ./edgebert-bench $m-int8.ebm --seq $seq --threads $threads --runs $runs --json" \
      >"$results/$m.edgebert.json"
    if [ "$device_ort" -eq 1 ]; then
      ssh "$ssh_host" "cd '$dir' && python3 ort_time.py $m-int8.onnx --seq $seq --threads $threads --runs $runs" \
        >"$results/$m.ort.jsonl"
    fi
  done
else
  for m in "${model_list[@]}"; do
    "${qemu[@]}" -cpu "$qemu_cpu" "$stage/edgebert-bench" "$stage/$m-int8.ebm" \
      --seq "$seq" --threads "$threads" --runs "$runs" --warmup 1 --json >"$results/$m.edgebert.json"
  done
fi

# The side by side.
python3 - "$results" "${ssh_host:-qemu -cpu $qemu_cpu}" "${model_list[@]}" <<'PY'
import json, os, sys
results, where, models = sys.argv[1], sys.argv[2], sys.argv[3:]
print(f"on {where} (p50 ms, batch 1)")
print(f"{'model':<11}{'seq':>5}{'thr':>5}{'edgebert':>10}  {'kernels':<11}{'ORT int8':>10}{'ORT/ours':>10}")
for m in models:
    ours = json.load(open(os.path.join(results, f"{m}.edgebert.json")))["results"]
    ort_path = os.path.join(results, f"{m}.ort.jsonl")
    ort = {}
    if os.path.exists(ort_path):
        for line in open(ort_path):
            r = json.loads(line)
            ort[(r["seq"], r["threads"])] = r["p50_ms"]
    for r in ours:
        theirs = ort.get((r["seq"], r["threads"]))
        print(f"{m:<11}{r['seq']:>5}{r['threads']:>5}{r['p50_ms']:>10.2f}  {r['kernels']:<11}"
              + (f"{theirs:>10.2f}{theirs / r['p50_ms']:>9.2f}x" if theirs else f"{'-':>10}{'-':>10}"))
PY
