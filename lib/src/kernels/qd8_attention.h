// Attention on the integer units, composed from a KernelSet's entries (the set's int8 GEMM, its
// row quantization and its softmax), one head at a time. For head h (Q_h, K_h, V_h the head's
// d columns of q, k, v; S tokens):
//
//   keys    K_h (S, d) -> int8 per key row (f32_qd8_quantize_rows), packed as the weights
//           (N = S, K = d) of the score GEMM; the row scales, times 1 / sqrt(d), are its
//           channel scales
//   values  V_h^T (d, S) -> int8 per channel (per column of V_h, over the keys), packed as the
//           weights (N = d, K = S) of the context GEMM
//   then per block of kQd8AttentionRows query rows:
//   scores  (R, S) = Q_h K_h^T / sqrt(d): Q_h's rows int8 per row, int32 products, dequantized in
//           the GEMM's epilogue (qd8_f32_qc8w_gemm, Epilogue::Bias with a zero bias)
//   P       = softmax(scores + mask) in fp32 (masked keys exactly 0) to 8 bits per row with zero
//           point -127 (f32_qd8_softmax_rows: q + 127 = round(254 exp(x - max)) in [0, 254],
//           twice the steps a symmetric int8 of these non-negative values would have)
//   context (R, d) = P V_h: (q - 127) V_h as int32 (Epilogue::Int32), + 127 x V_h's channel
//           sums (exact), times the row and channel scales, written into the head's columns of
//           context (ldc = A)
//
// Every product is an exact int32 sum and every float step is either an entry that all sets
// compute alike or this file's own code, so every set gives the same bits, as for the dense
// layers. Against fp32 attention the error is the 8-bit rounding of Q, K, V and P (kernels
// test; SST-2 accuracy in bench/RESULTS.md). Models choose it at quantize time
// (Config.attention_products = Int8); fp32 attention stays for files that keep Float32.
#ifndef EDGEBERT_SRC_KERNELS_QD8_ATTENTION_H_
#define EDGEBERT_SRC_KERNELS_QD8_ATTENTION_H_

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace edgebert {

// Shorter inputs run fp32 attention even in int8-attention models: below this the per-head
// quantization and packing of keys and values cost more than the integer products save
// (edgebert_bench_kernels, Zen 4: avx512vnni 187-202 vs 217-221 us at 64 tokens x 12 heads of
// 64, 76-88 vs 69 us at 32; avx2 breaks even only at ~128, bench/RESULTS.md). One threshold for
// every set, so every set still computes the same bits.
constexpr size_t kQd8AttentionMinTokens = 64;

// Whether an input of `tokens` tokens runs qd8_f32_attention (the plan asks the same of max_seq).
inline bool runs_qd8_attention(bool int8_attention_model, size_t tokens) {
  return int8_attention_model && tokens >= kQd8AttentionMinTokens;
}

// Query rows per block: the score block (R, S) floats stays in L2 beside the head's packed keys
// and values (32 x 384 x 4 = 48 KB at S = 384).
constexpr size_t kQd8AttentionRows = 32;

// Byte offsets of one head's workspace (each 64-byte aligned) for S tokens and head_dim d.
struct Qd8AttentionLayout {
  size_t keys;          // packed_bytes(S, d)   K_h int8, K4N16
  size_t values;        // packed_bytes(d, S)   V_h^T int8, K4N16
  size_t rows;          // S x d int8           K_h / V_h^T row-major before packing
  size_t key_sums;      // S int32              key row sums (unused: keys are the weights)
  size_t key_scales;    // S floats             key row scales / sqrt(d)
  size_t value_sums;    // d int32              value channel sums (for P's zero point)
  size_t value_scales;  // d floats             value channel scales
  size_t zeros;         // max(S, d) floats     the GEMMs' bias
  size_t block;         // max(R, d) x S floats the score block; first V_h^T in fp32
  size_t queries;       // R x align_up(d, 64) int8: the block's query rows, quantized
  size_t query_scales;  // R floats
  size_t query_sums;    // R int32
  size_t probs;         // R x align_up(S, 64) int8: the block's probabilities, quantized
  size_t prob_scales;   // R floats
  size_t prob_sums;     // R int32
  size_t products;      // R x d int32          the block's P V_h sums
  size_t bytes;         // total, a multiple of 64
};

Qd8AttentionLayout qd8_attention_layout(size_t s, size_t head_dim);

// context (S, A), the columns of head h only = softmax(q_h k_h^T / sqrt(d) + mask) v_h as above;
// mask may be null; workspace holds qd8_attention_layout(s, head_dim).bytes bytes, 64-byte
// aligned. Calls for different heads with their own workspace may run on different threads.
void qd8_f32_attention(const KernelSet& set, float* context, const float* q, const float* k,
                       const float* v, const int32_t* mask, uint8_t* workspace, size_t s,
                       size_t heads, size_t head_dim, size_t h);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_QD8_ATTENTION_H_
