// Trainer layers: hand-written forward and backward passes of BERT's element-wise and row-wise
// layers (embeddings, LayerNorm, GELU, tanh, cross-entropy), llm.c style; the GEMM-based ones
// (dense, attention) are in trainer/ops.h. Templates on the scalar type T: float for training,
// double for the finite-difference gradient checks (tests/converter/trainer/layers_test.cc).
//
// Conventions:
//   - Shapes in comments: N = rows (batch * tokens), C = hidden, OC = output channels,
//     B = batch, T = tokens per sequence (the batch's longest, dynamic padding), NH = heads,
//     hs = head size, V = vocabulary.
//   - Dense weights are (OC, C) as torch.nn.Linear: out = in W^T + b.
//   - Backward functions ACCUMULATE (+=) into parameter gradients and into input gradients, so
//     a tensor used twice (residual, tied embeddings) gets the sum; callers zero them per step.
#ifndef EDGEBERT_CONVERTER_TRAINER_LAYERS_H_
#define EDGEBERT_CONVERTER_TRAINER_LAYERS_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "edgebert_internal/float_math.h"  // erf_poly, exp_poly: the kernels' own
#include "quantize_int4.h"                 // the 4-bit quantizer, shared with `quantize`

namespace edgebert {
namespace train {

// Loops over fewer elements than this run on the calling thread: a parallel region costs a few
// microseconds, and far more when the cores are shared with other work.
constexpr size_t kParallelMinWork = size_t{1} << 15;

// out (N, C) = wte[ids] + wpe[position] + wtt[types]; position = positions[row], or row % T
// when positions is null.
template <typename T>
void embeddings_forward(T* out, const int32_t* ids, const int32_t* types, const T* wte,
                        const T* wpe, const T* wtt, size_t N, size_t tokens, size_t C,
                        const int32_t* positions = nullptr) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    const T* w = wte + static_cast<size_t>(ids[n]) * C;
    const T* p = wpe + (positions ? static_cast<size_t>(positions[n]) : n % tokens) * C;
    const T* t = wtt + static_cast<size_t>(types[n]) * C;
    for (size_t c = 0; c < C; ++c) out[n * C + c] = w[c] + p[c] + t[c];
  }
}

// The word row of pad_id gets nothing from the lookup (nn.Embedding's padding_idx, as BERT's
// word embeddings have it), nor does position row pad_position (RoBERTa's position table has
// the same padding_idx); positions as embeddings_forward.
template <typename T>
void embeddings_backward(T* dwte, T* dwpe, T* dwtt, const T* dout, const int32_t* ids,
                         const int32_t* types, size_t N, size_t tokens, size_t C, int32_t pad_id,
                         const int32_t* positions = nullptr, int32_t pad_position = -1) {
  for (size_t n = 0; n < N; ++n) {
    const T* d = dout + n * C;
    const int32_t position = positions ? positions[n] : static_cast<int32_t>(n % tokens);
    T* p = dwpe + static_cast<size_t>(position) * C;
    T* t = dwtt + static_cast<size_t>(types[n]) * C;
    if (position != pad_position) {
      for (size_t c = 0; c < C; ++c) p[c] += d[c];
    }
    for (size_t c = 0; c < C; ++c) t[c] += d[c];
    if (ids[n] == pad_id) continue;
    T* w = dwte + static_cast<size_t>(ids[n]) * C;
    for (size_t c = 0; c < C; ++c) w[c] += d[c];
  }
}

// Fake quantization for quantization-aware training: out = the values the int8 runtime computes
// with, q x scale with q in [-max_abs, max_abs] rounded half to even, symmetric, one scale per row;
// the backward pass is the straight-through estimator (gradients pass as if out were x: a symmetric
// scale of the row's own max clips nothing). `out` may be `x`.
//   Weights (dense rows, per output channel; word and position embedding rows), as `quantize`
//   writes them (converter/quantize.cc quantize_rows_symmetric): scale = max|w| / max_abs (1 for
//   a zero row), q = round(w / scale); max_abs 127 (8 bits) or 63 (`quantize --weight-bits 7`,
//   dense weights only).
template <typename T>
void fake_quantize_weight_rows(T* out, const T* w, size_t rows, size_t cols, int max_abs = 127) {
  const T limit = static_cast<T>(max_abs);
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinWork)
  for (size_t r = 0; r < rows; ++r) {
    const T* row = w + r * cols;
    T amax = T(0);
    for (size_t c = 0; c < cols; ++c) amax = std::fmax(amax, std::fabs(row[c]));
    const T scale = amax > T(0) ? amax / limit : T(1);
    for (size_t c = 0; c < cols; ++c) {
      const T q = std::nearbyint(row[c] / scale);
      out[r * cols + c] = (q > limit ? limit : (q < -limit ? -limit : q)) * scale;
    }
  }
}

//   4-bit dense weights (`quantize --weight-bits 4 --group-size G`): each row as
//   quantize_row_int4 makes it, value (m q) x scale (the int8 value the kernels multiply, then
//   the channel scale, as the runtime's epilogue applies it).
template <typename T>
void fake_quantize_weight_rows_int4(T* out, const T* w, size_t rows, size_t cols, size_t group) {
  const size_t groups = int4_row_groups(cols, group);
#pragma omp parallel if (rows * cols >= kParallelMinWork)
  {
    std::vector<int8_t> q(cols);
    std::vector<uint8_t> m(groups);
#pragma omp for schedule(static)
    for (size_t r = 0; r < rows; ++r) {
      T scale;
      convert::quantize_row_int4(w + r * cols, cols, group, q.data(), m.data(), &scale);
      for (size_t c = 0; c < cols; ++c) {
        out[r * cols + c] = static_cast<T>(q[c] * m[c / group]) * scale;
      }
    }
  }
}

//   Activations (the input rows of every dense layer, per token), as the kernels quantize them
//   at run time (kernels.h f32_qd8_quantize_rows): q = round(x x (127 / max|x|)), value q x
//   (max|x| / 127).
template <typename T>
void fake_quantize_activation_rows(T* out, const T* x, size_t rows, size_t cols) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMinWork)
  for (size_t r = 0; r < rows; ++r) {
    const T* row = x + r * cols;
    T amax = T(0);
    for (size_t c = 0; c < cols; ++c) amax = std::fmax(amax, std::fabs(row[c]));
    const T inv = amax > T(0) ? T(127) / amax : T(1);
    const T scale = amax > T(0) ? amax / T(127) : T(1);
    for (size_t c = 0; c < cols; ++c) {
      const T q = std::nearbyint(row[c] * inv);
      out[r * cols + c] = (q > T(127) ? T(127) : (q < T(-127) ? T(-127) : q)) * scale;
    }
  }
}

//   Static per-tensor int8 (`quantize --per-tensor --calib`, XNNPACK's qs8 fully connected
//   operator): a dense layer's input and its output before the epilogue each through one affine
//   int8 of the calibrated range, as the XNNPACK executor quantizes (quantize_one): q =
//   clamp(round(x x (1 / scale)) + zero_point, -128, 127), value (q - zero_point) x scale.
//   Values outside the range clip; the straight-through gradient passes them all the same.
template <typename T>
void fake_quantize_affine(T* out, const T* x, size_t n, float scale, int zero_point) {
  const T inv = static_cast<T>(1.0f / scale), zero = static_cast<T>(zero_point);
  const T s = static_cast<T>(scale);
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) {
    T q = std::nearbyint(x[i] * inv) + zero;
    q = q < T(-128) ? T(-128) : (q > T(127) ? T(127) : q);
    out[i] = (q - zero) * s;
  }
}

//   A static layer's weights are one tensor scale, s_w = max|w| / max_abs (quantize_rows_symmetric
//   over the tensor as one row), and its bias is int32 at s_in x s_w (the XNNPACK executor's
//   create): b = round(b / (s_in s_w)) x s_in s_w, in double as there. Returns s_w.
template <typename T>
T fake_quantize_weight_tensor(T* w, size_t n, int max_abs) {
  T amax = T(0);
  for (size_t i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(w[i]));
  fake_quantize_weight_rows(w, w, 1, n, max_abs);
  return amax > T(0) ? amax / static_cast<T>(max_abs) : T(1);
}
template <typename T>
void fake_quantize_bias(T* b, size_t n, float input_scale, T weight_scale) {
  const double scale = static_cast<double>(input_scale) * static_cast<double>(weight_scale);
  for (size_t i = 0; i < n; ++i) {
    const double q = std::nearbyint(static_cast<double>(b[i]) / scale);
    b[i] = static_cast<T>(std::fmin(2147483647.0, std::fmax(-2147483648.0, q)) * scale);
  }
}

// out (N, C) = (inp - mean) * rstd * w + b, biased variance, eps inside the square root;
// mean, rstd (N) are kept for the backward pass.
template <typename T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* inp, const T* w, const T* b, size_t N,
                       size_t C, T eps) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    const T* x = inp + n * C;
    T m = 0;
    for (size_t c = 0; c < C; ++c) m += x[c];
    m /= static_cast<T>(C);
    T v = 0;
    for (size_t c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    v /= static_cast<T>(C);
    const T s = T(1) / std::sqrt(v + eps);
    for (size_t c = 0; c < C; ++c) out[n * C + c] = (x[c] - m) * s * w[c] + b[c];
    mean[n] = m;
    rstd[n] = s;
  }
}

// Rows in parallel for dinp, then columns in parallel for dw, db: every sum has one fixed order,
// whatever the thread count.
template <typename T>
void layernorm_backward(T* dinp, T* dw, T* db, const T* dout, const T* inp, const T* w,
                        const T* mean, const T* rstd, size_t N, size_t C) {
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    const T* x = inp + n * C;
    const T* dy = dout + n * C;
    // dxhat = dy * w; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    T dnorm_mean = 0, dnorm_norm_mean = 0;
    for (size_t c = 0; c < C; ++c) {
      const T xhat = (x[c] - mean[n]) * rstd[n];
      const T dnorm = w[c] * dy[c];
      dnorm_mean += dnorm;
      dnorm_norm_mean += dnorm * xhat;
    }
    dnorm_mean /= static_cast<T>(C);
    dnorm_norm_mean /= static_cast<T>(C);
    for (size_t c = 0; c < C; ++c) {
      const T xhat = (x[c] - mean[n]) * rstd[n];
      const T dnorm = w[c] * dy[c];
      dinp[n * C + c] += (dnorm - dnorm_mean - xhat * dnorm_norm_mean) * rstd[n];
    }
  }
#pragma omp parallel for schedule(static) if (N * C >= kParallelMinWork)
  for (size_t c = 0; c < C; ++c) {
    T sum_w = 0, sum_b = 0;
    for (size_t n = 0; n < N; ++n) {
      const T dy = dout[n * C + c];
      sum_b += dy;
      sum_w += (inp[n * C + c] - mean[n]) * rstd[n] * dy;
    }
    dw[c] += sum_w;
    db[c] += sum_b;
  }
}

// exp and erf for the elementwise layers: libm for double (the gradient checks' model), and for
// float the runtime's branch-free polynomials (exp: ~1e-7 relative, erf: < 5e-7 absolute), which
// the compiler vectorizes where libm's calls would run one element at a time.
inline double math_exp(double x) { return std::exp(x); }
inline float math_exp(float x) { return exp_poly(x); }
inline double math_erf(double x) { return std::erf(x); }
inline float math_erf(float x) { return erf_poly(x); }

// Exact-erf GELU, as BERT: out = x/2 (1 + erf(x / sqrt 2)).
template <typename T>
void gelu_forward(T* out, const T* inp, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) {
    out[i] = T(0.5) * inp[i] * (T(1) + math_erf(inp[i] * T(0.70710678118654752440)));
  }
}

// dinp += dout * (Phi(x) + x phi(x)).
template <typename T>
void gelu_backward(T* dinp, const T* inp, const T* dout, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) {
    const T x = inp[i];
    const T cdf = T(0.5) * (T(1) + math_erf(x * T(0.70710678118654752440)));
    const T pdf = math_exp(T(-0.5) * x * x) * T(0.39894228040143267794);
    dinp[i] += dout[i] * (cdf + x * pdf);
  }
}

// out = max(x, 0); dinp += dout where the output is positive (torch's ReLU: gradient 0 at 0).
template <typename T>
void relu_forward(T* out, const T* inp, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = inp[i] > T(0) ? inp[i] : T(0);
}

template <typename T>
void relu_backward(T* dinp, const T* out, const T* dout, size_t n) {
  for (size_t i = 0; i < n; ++i) dinp[i] += out[i] > T(0) ? dout[i] : T(0);
}

template <typename T>
void tanh_forward(T* out, const T* inp, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) out[i] = std::tanh(inp[i]);
}

// dinp += dout * (1 - out^2), from the forward output.
template <typename T>
void tanh_backward(T* dinp, const T* out, const T* dout, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) dinp[i] += dout[i] * (T(1) - out[i] * out[i]);
}

// Softmax cross-entropy over rows of logits (N, V) with integer targets; rows whose target is
// negative are ignored (unmasked MLM positions, padding). probs (N, V) is written (rows in
// parallel); the loss is then summed in row order. Returns the summed loss and sets *count to
// the number of rows that count.
template <typename T>
T crossentropy_forward(T* probs, const T* logits, const int32_t* targets, size_t N, size_t V,
                       size_t* count) {
#pragma omp parallel for schedule(static) if (N * V >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    if (targets[n] < 0) continue;
    const T* x = logits + n * V;
    T* p = probs + n * V;
    T max_logit = x[0];
    for (size_t i = 1; i < V; ++i) max_logit = x[i] > max_logit ? x[i] : max_logit;
    T sum = 0;
    for (size_t i = 0; i < V; ++i) {
      p[i] = math_exp(x[i] - max_logit);
      sum += p[i];
    }
    const T inv = T(1) / sum;
    for (size_t i = 0; i < V; ++i) p[i] *= inv;
  }
  T loss = 0;
  size_t used = 0;
  for (size_t n = 0; n < N; ++n) {
    if (targets[n] < 0) continue;
    const T p = probs[n * V + static_cast<size_t>(targets[n])];
    loss -= std::log(p > std::numeric_limits<T>::min() ? p : std::numeric_limits<T>::min());
    ++used;
  }
  *count = used;
  return loss;
}

// dlogits (N, V) += scale * (probs - onehot(target)) for the rows that count (the mean loss
// passes scale = 1 / count).
template <typename T>
void crossentropy_backward(T* dlogits, const T* probs, const int32_t* targets, size_t N, size_t V,
                           T scale) {
#pragma omp parallel for schedule(static) if (N * V >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    if (targets[n] < 0) continue;
    for (size_t i = 0; i < V; ++i) {
      const T indicator = i == static_cast<size_t>(targets[n]) ? T(1) : T(0);
      dlogits[n * V + i] += scale * (probs[n * V + i] - indicator);
    }
  }
}

}  // namespace train
}  // namespace edgebert

#endif  // EDGEBERT_CONVERTER_TRAINER_LAYERS_H_
