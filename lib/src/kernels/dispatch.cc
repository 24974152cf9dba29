// Kernel set selection: CPU features are read on each call (cheap, no stored state) and the best
// supported set is returned, or the set named by the caller when it is supported here.
#include <cstring>

#if defined(EB_KERNELS_X86)
#include <cpuid.h>  // __get_cpuid_count: GCC and clang
#endif
#if defined(EB_KERNELS_ARM)
#include <sys/auxv.h>  // getauxval: glibc, musl and Android bionic (API 18+)
#endif

#include "kernels.h"

namespace edgebert {

extern const KernelSet kReferenceKernels;
#if defined(EB_KERNELS_X86)
extern const KernelSet kAmxKernels;
extern const KernelSet kAvx2Kernels;
extern const KernelSet kAvxVnniKernels;
extern const KernelSet kAvx512VnniKernels;
#endif
#if defined(EB_KERNELS_MVE)
extern const KernelSet kMveKernels;
#endif
#if defined(EB_KERNELS_ARM)
extern const KernelSet kNeonKernels;
#if defined(__aarch64__)
extern const KernelSet kDotprodKernels;
extern const KernelSet kI8mmKernels;
#endif
#endif

namespace {

// Best first: the first supported set is the automatic choice. On x86 every set here has passed
// `ctest` natively on a CPU that has its instructions (avx512vnni and avxvnni: Xeon Sapphire
// Rapids, 2026-11; AMD EPYC Zen 5, 2026-12-01) and each VNNI set beat avx2 end to end there
// (bench/RESULTS.md "Dispatch"), except amx: no machine of ours has had AMX yet, so its code has
// run only under the tile emulation (kernels/x86/amx_emulation.h); it goes first because the
// tile unit does 16x the int8 multiply-adds of a zmm vpdpbusd per cycle (bench/RESULTS.md "AMX"
// says how to check that on a Sapphire Rapids machine).
const KernelSet* const kSets[] = {
#if defined(EB_KERNELS_X86)
    &kAmxKernels,
    &kAvx512VnniKernels,
    &kAvxVnniKernels,
    &kAvx2Kernels,
#endif
#if defined(EB_KERNELS_ARM)
#if defined(__aarch64__)
    &kI8mmKernels,
    &kDotprodKernels,
#endif
    &kNeonKernels,
#endif
#if defined(EB_KERNELS_MVE)
    &kMveKernels,  // built for the Cortex-M55 only: its presence is the build's choice
#endif
    &kReferenceKernels,
    nullptr,
};

#if defined(EB_KERNELS_ARM)
// Linux HWCAP bits (arch/arm{,64}/include/uapi/asm/hwcap.h), spelled out because older libc
// headers lack the newer ones.
#if defined(__aarch64__)
constexpr unsigned long kHwcapAsimdDp = 1UL << 20;  // AT_HWCAP: sdot/udot
constexpr unsigned long kHwcap2I8mm = 1UL << 13;    // AT_HWCAP2: smmla/ummla
#else
constexpr unsigned long kHwcapNeon = 1UL << 12;  // AT_HWCAP on 32-bit ARM
#endif
#endif

#if defined(EB_KERNELS_X86)
bool avx512vnni_supported() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

// AMX-TILE and AMX-INT8 (CPUID.(EAX=7, ECX=0):EDX bits 24, 25), the OS saving tile
// configuration and data (XCR0 bits 17, 18), and Linux letting this process use tile data: the
// kernel leaves XTILEDATA off until a process asks (arch_prctl ARCH_REQ_XCOMP_PERM, Linux 5.16+;
// the grant is process-wide and repeating the request is harmless). Refused or older kernel:
// false, and dispatch falls back to the next set.
bool amx_supported() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  if ((edx & (1u << 24)) == 0 || (edx & (1u << 25)) == 0) return false;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0) return false;  // OSXSAVE
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  constexpr unsigned kXtileCfg = 1u << 17, kXtileData = 1u << 18;
  if ((lo & (kXtileCfg | kXtileData)) != (kXtileCfg | kXtileData)) return false;
#if defined(__linux__)
  // The system call itself (x86-64 Linux ABI: number in rax, arguments in rdi, rsi; rcx and r11
  // clobbered) rather than libc's syscall(): the runtime needs nothing outside the portable C
  // library (tests/lib/hygiene_test.sh).
  constexpr long kSysArchPrctl = 158, kArchReqXcompPerm = 0x1023, kXfeatureXtileData = 18;
  long result = kSysArchPrctl;
  __asm__ volatile("syscall"
                   : "+a"(result)
                   : "D"(kArchReqXcompPerm), "S"(kXfeatureXtileData)
                   : "rcx", "r11", "memory");
  if (result != 0) return false;
#else
  return false;  // other systems' permission models are not handled: never AMX there
#endif
  return avx512vnni_supported();  // the set's float parts are AVX-512 code
}
#endif

}  // namespace

bool kernels_supported(const KernelSet* set) {
  if (set == nullptr) return false;
#if defined(EB_KERNELS_X86)
  if (set == &kAmxKernels) return amx_supported();
  if (set == &kAvx512VnniKernels) return avx512vnni_supported();
  if (set == &kAvxVnniKernels) {
    // CPUID.(EAX=7, ECX=1):EAX bit 4 (clang 14's __builtin_cpu_supports lacks "avxvnni"); the
    // avx2 check covers the OS saving ymm state.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    const bool vnni = __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
    return vnni && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  if (set == &kAvx2Kernels) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
#endif
#if defined(EB_KERNELS_ARM)
#if defined(__aarch64__)
  if (set == &kI8mmKernels) return (getauxval(AT_HWCAP2) & kHwcap2I8mm) != 0;
  if (set == &kDotprodKernels) return (getauxval(AT_HWCAP) & kHwcapAsimdDp) != 0;
  if (set == &kNeonKernels) return true;  // Advanced SIMD is mandatory on aarch64
#else
  if (set == &kNeonKernels) return (getauxval(AT_HWCAP) & kHwcapNeon) != 0;
#endif
#endif
#if defined(EB_KERNELS_MVE)
  if (set == &kMveKernels) return true;  // compiled with -mcpu=cortex-m55: Helium is there
#endif
  return set == &kReferenceKernels;
}

const KernelSet* const* all_kernel_sets() { return kSets; }

const KernelSet* select_kernels(const char* forced) {
  for (const KernelSet* const* set = kSets; *set != nullptr; ++set) {
    if (forced != nullptr) {
      if (std::strcmp(forced, (*set)->name) == 0) return kernels_supported(*set) ? *set : nullptr;
      continue;
    }
    if (kernels_supported(*set)) return *set;
  }
  return nullptr;
}

}  // namespace edgebert
