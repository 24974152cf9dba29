// The model's building blocks on top of a GEMM: dense layers, multi-head attention with dropout,
// dropout itself. Written once against gemm<T>(): a plain loop for double (the gradient checks in
// tests/converter/trainer/layers_test.cc) and the packed SIMD, threaded sgemm for float
// (training; float against double in bert_model_test.cc).
#ifndef EDGEBERT_CONVERTER_TRAINER_OPS_H_
#define EDGEBERT_CONVERTER_TRAINER_OPS_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "trainer/gemm.h"
#include "trainer/layers.h"

namespace edgebert {
namespace train {

// C (M, N) = beta C + op(A) op(B), as sgemm (gemm.h); the generic version is a plain triple loop.
template <typename T>
void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const T* A, size_t lda,
          const T* B, size_t ldb, T beta, T* C, size_t ldc) {
  for (size_t i = 0; i < M; ++i) {
    for (size_t j = 0; j < N; ++j) {
      T sum = 0;
      for (size_t k = 0; k < K; ++k) {
        sum += (trans_a ? A[k * lda + i] : A[i * lda + k]) *
               (trans_b ? B[j * ldb + k] : B[k * ldb + j]);
      }
      C[i * ldc + j] = beta != T(0) ? C[i * ldc + j] + sum : sum;  // beta is 0 or 1
    }
  }
}

inline void gemm(bool trans_a, bool trans_b, size_t M, size_t N, size_t K, const float* A,
                 size_t lda, const float* B, size_t ldb, float beta, float* C, size_t ldc) {
  sgemm(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

// out (N, OC) = inp (N, C) W^T + b; W (OC, C) as torch.nn.Linear, b (OC) or null.
template <typename T>
void dense_forward(T* out, const T* inp, const T* weight, const T* bias, size_t N, size_t C,
                   size_t OC) {
  gemm(false, true, N, OC, C, inp, C, weight, C, T(0), out, OC);
  if (bias == nullptr) return;
#pragma omp parallel for schedule(static) if (N * OC >= kParallelMinWork)
  for (size_t n = 0; n < N; ++n) {
    for (size_t o = 0; o < OC; ++o) out[n * OC + o] += bias[o];
  }
}

// dinp (N, C) += dout W (skipped when dinp is null); dweight (OC, C) += dout^T inp;
// dbias (OC) += column sums of dout (skipped when null).
template <typename T>
void dense_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight,
                    size_t N, size_t C, size_t OC) {
  if (dinp != nullptr) gemm(false, false, N, C, OC, dout, OC, weight, C, T(1), dinp, C);
  gemm(true, false, OC, C, N, dout, OC, inp, C, T(1), dweight, C);
  if (dbias == nullptr) return;
  // Column sums over row-contiguous blocks of 64 columns (a strided walk per column thrashes the
  // cache); each column is still summed in row order, whatever the thread count.
  const size_t blocks = (OC + 63) / 64;
#pragma omp parallel for schedule(static) if (N * OC >= kParallelMinWork)
  for (size_t blk = 0; blk < blocks; ++blk) {
    const size_t o0 = blk * 64, width = std::min<size_t>(64, OC - o0);
    T sum[64] = {};
    for (size_t n = 0; n < N; ++n) {
      const T* row = dout + n * OC + o0;
      for (size_t o = 0; o < width; ++o) sum[o] += row[o];
    }
    for (size_t o = 0; o < width; ++o) dbias[o0 + o] += sum[o];
  }
}

// Counter-based random numbers (splitmix64 of seed, stream and index): a dropout mask depends
// only on (seed, step, site, element), never on thread count or on what ran before, so a
// resumed run draws exactly the masks an uninterrupted one would.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline double uniform01(uint64_t stream, uint64_t index) {
  return static_cast<double>(mix64(stream ^ mix64(index)) >> 11) * 0x1.0p-53;
}

// mask (n) = 1 / (1 - p) with probability 1 - p, else 0 (inverted dropout, as torch). One
// 64-bit draw per 4 elements: each takes 16 bits, dropped when below round(p * 2^16) (p is then
// exact to 1 / 131072, e.g. 0.1 -> 0.100006).
template <typename T>
void dropout_mask(T* mask, size_t n, double p, uint64_t stream) {
  const T keep = static_cast<T>(1.0 / (1.0 - p));
  const uint64_t threshold = static_cast<uint64_t>(std::llround(p * 65536.0));
  const size_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t b = 0; b < blocks; ++b) {
    const uint64_t r = mix64(stream ^ mix64(b));
    const size_t end = std::min(n, 4 * b + 4);
    for (size_t i = 4 * b; i < end; ++i) {
      mask[i] = ((r >> (16 * (i - 4 * b))) & 0xFFFF) < threshold ? T(0) : keep;
    }
  }
}

// x (n) *= mask (n) in place: forward and backward of dropout alike.
template <typename T>
void apply_mask(T* x, const T* mask, size_t n) {
#pragma omp parallel for schedule(static) if (n >= kParallelMinWork)
  for (size_t i = 0; i < n; ++i) x[i] *= mask[i];
}

// Multi-head self-attention core on q, k, v (B, T, C), heads of hs = C / NH channels:
// probs (B, NH, T, T) = softmax(q k^T / sqrt(hs)) over non-padding keys (mask (B, T): 1 attend,
// 0 padding key -> probability exactly 0, as HF's added lowest float); dropped = probs * drop
// (attention-probability dropout; drop null = none, then dropped may alias probs);
// out (B, T, C) = dropped v.
// int8_probs (B, may be null; 1 = yes): sequences whose probabilities are fake-quantized as the runtime's
// int8 attention quantizes them (kernels' f32_qd8_softmax_rows: q + 127 = round(254 e) with
// e = exp(x - max) = p / max p, scale 1 / (254 sum e)), i.e. p = round(254 p / max p) x max p /
// 254; probs keeps those values (straight-through: the backward pass differentiates them).
template <typename T>
void attention_forward(T* out, T* probs, T* dropped, const T* drop, const T* q, const T* k,
                       const T* v, const int32_t* mask, size_t B, size_t tokens, size_t C,
                       size_t NH, const uint8_t* int8_probs = nullptr) {
  const size_t hs = C / NH, TT = tokens * tokens;
  const T scale = T(1) / std::sqrt(static_cast<T>(hs));
#pragma omp parallel for collapse(2) schedule(static) if (B * tokens * tokens * C >= kParallelMinWork)
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < NH; ++h) {
      const size_t bh = b * NH + h, offset = b * tokens * C + h * hs;
      T* a = probs + bh * TT;
      gemm(false, true, tokens, tokens, hs, q + offset, C, k + offset, C, T(0), a, tokens);
      const int32_t* m = mask + b * tokens;
      for (size_t i = 0; i < tokens; ++i) {
        T* row = a + i * tokens;
        T max_score = -std::numeric_limits<T>::max();
        for (size_t j = 0; j < tokens; ++j) {
          if (m[j] != 0) max_score = std::max(max_score, row[j] * scale);
        }
        T sum = 0;
        for (size_t j = 0; j < tokens; ++j) {
          row[j] = m[j] == 0 ? T(0) : math_exp(row[j] * scale - max_score);
          sum += row[j];
        }
        const T inv = sum > T(0) ? T(1) / sum : T(0);  // no key at all: zeros
        for (size_t j = 0; j < tokens; ++j) row[j] *= inv;
        if (int8_probs != nullptr && int8_probs[b] != 0) {
          T top = T(0);
          for (size_t j = 0; j < tokens; ++j) top = std::max(top, row[j]);
          const T step = top / T(254);
          for (size_t j = 0; j < tokens && top > T(0); ++j) {
            row[j] = std::nearbyint(row[j] / step) * step;
          }
        }
      }
      // (no pointer arithmetic on `dropped` without dropout: it is null then)
      const T* used = a;
      if (drop != nullptr) {
        T* d = dropped + bh * TT;
        for (size_t i = 0; i < TT; ++i) d[i] = a[i] * drop[bh * TT + i];
        used = d;
      }
      gemm(false, false, tokens, hs, tokens, used, tokens, v + offset, C, T(0), out + offset, C);
    }
  }
}

// dq, dk, dv (B, T, C) += gradients from dout (B, T, C); dscratch (B, NH, T, T) is overwritten.
template <typename T>
void attention_backward(T* dq, T* dk, T* dv, T* dscratch, const T* dout, const T* probs,
                        const T* dropped, const T* drop, const T* q, const T* k, const T* v,
                        size_t B, size_t tokens, size_t C, size_t NH) {
  const size_t hs = C / NH, TT = tokens * tokens;
  const T scale = T(1) / std::sqrt(static_cast<T>(hs));
#pragma omp parallel for collapse(2) schedule(static) if (B * tokens * tokens * C >= kParallelMinWork)
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < NH; ++h) {
      const size_t bh = b * NH + h, offset = b * tokens * C + h * hs;
      const T* a = probs + bh * TT;
      const T* used = drop != nullptr ? dropped + bh * TT : a;
      T* ds = dscratch + bh * TT;
      // out = used v: d(used) = dout v^T, dv += used^T dout
      gemm(false, true, tokens, tokens, hs, dout + offset, C, v + offset, C, T(0), ds, tokens);
      gemm(true, false, tokens, hs, tokens, used, tokens, dout + offset, C, T(1), dv + offset,
           C);
      if (drop != nullptr) {
        for (size_t i = 0; i < TT; ++i) ds[i] *= drop[bh * TT + i];
      }
      // softmax: dscore_ij = a_ij (dprob_ij - sum_j a_ij dprob_ij), times the 1/sqrt(hs) scale
      for (size_t i = 0; i < tokens; ++i) {
        T* row = ds + i * tokens;
        const T* arow = a + i * tokens;
        T dot = 0;
        for (size_t j = 0; j < tokens; ++j) dot += arow[j] * row[j];
        for (size_t j = 0; j < tokens; ++j) row[j] = arow[j] * (row[j] - dot) * scale;
      }
      // score = q k^T: dq += ds k, dk += ds^T q
      gemm(false, false, tokens, hs, tokens, ds, tokens, k + offset, C, T(1), dq + offset, C);
      gemm(true, false, tokens, hs, tokens, ds, tokens, q + offset, C, T(1), dk + offset, C);
    }
  }
}

}  // namespace train
}  // namespace edgebert

#endif  // EDGEBERT_CONVERTER_TRAINER_OPS_H_
