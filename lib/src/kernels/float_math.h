// Branch-free float polynomials shared by every kernel set's epilogues and softmax, the XNNPACK
// executor's GELU and the converter's trainer (through edgebert_internal), so each computes the
// same function.
#ifndef EDGEBERT_SRC_KERNELS_FLOAT_MATH_H_
#define EDGEBERT_SRC_KERNELS_FLOAT_MATH_H_

#include <cstdint>
#include <cstring>

namespace edgebert {

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

#endif  // EDGEBERT_SRC_KERNELS_FLOAT_MATH_H_
