// aarch64 dot-product kernel set (Armv8.2 FEAT_DotProd: Cortex-A55/A76 and later, the Pi 5):
// qd8_f32_qc8w_gemm_4x16c4__neondot, qd8_f32_qc4w_gemm_20x16c4__neondot. Compiled with
// -march=armv8.2-a+dotprod; chosen at run time when the CPU reports HWCAP_ASIMDDP.
//
// A 16-byte quarter of a packed quad block is 4 channels x 4 k, exactly one sdot operand: the
// row's 4 activations broadcast to all lanes make vdotq_s32 add four complete channel dot
// products per instruction, with no partial sums to fold.
#include <arm_neon.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace dotprod {

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

// One quad (4 k) into acc: acc[r][j] += w[j] . x[r] lane L (row r's 4 activations of this
// quad), for the quad's 4 weight quarters w[j] = channels 4j..4j+3.
template <int MR, int L>
inline void quad_step(int32x4_t (&acc)[MR][4], const int8x16_t (&w)[4], const int8x16_t (&x)[MR]) {
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < 4; ++j) acc[r][j] = vdotq_laneq_s32(acc[r][j], w[j], x[r], L);
  }
}

// The same with the quad's quarters loaded from `b` (K4N16).
template <int MR, int L>
inline void quad_step(int32x4_t (&acc)[MR][4], const int8_t* b, const int8x16_t (&x)[MR]) {
  int8x16_t w[4];
  for (int j = 0; j < 4; ++j) w[j] = vld1q_s8(b + j * kPackQuarterBytes);
  quad_step<MR, L>(acc, w, x);
}

// Rows [m0, m0 + MR) x 16 channels of block nb; acc[r][j] = channels 4j..4j+3. Four quads (16 k)
// a step: each row's 16 activations are one load and the indexed sdot takes each quad's 4 from
// its lane (per row and quad a 4-byte load and a dup cost the SIMD pipes a third of the sdot
// work: 80% of the sdot peak in bench/perf_model.py); the last quads % 4 one at a time, with a
// 4-byte broadcast (a 16-byte load there could read past the row).
template <int MR>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  int32x4_t acc[MR][4];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < 4; ++j) acc[r][j] = vdupq_n_s32(0);
  }
  const int8_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = g.a + (m0 + r) * g.lda;
  const int8_t* b = g.b + nb * quads * kPackBlockBytes;
  size_t q = 0;
  for (; q + 4 <= quads; q += 4) {
    int8x16_t x[MR];
    for (int r = 0; r < MR; ++r) x[r] = vld1q_s8(rows[r] + q * kPackK);
    const int8_t* block = b + q * kPackBlockBytes;
    quad_step<MR, 0>(acc, block, x);
    quad_step<MR, 1>(acc, block + kPackBlockBytes, x);
    quad_step<MR, 2>(acc, block + 2 * kPackBlockBytes, x);
    quad_step<MR, 3>(acc, block + 3 * kPackBlockBytes, x);
  }
  for (; q < quads; ++q) {
    int8x16_t x[MR];
    for (int r = 0; r < MR; ++r) {
      int32_t quad;
      std::memcpy(&quad, rows[r] + q * kPackK, kPackK);
      x[r] = vreinterpretq_s8_s32(vdupq_n_s32(quad));
    }
    quad_step<MR, 0>(acc, b + q * kPackBlockBytes, x);
  }
  int32_t out[kPackN];
  const size_t n0 = nb * kPackN;
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < 4; ++j) vst1q_s32(out + 4 * j, acc[r][j]);
    store_tile(g, m0 + r, n0, out, g.n - n0 < kPackN ? g.n - n0 : kPackN);
  }
}

// 4-bit weights (K8N16I4): rows [m0, m0 + MR) x 16 channels of block nb, one quarter (4
// channels) at a time over the whole k. Per octet the quarter is expanded once (6 ops) for 2 x MR
// sdot, and each row's 8 activations of the octet are one 8-byte load (vdotq_lane_s32, lanes 0
// and 1: quads 2o and 2o + 1); acc[r] = row r x channels 4j..4j+3. The 4 x 16 tile expanded all
// four quarters for 32 sdot (55% of the A76 model's sdot rate).
template <int MR>
void tile_int4_quarters(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  const int8_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = g.a + (m0 + r) * g.lda;
  tile_by_quarters<MR>(g, m0, nb, [&](size_t j, int32_t(&out)[MR][kLanes]) {
    int32x4_t acc[MR];
    for (int r = 0; r < MR; ++r) acc[r] = vdupq_n_s32(0);
    each_int4_octet_quarter(g, nb, quads, j, [&](size_t o, int8x16_t even, int8x16_t odd) {
#pragma GCC unroll 32
      for (int r = 0; r < MR; ++r) {
        const int8x8_t x = vld1_s8(rows[r] + o * kPackOctetK);
        acc[r] = vdotq_lane_s32(acc[r], even, x, 0);
        acc[r] = vdotq_lane_s32(acc[r], odd, x, 1);
      }
    });
    for (int r = 0; r < MR; ++r) vst1q_s32(out[r] + 4 * j, acc[r]);
  });
}

constexpr int kInt4Rows = 20;  // modelled (A76 / N2): 20 rows 85%, 16 84%; 24 spill

}  // namespace

void qd8_f32_qc8w_gemm_4x16c4(const GemmArgs& g) {
  walk_tiles<4>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value>(g, m, nb, quads);
  });
}

void qd8_f32_qc4w_gemm_20x16c4(const GemmArgs& g) {
  walk_tiles<kInt4Rows>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                        [&g](auto rows, size_t m, size_t nb, size_t quads) {
                          tile_int4_quarters<decltype(rows)::value>(g, m, nb, quads);
                        });
}

}  // namespace dotprod
}  // namespace kernels

extern const KernelSet kDotprodKernels;
const KernelSet kDotprodKernels = {
    "dotprod",
    {kernels::dotprod::qd8_f32_qc8w_gemm_4x16c4, 4, 16, 4, "qd8_f32_qc8w_gemm_4x16c4__neondot"},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::dotprod::qd8_f32_qc4w_gemm_20x16c4, kernels::dotprod::kInt4Rows, 16, 4,
     "qd8_f32_qc4w_gemm_20x16c4__neondot"},
    kernels::dotprod::f32_qd8_quantize_rows,
    kernels::dotprod::f32_layer_norm,
    kernels::dotprod::f32_attention,
    kernels::dotprod::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
