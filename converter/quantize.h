// `edgebert-convert quantize`: fp32 model -> int8 model (W8A8 dynamic, docs/architecture.md "Numerics"; or static
// per-tensor W8A8 for XNNPACK with --per-tensor --calib).
//   * every dense weight (Q, K, V, attention output, intermediate, output, pooler, classifier):
//     int8, symmetric, one scale per output channel, stored K4N16-packed for the kernels;
//   * word and position embeddings: int8 with one scale per row;
//   * biases, LayerNorm and token-type embeddings stay fp32; activations are quantized per token
//     at run time;
//   * attention's q k^T and p v products in int8 (or fp32 attention: --attention fp32).
#ifndef EDGEBERT_CONVERTER_QUANTIZE_H_
#define EDGEBERT_CONVERTER_QUANTIZE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "calibrate.h"
#include "edgebert_generated.h"

namespace edgebert::convert {

// k per multiplier group of 4-bit weights unless --group-size says otherwise (bench/RESULTS.md
// "4-bit weights": the group size measured).
constexpr size_t kDefaultInt4GroupSize = 32;

struct QuantizeReport {
  size_t dense = 0, embeddings = 0;  // tensors quantized
  uint64_t bytes_before = 0, bytes_after = 0;  // of all tensor data
};

// Symmetric per-row quantization of (rows, cols) row-major values into [-max_abs, max_abs]
// (127: 8 bits, 63: 7 bits): q = round(x / s) clamped, s = max|row| / max_abs (1 for an all-zero
// row).
void quantize_rows_symmetric(const float* x, size_t rows, size_t cols, int max_abs, int8_t* q,
                             float* scales);

// 4-bit quantization of (rows, cols) row-major values (K8N16I4's values, packing.h): per row a
// scale s = max|row| / 105 (105 = 7 x 15: the row's largest value is reachable), per group of
// `group` columns the multiplier m in [1, 15] with the least squared error, q = round(x / (s m))
// clamped to [-8, 7]. multipliers: (rows, ceil(cols / group)).
void quantize_rows_int4(const float* x, size_t rows, size_t cols, size_t group, int8_t* q,
                        uint8_t* multipliers, float* scales);

// Quantizes `model` in place; weight_bits 8 (default), 7 (dense weights in [-63, 63]: the AVX2
// kernel then runs vpmaddubsw at twice the multiply rate) or 4 (dense weights 4-bit in groups of
// group_size k: quantize_rows_int4). embedding_bits 8 (default) or 4 (word and position tables
// 4-bit per row in groups of group_size: packing.h int4_row_value). Throws if already int8.
// With `calibration` (static int8 for XNNPACK, `--per-tensor --calib`): every dense weight gets
// ONE scale for the whole tensor (stored per channel, all equal, so the native kernels run the
// model too) and the calibrated affine quantization of its input and output.
// attention_products Int8 (default): the native kernels run attention's two products as int8
// GEMMs (lib/src/kernels/qd8_attention.h); Float32 keeps fp32 attention.
QuantizeReport quantize_model(fb::ModelT& model, int weight_bits = 8,
                              const Calibration* calibration = nullptr,
                              fb::DType attention_products = fb::DType::Int8,
                              size_t group_size = kDefaultInt4GroupSize, int embedding_bits = 8);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_QUANTIZE_H_
