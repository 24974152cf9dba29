# Raspberry Pi 3/4/5 (64-bit OS) and other aarch64 Linux boards, from an x86-64 Debian host.
#   scripts/sysroot.sh arm64
#   cmake -S . -B build-aarch64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=$PWD/platforms/toolchains/aarch64-linux-gnu.cmake
# Baseline armv8-a (every 64-bit Pi); dotprod and i8mm kernels are compiled per file with their
# own -march and chosen at run time from the CPU's HWCAPs. See platforms/raspberry-pi/README.md.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(EB_TRIPLET aarch64-linux-gnu)
set(EB_SYSROOT_ARCH arm64)
set(EB_QEMU qemu-aarch64)
set(EB_ARCH_FLAGS "-march=armv8-a")
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross-common.cmake)
