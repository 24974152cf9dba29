// Float GEMM for the trainer: C (M, N) = beta C + op(A) op(B), row-major, every transposition
// case the forward and backward passes need (dense forward A B^T, input gradient A B, weight
// gradient A^T B, and the attention products). Packed panels + a register-blocked micro-kernel
// written with GCC vector extensions (6x16; 12x16 of zmm in the AVX-512 build), compiled three
// times on x86 (baseline SSE2, AVX2+FMA, AVX-512F; the best the CPU has chosen at run time, the
// last two giving the same bits) and once on ARM (NEON). Threads: OpenMP over output tiles, so every output element is
// summed by one thread in one fixed order and results do not depend on the thread count.
#ifndef EDGEBERT_CONVERTER_TRAINER_GEMM_H_
#define EDGEBERT_CONVERTER_TRAINER_GEMM_H_

#include <cstddef>
#include <string>
#include <vector>

namespace edgebert {
namespace train {

// op(A) is (M, K): A is (M, K) with row stride lda, or (K, M) when trans_a.
// op(B) is (K, N): B is (K, N) with row stride ldb, or (N, K) when trans_b.
// beta is 0 (overwrite C) or 1 (accumulate into C). Runs on the OpenMP threads unless called
// from inside a parallel region or the product is small.
void sgemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A, size_t lda,
           const float* B, size_t ldb, float beta, float* C, size_t ldc);

// The kernel build in use: "avx512", "avx2", "sse2", "neon" or "generic".
const char* sgemm_kernels();

// The builds this CPU can run, best first (the first is the automatic choice).
std::vector<std::string> sgemm_builds();

// Runs one build by name (tests and benchmarks compare them); nullptr restores the automatic
// choice. False, changing nothing, if the CPU cannot run it or it is not built here.
bool sgemm_force(const char* kernels);

}  // namespace train
}  // namespace edgebert

#endif  // EDGEBERT_CONVERTER_TRAINER_GEMM_H_
