#!/usr/bin/env bash
# Cross-builds the runtime, converter, tests, benchmarks and examples for aarch64 and armv7 and
# runs the ctest suite under qemu-user, once per emulated CPU (the whole suite under the first CPU
# of a target, the runtime's tests under the others), checking that run-time dispatch picks the
# kernel set that CPU should get:
#
#   aarch64  cortex-a72 (Pi 4: NEON only)      -> neon
#            cortex-a76 (Pi 5: + dotprod)      -> dotprod
#            max        (+ dotprod + i8mm)     -> i8mm
#   armv7    cortex-a7  (Pi 2/3 32-bit: NEON)  -> neon
#
# usage: scripts/cross_test.sh [aarch64|armv7 ...]     (default: both)
# Build trees: build-cross/<target>; sysroots: build-cross/sysroot-<arch> (scripts/sysroot.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(aarch64 armv7)

# Tests whose code path does not change with the CPU's kernel set: the host-side converter and
# trainer, and the runtime's tokenizer, fp32 reference, XNNPACK fp32, model loading and memory plan.
cpu_independent_tests='^(Trainer|trainer|Sentence splitting|Paragraphs|Pretraining|Epoch sampler'\
'|Training|Vocab trainer|Import|Inspect|Labelled data|Safetensors|cli\.|example\.|lib\.hygiene'\
'|Tokenizer|Reference parity|Model:|Memory plan|id-only|No heap: fp32|No heap: XNNPACK provider, fp32'\
'|XNNPACK: fp32)'

for target in "${targets[@]}"; do
  case "$target" in
    aarch64) arch=arm64 toolchain=aarch64-linux-gnu
             cpus=(cortex-a72:neon cortex-a76:dotprod max:i8mm) ;;
    armv7)   arch=armhf toolchain=armv7-linux-gnueabihf
             cpus=(cortex-a7:neon) ;;
    *) echo "cross_test: unknown target '$target' (aarch64, armv7)" >&2; exit 2 ;;
  esac
  "$root/scripts/sysroot.sh" "$arch"
  build="$root/build-cross/$target"
  echo "cross_test: building $target in $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEBERT_WERROR=ON \
    -DCMAKE_TOOLCHAIN_FILE="$root/platforms/toolchains/$toolchain.cmake" \
    -DEDGEBERT_BUILD_CONVERTER=ON >/dev/null
  cmake --build "$build" --parallel
  first=1
  for entry in "${cpus[@]}"; do
    cpu=${entry%%:*} expected=${entry#*:}
    # The first CPU runs the whole suite; the others rerun only what depends on the CPU's kernel
    # set (int8 kernels, quantized sessions, threads, XNNPACK int8), saving minutes of emulation.
    filter=()
    [ "$first" -eq 1 ] || filter=(-E "$cpu_independent_tests")
    first=0
    echo "cross_test: ctest for $target under qemu -cpu $cpu (expecting kernel set '$expected')" \
      "${filter[*]:+(kernel-dependent tests only)}"
    (cd "$build" && EDGEBERT_QEMU_CPU=$cpu EDGEBERT_EXPECT_KERNELS=$expected \
       ctest --output-on-failure --parallel 2 "${filter[@]}")
  done
done
