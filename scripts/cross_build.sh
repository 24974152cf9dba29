#!/usr/bin/env bash
# Cross-builds the project for a Raspberry Pi target in build-cross/<target> (the sysroot from
# scripts/sysroot.sh, the toolchain file from platforms/toolchains/): every target, or only the
# CMake targets named after it.
# usage: scripts/cross_build.sh aarch64|armv7 [CMAKE_TARGET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: cross_build.sh aarch64|armv7 [CMAKE_TARGET...]}
shift
case "$target" in
  aarch64) arch=arm64 toolchain=aarch64-linux-gnu ;;
  armv7)   arch=armhf toolchain=armv7-linux-gnueabihf ;;
  *) echo "cross_build: unknown target '$target' (aarch64, armv7)" >&2; exit 2 ;;
esac
"$root/scripts/sysroot.sh" "$arch"
build="$root/build-cross/$target"
echo "cross_build: building $target in $build${*:+ (targets: $*)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEBERT_WERROR=ON \
  -DCMAKE_TOOLCHAIN_FILE="$root/platforms/toolchains/$toolchain.cmake" \
  -DEDGEBERT_BUILD_CONVERTER=ON >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "$build" --parallel --target "$@"
else
  cmake --build "$build" --parallel
fi
