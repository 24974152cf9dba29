// aarch64 int8 matrix-multiply kernel set (Armv8.6 FEAT_I8MM: Cortex-A510/A710/X2 and later,
// Neoverse V1/N2, Apple M2 on Linux): qd8_f32_qc8w_gemm_16x16c8__neoni8mm and
// qd8_f32_qc4w_gemm_16x16c8__neoni8mm. Compiled with -march=armv8.2-a+dotprod+i8mm; chosen at
// run time when the CPU reports HWCAP2_I8MM.
//
// smmla (vmmlaq_s32) multiplies a 2x8 block of activations by the transpose of a 2x8 block of
// weights into a 2x2 int32 tile: twice the multiplies of an sdot per instruction. It needs 8
// consecutive k per row and per channel.
// - Activations: the dense layers quantize into row pairs (f32_qd8_quantize_row_pairs,
//   packing.h row_pair_index), so a row pair's 8 k are one 16-byte load; the int8 attention's
//   row-major queries and probabilities are paired in registers (vcombine of two 8-byte loads).
// - Weights: K4N16 stores 4 k per channel (a quad); zipping the 32-bit lanes of the same
//   quarter in quads q and q + 1 gives [c k0-3, c k4-7, c+1 k0-3, c+1 k4-7], the operand for
//   channels c and c + 1, so the one packed layout still serves every set. A zip feeds one
//   smmla per row pair of the tile: the dense tile is 16 rows (8 pairs) x 4 channels at a time,
//   8 smmla per zip (16 smmla + 2 zips per 8 k: 89% of the smmla issue rate by the model,
//   where the 4 x 16 tile's 16 smmla + 8 zips + 2 pairings gave 62%).
#include <arm_neon.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace i8mm {

// Each .inc uses the ones before it.
// clang-format off
#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"
#include "neon_weights.inc"
// clang-format on

namespace {

// Rows [m0, m0 + MR) of row-major A (the int8 attention's GEMMs; 4-bit weights there only in
// tests) x 16 channels of block nb, in row pairs paired in registers (MR odd: the last row pairs
// with itself), all 16 channels at once: acc[rp][c] = [r0 x c2c, r0 x c2c+1, r1 x c2c,
// r1 x c2c+1] for the row pair rp and the channel pair c. kInt4: 4-bit
// weights (K8N16I4, quads = packed_k_i4 / 4): an octet's low and high nibbles are exactly quads
// q and q + 1, expanded in registers.
template <int MR, bool kInt4>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  constexpr int kPairs = (MR + 1) / 2;
  int32x4_t acc[kPairs][8];
  for (int rp = 0; rp < kPairs; ++rp) {
    for (int c = 0; c < 8; ++c) acc[rp][c] = vdupq_n_s32(0);
  }
  const int8_t* rows[2 * kPairs];
  for (int r = 0; r < 2 * kPairs; ++r) {
    rows[r] = g.a + (m0 + (r < MR ? r : MR - 1)) * g.lda;
  }
  // Quads q (quarters even[j]) and q + 1 (odd[j]) for 8 k per step.
  const auto step = [&](size_t q, const int8x16_t(&even)[4], const int8x16_t(&odd)[4]) {
    int8x16_t w[8];
    for (int j = 0; j < 4; ++j) {
      const int32x4_t lo = vreinterpretq_s32_s8(even[j]), hi = vreinterpretq_s32_s8(odd[j]);
      w[2 * j] = vreinterpretq_s8_s32(vzip1q_s32(lo, hi));
      w[2 * j + 1] = vreinterpretq_s8_s32(vzip2q_s32(lo, hi));
    }
    for (int rp = 0; rp < kPairs; ++rp) {
      const int8x16_t a =
          vcombine_s8(vld1_s8(rows[2 * rp] + q * kPackK), vld1_s8(rows[2 * rp + 1] + q * kPackK));
      for (int c = 0; c < 8; ++c) acc[rp][c] = vmmlaq_s32(acc[rp][c], a, w[c]);
    }
  };
  if constexpr (kInt4) {
    each_int4_octet(g, nb, quads,
                    [&](size_t o, const int8x16_t(&even)[4], const int8x16_t(&odd)[4]) {
                      step(2 * o, even, odd);
                    });
  } else {
    const int8_t* b = g.b + nb * quads * kPackBlockBytes;
    // 8 k per step: quads q and q + 1. An odd last quad pairs with zero weights; its activations
    // read 4 bytes past K, which lie inside lda (a multiple of 64 greater than Kp here) and are 0.
    for (size_t q = 0; q < quads; q += 2) {
      const bool has_next = q + 1 < quads;
      int8x16_t even[4], odd[4];
      for (int j = 0; j < 4; ++j) {
        const int8_t* quarter = b + q * kPackBlockBytes + j * kPackQuarterBytes;
        even[j] = vld1q_s8(quarter);
        odd[j] = has_next ? vld1q_s8(quarter + kPackBlockBytes) : vdupq_n_s8(0);
      }
      step(q, even, odd);
    }
  }
  int32_t out[2][kPackN];
  const size_t n0 = nb * kPackN;
  const size_t count = g.n - n0 < kPackN ? g.n - n0 : kPackN;
  for (int rp = 0; rp < kPairs; ++rp) {
    for (int c = 0; c < 4; ++c) {
      const int64x2_t even = vreinterpretq_s64_s32(acc[rp][2 * c]);
      const int64x2_t odd = vreinterpretq_s64_s32(acc[rp][2 * c + 1]);
      vst1q_s32(out[0] + 4 * c, vreinterpretq_s32_s64(vzip1q_s64(even, odd)));  // row 0
      vst1q_s32(out[1] + 4 * c, vreinterpretq_s32_s64(vzip2q_s64(even, odd)));  // row 1
    }
    for (int r = 0; r < 2 && 2 * rp + r < MR; ++r) {
      store_tile(g, m0 + 2 * rp + r, n0, out[r], count);
    }
  }
}

// The dense layers' tile: rows [m0, m0 + MR) (MR <= 16, in row pairs) x 16 channels of block nb,
// four channels (one K4N16 quarter j) at a time over the whole k: per 8 k, the quarter's two
// quads zipped into 2 weight operands (channels 4j, 4j + 1 and 4j + 2, 4j + 3) and one 16-byte
// load per row pair, 2 smmla each; acc[rp][c] = [r0 x ch, r0 x ch+1, r1 x ch, r1 x ch+1] for
// ch = 4j + 2c. The row pairs' k (MR x Kp bytes) are read from L1 once per quarter.
// kInt4: 4-bit weights (K8N16I4), quarter j of each octet expanded in registers (6 ops per 16
// smmla and 2 zips, where the 4 x 16 tile expanded all four quarters per 16 smmla).
template <int MR, bool kInt4>
void tile_row_pairs(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  constexpr int kPairs = (MR + 1) / 2;
  const int8_t* pairs = g.a + row_pair_index(m0, 0, g.lda);
  const int8_t* b = g.b + nb * quads * kPackBlockBytes;
  tile_by_quarters<MR, 2 * kPairs>(g, m0, nb, [&](size_t j, int32_t(&out)[2 * kPairs][kLanes]) {
    int32x4_t acc[kPairs][2];
    for (int rp = 0; rp < kPairs; ++rp) acc[rp][0] = acc[rp][1] = vdupq_n_s32(0);
    const int8_t* quarter = b + j * kPackQuarterBytes;
    // Quads q and q + 1 (8 k) into the accumulators.
    const auto step = [&](size_t q, int32x4_t lo, int32x4_t hi) {
      const int8x16_t w0 = vreinterpretq_s8_s32(vzip1q_s32(lo, hi));
      const int8x16_t w1 = vreinterpretq_s8_s32(vzip2q_s32(lo, hi));
      const int8_t* octet = pairs + q * kPackK * 2;
      for (int rp = 0; rp < kPairs; ++rp) {
        const int8x16_t a = vld1q_s8(octet + rp * 2 * g.lda);
        acc[rp][0] = vmmlaq_s32(acc[rp][0], a, w0);
        acc[rp][1] = vmmlaq_s32(acc[rp][1], a, w1);
      }
    };
    const auto quad = [quarter](size_t q) {
      return vreinterpretq_s32_s8(vld1q_s8(quarter + q * kPackBlockBytes));
    };
    if constexpr (kInt4) {
      each_int4_octet_quarter(g, nb, quads, j, [&](size_t o, int8x16_t even, int8x16_t odd) {
        step(2 * o, vreinterpretq_s32_s8(even), vreinterpretq_s32_s8(odd));
      });
    } else {
      size_t q = 0;
      for (; q + 2 <= quads; q += 2) step(q, quad(q), quad(q + 1));
      // An odd last quad pairs with zero weights (its activations are the pairs layout's
      // zeros), outside the loop: a conditional zero inside cost the loop a SIMD slot (84% ->
      // 89%).
      if (q < quads) step(q, quad(q), vdupq_n_s32(0));
    }
    for (int rp = 0; rp < kPairs; ++rp) {
      for (int c = 0; c < 2; ++c) {
        vst1_s32(out[2 * rp] + 4 * j + 2 * c, vget_low_s32(acc[rp][c]));
        vst1_s32(out[2 * rp + 1] + 4 * j + 2 * c, vget_high_s32(acc[rp][c]));
      }
    }
  });
}

}  // namespace

void qd8_f32_qc8w_gemm_16x16c8(const GemmArgs& g) {
  if (g.a_layout == LhsLayout::kRowPairs) {
    walk_tiles<16>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
      tile_row_pairs<decltype(rows)::value, false>(g, m, nb, quads);
    });
  } else {
    walk_tiles<4>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
      tile<decltype(rows)::value, false>(g, m, nb, quads);
    });
  }
}

void qd8_f32_qc4w_gemm_16x16c8(const GemmArgs& g) {
  const size_t quads = packed_k_i4(g.k, g.group_size) / kPackK;
  if (g.a_layout == LhsLayout::kRowPairs) {
    walk_tiles<16>(g, quads, [&g](auto rows, size_t m, size_t nb, size_t quads) {
      tile_row_pairs<decltype(rows)::value, true>(g, m, nb, quads);
    });
  } else {
    walk_tiles<4>(g, quads, [&g](auto rows, size_t m, size_t nb, size_t quads) {
      tile<decltype(rows)::value, true>(g, m, nb, quads);
    });
  }
}

}  // namespace i8mm
}  // namespace kernels

extern const KernelSet kI8mmKernels;
const KernelSet kI8mmKernels = {
    "i8mm",
    {kernels::i8mm::qd8_f32_qc8w_gemm_16x16c8, 16, 16, 8, "qd8_f32_qc8w_gemm_16x16c8__neoni8mm"},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::i8mm::qd8_f32_qc4w_gemm_16x16c8, 16, 16, 8, "qd8_f32_qc4w_gemm_16x16c8__neoni8mm"},
    kernels::i8mm::f32_qd8_quantize_rows,
    kernels::i8mm::f32_layer_norm,
    kernels::i8mm::f32_attention,
    kernels::i8mm::f32_qd8_softmax_rows,
    kernels::i8mm::f32_qd8_quantize_row_pairs};

}  // namespace edgebert
