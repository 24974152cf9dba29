#include "qd8_attention.h"

#include <cmath>

#include "packing.h"
#include "../align.h"

namespace edgebert {

namespace {

size_t larger(size_t a, size_t b) { return a > b ? a : b; }

}  // namespace

Qd8AttentionLayout qd8_attention_layout(size_t s, size_t d) {
  const size_t R = kQd8AttentionRows, f = sizeof(float), i = sizeof(int32_t);
  Qd8AttentionLayout l{};
  size_t offset = 0;
  auto take = [&offset](size_t bytes) {
    const size_t at = offset;
    offset = align_up(offset + bytes, 64);
    return at;
  };
  l.keys = take(packed_bytes(s, d));
  l.values = take(packed_bytes(d, s));
  l.rows = take(s * d);
  l.key_sums = take(s * i);
  l.key_scales = take(s * f);
  l.value_sums = take(d * i);
  l.value_scales = take(d * f);
  l.zeros = take(larger(s, d) * f);
  l.block = take(larger(R, d) * s * f);
  l.queries = take(R * align_up(d, 64));
  l.query_scales = take(R * f);
  l.query_sums = take(R * i);
  l.probs = take(R * align_up(s, 64));
  l.prob_scales = take(R * f);
  l.prob_sums = take(R * i);
  l.products = take(R * d * i);
  l.bytes = offset;
  return l;
}

void qd8_f32_attention(const KernelSet& set, float* context, const float* q, const float* k,
                       const float* v, const int32_t* mask, uint8_t* workspace, size_t s,
                       size_t heads, size_t d, size_t h) {
  const Qd8AttentionLayout l = qd8_attention_layout(s, d);
  const size_t a = heads * d, ldq = align_up(d, 64), ldp = align_up(s, 64);
  auto* keys = reinterpret_cast<int8_t*>(workspace + l.keys);
  auto* values = reinterpret_cast<int8_t*>(workspace + l.values);
  auto* rows = reinterpret_cast<int8_t*>(workspace + l.rows);
  auto* key_sums = reinterpret_cast<int32_t*>(workspace + l.key_sums);
  auto* key_scales = reinterpret_cast<float*>(workspace + l.key_scales);
  auto* value_sums = reinterpret_cast<int32_t*>(workspace + l.value_sums);
  auto* value_scales = reinterpret_cast<float*>(workspace + l.value_scales);
  auto* zeros = reinterpret_cast<float*>(workspace + l.zeros);
  auto* block = reinterpret_cast<float*>(workspace + l.block);
  auto* queries = reinterpret_cast<int8_t*>(workspace + l.queries);
  auto* query_scales = reinterpret_cast<float*>(workspace + l.query_scales);
  auto* query_sums = reinterpret_cast<int32_t*>(workspace + l.query_sums);
  auto* probs = reinterpret_cast<int8_t*>(workspace + l.probs);
  auto* prob_scales = reinterpret_cast<float*>(workspace + l.prob_scales);
  auto* prob_sums = reinterpret_cast<int32_t*>(workspace + l.prob_sums);
  auto* products = reinterpret_cast<int32_t*>(workspace + l.products);

  // Keys: int8 per key row, packed; 1 / sqrt(d) goes into their scales.
  set.f32_qd8_quantize_rows(k + h * d, s, d, a, rows, d, key_scales, key_sums);
  pack_k4n16(rows, s, d, keys);
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));
  for (size_t j = 0; j < s; ++j) key_scales[j] *= inv_sqrt_d;
  // Values: V_h^T (d, S) in fp32 (in the score block, free until the first block), int8 per
  // channel, packed. Masked keys' values are 0 there: their probabilities are 0, and so they
  // take no part in the channel scales either. Transposed 8 keys at a time, as f32_attention
  // transposes its keys.
  constexpr size_t kTransposeBlock = 8;
  for (size_t j0 = 0; j0 < s; j0 += kTransposeBlock) {
    const size_t j1 = j0 + kTransposeBlock < s ? j0 + kTransposeBlock : s;
    for (size_t c = 0; c < d; ++c) {
      for (size_t j = j0; j < j1; ++j) {
        const bool masked = mask != nullptr && mask[j] == 0;
        block[c * s + j] = masked ? 0.0f : v[j * a + h * d + c];
      }
    }
  }
  set.f32_qd8_quantize_rows(block, d, s, s, rows, s, value_scales, value_sums);
  pack_k4n16(rows, d, s, values);
  for (size_t j = 0; j < larger(s, d); ++j) zeros[j] = 0.0f;

  const GemmKernel& gemm = set.qd8_f32_qc8w_gemm;
  for (size_t i0 = 0; i0 < s; i0 += kQd8AttentionRows) {
    const size_t m = s - i0 < kQd8AttentionRows ? s - i0 : kQd8AttentionRows;
    set.f32_qd8_quantize_rows(q + i0 * a + h * d, m, d, a, queries, ldq, query_scales,
                              query_sums);
    // block (m, S) = scores of query rows i0..i0 + m
    gemm.run(GemmArgs{queries, ldq, query_sums, query_scales, keys, key_scales, zeros, nullptr,
                      block, s, m, s, d, Epilogue::Bias});
    // probs (m, S): the probabilities to 8 bits, q + 127 = round(254 exp(x - max))
    set.f32_qd8_softmax_rows(block, m, s, s, mask, probs, ldp, prob_scales, prob_sums);
    // products (m, d) = (q - 127) V_h in int32, then + 127 x the value channel sums gives
    // (q + 127) V_h exactly; context rows i0..i0 + m, head h's columns = that x the scales.
    gemm.run(GemmArgs{probs, ldp, prob_sums, prob_scales, values, value_scales, zeros, nullptr,
                      products, d, m, d, s, Epilogue::Int32});
    for (size_t r = 0; r < m; ++r) {
      float* out = context + (i0 + r) * a + h * d;
      const int32_t* sums = products + r * d;
      for (size_t c = 0; c < d; ++c) {
        out[c] = static_cast<float>(sums[c] + 127 * value_sums[c]) *
                 (prob_scales[r] * value_scales[c]);
      }
    }
  }
}

}  // namespace edgebert
