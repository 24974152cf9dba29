#!/usr/bin/env bash
# Configures a clang-14 sanitizer tree; the one place its flags live (scripts/sanitize_test.sh,
# scripts/fuzz.sh). usage: scripts/sanitize_configure.sh DIR SANITIZERS [EXTRA CMAKE ARGS...]
#   e.g. build-sanitize address,undefined -DEDGEBERT_BUILD_FUZZERS=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1 sanitizers=$2
shift 2
# The host build already runs the SIMDe-emulated VNNI kernel sets; compiling SIMDe's AVX-512
# headers again under the sanitizers only costs CI time.
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$root/$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEDGEBERT_WERROR=ON -DEDGEBERT_SANITIZE="$sanitizers" -DEDGEBERT_BUILD_BENCHMARKS=OFF \
  -DEDGEBERT_TEST_EMULATED_KERNELS=OFF "$@" \
  >/dev/null
