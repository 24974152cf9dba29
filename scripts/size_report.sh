#!/usr/bin/env bash
# Stripped sizes of the device runtime (no XNNPACK) and of the classifier example, for aarch64,
# armv7 and the host, in Release (-O3) and MinSizeRel (-Os) builds of the library and examples
# only. The tokenizer's Unicode tables are not in the runtime: the converter stores them in the
# model file (reported from `edgebert-convert inspect` of the bundled fixture model).
#
# usage: scripts/size_report.sh        (needs scripts/sysroot.sh arm64/armhf, done if missing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-cross/size"
mkdir -p "$out"

strip_size() {  # strip program, file -> stripped bytes
  local copy="$out/stripped.tmp"
  "$1" -o "$copy" "$2" && stat -c %s "$copy" && rm -f "$copy"
}

# Loaded bytes (code, read-only data, data, unwind tables) are the figure to compare: stripped
# file sizes of aarch64 binaries include padding to 64 KiB segment alignment.
loaded() {  # size program, ELF file -> bytes of its loaded sections
  "$1" -A "$2" | awk '$1 ~ /^\.(text|rodata|data|data\.rel\.ro|eh_frame|eh_frame_hdr|ARM\.exidx|ARM\.extab|init_array|fini_array|got|plt|dynsym|dynstr|rela?\.dyn|rela?\.plt)$/ {s += $2} END {print s}'
}
printf "%-8s %-11s %12s %12s %12s %12s\n" target build "so loaded" "so file" "classify ld" "classify file"
for target in aarch64 armv7 host; do
  case "$target" in
    aarch64) toolchain=(-DCMAKE_TOOLCHAIN_FILE="$root/platforms/toolchains/aarch64-linux-gnu.cmake")
             strip=aarch64-linux-gnu-strip size=aarch64-linux-gnu-size
             "$root/scripts/sysroot.sh" arm64 >/dev/null ;;
    armv7)   toolchain=(-DCMAKE_TOOLCHAIN_FILE="$root/platforms/toolchains/armv7-linux-gnueabihf.cmake")
             strip=arm-linux-gnueabihf-strip size=arm-linux-gnueabihf-size
             "$root/scripts/sysroot.sh" armhf >/dev/null ;;
    host)    toolchain=() strip=strip size=size ;;
  esac
  for config in Release MinSizeRel; do
    build="$out/$target-$config"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=$config "${toolchain[@]}" \
      -DEDGEBERT_BUILD_TESTS=OFF -DEDGEBERT_BUILD_BENCHMARKS=OFF -DEDGEBERT_BUILD_CONVERTER=OFF \
      -DEDGEBERT_BUILD_EXAMPLES=ON -DEDGEBERT_WITH_XNNPACK=OFF >/dev/null
    cmake --build "$build" --target edgebert_shared edgebert-classify >/dev/null
    so=$(readlink -f "$build/lib/libedgebert.so")
    classify="$build/platforms/edgebert-classify"
    printf "%-8s %-11s %12s %12s %12s %12s\n" "$target" "$config" "$(loaded "$size" "$so")" \
      "$(strip_size "$strip" "$so")" "$(loaded "$size" "$classify")" \
      "$(strip_size "$strip" "$classify")"
  done
done
if [ -x "$root/build/converter/edgebert-convert" ]; then
  echo
  echo "Tokenizer tables stored in the model by the converter (bundled fixture):"
  "$root/build/converter/edgebert-convert" import --hf "$root/tests/fixtures/tiny_bert/classifier" \
    -o "$out/fixture.ebm" >/dev/null
  "$root/build/converter/edgebert-convert" inspect "$out/fixture.ebm" | grep "device tables"
fi
