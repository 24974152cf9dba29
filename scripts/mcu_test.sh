#!/usr/bin/env bash
# Bare-metal Cortex-M builds (platforms/toolchains/arm-none-eabi.cmake) for the Cortex-M4, M7
# (no Helium: the baseline) and M55, each with the firmware example (tiny fixture fp32 and int8,
# the demo's 2/128 shape int8) and the kernel check, which ctest runs under qemu-system-arm on the
# board QEMU models for that core (platforms/cortex-m: mps2-an386, mps2-an500, mps3-an547): the
# firmware against the host's build of the same program (platforms/cortex-m/run_firmware_test.sh),
# every kernel set against the reference set (tests/mcu/kernel_check.cc). Prints the firmware's
# size per section. Needs the host build (scripts/build.sh): its model arrays are compiled into
# the firmware, its firmware examples are the reference.
# usage: scripts/mcu_test.sh        Build trees: build-mcu/<core>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host="$root/build"
[ -f "$host/build.ninja" ] || { echo "mcu_test: no host build in $host: run scripts/build.sh" >&2; exit 1; }
# The host's firmware examples: their model arrays are the board's too, their output the reference
# (the demo-shaped one is not in the default build: its model takes seconds of training).
cmake --build "$host" --target edgebert-firmware-example edgebert-firmware-example-int8 \
  edgebert-firmware-example-demo
for core in cortex-m4 cortex-m7 cortex-m55; do
  build="$root/build-mcu/$core"
  echo "mcu_test: $core"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEBERT_WERROR=ON \
    -DCMAKE_TOOLCHAIN_FILE="$root/platforms/toolchains/arm-none-eabi.cmake" -DEB_MCU="$core" \
    -DEDGEBERT_HOST_BUILD="$host" >/dev/null
  cmake --build "$build"
done
for core in cortex-m4 cortex-m7 cortex-m55; do
  for elf in "$root/build-mcu/$core"/platforms/cortex-m/edgebert-firmware-*.elf; do
    echo "mcu_test: $core $(basename "$elf")"
    arm-none-eabi-size -A "$elf" | grep -E '^(section|\.vectors|\.text|\.rodata|\.ARM\.exidx|\.init_array|\.data|\.bss|\.stack) '
  done
  (cd "$root/build-mcu/$core" && ctest --output-on-failure)
done
