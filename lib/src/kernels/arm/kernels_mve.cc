// Helium (M-profile Vector Extension) kernel set for Armv8.1-M cores (Cortex-M55, M85):
// qd8_f32_qc8w_gemm_1x16c4__mve, qd8_f32_qc4w_gemm_1x16c4__mve. Built only into bare-metal
// Cortex-M55 builds (-mcpu=cortex-m55), where it is chosen at build time: a microcontroller has no
// HWCAP to read.
//
// Helium has no 4-way dot product (no sdot): a quad of 4 k is multiplied 4 channels at a time.
// The 16 weight bytes of channels c..c+3 x 4 k times the row's 4 activations repeated 4 times:
// vmullb / vmullt give the even and odd byte lanes' 16-bit products (exact: |a w| <= 127 x 127),
// their sum holds per channel k0+k1 and k2+k3 (<= 32258, no overflow), and vmovlb / vmovlt widen
// those two halves into the channel's 32-bit accumulator. The M55 has 8 q registers: one row per
// tile, its 16 channels in two passes of 8 (2 accumulators, a weight vector, the activations,
// two products).
#include <arm_mve.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace mve {

#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"

namespace {

// w (4 channels x 4 k) times the row's 4 activations repeated 4 times, into acc.
inline int32x4_t quarter_mac(int32x4_t acc, int8x16_t w, int8x16_t a) {
  const int16x8_t pairs = vaddq_s16(vmullbq_int_s8(w, a), vmulltq_int_s8(w, a));
  acc = vaddq_s32(acc, vmovlbq_s16(pairs));
  return vaddq_s32(acc, vmovltq_s16(pairs));
}

// The row's next 4 activations, 4 times.
inline int8x16_t broadcast_quad(const int8_t* a_at) {
  uint32_t quad;
  std::memcpy(&quad, a_at, sizeof quad);
  return vreinterpretq_s8_u32(vdupq_n_u32(quad));  // a0 a1 a2 a3, 4 times
}

// Row m0 x the 16 channels of block nb, in two passes of 8 channels: acc[i] holds channels
// 8 pass + 4 i .. + 3. (All 16 at once needs 4 accumulators + the weights, activations and two
// products: all 8 q registers, and GCC spilled in the loop.) kInt4: 4-bit weights (K8N16I4,
// quads = packed_k_i4 / 4): per group the pass's two quarters' multipliers (vldrb widens 4
// bytes, x 0x01010101 repeats each over its channel's 4 bytes), per octet and quarter a
// 16-byte load, the low / high nibbles and (u - 8) x m: the int8 values of quads 2o, 2o + 1.
template <int MR, bool kInt4>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  static_assert(MR == 1, "one row per tile: the M55 has 8 q registers");
  int32_t out[kPackN];
  const int8_t* const a_row = g.a + m0 * g.lda;
  for (int pass = 0; pass < 2; ++pass) {
    int32x4_t acc[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
    const int8_t* a_at = a_row;
    if constexpr (kInt4) {
      const size_t octets = quads / 2, octets_per_group = g.group_size / kPackOctetK;
      const size_t groups = octets / octets_per_group;
      const uint8_t* w_at =
          reinterpret_cast<const uint8_t*>(g.b) + nb * octets * kPackBlockBytes + 32 * pass;
      const uint8_t* m_at = g.b_groups + nb * groups * kPackN + 8 * pass;
      for (size_t gi = 0; gi < groups; ++gi, m_at += kPackN) {
        int8x16_t m[2];
        for (int i = 0; i < 2; ++i) {
          m[i] = vreinterpretq_s8_u32(vmulq_n_u32(vldrbq_u32(m_at + 4 * i), 0x01010101u));
        }
        for (size_t o = 0; o < octets_per_group; ++o, w_at += kPackBlockBytes) {
          const int8x16_t a_even = broadcast_quad(a_at), a_odd = broadcast_quad(a_at + kPackK);
          a_at += 2 * kPackK;
          for (int i = 0; i < 2; ++i) {
            const uint8x16_t x = vld1q_u8(w_at + 16 * i);
            const int8x16_t even = vmulq_s8(
                vsubq_s8(vreinterpretq_s8_u8(vandq_u8(x, vdupq_n_u8(0x0f))), vdupq_n_s8(8)), m[i]);
            const int8x16_t odd =
                vmulq_s8(vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(x, 4)), vdupq_n_s8(8)), m[i]);
            acc[i] = quarter_mac(acc[i], even, a_even);
            acc[i] = quarter_mac(acc[i], odd, a_odd);
          }
        }
      }
    } else {
      const int8_t* w_at = g.b + nb * quads * kPackBlockBytes + 32 * pass;
      const int8_t* const w_end = w_at + quads * kPackBlockBytes;
      for (; w_at != w_end; w_at += kPackBlockBytes, a_at += kPackK) {
        const int8x16_t a = broadcast_quad(a_at);
        for (int i = 0; i < 2; ++i) acc[i] = quarter_mac(acc[i], vld1q_s8(w_at + 16 * i), a);
      }
    }
    vst1q_s32(out + 8 * pass, acc[0]);
    vst1q_s32(out + 8 * pass + 4, acc[1]);
  }
  const size_t n0 = nb * kPackN;
  store_tile(g, m0, n0, out, g.n - n0 < kPackN ? g.n - n0 : kPackN);
}

}  // namespace

constexpr int kRows = 1;

// 1 row x 16 channels, 4 k per step.
void qd8_f32_qc8w_gemm_1x16c4(const GemmArgs& g) {
  walk_tiles<kRows>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value, false>(g, m, nb, quads);
  });
}

void qd8_f32_qc4w_gemm_1x16c4(const GemmArgs& g) {
  walk_tiles<kRows>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                    [&g](auto rows, size_t m, size_t nb, size_t quads) {
                      tile<decltype(rows)::value, true>(g, m, nb, quads);
                    });
}

}  // namespace mve
}  // namespace kernels

extern const KernelSet kMveKernels;
const KernelSet kMveKernels = {"mve",
                               {kernels::mve::qd8_f32_qc8w_gemm_1x16c4, kernels::mve::kRows, 16, 4,
                                "qd8_f32_qc8w_gemm_1x16c4__mve"},
                               {nullptr, 0, 0, 0, nullptr},
                               {kernels::mve::qd8_f32_qc4w_gemm_1x16c4, kernels::mve::kRows, 16, 4,
                                "qd8_f32_qc4w_gemm_1x16c4__mve"},
                               kernels::mve::f32_qd8_quantize_rows,
                               kernels::mve::f32_layer_norm,
                               kernels::mve::f32_attention,
                               kernels::mve::f32_qd8_softmax_rows,
                               nullptr};

}  // namespace edgebert
