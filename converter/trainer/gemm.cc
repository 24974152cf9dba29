#include "trainer/gemm.h"

#include <cstring>

namespace edgebert {
namespace train {

using SgemmFn = void (*)(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*,
                         size_t, float, float*, size_t);
void sgemm_baseline(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t,
                    float, float*, size_t);
#if defined(__x86_64__)
void sgemm_avx2(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t,
                float, float*, size_t);
void sgemm_avx512(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t,
                  float, float*, size_t);
#endif

namespace {

struct Build {
  const char* name;
  SgemmFn fn;
  bool (*supported)();
};

// Best first.
const Build kBuilds[] = {
#if defined(__x86_64__)
    {"avx512", sgemm_avx512, [] { return __builtin_cpu_supports("avx512f") != 0; }},
    {"avx2", sgemm_avx2,
     [] { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }},
    {"sse2", sgemm_baseline, [] { return true; }},
#elif defined(__aarch64__) || defined(__ARM_NEON)
    {"neon", sgemm_baseline, [] { return true; }},
#else
    {"generic", sgemm_baseline, [] { return true; }},
#endif
};

const Build* best_build() {
  for (const Build& b : kBuilds) {
    if (b.supported()) return &b;
  }
  return &kBuilds[0];  // unreachable: the baseline is always supported
}

const Build* g_build = best_build();

}  // namespace

void sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A, size_t lda,
           const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  g_build->fn(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

const char* sgemm_kernels() { return g_build->name; }

bool sgemm_force(const char* kernels) {
  if (kernels == nullptr) {
    g_build = best_build();
    return true;
  }
  for (const Build& b : kBuilds) {
    if (std::strcmp(b.name, kernels) == 0 && b.supported()) {
      g_build = &b;
      return true;
    }
  }
  return false;
}

std::vector<std::string> sgemm_builds() {
  std::vector<std::string> names;
  for (const Build& b : kBuilds) {
    if (b.supported()) names.push_back(b.name);
  }
  return names;
}

}  // namespace train
}  // namespace edgebert
