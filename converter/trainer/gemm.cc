#include "trainer/gemm.h"

namespace edgebert {
namespace train {

void sgemm_baseline(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t,
                    float, float*, size_t);
#if defined(__x86_64__)
void sgemm_avx2(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t,
                float, float*, size_t);
#endif

namespace {

bool g_force_baseline = false;

bool use_avx2() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has && !g_force_baseline;
#else
  return false;
#endif
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A, size_t lda,
           const float* B, size_t ldb, float beta, float* C, size_t ldc) {
#if defined(__x86_64__)
  if (use_avx2()) {
    sgemm_avx2(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  sgemm_baseline(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

const char* sgemm_kernels() {
  if (use_avx2()) return "avx2";
#if defined(__x86_64__)
  return "sse2";
#elif defined(__aarch64__) || defined(__ARM_NEON)
  return "neon";
#else
  return "generic";
#endif
}

void sgemm_force_baseline(bool baseline) { g_force_baseline = baseline; }

}  // namespace train
}  // namespace edgebert
