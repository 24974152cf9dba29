// AVX-512 VNNI kernel set (Ice Lake, Sapphire Rapids, Zen 4): gemm_s8s8_8x32c4__avx512vnni.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; selected at run time only when the
// CPU has those features.
//
// vpdpbusd multiplies unsigned by signed bytes. Weights are made unsigned on load (w ^ 0x80 =
// w + 128), activations stay signed and broadcast 4 bytes (one k-quad) per row, so
//   acc = sum (w + 128) a = sum w a + 128 sum a,
// and the exact dot product is acc - 128 * a_sums[m]. The packed layout gives one 64-byte load
// per 16 output channels and k-quad: 8 rows x 32 channels = 16 accumulators, no horizontal sums.
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/kernels.h"
#include "kernels/packing.h"

namespace edgebert {
namespace kernels {
namespace avx512vnni {

#include "kernels/common.inc"

namespace {

// Rows [m0, m0 + MR) x channel blocks [nb0, nb0 + NB) of 16.
template <int MR, int NB>
void tile(const GemmArgs& g, size_t m0, size_t nb0, size_t quads) {
  __m512i acc[MR][NB];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_setzero_si512();
  }
  const __m512i bias128 = _mm512_set1_epi8(static_cast<char>(0x80));
  const int8_t* b = g.b + nb0 * quads * 64;
  for (size_t q = 0; q < quads; ++q) {
    __m512i w[NB];
    for (int j = 0; j < NB; ++j) {
      w[j] = _mm512_xor_si512(_mm512_loadu_si512(b + (j * quads + q) * 64), bias128);
    }
    for (int r = 0; r < MR; ++r) {
      int32_t quad;
      std::memcpy(&quad, g.a + (m0 + r) * g.lda + q * 4, 4);
      const __m512i a = _mm512_set1_epi32(quad);
      for (int j = 0; j < NB; ++j) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], w[j], a);
    }
  }
  alignas(64) int32_t out[16];
  for (int r = 0; r < MR; ++r) {
    const __m512i correction = _mm512_set1_epi32(128 * g.a_sums[m0 + r]);
    for (int j = 0; j < NB; ++j) {
      const size_t n0 = (nb0 + j) * 16;
      if (n0 >= g.n) break;
      _mm512_store_si512(out, _mm512_sub_epi32(acc[r][j], correction));
      store_tile(g, m0 + r, n0, out, g.n - n0 < 16 ? g.n - n0 : 16);
    }
  }
}

template <int NB>
void column_blocks(const GemmArgs& g, size_t nb0, size_t quads) {
  size_t m = 0;
  for (; m + 8 <= g.m; m += 8) tile<8, NB>(g, m, nb0, quads);
  if (g.m - m >= 4) {
    tile<4, NB>(g, m, nb0, quads);
    m += 4;
  }
  if (g.m - m >= 2) {
    tile<2, NB>(g, m, nb0, quads);
    m += 2;
  }
  if (g.m - m == 1) tile<1, NB>(g, m, nb0, quads);
}

}  // namespace

void gemm_s8s8(const GemmArgs& g) {
  const size_t quads = packed_k(g.k) / 4;
  const size_t blocks = packed_n(g.n) / 16;
  size_t nb = 0;
  for (; nb + 2 <= blocks; nb += 2) column_blocks<2>(g, nb, quads);
  if (nb < blocks) column_blocks<1>(g, nb, quads);
}

}  // namespace avx512vnni
}  // namespace kernels

extern const KernelSet kAvx512VnniKernels;
const KernelSet kAvx512VnniKernels = {"avx512vnni", kernels::avx512vnni::gemm_s8s8, nullptr,
                                      kernels::avx512vnni::quantize_rows,
                                      kernels::avx512vnni::layer_norm,
                                      kernels::avx512vnni::attention};

}  // namespace edgebert
