# Bare-metal Arm Cortex-M (no OS): Debian's arm-none-eabi-gcc 12.2 with newlib and libstdc++
# (packages gcc-arm-none-eabi, libnewlib-arm-none-eabi, libstdc++-arm-none-eabi-newlib).
#   cmake -S . -B build-m55 -G Ninja -DCMAKE_TOOLCHAIN_FILE=$PWD/platforms/toolchains/arm-none-eabi.cmake \
#     [-DEB_MCU=cortex-m55|cortex-m7|cortex-m4] -DEDGEBERT_HOST_BUILD=$PWD/build
# (scripts/mcu_build.sh does this). Builds the runtime library (no threads, no XNNPACK, the
# portable kernel set, and Helium's on the Cortex-M55), the firmware example and the kernel check
# for the board QEMU models for the core (platforms/cortex-m), which ctest runs under
# qemu-system-arm.
#   cortex-m55: Armv8.1-M with the FPU and Helium (MVE integer and float), as in the AN547 image
#   cortex-m7:  Armv7E-M with the double-precision FPU (fpv5-d16): the baseline without MVE
#   cortex-m4:  Armv7E-M with the single-precision FPU (fpv4-sp-d16)
set(CMAKE_SYSTEM_NAME Generic)
set(EB_MCU cortex-m55 CACHE STRING "Cortex-M core: cortex-m55, cortex-m7 or cortex-m4")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EB_MCU)
set(CMAKE_SYSTEM_PROCESSOR ${EB_MCU})
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# No OS to link a test program against: configure checks compile a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

if(EB_MCU STREQUAL "cortex-m55")
  set(_eb_mcu_flags "-mcpu=cortex-m55 -mfloat-abi=hard")
elseif(EB_MCU STREQUAL "cortex-m7")
  set(_eb_mcu_flags "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard")
elseif(EB_MCU STREQUAL "cortex-m4")
  set(_eb_mcu_flags "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
else()
  message(FATAL_ERROR "EB_MCU=${EB_MCU}: cortex-m55, cortex-m7 or cortex-m4")
endif()
# Sections per function and object, so the firmware link keeps only what is called.
set(CMAKE_C_FLAGS_INIT "${_eb_mcu_flags} -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_eb_mcu_flags} -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${_eb_mcu_flags} -mthumb")

# Nothing is found in the build machine's tree but programs (flatc) and the FlatBuffers headers,
# which the top-level CMakeLists.txt stages on its own for bare-metal builds.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
