// A scalar model of the AMX tile intrinsics the amx kernel set uses, for its emulated test build
// (EB_EMULATED_KERNELS) on CPUs without AMX: the set's own source then runs in the kernels
// tests, the way SIMDe serves the VNNI sets. SIMDe has no AMX, so this is ours.
//
// It follows the Intel SDM's definitions (LDTILECFG, TILELOADD, TILESTORED, TILEZERO,
// TDPBSSD, TILERELEASE; Intel's intrinsics guide gives the same pseudo-code):
//   - the 64-byte configuration: byte 0 palette (0 = release to the init state, 1 = 8 tiles of
//     up to 16 rows x 64 bytes), byte 1 start_row, bytes 2-15 reserved (zero), bytes 16 + 2t
//     colsb of tile t (uint16 little endian), byte 48 + t rows of tile t; entries 8-15 zero;
//     loading a configuration zeroes every tile;
//   - a load reads rows x colsb bytes, row r at base + r * stride, and zeroes the rest of the
//     tile; a store writes rows x colsb bytes;
//   - tdpbssd d, a, b: for m < d.rows, n < d.colsb / 4, k < a.colsb / 4:
//     d[m][n] += sum_i a[m][4k + i] * b[k][4n + i] (signed bytes, int32 wrap-around), and zeroes
//     d beyond its rows and colsb.
// Whatever the hardware refuses (#UD / #GP: a tile used unconfigured or before a configuration,
// shapes that do not chain, the same tile twice in one product, a bad configuration) aborts
// with a message, so a test fails where the CPU would fault. Tile state is per thread, as on
// the CPU. Test builds only: the runtime never includes this.
#ifndef EDGEBERT_SRC_KERNELS_X86_AMX_EMULATION_H_
#define EDGEBERT_SRC_KERNELS_X86_AMX_EMULATION_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace edgebert {
namespace amx_emulation {

constexpr int kTiles = 8;
constexpr size_t kMaxRows = 16, kMaxColsb = 64;

struct Tile {
  size_t rows = 0, colsb = 0;
  uint8_t data[kMaxRows][kMaxColsb] = {};
};

struct State {
  bool configured = false;
  Tile tile[kTiles];
};

inline thread_local State state;

[[noreturn]] inline void fault(const char* what, int tile) {
  std::fprintf(stderr, "AMX emulation: %s (tmm%d): the CPU would fault here\n", what, tile);
  std::abort();
}

inline Tile& configured_tile(int t) {
  if (!state.configured) fault("tile used without a tile configuration", t);
  if (t < 0 || t >= kTiles) fault("no such tile", t);
  if (state.tile[t].rows == 0) fault("tile not configured (0 rows)", t);
  return state.tile[t];
}

inline void loadconfig(const void* config) {
  const uint8_t* c = static_cast<const uint8_t*>(config);
  state = State{};
  if (c[0] == 0) return;  // palette 0: the init state
  if (c[0] != 1) fault("palette other than 0 and 1", -1);
  if (c[1] != 0) fault("start_row other than 0 (restart is not modelled)", -1);
  for (int i = 2; i < 16; ++i) {
    if (c[i] != 0) fault("reserved configuration byte not zero", -1);
  }
  for (int t = 0; t < 16; ++t) {
    const size_t colsb = c[16 + 2 * t] | (static_cast<size_t>(c[17 + 2 * t]) << 8);
    const size_t rows = c[48 + t];
    if (t >= kTiles) {
      if (colsb != 0 || rows != 0) fault("configuration of a tile palette 1 lacks", t);
      continue;
    }
    if (rows > kMaxRows || colsb > kMaxColsb) fault("tile larger than 16 rows x 64 bytes", t);
    if ((rows == 0) != (colsb == 0)) fault("tile with rows xor bytes per row zero", t);
    state.tile[t].rows = rows;
    state.tile[t].colsb = colsb;
  }
  state.configured = true;
}

inline void release() { state = State{}; }

inline void zero(int t) {
  Tile& d = configured_tile(t);
  std::memset(d.data, 0, sizeof d.data);
}

inline void loadd(int t, const void* base, long stride) {
  Tile& d = configured_tile(t);
  std::memset(d.data, 0, sizeof d.data);
  for (size_t r = 0; r < d.rows; ++r) {
    std::memcpy(d.data[r], static_cast<const uint8_t*>(base) + static_cast<long>(r) * stride,
                d.colsb);
  }
}

inline void stored(int t, void* base, long stride) {
  const Tile& s = configured_tile(t);
  for (size_t r = 0; r < s.rows; ++r) {
    std::memcpy(static_cast<uint8_t*>(base) + static_cast<long>(r) * stride, s.data[r], s.colsb);
  }
}

inline void dpbssd(int dst, int src1, int src2) {
  if (dst == src1 || dst == src2 || src1 == src2) fault("the same tile twice in tdpbssd", dst);
  Tile& d = configured_tile(dst);
  const Tile& a = configured_tile(src1);
  const Tile& b = configured_tile(src2);
  if (d.colsb % 4 != 0 || a.colsb % 4 != 0 || b.colsb % 4 != 0) {
    fault("bytes per row not a multiple of 4", dst);
  }
  if (a.rows != d.rows) fault("tdpbssd: src1 rows != dst rows", src1);
  if (b.colsb != d.colsb) fault("tdpbssd: src2 bytes per row != dst bytes per row", src2);
  if (b.rows != a.colsb / 4) fault("tdpbssd: src2 rows != src1 bytes per row / 4", src2);
  for (size_t m = 0; m < d.rows; ++m) {
    for (size_t n = 0; n < d.colsb / 4; ++n) {
      int32_t acc;
      std::memcpy(&acc, &d.data[m][4 * n], 4);
      uint32_t sum = static_cast<uint32_t>(acc);  // int32 wrap-around without signed overflow
      for (size_t k = 0; k < a.colsb / 4; ++k) {
        for (size_t i = 0; i < 4; ++i) {
          const int32_t x = static_cast<int8_t>(a.data[m][4 * k + i]);
          const int32_t y = static_cast<int8_t>(b.data[k][4 * n + i]);
          sum += static_cast<uint32_t>(x * y);
        }
      }
      acc = static_cast<int32_t>(sum);
      std::memcpy(&d.data[m][4 * n], &acc, 4);
    }
    std::memset(&d.data[m][d.colsb], 0, kMaxColsb - d.colsb);
  }
  for (size_t m = d.rows; m < kMaxRows; ++m) std::memset(d.data[m], 0, kMaxColsb);
}

}  // namespace amx_emulation
}  // namespace edgebert

// The intrinsics' names and argument order (GCC's amxtileintrin.h / amxint8intrin.h), in place of
// the real ones (SIMDe includes <immintrin.h>, which defines them as inline assembly).
#undef _tile_loadconfig
#undef _tile_release
#undef _tile_zero
#undef _tile_loadd
#undef _tile_stored
#undef _tile_dpbssd
#define _tile_loadconfig(config) ::edgebert::amx_emulation::loadconfig(config)
#define _tile_release() ::edgebert::amx_emulation::release()
#define _tile_zero(dst) ::edgebert::amx_emulation::zero(dst)
#define _tile_loadd(dst, base, stride) ::edgebert::amx_emulation::loadd(dst, base, stride)
#define _tile_stored(src, base, stride) ::edgebert::amx_emulation::stored(src, base, stride)
#define _tile_dpbssd(dst, src1, src2) ::edgebert::amx_emulation::dpbssd(dst, src1, src2)

#endif  // EDGEBERT_SRC_KERNELS_X86_AMX_EMULATION_H_
