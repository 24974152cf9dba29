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

}  // namespace edgebert

#endif  // EDGEBERT_SRC_KERNELS_PACKING_H_
