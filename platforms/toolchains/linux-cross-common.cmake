# Shared part of the Linux cross toolchains (included by aarch64-linux-gnu.cmake and
# armv7-linux-gnueabihf.cmake after they set EB_TRIPLET, EB_SYSROOT_ARCH and EB_QEMU).
#
# Libraries come from a private sysroot unpacked from Debian's packages by scripts/sysroot.sh
# (default: <source>/build-cross/sysroot-<arch>, or -DEDGEBERT_SYSROOT=DIR); glibc and libstdc++
# from the cross compiler's own tree /usr/<triplet>. ctest and doctest discovery run target
# binaries through platforms/qemu-run.sh, whose CPU model is read at run time from
# EDGEBERT_QEMU_CPU, so one build is tested under several CPUs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${EB_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${EB_TRIPLET}-g++)

get_filename_component(_eb_source_dir "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(NOT EDGEBERT_SYSROOT)
  set(EDGEBERT_SYSROOT "${_eb_source_dir}/build-cross/sysroot-${EB_SYSROOT_ARCH}")
endif()
set(EDGEBERT_SYSROOT "${EDGEBERT_SYSROOT}" CACHE PATH "Target libraries (scripts/sysroot.sh)")
# try_compile projects re-read this file: hand the sysroot down to them too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGEBERT_SYSROOT)

set(_eb_target_libs "${EDGEBERT_SYSROOT}/usr/lib/${EB_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH "${EDGEBERT_SYSROOT}" "/usr/${EB_TRIPLET}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config inside the sysroot only.
set(ENV{PKG_CONFIG_LIBDIR} "${_eb_target_libs}/pkgconfig:${EDGEBERT_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${EDGEBERT_SYSROOT}")

# Headers of the sysroot packages live in <sysroot>/usr/include; the libraries' own dependencies
# (libfmt.so.9 ...) are resolved at link time through -rpath-link.
set(CMAKE_C_FLAGS_INIT "${EB_ARCH_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${EB_ARCH_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_eb_target_libs}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_eb_target_libs}")

set(CMAKE_CROSSCOMPILING_EMULATOR
    "${_eb_source_dir}/platforms/qemu-run.sh;${EB_QEMU};/usr/${EB_TRIPLET};${_eb_target_libs}")
