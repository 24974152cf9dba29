// The reference kernel set: plain scalar loops, the oracle for every other set. Built for every
// target with baseline flags.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace reference {

#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"

// The naive product of every row with every channel's weights, weight(n, k) giving their int8
// values; activations row-major or in row pairs (the dense layers', since this set quantizes
// them in pairs: the executor's row-pair path runs on every host, against the other sets' rows).
template <LhsLayout kLayout, typename Weight>
void naive_gemm(const GemmArgs& g, Weight weight) {
  int32_t acc[kPackN];
  for (size_t m = 0; m < g.m; ++m) {
    const auto a = [&g, m](size_t k) {
      return kLayout == LhsLayout::kRowPairs ? g.a[row_pair_index(m, k, g.lda)]
                                             : g.a[m * g.lda + k];
    };
    for (size_t n0 = 0; n0 < g.n; n0 += kPackN) {
      const size_t count = g.n - n0 < kPackN ? g.n - n0 : kPackN;
      for (size_t j = 0; j < count; ++j) {
        int32_t sum = 0;
        for (size_t k = 0; k < g.k; ++k) sum += static_cast<int32_t>(a(k)) * weight(n0 + j, k);
        acc[j] = sum;
      }
      store_tile(g, m, n0, acc, count);
    }
  }
}

template <typename Weight>
void naive_gemm(const GemmArgs& g, Weight weight) {
  if (g.a_layout == LhsLayout::kRowPairs) {
    naive_gemm<LhsLayout::kRowPairs>(g, weight);
  } else {
    naive_gemm<LhsLayout::kRows>(g, weight);
  }
}

void qd8_f32_qc8w_gemm_1x16c4(const GemmArgs& g) {
  const size_t kp = packed_k(g.k);
  naive_gemm(g, [&g, kp](size_t n, size_t k) { return g.b[packed_index(n, k, kp)]; });
}

// 4-bit weights: each weight's int8 value m x q, then the same sums.
void qd8_f32_qc4w_gemm_1x16c8(const GemmArgs& g) {
  const size_t kp = packed_k_i4(g.k, g.group_size);
  const auto* nibbles = reinterpret_cast<const uint8_t*>(g.b);
  naive_gemm(g, [&g, kp, nibbles](size_t n, size_t k) {
    return int4_weight(nibbles, g.b_groups, n, k, kp, g.group_size);
  });
}

}  // namespace reference
}  // namespace kernels

extern const KernelSet kReferenceKernels;
const KernelSet kReferenceKernels = {
    "reference",
    {kernels::reference::qd8_f32_qc8w_gemm_1x16c4, 1, 16, 4, "qd8_f32_qc8w_gemm_1x16c4__scalar"},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::reference::qd8_f32_qc4w_gemm_1x16c8, 1, 16, 8, "qd8_f32_qc4w_gemm_1x16c8__scalar"},
    kernels::reference::f32_qd8_quantize_rows,
    kernels::reference::f32_layer_norm,
    kernels::reference::f32_attention,
    kernels::reference::f32_qd8_softmax_rows,
    kernels::reference::f32_qd8_quantize_row_pairs};

}  // namespace edgebert
