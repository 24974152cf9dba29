#!/usr/bin/env bash
# Cross-builds the runtime, converter, tests, benchmarks and examples for aarch64 and armv7 and
# runs the ctest suite under qemu-user, once per emulated CPU (the whole suite under the first CPU
# of the first target, less the fp32 task pipelines under the next target's first CPU, the
# kernel-dependent tests under the others; the trainer's CLI is host only), checking that
# run-time dispatch picks the kernel set that CPU should get:
#
#   aarch64  cortex-a72 (Pi 4: NEON only)      -> neon
#            cortex-a76 (Pi 5: + dotprod)      -> dotprod
#            max        (+ dotprod + i8mm)     -> i8mm
#   armv7    cortex-a7  (Pi 2/3 32-bit: NEON)  -> neon
#
# Then scripts/bench_on_device.sh end to end under qemu, and bench/perf_model.py --check.
#
# usage: scripts/cross_test.sh [aarch64|armv7 ...]     (default: both)
# Build trees: build-cross/<target>; sysroots: build-cross/sysroot-<arch> (scripts/sysroot.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(aarch64 armv7)

# Tests whose code path does not change with the CPU's kernel set: the host-side converter and
# trainer, and the runtime's tokenizer, fp32 reference, XNNPACK fp32 (the fp32 task pipelines
# too: their int8 agreement test stays per CPU), model loading and memory plan, and the task
# calls' zero heap (their allocations are the session's, not the kernels'; the int8 kernel
# path's zero-heap case stays per CPU).
cpu_independent_tests='^(Trainer|trainer|Sentence splitting|Paragraphs|Pretraining|Epoch sampler'\
'|Training|Vocab trainer|Import|Inspect|Labelled data|Safetensors|cli\.|example\.|lib\.hygiene'\
'|Tokenizer|BPE tokenizer|Unigram tokenizer|Reference parity|Model:|Memory plan|id-only|No heap: fp32'\
'|No heap: SentencePiece|No heap: XNNPACK provider, fp32|No heap: the task calls'\
'|XNNPACK: fp32|Tasks: (token logits|answers|entities|fill-mask|cross-encoder))'

# The fp32 task pipelines' logic (answers over windows, the task calls' zero heap, cross-encoder,
# fill-mask, entities: ~6 minutes of the armv7 lane) runs under the first target only; later
# targets keep every other CPU-independent test (the tokenizers, loader and memory plan on their
# own pointer width) and the kernel-dependent ones.
first_target_only='^(Tasks: (answers|cross-encoder|fill-mask|entities)|No heap: the task calls)'
first_target=1
for target in "${targets[@]}"; do
  case "$target" in
    aarch64) cpus=(cortex-a72:neon cortex-a76:dotprod max:i8mm) ;;
    armv7)   cpus=(cortex-a7:neon) ;;
    *) echo "cross_test: unknown target '$target' (aarch64, armv7)" >&2; exit 2 ;;
  esac
  t0=$SECONDS
  "$root/scripts/cross_build.sh" "$target"
  echo "cross_test: cross build for $target took $((SECONDS - t0)) s"
  build="$root/build-cross/$target"
  first=1
  for entry in "${cpus[@]}"; do
    cpu=${entry%%:*} expected=${entry#*:}
    # The first CPU runs the whole suite; the others rerun only what depends on the CPU's kernel
    # set (int8 kernels, quantized sessions, threads, XNNPACK int8), saving minutes of emulation.
    filter=() note=""
    if [ "$first" -eq 0 ]; then
      filter=(-E "$cpu_independent_tests") note="(kernel-dependent tests only)"
    elif [ "$first_target" -eq 0 ]; then
      filter=(-E "$first_target_only") note="(all but the task pipelines run under ${targets[0]})"
    fi
    first=0
    echo "cross_test: ctest for $target under qemu -cpu $cpu (expecting kernel set '$expected')" \
      "$note"
    t0=$SECONDS
    (cd "$build" && EDGEBERT_QEMU_CPU=$cpu EDGEBERT_EXPECT_KERNELS=$expected \
       ctest --output-on-failure --parallel 2 "${filter[@]}")
    echo "cross_test: ctest under qemu -cpu $cpu took $((SECONDS - t0)) s"
  done
  # The on-device benchmark script end to end, its board replaced by qemu (the last CPU above).
  echo "cross_test: scripts/bench_on_device.sh under qemu -cpu $cpu"
  out=$("$root/scripts/bench_on_device.sh" --qemu "$cpu" --target "$target" --models bert-mini \
          --seq 16 --threads 1,2 --runs 2 2>&1) || { echo "$out"; exit 1; }
  grep -q -E "^bert-mini +16 +2 +[0-9.]+ +$expected " <<<"$out" ||
    { echo "$out"; echo "cross_test: bench_on_device.sh did not report bert-mini on $expected"; exit 1; }
  first_target=0
done

# The llvm-mca performance model over the objects just built (and the host's, when built):
# every GEMM entry's k loop is found with its tile's multiplies and gets a sane prediction.
echo "cross_test: bench/perf_model.py --check"
"$root/bench/perf_model.py" --check >/dev/null
