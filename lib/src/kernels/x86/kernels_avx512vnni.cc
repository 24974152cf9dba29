// AVX-512 VNNI kernel set (Ice Lake, Sapphire Rapids, Zen 4): qd8_f32_qc8w_gemm_8x32c4__avx512vnni.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; selected at run time only when the
// CPU has those features.
//
// vpdpbusd multiplies unsigned by signed bytes. Weights are made unsigned on load (w ^ 0x80 =
// w + 128), activations stay signed and broadcast 4 bytes (one k-quad) per row, so
//   acc = sum (w + 128) a = sum w a + 128 sum a,
// and the exact dot product is acc - 128 * a_sums[m]. The packed layout gives one 64-byte load
// per 16 output channels and k-quad: 8 rows x 32 channels = 16 accumulators, no horizontal sums.
#include "x86_intrinsics.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace EB_KERNEL_NS(avx512vnni) {

#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"
#include "zmm_epilogue.inc"

namespace {

// Rows [m0, m0 + MR) x channel blocks [nb0, nb0 + NB) of 16.
//
// The accumulators are named variables c<row><block>, not an array: GCC 12 keeps
// `__m512i acc[8][2]` in memory and copies every accumulator between registers (and some to the
// stack) on each k step — 32 moves and 3 stores around the 16 vpdpbusd (seen in objdump); with
// names the loop is the loads, broadcasts and vpdpbusd only (as in the avx2 tiles).
template <int MR, int NB>
void tile(const GemmArgs& g, size_t m0, size_t nb0, size_t quads) {
  static_assert(MR >= 1 && MR <= 8 && NB >= 1 && NB <= 2, "tile shape");
  const __m512i zero = _mm512_setzero_si512();
  __m512i c0a = zero, c0b = zero, c1a = zero, c1b = zero, c2a = zero, c2b = zero;
  __m512i c3a = zero, c3b = zero, c4a = zero, c4b = zero, c5a = zero, c5b = zero;
  __m512i c6a = zero, c6b = zero, c7a = zero, c7b = zero;
  const __m512i bias128 = _mm512_set1_epi8(static_cast<char>(0x80));
  const int8_t* b0 = g.b + nb0 * quads * kPackBlockBytes;  // block nb0; block nb0 + 1 follows it
  const int8_t* b1 = b0 + quads * kPackBlockBytes;
  const int8_t* a = g.a + m0 * g.lda;
  for (size_t q = 0; q < quads; ++q) {
    const __m512i w0 = _mm512_xor_si512(_mm512_loadu_si512(b0 + q * kPackBlockBytes), bias128);
    const __m512i w1 =
        NB > 1 ? _mm512_xor_si512(_mm512_loadu_si512(b1 + q * kPackBlockBytes), bias128) : zero;
    const auto step = [&](int r, __m512i& ca, __m512i& cb) {
      int32_t quad;
      std::memcpy(&quad, a + r * g.lda + q * kPackK, kPackK);
      const __m512i x = _mm512_set1_epi32(quad);
      ca = _mm512_dpbusd_epi32(ca, w0, x);
      if constexpr (NB > 1) cb = _mm512_dpbusd_epi32(cb, w1, x);
    };
    step(0, c0a, c0b);
    if constexpr (MR > 1) step(1, c1a, c1b);
    if constexpr (MR > 2) step(2, c2a, c2b);
    if constexpr (MR > 3) step(3, c3a, c3b);
    if constexpr (MR > 4) step(4, c4a, c4b);
    if constexpr (MR > 5) step(5, c5a, c5b);
    if constexpr (MR > 6) step(6, c6a, c6b);
    if constexpr (MR > 7) step(7, c7a, c7b);
  }
  const __m512i acc[2][8] = {{c0a, c1a, c2a, c3a, c4a, c5a, c6a, c7a},
                             {c0b, c1b, c2b, c3b, c4b, c5b, c6b, c7b}};
  for (int j = 0; j < NB; ++j) {
    const size_t n0 = (nb0 + j) * kPackN;
    if (n0 >= g.n) break;
    const size_t count = g.n - n0 < kPackN ? g.n - n0 : kPackN;
    if (count == kPackN && g.epilogue != Epilogue::Int32) {
      store_block<MR>(g, m0, n0, acc[j], 128);  // the weights' + 128
      continue;
    }
    alignas(64) int32_t out[MR][kPackN];
    for (int r = 0; r < MR; ++r) {
      const __m512i correction = _mm512_set1_epi32(128 * g.a_sums[m0 + r]);  // the weights' + 128
      _mm512_store_si512(out[r], _mm512_sub_epi32(acc[j][r], correction));
    }
    store_tile<MR>(g, m0, n0, out, count);
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

void qd8_f32_qc8w_gemm_8x32c4(const GemmArgs& g) {
  const size_t quads = packed_k(g.k) / kPackK;
  const size_t blocks = packed_n(g.n) / kPackN;
  size_t nb = 0;
  for (; nb + 2 <= blocks; nb += 2) column_blocks<2>(g, nb, quads);
  if (nb < blocks) column_blocks<1>(g, nb, quads);
}

}  // namespace EB_KERNEL_NS(avx512vnni)
}  // namespace kernels

extern const KernelSet EB_KERNEL_NS(kAvx512VnniKernels);
const KernelSet EB_KERNEL_NS(kAvx512VnniKernels) = {
    EB_KERNEL_NAME("avx512vnni"),
    {kernels::EB_KERNEL_NS(avx512vnni)::qd8_f32_qc8w_gemm_8x32c4, 8, 32, 4, EB_KERNEL_NAME("qd8_f32_qc8w_gemm_8x32c4__avx512vnni")},
    {nullptr, 0, 0, 0, nullptr},
    kernels::EB_KERNEL_NS(avx512vnni)::f32_qd8_quantize_rows,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_layer_norm,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_attention,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_qd8_softmax_rows};

}  // namespace edgebert
