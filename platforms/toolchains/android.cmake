# Android (arm64-v8a, armeabi-v7a) through the NDK's own toolchain file, with edgebert's defaults.
#
#   cmake -S . -B build-android-arm64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=$PWD/platforms/toolchains/android.cmake \
#     -DANDROID_NDK=/path/to/android-ndk-r26 -DANDROID_ABI=arm64-v8a
#
# Written to the NDK's documented CMake interface (developer.android.com/ndk/guides/cmake):
# ANDROID_ABI, ANDROID_PLATFORM, ANDROID_STL, ANDROID_ARM_NEON, then
# <ndk>/build/cmake/android.toolchain.cmake. Not tested in CI (the NDK cannot be downloaded on our
# build machines); the runtime keeps to calls bionic has (the hygiene test checks libedgebert.a
# against a portable-libc allowlist; getauxval needs API 18).
#
# The NDK is taken from -DANDROID_NDK, else $ANDROID_NDK_HOME, else $ANDROID_NDK_ROOT.
if(NOT ANDROID_NDK)
  if(DEFINED ENV{ANDROID_NDK_HOME})
    set(ANDROID_NDK "$ENV{ANDROID_NDK_HOME}")
  elseif(DEFINED ENV{ANDROID_NDK_ROOT})
    set(ANDROID_NDK "$ENV{ANDROID_NDK_ROOT}")
  endif()
endif()
if(NOT ANDROID_NDK OR NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "edgebert android.cmake: set -DANDROID_NDK=<path to the NDK> (or "
                      "ANDROID_NDK_HOME); '${ANDROID_NDK}/build/cmake/android.toolchain.cmake' "
                      "does not exist")
endif()

if(NOT ANDROID_ABI)
  set(ANDROID_ABI arm64-v8a)
endif()
if(NOT ANDROID_ABI MATCHES "^(arm64-v8a|armeabi-v7a)$")
  message(FATAL_ERROR "edgebert android.cmake: ANDROID_ABI must be arm64-v8a or armeabi-v7a "
                      "(got '${ANDROID_ABI}')")
endif()
if(NOT ANDROID_PLATFORM)
  set(ANDROID_PLATFORM android-24)  # Android 7.0: > 98% of active devices; getauxval needs 18
endif()
if(NOT ANDROID_STL)
  set(ANDROID_STL c++_static)  # the runtime needs no C++ library; the host tools are off anyway
endif()
set(ANDROID_ARM_NEON TRUE)  # armeabi-v7a: our armv7 kernels are NEON kernels

# Pass the NDK settings down to try_compile projects.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ANDROID_NDK ANDROID_ABI ANDROID_PLATFORM
     ANDROID_STL ANDROID_ARM_NEON)

include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")

# Library and example apps by default: the doctest/benchmark packages are Debian's and do not
# exist for Android. Tests run on the device through adb are a user's choice (-D...=ON).
set(EDGEBERT_BUILD_TESTS OFF CACHE BOOL "Build the doctest suites (ctest)")
set(EDGEBERT_BUILD_BENCHMARKS OFF CACHE BOOL "Build Google Benchmark kernels and edgebert-bench")
