#!/usr/bin/env bash
# Cross-builds the runtime, converter, tests, benchmarks and examples for aarch64 and armv7 and
# runs the whole ctest suite under qemu-user, once per emulated CPU, checking that run-time
# dispatch picks the kernel set that CPU should get:
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
  for entry in "${cpus[@]}"; do
    cpu=${entry%%:*} expected=${entry#*:}
    echo "cross_test: ctest for $target under qemu -cpu $cpu (expecting kernel set '$expected')"
    (cd "$build" && EDGEBERT_QEMU_CPU=$cpu EDGEBERT_EXPECT_KERNELS=$expected \
       ctest --output-on-failure --parallel 2)
  done
done
