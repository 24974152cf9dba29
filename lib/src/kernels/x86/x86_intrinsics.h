// Intrinsics for the x86 kernel sets.
//
// Test builds also compile the sets whose instructions the development machines lack (AVX-512
// VNNI, AVX-VNNI, AMX) a second time with EB_EMULATED_KERNELS: SIMDe (Debian libsimde-dev)
// supplies portable versions of the same intrinsics under the same names, so the kernels tests
// run those sets' own code on any x86-64 CPU with AVX2. SIMDe has no AMX: kernels_amx.cc then
// takes the tile intrinsics from amx_emulation.h. EB_KERNEL_NS(ns) gives that second build its own
// namespace and symbols; EB_KERNEL_NAME(name) its own set name ("avx512vnni-emulated").
#ifndef EDGEBERT_SRC_KERNELS_X86_X86_INTRINSICS_H_
#define EDGEBERT_SRC_KERNELS_X86_X86_INTRINSICS_H_

#if defined(EB_EMULATED_KERNELS)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
// AVX-VNNI's VEX vpdpbusd computes what AVX512-VL's EVEX one does; SIMDe names only the latter.
#define _mm256_dpbusd_avx_epi32(src, a, b) _mm256_dpbusd_epi32(src, a, b)
#define EB_KERNEL_NS(ns) ns##_emulated
#define EB_KERNEL_NAME(name) name "-emulated"
#else
#include <immintrin.h>
#define EB_KERNEL_NS(ns) ns
#define EB_KERNEL_NAME(name) name
#endif

#endif  // EDGEBERT_SRC_KERNELS_X86_X86_INTRINSICS_H_
