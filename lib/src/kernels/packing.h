// Int8 weight layout K4N16, written by the converter (quantize) and read by every GEMM kernel.
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

// Packs row-major W (N, K) into `out` (packed_bytes(N, K) bytes).
inline void pack_k4n16(const int8_t* w, size_t n_rows, size_t k_cols, int8_t* out) {
  const size_t kp = packed_k(k_cols);
  for (size_t i = 0; i < packed_bytes(n_rows, k_cols); ++i) out[i] = 0;
  for (size_t n = 0; n < n_rows; ++n) {
    for (size_t k = 0; k < k_cols; ++k) out[packed_index(n, k, kp)] = w[n * k_cols + k];
  }
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_PACKING_H_
