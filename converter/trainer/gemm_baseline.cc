// The GEMM built for the baseline instruction set of the target (SSE2 on x86-64, NEON on aarch64).
#define EB_SGEMM_FN sgemm_baseline
#include "trainer/gemm_impl.inc"
