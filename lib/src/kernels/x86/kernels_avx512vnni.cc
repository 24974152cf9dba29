// AVX-512 VNNI kernel set (Ice Lake, Sapphire Rapids, Zen 4): qd8_f32_qc8w_gemm_8x32c4__avx512vnni
// and, for 4-bit weights, qd8_f32_qc4w_gemm_8x32c4__avx512vnni.
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

// The weights of one k-quad of channel blocks nb0 and nb0 + 1 as vpdpbusd's unsigned operand,
// w + 128: each_quad(g, nb0, quads, step) calls step(q, w0, w1) for q = 0 .. quads - 1 in order
// (w1 is zero when NB is 1).
//
// int8 (K4N16): one 64-byte load and w ^ 0x80 per block and quad.
struct Int8Weights {
  template <int NB, typename Step>
  static void each_quad(const GemmArgs& g, size_t nb0, size_t quads, Step&& step) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i bias128 = _mm512_set1_epi8(static_cast<char>(0x80));
    const int8_t* b0 = g.b + nb0 * quads * kPackBlockBytes;  // block nb0; block nb0 + 1 follows
    const int8_t* b1 = b0 + quads * kPackBlockBytes;
    for (size_t q = 0; q < quads; ++q) {
      const __m512i w0 = _mm512_xor_si512(_mm512_loadu_si512(b0 + q * kPackBlockBytes), bias128);
      const __m512i w1 =
          NB > 1 ? _mm512_xor_si512(_mm512_loadu_si512(b1 + q * kPackBlockBytes), bias128) : zero;
      step(q, w0, w1);
    }
  }
};

// 4-bit (K8N16I4): per group, the block's 16 multipliers m become two zmm constants: m in each
// 16-bit word of channel r's dword (vpmullw then multiplies each nibble byte u by m exactly:
// u m <= 225, nothing carries into the next byte) and 128 - 8 m in each of its bytes. Per octet
// (quads 2o, 2o + 1) one 64-byte load, the low and high nibbles (and, shift + and), and per quad
// u m + 128 - 8 m = m q + 128: the int8 value's w + 128, as above.
struct Int4Weights {
  struct Group {
    __m512i multiplier, offset;
  };
  static Group group_constants(const uint8_t* m16) {
    // The 16 bytes in each 128-bit lane, then per dword r (byte r of the lane's copy): m r in
    // bytes 0 and 2 (the words), and m r in all 4 bytes times 8 (8 m <= 120: no carries).
    // (maskz: GCC 12 warns that the unmasked form's _mm512_undefined_epi32 "may be used
    // uninitialized".)
    const __m512i m = _mm512_maskz_broadcast_i32x4(
        0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i*>(m16)));
    alignas(64) static constexpr uint8_t kWordIndex[64] = {
        0,  0x80, 0,  0x80, 1,  0x80, 1,  0x80, 2,  0x80, 2,  0x80, 3,  0x80, 3,  0x80,
        4,  0x80, 4,  0x80, 5,  0x80, 5,  0x80, 6,  0x80, 6,  0x80, 7,  0x80, 7,  0x80,
        8,  0x80, 8,  0x80, 9,  0x80, 9,  0x80, 10, 0x80, 10, 0x80, 11, 0x80, 11, 0x80,
        12, 0x80, 12, 0x80, 13, 0x80, 13, 0x80, 14, 0x80, 14, 0x80, 15, 0x80, 15, 0x80};
    alignas(64) static constexpr uint8_t kByteIndex[64] = {
        0,  0,  0,  0,  1,  1,  1,  1,  2,  2,  2,  2,  3,  3,  3,  3,  4,  4,  4,  4,  5,  5,
        5,  5,  6,  6,  6,  6,  7,  7,  7,  7,  8,  8,  8,  8,  9,  9,  9,  9,  10, 10, 10, 10,
        11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15};
    const __m512i words = _mm512_shuffle_epi8(m, _mm512_load_si512(kWordIndex));
    const __m512i eight_m = _mm512_mullo_epi16(
        _mm512_shuffle_epi8(m, _mm512_load_si512(kByteIndex)), _mm512_set1_epi16(8));
    return {words, _mm512_sub_epi8(_mm512_set1_epi8(static_cast<char>(0x80)), eight_m)};
  }
  static void expand(const uint8_t* octet, const Group& c, __m512i* even, __m512i* odd) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    const __m512i x = _mm512_loadu_si512(octet);
    const __m512i lo = _mm512_and_si512(x, low4);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), low4);
    *even = _mm512_add_epi8(_mm512_mullo_epi16(lo, c.multiplier), c.offset);
    *odd = _mm512_add_epi8(_mm512_mullo_epi16(hi, c.multiplier), c.offset);
  }
  template <int NB, typename Step>
  static void each_quad(const GemmArgs& g, size_t nb0, size_t quads, Step&& step) {
    const __m512i zero = _mm512_setzero_si512();
    const size_t octets = quads / 2, octets_per_group = g.group_size / kPackOctetK;
    const size_t groups = octets / octets_per_group;
    const auto* b0 = reinterpret_cast<const uint8_t*>(g.b) + nb0 * octets * kPackBlockBytes;
    const uint8_t* b1 = b0 + octets * kPackBlockBytes;
    const uint8_t* m0 = g.b_groups + nb0 * groups * kPackN;
    const uint8_t* m1 = m0 + groups * kPackN;
    for (size_t gi = 0; gi < groups; ++gi) {
      const Group c0 = group_constants(m0 + gi * kPackN);
      const Group c1 = NB > 1 ? group_constants(m1 + gi * kPackN) : Group{zero, zero};
      for (size_t o = gi * octets_per_group; o < (gi + 1) * octets_per_group; ++o) {
        __m512i e0, o0, e1 = zero, o1 = zero;
        expand(b0 + o * kPackBlockBytes, c0, &e0, &o0);
        if constexpr (NB > 1) expand(b1 + o * kPackBlockBytes, c1, &e1, &o1);
        step(2 * o, e0, e1);
        step(2 * o + 1, o0, o1);
      }
    }
  }
};

// Rows [m0, m0 + MR) x channel blocks [nb0, nb0 + NB) of 16, the weights from W (Int8Weights or
// Int4Weights).
//
// The accumulators are named variables c<row><block>, not an array: GCC 12 keeps
// `__m512i acc[8][2]` in memory and copies every accumulator between registers (and some to the
// stack) on each k step — 32 moves and 3 stores around the 16 vpdpbusd (seen in objdump); with
// names the loop is the loads, broadcasts and vpdpbusd only (as in the avx2 tiles).
template <int MR, int NB, typename W>
void tile(const GemmArgs& g, size_t m0, size_t nb0, size_t quads) {
  static_assert(MR >= 1 && MR <= 8 && NB >= 1 && NB <= 2, "tile shape");
  const __m512i zero = _mm512_setzero_si512();
  __m512i c0a = zero, c0b = zero, c1a = zero, c1b = zero, c2a = zero, c2b = zero;
  __m512i c3a = zero, c3b = zero, c4a = zero, c4b = zero, c5a = zero, c5b = zero;
  __m512i c6a = zero, c6b = zero, c7a = zero, c7b = zero;
  const int8_t* a = g.a + m0 * g.lda;
  W::template each_quad<NB>(g, nb0, quads, [&](size_t q, __m512i w0, __m512i w1) {
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
  });
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

template <int NB, typename W>
void column_blocks(const GemmArgs& g, size_t nb0, size_t quads) {
  size_t m = 0;
  for (; m + 8 <= g.m; m += 8) tile<8, NB, W>(g, m, nb0, quads);
  if (g.m - m >= 4) {
    tile<4, NB, W>(g, m, nb0, quads);
    m += 4;
  }
  if (g.m - m >= 2) {
    tile<2, NB, W>(g, m, nb0, quads);
    m += 2;
  }
  if (g.m - m == 1) tile<1, NB, W>(g, m, nb0, quads);
}

template <typename W>
void gemm_8x32(const GemmArgs& g, size_t quads) {
  const size_t blocks = packed_n(g.n) / kPackN;
  size_t nb = 0;
  for (; nb + 2 <= blocks; nb += 2) column_blocks<2, W>(g, nb, quads);
  if (nb < blocks) column_blocks<1, W>(g, nb, quads);
}

}  // namespace

void qd8_f32_qc8w_gemm_8x32c4(const GemmArgs& g) {
  gemm_8x32<Int8Weights>(g, packed_k(g.k) / kPackK);
}

void qd8_f32_qc4w_gemm_8x32c4(const GemmArgs& g) {
  gemm_8x32<Int4Weights>(g, packed_k_i4(g.k, g.group_size) / kPackK);
}

}  // namespace EB_KERNEL_NS(avx512vnni)
}  // namespace kernels

extern const KernelSet EB_KERNEL_NS(kAvx512VnniKernels);
const KernelSet EB_KERNEL_NS(kAvx512VnniKernels) = {
    EB_KERNEL_NAME("avx512vnni"),
    {kernels::EB_KERNEL_NS(avx512vnni)::qd8_f32_qc8w_gemm_8x32c4, 8, 32, 4,
     EB_KERNEL_NAME("qd8_f32_qc8w_gemm_8x32c4__avx512vnni")},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::EB_KERNEL_NS(avx512vnni)::qd8_f32_qc4w_gemm_8x32c4, 8, 32, 4,
     EB_KERNEL_NAME("qd8_f32_qc4w_gemm_8x32c4__avx512vnni")},
    kernels::EB_KERNEL_NS(avx512vnni)::f32_qd8_quantize_rows,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_layer_norm,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_attention,
    kernels::EB_KERNEL_NS(avx512vnni)::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
