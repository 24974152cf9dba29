#!/usr/bin/env bash
# README command (b): set up, build, and run every test through ctest: the host suite and the
# Python binding's (scripts/python_test.sh: wheel built, installed, pytest), the bare-metal
# Cortex-M builds with the Cortex-M55 firmware under qemu-system-arm (scripts/mcu_test.sh), then
# the same suite cross-built for aarch64 and armv7 under qemu-user (scripts/cross_test.sh), once
# per emulated CPU, then the reliability suite (scripts/sanitize_test.sh: ASan+UBSan build of the
# whole suite, ThreadSanitizer concurrency test, a short pass of every fuzzer).
# EDGEBERT_SKIP_CROSS=1 / EDGEBERT_SKIP_SANITIZE=1 leave those parts out (quick local iterations).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Each phase's wall time, printed as it ends and summed up at the end (CI's budget is tiered by
# these: keep the whole under 45 minutes on the 2-core machine).
phases=() start=$SECONDS
phase() {
  local name=$1 t0=$SECONDS
  shift
  "$@"
  phases+=("$(printf '%-14s %5d s' "$name" $((SECONDS - t0)))")
  echo "test.sh: $name took $((SECONDS - t0)) s"
}
phase setup "$root/scripts/setup.sh"
phase build "$root/scripts/build.sh"
phase host-ctest bash -c "cd '$root/build' && ctest --output-on-failure --parallel 2"
phase python "$root/scripts/python_test.sh"
phase mcu "$root/scripts/mcu_test.sh"
if [ "${EDGEBERT_SKIP_CROSS:-0}" != 1 ]; then
  phase cross "$root/scripts/cross_test.sh"
fi
if [ "${EDGEBERT_SKIP_SANITIZE:-0}" != 1 ]; then
  phase sanitize "$root/scripts/sanitize_test.sh"
fi
echo "test.sh: all tests passed in $((SECONDS - start)) s:"
printf '  %s\n' "${phases[@]}"
