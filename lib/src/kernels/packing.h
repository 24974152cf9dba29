// Int8 weight layout K4N16 (and its 4-bit form K8N16I4, below), written by the converter (quantize)
// and read by every GEMM kernel.
//
// A dense weight W (N, K) int8 (row n = output channel) is stored with N padded to a multiple of
// 16 and K to a multiple of 4, zeros in the padding, as blocks of 16 output channels; inside a
// block, consecutive groups of 4 k ("quads"), each quad holding the 4 bytes of all 16 channels:
//
//   byte index(n, k) = ((n / 16) * (Kp / 4) + k / 4) * 64 + (n % 16) * 4 + k % 4
//
// One 64-byte load is then a VNNI operand for 16 output channels x 4 k (vpdpbusd), two 32-byte
// halves serve AVX2, four 16-byte quarters serve NEON sdot; no kernel needs horizontal sums and
// no session repacks weights.
#ifndef EDGEBERT_SRC_KERNELS_PACKING_H_
#define EDGEBERT_SRC_KERNELS_PACKING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace edgebert {

constexpr size_t kPackN = 16;                         // output channels per block
constexpr size_t kPackK = 4;                          // k per quad
constexpr size_t kPackBlockBytes = kPackN * kPackK;   // one (block, quad): 16 channels x 4 k
constexpr size_t kPackQuarterBytes = kPackBlockBytes / 4;  // 4 channels x 4 k
static_assert(kPackBlockBytes == 64, "a (block, quad) is one 64-byte load: a zmm VNNI operand");
static_assert(kPackQuarterBytes == 16, "a quarter is one 16-byte NEON / xmm register");

inline size_t packed_n(size_t n) { return (n + kPackN - 1) / kPackN * kPackN; }
inline size_t packed_k(size_t k) { return (k + kPackK - 1) / kPackK * kPackK; }
inline size_t packed_bytes(size_t n, size_t k) { return packed_n(n) * packed_k(k); }

inline size_t packed_index(size_t n, size_t k, size_t kp) {
  return ((n / kPackN) * (kp / kPackK) + k / kPackK) * (kPackN * kPackK) + (n % kPackN) * kPackK +
         k % kPackK;
}

// Packs row-major W (N, K) into `out` (packed_bytes(N, K) bytes): each row's quads are 4-byte
// copies (the runtime packs a head's keys and values per run: kernels/qd8_attention.h).
inline void pack_k4n16(const int8_t* w, size_t n_rows, size_t k_cols, int8_t* out) {
  const size_t quads = packed_k(k_cols) / kPackK, full_quads = k_cols / kPackK;
  for (size_t nb = 0; nb < packed_n(n_rows) / kPackN; ++nb) {
    int8_t* block = out + nb * quads * kPackBlockBytes;
    for (size_t r = 0; r < kPackN; ++r) {
      const size_t n = nb * kPackN + r;
      int8_t* dst = block + r * kPackK;
      for (size_t quad = 0; quad < quads; ++quad) {
        int8_t bytes[kPackK] = {};  // padding rows and the last quad's padding k stay 0
        if (n < n_rows) {
          const size_t count = quad < full_quads ? kPackK : k_cols - quad * kPackK;
          std::memcpy(bytes, w + n * k_cols + quad * kPackK, count);
        }
        std::memcpy(dst + quad * kPackBlockBytes, bytes, kPackK);
      }
    }
  }
}

// 4-bit weight layout K8N16I4 (`quantize --weight-bits 4`). A weight is
//
//   w(n, k) = scales[n] x m(n, g) x q(n, k),  q in [-8, 7], m in [1, 15], g = k / G,
//
// with q stored as the nibble u = q + 8 and m an integer sub-scale per output channel and group
// of G consecutive k (G in {16, 32, 64}). Its int8 equivalent m x q lies in [-120, 105], inside
// the int8 kernels' [-127, 127], so the 4-bit kernels expand nibbles to m x q in registers and
// reuse the int8 dot products, a_sums corrections and epilogues: the same integers in every set.
//
// N is padded to 16 and K to a multiple of G (nibbles 8 = q 0, m 1 in the padding). Blocks of
// 16 channels as in K4N16; inside a block, "octets" of 8 k, 64 bytes each: byte r x 4 + j holds
// channel r's k = 8 o + j in its low nibble and k = 8 o + 4 + j in its high nibble, so the low
// nibbles of an octet are exactly the K4N16 quad 2 o and the high nibbles the quad 2 o + 1:
//
//   byte index(n, k) = ((n / 16) * (Kp / 8) + k / 8) * 64 + (n % 16) * 4 + k % 4,
//   high nibble when k % 8 >= 4;
//   multiplier index(n, k) = ((n / 16) * (Kp / G) + k / G) * 16 + n % 16
//
// (the 16 multipliers of a block and group are one 16-byte load).
constexpr size_t kPackOctetK = 8;  // k per 64-byte octet of nibbles
constexpr int kInt4Min = -8, kInt4Max = 7, kInt4MaxMultiplier = 15;

inline bool valid_group_size(size_t group) { return group == 16 || group == 32 || group == 64; }
inline size_t packed_k_i4(size_t k, size_t group) { return (k + group - 1) / group * group; }
inline size_t packed_bytes_i4(size_t n, size_t k, size_t group) {
  return packed_n(n) * packed_k_i4(k, group) / 2;
}
inline size_t group_multiplier_count(size_t n, size_t k, size_t group) {
  return packed_n(n) * (packed_k_i4(k, group) / group);
}
inline size_t packed_index_i4(size_t n, size_t k, size_t kp) {
  return ((n / kPackN) * (kp / kPackOctetK) + k / kPackOctetK) * kPackBlockBytes +
         (n % kPackN) * kPackK + k % kPackK;
}
inline size_t group_multiplier_index(size_t n, size_t k, size_t kp, size_t group) {
  return ((n / kPackN) * (kp / group) + k / group) * kPackN + n % kPackN;
}

// The int8 equivalent m x q of weight (n, k) of a K8N16I4 tensor (kp = packed_k_i4(K, group)).
inline int int4_weight(const uint8_t* nibbles, const uint8_t* multipliers, size_t n, size_t k,
                       size_t kp, size_t group) {
  const uint8_t byte = nibbles[packed_index_i4(n, k, kp)];
  const int u = (k % kPackOctetK) < kPackK ? (byte & 0x0f) : (byte >> 4);
  return (u - 8) * multipliers[group_multiplier_index(n, k, kp, group)];
}

// Packs q (N, K) row-major in [-8, 7] and m (N, ceil(K / group)) row-major in [1, 15] into
// `nibbles` (packed_bytes_i4 bytes) and `multipliers` (group_multiplier_count bytes).
inline void pack_k8n16i4(const int8_t* q, const uint8_t* m, size_t n_rows, size_t k_cols,
                         size_t group, uint8_t* nibbles, uint8_t* multipliers) {
  const size_t kp = packed_k_i4(k_cols, group), groups = kp / group;
  std::memset(nibbles, 0x88, packed_bytes_i4(n_rows, k_cols, group));  // q = 0
  std::memset(multipliers, 1, group_multiplier_count(n_rows, k_cols, group));
  for (size_t n = 0; n < n_rows; ++n) {
    for (size_t g = 0; g < groups; ++g) {
      multipliers[group_multiplier_index(n, g * group, kp, group)] = m[n * groups + g];
    }
    for (size_t k = 0; k < k_cols; ++k) {
      uint8_t& byte = nibbles[packed_index_i4(n, k, kp)];
      const uint8_t u = static_cast<uint8_t>(q[n * k_cols + k] + 8);
      byte = (k % kPackOctetK) < kPackK ? static_cast<uint8_t>((byte & 0xf0) | u)
                                        : static_cast<uint8_t>((byte & 0x0f) | (u << 4));
    }
  }
}

// 4-bit embedding tables (`quantize --embedding-bits 4`): Int4 RowMajor. Row r holds its E
// values as nibbles u = q + 8, two per byte (element c in byte c / 2, the low nibble for even
// c), ceil(E / 2) bytes a row; its multipliers m in [1, 15], one per group of G elements,
// ceil(E / G) a row. Value: scales[r] x (m x q), the int8 value m x q times the row scale.
inline size_t int4_row_bytes(size_t e) { return (e + 1) / 2; }
inline size_t int4_row_groups(size_t e, size_t group) { return (e + group - 1) / group; }
inline int int4_row_value(const uint8_t* row, const uint8_t* row_multipliers, size_t c,
                          size_t group) {
  const uint8_t byte = row[c / 2];
  const int u = c % 2 == 0 ? (byte & 0x0f) : (byte >> 4);
  return (u - 8) * row_multipliers[c / group];
}

// Packs q (rows, E) in [-8, 7] into `nibbles` (rows x int4_row_bytes(E)).
inline void pack_int4_rows(const int8_t* q, size_t rows, size_t e, uint8_t* nibbles) {
  const size_t row_bytes = int4_row_bytes(e);
  std::memset(nibbles, 0x88, rows * row_bytes);  // an odd E's last high nibble: q = 0
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < e; ++c) {
      uint8_t& byte = nibbles[r * row_bytes + c / 2];
      const uint8_t u = static_cast<uint8_t>(q[r * e + c] + 8);
      byte = c % 2 == 0 ? static_cast<uint8_t>((byte & 0xf0) | u)
                        : static_cast<uint8_t>((byte & 0x0f) | (u << 4));
    }
  }
}

// Row-pair activation layout (LhsLayout::kRowPairs, written by f32_qd8_quantize_row_pairs; the
// i8mm set's dense GEMMs read it). smmla multiplies 2 rows x 8 k of activations: rows 2p and
// 2p + 1 of A (M, lda) are stored together, 8 k of one then 8 k of the other, so each 16-byte
// load is one operand with no zip in the k loop. The same bytes as row-major A (the pair's two
// rows of lda bytes each; M rounded up to even), zeros beyond K:
//
//   byte index(m, k) = (m / 2) * 2 * lda + (k / 8) * 16 + (m % 2) * 8 + k % 8     (lda % 8 == 0)
constexpr size_t kRowPairOctetK = 8;  // k of one row per 8-byte half of a 16-byte pair octet

inline size_t row_pair_index(size_t m, size_t k, size_t lda) {
  return (m / 2) * 2 * lda + (k / kRowPairOctetK) * 2 * kRowPairOctetK + (m % 2) * kRowPairOctetK +
         k % kRowPairOctetK;
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_PACKING_H_
