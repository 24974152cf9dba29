# Raspberry Pi 2/3/4 with a 32-bit OS (Raspberry Pi OS armhf), hard-float ABI, NEON.
#   scripts/sysroot.sh armhf
#   cmake -S . -B build-armv7 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=$PWD/platforms/toolchains/armv7-linux-gnueabihf.cmake
# Debian's armhf baseline is armv7-a + VFPv3-D16 without NEON; we require NEON (every Pi from the
# Pi 2 on has it): -mfpu=neon-vfpv4. -Wno-psabi silences GCC's note about the ABI of vector
# arguments changed in GCC 7, which does not concern us (nothing crosses a library boundary).
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(EB_TRIPLET arm-linux-gnueabihf)
set(EB_SYSROOT_ARCH armhf)
set(EB_QEMU qemu-arm)
set(EB_ARCH_FLAGS "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross-common.cmake)
