// Kernel set selection: CPU features are read on each call (cheap, no stored state) and the best
// supported set is returned, or the set named by the caller when it is supported here.
#include <cstring>

#include "kernels/kernels.h"

namespace edgebert {

extern const KernelSet kReferenceKernels;
#if defined(EB_KERNELS_X86)
extern const KernelSet kAvx2Kernels;
extern const KernelSet kAvx512VnniKernels;
#endif

namespace {

// Best first.
const KernelSet* const kSets[] = {
#if defined(EB_KERNELS_X86)
    &kAvx512VnniKernels,
    &kAvx2Kernels,
#endif
    &kReferenceKernels,
    nullptr,
};

// Sets chosen only when forced by name: compiled, but their tests have not yet run on a CPU that
// has their instructions. avx512vnni: the development machines exposed no AVX-512 (checked
// 2026-11-21, AMD EPYC VM with AVX2/FMA only; QEMU 7.2 cannot emulate AVX-512). Remove a set from
// this list once `ctest` passed on a machine where kernels_supported() is true for it.
bool auto_selectable(const KernelSet* set) {
#if defined(EB_KERNELS_X86)
  if (set == &kAvx512VnniKernels) return false;
#endif
  (void)set;
  return true;
}

}  // namespace

bool kernels_supported(const KernelSet* set) {
  if (set == nullptr) return false;
#if defined(EB_KERNELS_X86)
  if (set == &kAvx512VnniKernels) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  }
  if (set == &kAvx2Kernels) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
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
    if (kernels_supported(*set) && auto_selectable(*set)) return *set;
  }
  return nullptr;
}

}  // namespace edgebert
