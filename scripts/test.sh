#!/usr/bin/env bash
# README command (b): set up, build, and run every test through ctest: the host suite, then the
# same suite cross-built for aarch64 and armv7 under qemu-user (scripts/cross_test.sh), once per
# emulated CPU. EDGEBERT_SKIP_CROSS=1 runs the host suite only (quick local iterations).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure --parallel 2)
if [ "${EDGEBERT_SKIP_CROSS:-0}" != 1 ]; then
  "$root/scripts/cross_test.sh"
fi
