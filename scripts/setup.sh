#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests and benchmarks need. Idempotent: does nothing
# when all are installed; otherwise `apt-get update` (retried: mirrors and the security index can
# fail transiently) and one `apt-get install`. Runs apt through sudo when not root.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config               # toolchain
  libflatbuffers-dev flatbuffers-compiler        # model format (runtime uses headers only)
  doctest-dev libbenchmark-dev                   # tests, benchmarks
  libsimde-dev                                   # tests: run the AVX-512/AVX-VNNI kernels' code on AVX2
  nlohmann-json3-dev libcli11-dev libfmt-dev     # converter CLI
  libutf8proc-dev                                # Unicode tables for the tokenizer
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev  # XNNPACK provider (pthreadpool not pulled in)
  clang-14 libclang-rt-14-dev libomp-14-dev      # sanitizer + libFuzzer builds (scripts/sanitize_test.sh)
  llvm-16 python3                                # bench/perf_model.py (llvm-mca-16, llvm-objdump-16)
  python3-dev python3-venv                       # Python binding (scripts/python_test.sh)
  openjdk-17-jdk-headless                        # Java binding (bindings/java, ctest java.binding)
  gcc-arm-none-eabi libnewlib-arm-none-eabi      # bare-metal Cortex-M builds (scripts/mcu_test.sh)
  libstdc++-arm-none-eabi-newlib qemu-system-arm  # ... and the Cortex-M55 board under QEMU
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "setup: installing ${missing[*]}"
for attempt in 1 2 3 4; do
  if "${sudo_cmd[@]}" apt-get update -q; then break; fi
  [ "$attempt" -eq 4 ] && { echo "setup: apt-get update failed 4 times" >&2; exit 1; }
  echo "setup: apt-get update failed (attempt $attempt), retrying in $((attempt * 5)) s" >&2
  sleep $((attempt * 5))
done
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
