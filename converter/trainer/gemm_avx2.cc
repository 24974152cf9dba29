// The GEMM built with -mavx2 -mfma (x86-64 only; chosen at run time when the CPU has both).
#define EB_SGEMM_FN sgemm_avx2
#include "trainer/gemm_impl.inc"
