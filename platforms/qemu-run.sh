#!/usr/bin/env bash
# CMAKE_CROSSCOMPILING_EMULATOR of the Linux cross toolchains:
#   qemu-run.sh QEMU TOOLCHAIN_ROOT TARGET_LIBS PROGRAM [ARGS...]
# Runs PROGRAM under qemu-user with the CPU model named by $EDGEBERT_QEMU_CPU (default: max,
# which has every feature qemu emulates). The loader and libc come from TOOLCHAIN_ROOT (-L), the
# sysroot's shared libraries from TARGET_LIBS.
set -euo pipefail
qemu=$1 toolchain_root=$2 target_libs=$3
shift 3
exec "$qemu" -cpu "${EDGEBERT_QEMU_CPU:-max}" -L "$toolchain_root" \
  -E LD_LIBRARY_PATH="$target_libs" "$@"
