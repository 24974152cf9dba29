// NEON kernel set (armv7-a with NEON, every aarch64 CPU): qd8_f32_qc8w_gemm_{2,1}x16c4__neon
// (2 rows on aarch64, 1 on armv7), and qd8_f32_qc4w_gemm_{8,4}x16c4__neon for 4-bit weights.
// Compiled with -mfpu=neon-vfpv4 on armv7 (baseline on aarch64); chosen at run time when the CPU
// reports NEON (HWCAP_NEON on armv7, always on aarch64).
//
// Without sdot, a quad of 4 k is multiplied 2 channels at a time: vmull_s8 of 8 weight bytes
// (channels c, c+1 x 4 k) by the row's 4 activations repeated twice gives 8 exact 16-bit products
// (|a * w| <= 16384), and vpadal adds neighbouring pairs into 32-bit lanes. Each channel then holds
// two partial sums (k 0-1, k 2-3), folded once per tile.
#include <arm_neon.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

// armv7: the softmax loops in NEON intrinsics (attention.inc), where GCC would not vectorize.
#if !defined(__aarch64__)
#define EB_ARMV7_NEON_FLOATS 1
#endif

namespace edgebert {
namespace kernels {
namespace neon {

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

// [a0+a1, a2+a3, b0+b1, b2+b3]
inline int32x4_t pairwise_add(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
  return vpaddq_s32(a, b);
#else
  return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                      vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// Rows [m0, m0 + MR) x 16 channels of block nb. acc[r][p] = [c2p k01, c2p k23, c2p+1 k01,
// c2p+1 k23] for the channel pair p of the block.
template <int MR>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  int32x4_t acc[MR][8];
  for (int r = 0; r < MR; ++r) {
    for (int p = 0; p < 8; ++p) acc[r][p] = vdupq_n_s32(0);
  }
  const int8_t* a_at[MR];
  for (int r = 0; r < MR; ++r) a_at[r] = g.a + (m0 + r) * g.lda;
  // One quad: its 4 quarters w (two channel pairs each) times each row's next 4 activations.
  const auto step = [&](const int8x16_t(&w)[4]) {
    for (int r = 0; r < MR; ++r) {
      // a0 a1 a2 a3 four times, broadcast by the load itself (vld1.32 {d[]}, ld1r) rather than
      // a core register load and a vdup on the pipe the vpadals need.
      const int32_t* quad = reinterpret_cast<const int32_t*>(a_at[r]);  // 4-byte aligned
      const int8x16_t a = vreinterpretq_s8_s32(vld1q_dup_s32(quad));
      a_at[r] += kPackK;
      for (int h = 0; h < 4; ++h) {
        const int8x8_t a_low = vget_low_s8(a);
        acc[r][2 * h] = vpadalq_s16(acc[r][2 * h], vmull_s8(vget_low_s8(w[h]), a_low));
#if defined(__aarch64__)  // smull2 reads the high halves in place
        acc[r][2 * h + 1] = vpadalq_s16(acc[r][2 * h + 1], vmull_high_s8(w[h], a));
#else  // a d register is half a q register: the high half costs nothing
        acc[r][2 * h + 1] = vpadalq_s16(acc[r][2 * h + 1], vmull_s8(vget_high_s8(w[h]), a_low));
#endif
      }
    }
  };
  // Running pointers, one add each a quad: armv7 on the A72 model is issue-bound (3 a cycle),
  // and index arithmetic per load cost it a third of the loop.
  const int8_t* w_at = g.b + nb * quads * kPackBlockBytes;
  const int8_t* const w_end = w_at + quads * kPackBlockBytes;
#if !defined(__aarch64__)
  // armv7: two quads (8 k) a step. Per channel pair, vmull of quad q's bytes by its
  // activations, then vmlal of quad q + 1's into the same 16-bit lanes (two products, |sum| <=
  // 2 x 127 x 127 < 32767: exact), then one vpadal: 3 SIMD ops per 16 multiply-adds where
  // vmull + vpadal per quad took 4, and the issue-bound loop (3 a cycle on the A72 model)
  // reaches the multiplier's rate (bench/perf_model.py: 80% -> 89%).
  for (; w_end - w_at >= static_cast<ptrdiff_t>(2 * kPackBlockBytes); w_at += 2 * kPackBlockBytes) {
    for (int r = 0; r < MR; ++r) {
      const int32_t* quads_at = reinterpret_cast<const int32_t*>(a_at[r]);  // 4-byte aligned
      const int8x8_t a0 = vreinterpret_s8_s32(vld1_dup_s32(quads_at));
      const int8x8_t a1 = vreinterpret_s8_s32(vld1_dup_s32(quads_at + 1));
      a_at[r] += 2 * kPackK;
      for (int h = 0; h < 4; ++h) {
        const int8x16_t x = vld1q_s8(w_at + h * 16), y = vld1q_s8(w_at + kPackBlockBytes + h * 16);
        acc[r][2 * h] =
            vpadalq_s16(acc[r][2 * h], vmlal_s8(vmull_s8(vget_low_s8(x), a0), vget_low_s8(y), a1));
        acc[r][2 * h + 1] = vpadalq_s16(
            acc[r][2 * h + 1], vmlal_s8(vmull_s8(vget_high_s8(x), a0), vget_high_s8(y), a1));
      }
    }
  }
#endif
  for (; w_at != w_end; w_at += kPackBlockBytes) {
    // The quad's 64 weight bytes as 4 q-register loads, two channel pairs each (8 d-register
    // loads held armv7's one load pipe 11 of 14 cycles a quad: bench/perf_model.py).
    int8x16_t w[4];
    for (int h = 0; h < 4; ++h) w[h] = vld1q_s8(w_at + h * 16);
    step(w);
  }
  int32_t out[kPackN];
  const size_t n0 = nb * kPackN;
  for (int r = 0; r < MR; ++r) {
    for (int c = 0; c < 4; ++c) {
      vst1q_s32(out + 4 * c, pairwise_add(acc[r][2 * c], acc[r][2 * c + 1]));
    }
    store_tile(g, m0 + r, n0, out, g.n - n0 < kPackN ? g.n - n0 : kPackN);
  }
}

// 4-bit weights (K8N16I4): rows [m0, m0 + MR) x 16 channels of block nb, one quarter (4
// channels) at a time over the whole k. Per octet the quarter is expanded once (6 ops: quads 2o
// and 2o + 1); per row and channel pair, vmull of quad 2o's values by its activations, vmlal of
// quad 2o + 1's into the same 16-bit lanes (|m q| <= 120: 2 x 127 x 120 < 32767, exact), one
// vpadal. The 16-channel tile expanded all four quarters for 2 (armv7: 1) rows. Not inlined
// into the tile walk: there armv7 runs out of registers for the row pointers and constants (A72
// model: 73%, inlined 70%; aarch64 80%, inlined 82%: one rule for both).
template <int MR>
[[gnu::noinline]] void tile_int4_quarters(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  const int8_t* rows[MR];
  for (int r = 0; r < MR; ++r) rows[r] = g.a + (m0 + r) * g.lda;
  tile_by_quarters<MR>(g, m0, nb, [&](size_t j, int32_t(&out)[MR][kLanes]) {
    int32x4_t acc[MR][2];
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
    each_int4_octet_quarter(g, nb, quads, j, [&](size_t o, int8x16_t even, int8x16_t odd) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const int32_t* at = reinterpret_cast<const int32_t*>(rows[r] + o * kPackOctetK);
#if defined(__aarch64__)  // smull2 / smlal2 read the high halves in place
        const int8x16_t a0 = vreinterpretq_s8_s32(vld1q_dup_s32(at));
        const int8x16_t a1 = vreinterpretq_s8_s32(vld1q_dup_s32(at + 1));
        acc[r][0] = vpadalq_s16(acc[r][0], vmlal_s8(vmull_s8(vget_low_s8(even), vget_low_s8(a0)),
                                                    vget_low_s8(odd), vget_low_s8(a1)));
        acc[r][1] = vpadalq_s16(acc[r][1], vmlal_high_s8(vmull_high_s8(even, a0), odd, a1));
#else
        const int8x8_t a0 = vreinterpret_s8_s32(vld1_dup_s32(at));
        const int8x8_t a1 = vreinterpret_s8_s32(vld1_dup_s32(at + 1));
        acc[r][0] = vpadalq_s16(acc[r][0],
                                vmlal_s8(vmull_s8(vget_low_s8(even), a0), vget_low_s8(odd), a1));
        acc[r][1] = vpadalq_s16(acc[r][1],
                                vmlal_s8(vmull_s8(vget_high_s8(even), a0), vget_high_s8(odd), a1));
#endif
      }
    });
    for (int r = 0; r < MR; ++r) vst1q_s32(out[r] + 4 * j, pairwise_add(acc[r][0], acc[r][1]));
  });
}

}  // namespace

#if defined(__aarch64__)
constexpr int kRows = 2;  // 16 accumulators + 4 weight registers of 32
constexpr const char* kGemmName = "qd8_f32_qc8w_gemm_2x16c4__neon";
#else
constexpr int kRows = 1;  // armv7 has 16 q registers: 8 accumulators + 4 for the weights
constexpr const char* kGemmName = "qd8_f32_qc8w_gemm_1x16c4__neon";
#endif

// kRows x 16 channels, 4 k per step.
void qd8_f32_qc8w_gemm_x16c4(const GemmArgs& g) {
  walk_tiles<kRows>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value>(g, m, nb, quads);
  });
}

// Rows of the 4-bit tile, by the A72 model: aarch64 8 (80% of the vmull rate; 6: 75%, 12: 79%),
// armv7 4 (73%; 6 and 8 spill its 16 q registers).
#if defined(__aarch64__)
constexpr int kInt4Rows = 8;
constexpr const char* kGemm4Name = "qd8_f32_qc4w_gemm_8x16c4__neon";
#else
constexpr int kInt4Rows = 4;
constexpr const char* kGemm4Name = "qd8_f32_qc4w_gemm_4x16c4__neon";
#endif

void qd8_f32_qc4w_gemm_x16c4(const GemmArgs& g) {
  walk_tiles<kInt4Rows>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                        [&g](auto rows, size_t m, size_t nb, size_t quads) {
                          tile_int4_quarters<decltype(rows)::value>(g, m, nb, quads);
                        });
}

}  // namespace neon
}  // namespace kernels

extern const KernelSet kNeonKernels;
const KernelSet kNeonKernels = {
    "neon",
    {kernels::neon::qd8_f32_qc8w_gemm_x16c4, kernels::neon::kRows, 16, 4, kernels::neon::kGemmName},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::neon::qd8_f32_qc4w_gemm_x16c4, kernels::neon::kInt4Rows, 16, 4,
     kernels::neon::kGemm4Name},
    kernels::neon::f32_qd8_quantize_rows,
    kernels::neon::f32_layer_norm,
    kernels::neon::f32_attention,
    kernels::neon::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
