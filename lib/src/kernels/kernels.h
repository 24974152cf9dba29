// Kernel sets: one table of function pointers per instruction set, chosen once per session from
// the CPU's features (or forced by name for tests and benchmarks). Every set computes the same
// integers as kernels/reference (the oracle); float epilogues may differ in the last bits.
//
// Names say the contract: the GEMM multiplies per-token int8 activations A (M, Kp) by K4N16
// packed int8 weights (see packing.h) with int32 accumulation and applies the epilogue while
// storing, so dequantize + bias + GELU / residual never take an extra pass over memory.
#ifndef EDGEBERT_SRC_KERNELS_KERNELS_H_
#define EDGEBERT_SRC_KERNELS_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "graph/epilogue.h"

namespace edgebert {

struct GemmArgs {
  const int8_t* a;          // (M, lda) int8 activations, zero beyond K
  size_t lda;               // >= Kp, multiple of 64
  const int32_t* a_sums;    // (M) sum over k of a[m][k]
  const float* a_scales;    // (M) dequantization scale of each row
  const int8_t* b;          // K4N16 packed weights of W (N, K)
  const float* b_scales;    // (N)
  const float* bias;        // (N)
  const float* residual;    // (M, ldc) for BiasResidual, may alias nothing else
  void* c;                  // (M, ldc) float, or int32 for Epilogue::Int32
  size_t ldc;
  size_t m, n, k;
  Epilogue epilogue;
};

// Floats of attention scratch one head in flight needs: its keys transposed (d, S), its values
// packed (S, d), and for the 4 query rows computed together the scores of rows 1-3 (3, S) and
// the 4 rows scaled by 1/sqrt(d) (4, d).
constexpr size_t attention_scratch_floats(size_t s, size_t head_dim) {
  return 2 * s * head_dim + 3 * s + 4 * head_dim;
}

struct KernelSet {
  const char* name;  // "reference", "avx2", "avx512vnni", ...
  // c = epilogue(A (M, K) x W^T) with W K4N16-packed (N, K).
  void (*gemm_s8s8)(const GemmArgs& args);
  // The same product for weights in [-63, 63], where a set has a faster way for them (nullptr
  // otherwise): avx2 multiplies (w + 64) u8 by a s8 with vpmaddubsw, which cannot
  // saturate (2 * 127 * 127 < 32767), and subtracts 64 * a_sums.
  void (*gemm_u8s7)(const GemmArgs& args);
  // Per-row symmetric quantization: q[m][k] = round(x[m][k] / s[m]), s[m] = max|x[m]| / 127 (1
  // for an all-zero row), q zero from K to ldq; sums[m] = sum of q[m].
  void (*quantize_rows)(const float* x, size_t m, size_t k, size_t ldx, int8_t* q, size_t ldq,
                        float* scales, int32_t* sums);
  // x (M, H) <- LayerNorm(x) * gamma + beta.
  void (*layer_norm)(float* x, const float* gamma, const float* beta, size_t m, size_t h,
                     float eps);
  // context (S, A): softmax(q k^T / sqrt(d) + mask) v for heads [h0, h1) (the columns of those
  // heads only); mask may be null; scores (S) and scratch (attention_scratch_floats(S, d), reused
  // by each head in turn) are scratch. Calls on disjoint head ranges with their own scores and
  // scratch may run on different threads.
  void (*attention)(float* context, const float* q, const float* k, const float* v,
                    const int32_t* mask, float* scores, float* scratch, size_t s, size_t heads,
                    size_t head_dim, size_t h0, size_t h1);
};

// The best set this CPU runs (the first supported one in dispatch.cc's order), or the one
// named by `forced` (nullptr if that set is unknown or not supported here). Detection runs on each
// call; it is cheap and keeps no state.
const KernelSet* select_kernels(const char* forced);

// All sets built into this library (supported or not), terminated by nullptr; and whether this
// CPU can run `set`.
const KernelSet* const* all_kernel_sets();
bool kernels_supported(const KernelSet* set);

// Polynomial erf (|error| < 5e-7 on floats; Eigen/TensorFlow coefficients) used by every set's
// GELU epilogue, so kernel sets differ only in float rounding order. These helpers are `static`:
// each translation unit (each ISA build) keeps its own copy, so the linker can never hand an
// AVX2-compiled copy to baseline code (no ODR merging across ISA flags).
static inline float erf_poly(float x) {
  x = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return p / q;
}

static inline float gelu_poly(float x) { return 0.5f * x * (1.0f + erf_poly(x * 0.70710678118654752f)); }

// Cephes-style expf: exp(x) = 2^n * p(r), r = x - n ln2, x clamped to [-87.3, 88.7] (NaN, only
// from a model with non-finite values, goes to -87.3: converting it to int would be undefined).
// Branch-free and call-free so that loops over it vectorize on any ISA: n = round(x log2 e) by
// adding and subtracting 1.5 * 2^23 (ties to even, exactly std::nearbyint's result for |n| < 2^22
// in the default rounding mode). Used by the kernels' softmax and the trainer's float math.
static inline float exp_poly(float x) {
  x = x > -87.3f ? (x < 88.7f ? x : 88.7f) : -87.3f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_KERNELS_H_
