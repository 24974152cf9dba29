// AVX2 kernel set (Haswell and later, Zen 1-3; no VNNI): qd8_f32_qc8w_gemm_4x16c4__avx2 and, for
// 7-bit weights, qd8_f32_qc7w_gemm_5x16c4__avx2, and for 4-bit weights
// qd8_f32_qc4w_gemm_4x16c4__avx2. Compiled with -mavx2 -mfma; selected at run time when the CPU has
// AVX2 and FMA.
//
// Both multiply with vpmaddubsw (u8 x s8 pairs -> s16), whose pair sums saturate beyond 32767:
// 8-bit weights as |a| x sign(w, a), both in [-127, 127] (2 x 127 x 127 < 32767); 7-bit weights as
// (w + 64) x a, also below it, one op per row cheaper. Then vpmaddwd by ones folds each channel's
// two pairs into its 32-bit lane. (Sign-extending both to 16 bits for vpmaddwd, the earlier 8-bit
// kernel, ran 8-18% slower: bench/RESULTS.md.)
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace avx2 {

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

// 7-bit weights: rows [m0, m0 + MR) x 16 channels of block nb, MR <= 5. Per k-quad: two 32-byte
// loads of weight bytes (channels 0-7, 8-15) made unsigned (w + 64, in [1, 127]), per row one
// 4-byte broadcast of the signed activations, vpmaddubsw (u8 x s8 pairs -> s16; exact, since
// 2 * 127 * 127 < 32767), then vpmaddwd by ones folds the two pairs of each channel into its
// 32-bit lane. The sum is sum (w + 64) a = dot + 64 * a_sums[m]. Offsetting the weights costs 2
// ops per quad shared by the rows; offsetting the activations (a + 128) cost one per row.
//
// The accumulators are named variables, not an array: GCC 12 keeps an array of vectors in
// memory and re-stores it (or shuffles copies of it) on every k step, which cost this loop
// ~15% (seen in perf annotate); with names the loop body is the vector ops and nothing else.
template <int MR>
void tile_u8s7(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  static_assert(MR >= 1 && MR <= 5, "rows per tile");
  const __m256i zero = _mm256_setzero_si256();
  __m256i c0lo = zero, c0hi = zero, c1lo = zero, c1hi = zero;  // [row][channels 0-7, 8-15]
  __m256i c2lo = zero, c2hi = zero, c3lo = zero, c3hi = zero, c4lo = zero, c4hi = zero;
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i offset = _mm256_set1_epi8(64);
  const int8_t* b = g.b + nb * quads * kPackBlockBytes;
  const int8_t* a = g.a + m0 * g.lda;
  for (size_t q = 0; q < quads; ++q) {
    const auto* half = reinterpret_cast<const __m256i*>(b + q * kPackBlockBytes);  // 2 per quad
    const __m256i w0 = _mm256_add_epi8(_mm256_loadu_si256(half), offset);
    const __m256i w1 = _mm256_add_epi8(_mm256_loadu_si256(half + 1), offset);
    const auto step = [&](int r, __m256i& lo, __m256i& hi) {
      int32_t quad;
      std::memcpy(&quad, a + r * g.lda + q * kPackK, kPackK);
      const __m256i x = _mm256_set1_epi32(quad);
      lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_maddubs_epi16(w0, x), ones));
      hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_maddubs_epi16(w1, x), ones));
    };
    step(0, c0lo, c0hi);
    if constexpr (MR > 1) step(1, c1lo, c1hi);
    if constexpr (MR > 2) step(2, c2lo, c2hi);
    if constexpr (MR > 3) step(3, c3lo, c3hi);
    if constexpr (MR > 4) step(4, c4lo, c4hi);
  }
  const __m256i lo[5] = {c0lo, c1lo, c2lo, c3lo, c4lo};
  const __m256i hi[5] = {c0hi, c1hi, c2hi, c3hi, c4hi};
  store_offset_tile<MR>(g, m0, nb, lo, hi, 64);  // the weights' + 64
}

// 8-bit weights through vpmaddubsw: |a| (u8) x sign(w, a) (s8, w negated where a < 0) is a x w
// pair by pair, and with both in [-127, 127] a pair sums to at most 2 * 127 * 127 < 32767: no
// saturation, no offset. Costs one vpsignb per weight vector and row and one vpabsb per row over
// the 7-bit tile. Rows [m0, m0 + MR) x 16 channels of block nb, MR <= 4; the signed weights from
// W (Int8Halves<0>, or Int4Halves<0>: 4-bit weights as their int8 values m q in [-120, 105]).
template <int MR, typename W>
void tile_sign(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  static_assert(MR >= 1 && MR <= 4, "rows per tile");
  const __m256i zero = _mm256_setzero_si256();
  __m256i c0lo = zero, c0hi = zero, c1lo = zero, c1hi = zero;  // [row][channels 0-7, 8-15]
  __m256i c2lo = zero, c2hi = zero, c3lo = zero, c3hi = zero;
  const __m256i ones = _mm256_set1_epi16(1);
  const int8_t* a = g.a + m0 * g.lda;
  W::each_quad(g, nb, quads, [&](size_t q, __m256i w0, __m256i w1) {
    const auto step = [&](int r, __m256i& lo, __m256i& hi) {
      int32_t quad;
      std::memcpy(&quad, a + r * g.lda + q * kPackK, kPackK);
      const __m256i x = _mm256_set1_epi32(quad);
      const __m256i magnitude = _mm256_abs_epi8(x);
      lo = _mm256_add_epi32(
          lo, _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w0, x)), ones));
      hi = _mm256_add_epi32(
          hi, _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w1, x)), ones));
    };
    step(0, c0lo, c0hi);
    if constexpr (MR > 1) step(1, c1lo, c1hi);
    if constexpr (MR > 2) step(2, c2lo, c2hi);
    if constexpr (MR > 3) step(3, c3lo, c3hi);
  });
  const __m256i lo[4] = {c0lo, c1lo, c2lo, c3lo};
  const __m256i hi[4] = {c0hi, c1hi, c2hi, c3hi};
  store_offset_tile<MR>(g, m0, nb, lo, hi, 0);
}

}  // namespace

// 4 rows per tile: 8 accumulators, 2 weight vectors, the broadcast row, its magnitude, 2 signed
// weight vectors and the ones fill 15 of the 16 ymm registers.
void qd8_f32_qc8w_gemm_4x16c4(const GemmArgs& g) {
  walk_tiles<4>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile_sign<decltype(rows)::value, Int8Halves<0>>(g, m, nb, quads);
  });
}

// 4-bit weights, 4 rows as for 8-bit: the nibble mask and a group's 4 constants then live in
// memory operands (16 ymm registers are taken), still ~8% faster than 3 rows, which reload the
// weights for a quarter more rows (edgebert_bench_kernels, bench/RESULTS.md "4-bit weights").
void qd8_f32_qc4w_gemm_4x16c4(const GemmArgs& g) {
  walk_tiles<4>(g, packed_k_i4(g.k, g.group_size) / kPackK,
                [&g](auto rows, size_t m, size_t nb, size_t quads) {
                  tile_sign<decltype(rows)::value, Int4Halves<0>>(g, m, nb, quads);
                });
}

// 5 rows per tile: 10 accumulators, 2 weight vectors, the broadcast row and the two constants
// fill the 16 ymm registers (6 rows spilled an accumulator to the stack every k step; 5 rows ran
// ~10% faster than 4 in edgebert_bench_kernels).
void qd8_f32_qc7w_gemm_5x16c4(const GemmArgs& g) {
  walk_tiles<5>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile_u8s7<decltype(rows)::value>(g, m, nb, quads);
  });
}


}  // namespace avx2
}  // namespace kernels

extern const KernelSet kAvx2Kernels;
const KernelSet kAvx2Kernels = {
    "avx2",
    {kernels::avx2::qd8_f32_qc8w_gemm_4x16c4, 4, 16, 4, "qd8_f32_qc8w_gemm_4x16c4__avx2"},
    {kernels::avx2::qd8_f32_qc7w_gemm_5x16c4, 5, 16, 4, "qd8_f32_qc7w_gemm_5x16c4__avx2"},
    {kernels::avx2::qd8_f32_qc4w_gemm_4x16c4, 4, 16, 4, "qd8_f32_qc4w_gemm_4x16c4__avx2"},
    kernels::avx2::f32_qd8_quantize_rows,
    kernels::avx2::f32_layer_norm,
    kernels::avx2::f32_attention,
    kernels::avx2::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
