// AVX-VNNI kernel set (Alder Lake and later client cores, Sierra Forest, Zen 5): VEX-encoded
// vpdpbusd on 256-bit registers, for CPUs that have VNNI without AVX-512.
// qd8_f32_qc8w_gemm_6x16c4__avxvnni, qd8_f32_qc4w_gemm_4x16c4__avxvnni. Compiled with -mavx2 -mfma
// -mavxvnni; selected at run time only when the CPU has those features.
//
// As in the AVX-512 VNNI set: vpdpbusd multiplies unsigned by signed bytes, so weights are made
// unsigned on load (w ^ 0x80 = w + 128) and activations stay signed, broadcast 4 bytes (one
// k-quad) per row:
//   acc = sum (w + 128) a = sum w a + 128 sum a,
// and the exact dot product is acc - 128 * a_sums[m]. No saturation anywhere (32-bit sums), so
// 7-bit weights need no path of their own. Per k-quad, one 16-channel block is two 32-byte
// loads (channels 0-7, 8-15); 6 rows x 2 = 12 accumulators, 2 weight vectors, the broadcast row
// and the 0x80 constant fill the 16 ymm registers.
#include "x86_intrinsics.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace EB_KERNEL_NS(avxvnni) {

// Each .inc uses the ones before it.
// clang-format off
#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"
#include "offset_tile.inc"
#include "ymm_weights.inc"
// clang-format on

namespace {

// Rows [m0, m0 + MR) x 16 channels of block nb, MR <= 6, the weights + 128 from W
// (Int8Halves<128> or Int4Halves<128>). The accumulators are named variables c<row><half> (GCC 12
// keeps an array of vectors in memory; see kernels_avx2.cc).
template <int MR, typename W>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  static_assert(MR >= 1 && MR <= 6, "rows per tile");
  const __m256i zero = _mm256_setzero_si256();
  __m256i c0lo = zero, c0hi = zero, c1lo = zero, c1hi = zero, c2lo = zero, c2hi = zero;
  __m256i c3lo = zero, c3hi = zero, c4lo = zero, c4hi = zero, c5lo = zero, c5hi = zero;
  const int8_t* a = g.a + m0 * g.lda;
  W::each_quad(g, nb, quads, [&](size_t q, __m256i w0, __m256i w1) {
    const auto step = [&](int r, __m256i& lo, __m256i& hi) {
      int32_t quad;
      std::memcpy(&quad, a + r * g.lda + q * kPackK, kPackK);
      const __m256i x = _mm256_set1_epi32(quad);
      lo = _mm256_dpbusd_avx_epi32(lo, w0, x);
      hi = _mm256_dpbusd_avx_epi32(hi, w1, x);
    };
    step(0, c0lo, c0hi);
    if constexpr (MR > 1) step(1, c1lo, c1hi);
    if constexpr (MR > 2) step(2, c2lo, c2hi);
    if constexpr (MR > 3) step(3, c3lo, c3hi);
    if constexpr (MR > 4) step(4, c4lo, c4hi);
    if constexpr (MR > 5) step(5, c5lo, c5hi);
  });
  const __m256i lo[6] = {c0lo, c1lo, c2lo, c3lo, c4lo, c5lo};
  const __m256i hi[6] = {c0hi, c1hi, c2hi, c3hi, c4hi, c5hi};
  store_offset_tile<MR>(g, m0, nb, lo, hi, 128);  // the weights' + 128
}

}  // namespace

void qd8_f32_qc8w_gemm_6x16c4(const GemmArgs& g) {
  walk_tiles<6>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value, Int8Halves<128>>(g, m, nb, quads);
  });
}

// 4 rows: 8 accumulators, 2 weight vectors, the broadcast row, the nibble mask and a group's 4
// constants fill the 16 ymm registers.
void qd8_f32_qc4w_gemm_4x16c4(const GemmArgs& g) {
  walk_tiles<4>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                [&g](auto rows, size_t m, size_t nb, size_t quads) {
                  tile<decltype(rows)::value, Int4Halves<128>>(g, m, nb, quads);
                });
}

}  // namespace EB_KERNEL_NS(avxvnni)
}  // namespace kernels

extern const KernelSet EB_KERNEL_NS(kAvxVnniKernels);
const KernelSet EB_KERNEL_NS(kAvxVnniKernels) = {
    EB_KERNEL_NAME("avxvnni"),
    {kernels::EB_KERNEL_NS(avxvnni)::qd8_f32_qc8w_gemm_6x16c4, 6, 16, 4,
     EB_KERNEL_NAME("qd8_f32_qc8w_gemm_6x16c4__avxvnni")},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::EB_KERNEL_NS(avxvnni)::qd8_f32_qc4w_gemm_4x16c4, 4, 16, 4,
     EB_KERNEL_NAME("qd8_f32_qc4w_gemm_4x16c4__avxvnni")},
    kernels::EB_KERNEL_NS(avxvnni)::f32_qd8_quantize_rows,
    kernels::EB_KERNEL_NS(avxvnni)::f32_layer_norm,
    kernels::EB_KERNEL_NS(avxvnni)::f32_attention,
    kernels::EB_KERNEL_NS(avxvnni)::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
