// Kernel sets: one table of function pointers per instruction set, chosen once per session from
// the CPU's features (or forced by name for tests and benchmarks). Every set computes the same
// integers as kernels/reference (the oracle); float epilogues may differ in the last bits.
//
// Names say the contract, in XNNPACK's notation: `qd8_f32_qc8w_gemm_8x32c4__avx512vnni` takes
// qd8 activations (int8, dynamically quantized per row: a scale and a sum per row), qc8w weights
// (int8, one scale per output channel, K4N16-packed: packing.h), writes f32 (dequantize + bias +
// GELU / residual fused into the stores, so no extra pass over memory), in tiles of 8 rows x 32
// channels with 4 k per step, on AVX-512 VNNI; qc7w: weights in [-63, 63]; qc4w: 4-bit weights
// with per-group multipliers (K8N16I4). The f32_ entries are
// float ops (f32_qd8_quantize_rows makes qd8 activations from f32 rows).
#ifndef EDGEBERT_SRC_KERNELS_KERNELS_H_
#define EDGEBERT_SRC_KERNELS_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../graph/epilogue.h"
#include "float_math.h"

namespace edgebert {

// How a GEMM's activations A are laid out: row-major, or in row pairs (packing.h
// row_pair_index: the 8-k octets of rows 2p and 2p + 1 side by side, one smmla operand per
// 16-byte load). Row pairs only for the GEMMs of a set with f32_qd8_quantize_row_pairs.
enum class LhsLayout : uint8_t { kRows, kRowPairs };

struct GemmArgs {
  const int8_t* a;          // (M, lda) int8 activations, zero beyond K (in a_layout)
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
  // 4-bit weights only (qd8_f32_qc4w_gemm): b holds K8N16I4 nibbles, b_groups the per (block,
  // group) multipliers, group_size G (packing.h); lda >= packed_k_i4(K, G).
  const uint8_t* b_groups = nullptr;
  size_t group_size = 0;
  LhsLayout a_layout = LhsLayout::kRows;
};

// Floats of attention scratch one head in flight needs: its keys transposed (d, S), its values
// packed (S, d), and for the 4 query rows computed together the scores of rows 1-3 (3, S) and
// the 4 rows scaled by 1/sqrt(d) (4, d).
constexpr size_t attention_scratch_floats(size_t s, size_t head_dim) {
  return 2 * s * head_dim + 3 * s + 4 * head_dim;
}

// A GEMM entry and its blocking: `run` computes the whole (M, N) output, in tiles of `mr` rows x
// `nr` output channels, `kr` k per multiply step; callers that split the output (threads) split
// it in whole multiples of nr.
struct GemmKernel {
  void (*run)(const GemmArgs& args);
  uint8_t mr, nr, kr;
  const char* name;  // "qd8_f32_qc8w_gemm_8x32c4__avx512vnni"
};

struct KernelSet {
  const char* name;  // "reference", "avx2", "avx512vnni", ...
  // c = epilogue(A (M, K) x W^T) with W K4N16-packed (N, K), weights in [-127, 127] (what the
  // converter writes and the full weight check verifies; -128 gives wrong numbers on avx2).
  GemmKernel qd8_f32_qc8w_gemm;
  // The same product for weights in [-63, 63], where a set has a faster way for them (run null
  // otherwise): avx2 multiplies (w + 64) u8 by a s8 with vpmaddubsw, which cannot saturate
  // (2 * 127 * 127 < 32767), and subtracts 64 * a_sums.
  GemmKernel qd8_f32_qc7w_gemm;
  // The same product for 4-bit weights, K8N16I4 (packing.h): each set expands the nibbles to
  // their int8 value m x q in registers and runs its int8 dot products on them.
  GemmKernel qd8_f32_qc4w_gemm;
  // Per-row symmetric quantization: q[m][k] = round(x[m][k] / s[m]), s[m] = max|x[m]| / 127 (1
  // for an all-zero row), q zero from K to ldq; sums[m] = sum of q[m].
  void (*f32_qd8_quantize_rows)(const float* x, size_t m, size_t k, size_t ldx, int8_t* q,
                                size_t ldq, float* scales, int32_t* sums);
  // x (M, H) <- LayerNorm(x) * gamma + beta.
  void (*f32_layer_norm)(float* x, const float* gamma, const float* beta, size_t m, size_t h,
                         float eps);
  // context (S, A): softmax(q k^T / sqrt(d) + mask) v for heads [h0, h1) (the columns of those
  // heads only); mask may be null; scores (S) and scratch (attention_scratch_floats(S, d), reused
  // by each head in turn) are scratch. Calls on disjoint head ranges with their own scores and
  // scratch may run on different threads.
  void (*f32_attention)(float* context, const float* q, const float* k, const float* v,
                        const int32_t* mask, float* scores, float* scratch, size_t s,
                        size_t heads, size_t head_dim, size_t h0, size_t h1);
  // The int8 attention's probabilities (kernels/qd8_attention.h): per row of x (M, N), row
  // stride ldx, the softmax p = softmax(x + mask) (masked columns exactly 0; mask may be null)
  // to 8 bits with zero point -127: q[m][j] in [-127, 127], p ~ (q + 127) * scales[m]; q zero
  // from N to ldq, sums[m] = sum of q[m]. x is overwritten (exp(x - max)). The same code as
  // f32_attention's softmax up to the exponentials.
  void (*f32_qd8_softmax_rows)(float* x, size_t m, size_t n, size_t ldx, const int32_t* mask,
                               int8_t* q, size_t ldq, float* scales, int32_t* sums);
  // The same quantization as f32_qd8_quantize_rows (the same q, scales and sums), q written in
  // row pairs (LhsLayout::kRowPairs, rows m0 .. of a call starting at an even row; with M odd
  // the last pair's second row is zeros). Null in sets whose GEMMs read rows only; where set,
  // every GEMM entry of the set reads both layouts and the dense layers quantize with it.
  void (*f32_qd8_quantize_row_pairs)(const float* x, size_t m, size_t k, size_t ldx, int8_t* q,
                                     size_t ldq, float* scales, int32_t* sums);
};

// The best set this CPU runs (the first supported one in dispatch.cc's order), or the one
// named by `forced` (nullptr if that set is unknown or not supported here). Detection runs on each
// call; it is cheap and keeps no state.
const KernelSet* select_kernels(const char* forced);

// All sets built into this library (supported or not), terminated by nullptr; and whether this
// CPU can run `set`.
const KernelSet* const* all_kernel_sets();
bool kernels_supported(const KernelSet* set);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_KERNELS_H_
