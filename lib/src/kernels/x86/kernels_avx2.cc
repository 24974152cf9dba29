// AVX2 kernel set (Haswell and later, Zen 1-3; no VNNI): qd8_f32_qc8w_gemm_3x16c4__avx2 and, for
// 7-bit weights, qd8_f32_qc7w_gemm_5x16c4__avx2. Compiled with -mavx2 -mfma; selected at run time when the CPU
// has AVX2 and FMA.
//
// 8-bit weights, no vpmaddubsw: its u8 x s8 pairs saturate at 16 bits (255 * 127 * 2 > 32767). Both operands
// are sign-extended to 16 bits instead and multiplied with vpmaddwd, which is exact in 32 bits.
// A 16-byte quarter of a packed quad block is 4 channels x 4 k; after vpmaddwd each channel holds
// two partial sums (k 0-1, k 2-3), folded with vphaddd at the end of the tile.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace avx2 {

#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"
#include "offset_tile.inc"

namespace {

// Rows [m0, m0 + MR) x 16 channels of block nb, MR <= 3. Accumulators are named variables
// c<row><quarter> (see tile_u8s7 for why not an array); each holds one quarter's 4 channels with
// 2 partials per channel. The quarters are widened and used one at a time, so 12 accumulators, 3
// broadcast rows and one widened quarter fit the 16 ymm registers.
template <int MR>
void tile(const GemmArgs& g, size_t m0, size_t nb, size_t quads) {
  static_assert(MR >= 1 && MR <= 3, "rows per tile");
  const __m256i zero = _mm256_setzero_si256();
  __m256i c00 = zero, c01 = zero, c02 = zero, c03 = zero;
  __m256i c10 = zero, c11 = zero, c12 = zero, c13 = zero;
  __m256i c20 = zero, c21 = zero, c22 = zero, c23 = zero;
  const int8_t* b = g.b + nb * quads * kPackBlockBytes;
  const int8_t* a = g.a + m0 * g.lda;
  for (size_t q = 0; q < quads; ++q) {
    // a0 a1 a2 a3 of row r as 16-bit, repeated for the 4 channels of a quarter.
    const auto row = [&](int r) {
      int32_t quad;
      std::memcpy(&quad, a + r * g.lda + q * kPackK, kPackK);
      return _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(quad)));
    };
    const __m256i a0 = row(0);
    const __m256i a1 = MR > 1 ? row(1) : zero;
    const __m256i a2 = MR > 2 ? row(2) : zero;
    const auto quarter = [&](int j, __m256i& r0, __m256i& r1, __m256i& r2) {
      const int8_t* bytes = b + q * kPackBlockBytes + j * kPackQuarterBytes;
      const __m256i w =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)));
      r0 = _mm256_add_epi32(r0, _mm256_madd_epi16(w, a0));
      if constexpr (MR > 1) r1 = _mm256_add_epi32(r1, _mm256_madd_epi16(w, a1));
      if constexpr (MR > 2) r2 = _mm256_add_epi32(r2, _mm256_madd_epi16(w, a2));
    };
    quarter(0, c00, c10, c20);
    quarter(1, c01, c11, c21);
    quarter(2, c02, c12, c22);
    quarter(3, c03, c13, c23);
  }
  const __m256i acc[3][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}};
  alignas(32) int32_t out[MR][kPackN];
  for (int r = 0; r < MR; ++r) {
    for (int half = 0; half < 2; ++half) {
      // hadd pairs -> [c0 c1 c4 c5 | c2 c3 c6 c7]; reorder 64-bit lanes -> c0..c7.
      const __m256i sums = _mm256_permute4x64_epi64(
          _mm256_hadd_epi32(acc[r][2 * half], acc[r][2 * half + 1]), 0xD8);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out[r] + 8 * half), sums);
    }
  }
  const size_t n0 = nb * kPackN;
  store_tile<MR>(g, m0, n0, out, g.n - n0 < kPackN ? g.n - n0 : kPackN);
}

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

}  // namespace

// 5 rows per tile: 10 accumulators, 2 weight vectors, the broadcast row and the two constants
// fill the 16 ymm registers (6 rows spilled an accumulator to the stack every k step; 5 rows ran
// ~10% faster than 4 in edgebert_bench_kernels).
void qd8_f32_qc7w_gemm_5x16c4(const GemmArgs& g) {
  walk_tiles<5>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile_u8s7<decltype(rows)::value>(g, m, nb, quads);
  });
}

void qd8_f32_qc8w_gemm_3x16c4(const GemmArgs& g) {
  walk_tiles<3>(g, [&g](auto rows, size_t m, size_t nb, size_t quads) {
    tile<decltype(rows)::value>(g, m, nb, quads);
  });
}

}  // namespace avx2
}  // namespace kernels

extern const KernelSet kAvx2Kernels;
const KernelSet kAvx2Kernels = {
    "avx2",
    {kernels::avx2::qd8_f32_qc8w_gemm_3x16c4, 3, 16, 4, "qd8_f32_qc8w_gemm_3x16c4__avx2"},
    {kernels::avx2::qd8_f32_qc7w_gemm_5x16c4, 5, 16, 4, "qd8_f32_qc7w_gemm_5x16c4__avx2"},
    kernels::avx2::f32_qd8_quantize_rows,
    kernels::avx2::f32_layer_norm,
    kernels::avx2::f32_attention,
    kernels::avx2::f32_softmax_rows};

}  // namespace edgebert
