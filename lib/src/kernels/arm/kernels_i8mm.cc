// aarch64 int8 matrix-multiply kernel set (Armv8.6 FEAT_I8MM: Cortex-A510/A710/X2 and later,
// Neoverse V1/N2, Apple M2 on Linux): qd8_f32_qc8w_gemm_4x16c8__neoni8mm and
// qd8_f32_qc4w_gemm_4x16c8__neoni8mm. Compiled with
// -march=armv8.2-a+dotprod+i8mm; chosen at run time when the CPU reports HWCAP2_I8MM.
//
// smmla (vmmlaq_s32) multiplies a 2x8 block of activations by the transpose of a 2x8 block of
// weights into a 2x2 int32 tile: twice the multiplies of an sdot per instruction. It needs 8
// consecutive k per channel while K4N16 stores 4 (a quad); zipping the 32-bit lanes of the same
// quarter in quads q and q+1 gives [c k0-3, c k4-7, c+1 k0-3, c+1 k4-7], the weight operand for
// channels c and c+1, so the one packed layout still serves every kernel.
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

// Rows [m0, m0 + MR) x 16 channels of block nb, in row pairs (MR = 1 pairs the row with itself
// and drops the copy). acc[rp][c] = [r0 x c2c, r0 x c2c+1, r1 x c2c, r1 x c2c+1] for the row
// pair rp and the channel pair c. kInt4: 4-bit weights (K8N16I4, quads = packed_k_i4 / 4): an
// octet's low and high nibbles are exactly quads q and q + 1, expanded in registers.
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

}  // namespace

void qd8_f32_qc8w_gemm_4x16c8(const GemmArgs& g) {
  walk_tiles<4>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value, false>(g, m, nb, quads);
  });
}

void qd8_f32_qc4w_gemm_4x16c8(const GemmArgs& g) {
  walk_tiles<4>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                [&g](auto rows, size_t m, size_t nb, size_t quads) {
                  tile<decltype(rows)::value, true>(g, m, nb, quads);
                });
}

}  // namespace i8mm
}  // namespace kernels

extern const KernelSet kI8mmKernels;
const KernelSet kI8mmKernels = {
    "i8mm",
    {kernels::i8mm::qd8_f32_qc8w_gemm_4x16c8, 4, 16, 8, "qd8_f32_qc8w_gemm_4x16c8__neoni8mm"},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::i8mm::qd8_f32_qc4w_gemm_4x16c8, 4, 16, 8, "qd8_f32_qc4w_gemm_4x16c8__neoni8mm"},
    kernels::i8mm::f32_qd8_quantize_rows,
    kernels::i8mm::f32_layer_norm,
    kernels::i8mm::f32_attention,
    kernels::i8mm::f32_qd8_softmax_rows};

}  // namespace edgebert
