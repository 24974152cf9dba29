// The GEMM built with -mavx512f -mfma (x86-64 only; chosen at run time when the CPU has AVX-512F):
// 12 x 16 tiles of zmm accumulators, the same sums as the AVX2 build.
#define EB_SGEMM_FN sgemm_avx512
#define EB_SGEMM_AVX512 1
#include "trainer/gemm_impl.inc"
