// AMX kernel set (Sapphire Rapids and later Xeons): qd8_f32_qc8w_gemm_32x32c4__amx, the tile
// matrix unit for the int8 products; the float parts are the AVX-512 ones (every AMX CPU has
// AVX-512 VNNI). Compiled with the avx512vnni set's flags plus -mamx-tile -mamx-int8; selected
// at run time only when the CPU has AMX-INT8, the OS saves tile state and Linux grants this
// process the tile data (dispatch.cc).
//
// tdpbssd multiplies signed by signed bytes, so activations and weights go in as they are (no
// +128 and no a_sums correction as on VNNI) and the int32 results are exact:
//   C (16 rows x 16 channels int32) += A (16 rows x 64 k) . B (16 quads x 16 channels x 4 k).
// The K4N16 layout (packing.h) already is a B tile: a block's consecutive quads are 64-byte rows
// of 16 channels x 4 k, so 16 quads of one block load as one tile at stride 64, no repacking.
//
// Blocking: 32 rows x 32 channels per output tile in 4 accumulator tiles (tmm0-3), 2 activation
// tiles (tmm4-5) and 2 weight tiles (tmm6-7): each 64-k step loads 4 tiles for 4 products.
// Tails: rows past the last multiple of 32 run in a second pass whose configuration has
// shorter tiles (loads read only the configured rows: nothing is read past row M); a K that is
// not a multiple of 64 ends with its last quads copied into a zero-padded 16-quad buffer (the
// weights hold only packed_k(K) / 4 quads per block, and the last block ends the buffer), while
// the activations are zero up to lda, a multiple of 64. The channel tail is a single block.
#include "x86_intrinsics.h"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

#if defined(EB_EMULATED_KERNELS)
#include "amx_emulation.h"
#endif

#include "../kernels.h"
#include "../packing.h"

namespace edgebert {
namespace kernels {
namespace EB_KERNEL_NS(amx) {

#include "../vec.inc"
#include "../quantize_rows.inc"
#include "../layer_norm.inc"
#include "../attention.inc"
#include "../gemm_tiles.inc"
#include "zmm_epilogue.inc"

namespace {

constexpr size_t kTileRows = 16;       // rows of A and C per tile
constexpr size_t kTileQuads = 16;      // k-quads per product: 64 k
constexpr size_t kTileBytes = 64;      // bytes per tile row
constexpr size_t kStepK = kTileQuads * kPackK;
static_assert(kTileBytes == kPackBlockBytes, "a K4N16 quad is one B tile row");
static_assert(kStepK == kTileBytes, "an A tile row holds the k of one product");

// LDTILECFG's 64-byte operand, palette 1.
struct alignas(64) TileConfig {
  uint8_t palette_id;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];  // bytes per row of tile t
  uint8_t rows[16];
};
static_assert(sizeof(TileConfig) == 64 && offsetof(TileConfig, colsb) == 16 &&
                  offsetof(TileConfig, rows) == 48,
              "the SDM's tile configuration layout");

// A compiler barrier for `p`'s bytes: GCC's tile intrinsics are asm statements that name only
// the address registers (ldtilecfg names 8 of its 64 bytes), so stores to a local buffer a
// tile instruction then reads (the configuration, the K-tail weights) could otherwise be dropped
// as dead or sunk past the asm. Handing the asm the address and clobbering memory prevents both.
inline void memory_barrier(const void* p) { __asm__ volatile("" ::"r"(p) : "memory"); }

// Tiles for output tiles of rows0 + rows1 rows (rows1 may be 0: one row block); tmm(2i + j)
// accumulates row block i x channel block j.
void load_config(size_t rows0, size_t rows1) {
  TileConfig cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.palette_id = 1;
  const size_t rows[8] = {rows0, rows0, rows1, rows1, rows0, rows1, kTileQuads, kTileQuads};
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = static_cast<uint8_t>(rows[t]);
    cfg.colsb[t] = rows[t] == 0 ? 0 : static_cast<uint16_t>(kTileBytes);
  }
  memory_barrier(&cfg);
  _tile_loadconfig(&cfg);
}

// The weights of one 64-k step of channel block `block` (16 quads at stride 64): in place, or
// for a short last step from `tail` (that block's last quads, zero-padded to 16).
struct WeightSteps {
  const int8_t* b;
  size_t quads, full_steps;
  const int8_t* step(size_t block, size_t s, const int8_t* tail) const {
    return s < full_steps ? b + (block * quads + s * kTileQuads) * kPackBlockBytes : tail;
  }
};

// Epilogue of one accumulator tile: rows m0 .. m0 + rows - 1, block `block`'s channels.
void store(const GemmArgs& g, int tile, size_t m0, size_t rows, size_t block) {
  alignas(64) int32_t out[kTileRows][kPackN];
  switch (tile) {
    case 0: _tile_stored(0, out, kTileBytes); break;
    case 1: _tile_stored(1, out, kTileBytes); break;
    case 2: _tile_stored(2, out, kTileBytes); break;
    default: _tile_stored(3, out, kTileBytes); break;
  }
  const size_t n0 = block * kPackN;
  const size_t count = g.n - n0 < kPackN ? g.n - n0 : kPackN;
  // No a_sums correction: tdpbssd's products are exact.
  if (count == kPackN && g.epilogue != Epilogue::Int32) {
    if (rows == kTileRows) {
      store_block<kTileRows>(g, m0, n0, out, 0);
      return;
    }
    for (size_t r = 0; r < rows; ++r) store_block<1>(g, m0 + r, n0, out + r, 0);
    return;
  }
  if (rows == kTileRows) {
    store_tile<8>(g, m0, n0, out, count);
    store_tile<8>(g, m0 + 8, n0, out + 8, count);
    return;
  }
  for (size_t r = 0; r < rows; ++r) store_tile(g, m0 + r, n0, out[r], count);
}

// One output tile: RB row blocks (rows0, rows1 rows) x NB channel blocks from `block`.
template <int RB, int NB>
void tile(const GemmArgs& g, const WeightSteps& w, const int8_t* tail, size_t m0, size_t rows0,
          size_t rows1, size_t block) {
  _tile_zero(0);
  if constexpr (NB > 1) _tile_zero(1);
  if constexpr (RB > 1) _tile_zero(2);
  if constexpr (RB > 1 && NB > 1) _tile_zero(3);
  const int8_t* a0 = g.a + m0 * g.lda;
  const int8_t* a1 = a0 + rows0 * g.lda;
  const size_t steps = (w.quads + kTileQuads - 1) / kTileQuads;
  const long lda = static_cast<long>(g.lda);
  for (size_t s = 0; s < steps; ++s) {
    _tile_loadd(6, w.step(block, s, tail), kTileBytes);
    if constexpr (NB > 1) _tile_loadd(7, w.step(block + 1, s, tail + kTileQuads * kTileBytes),
                                      kTileBytes);
    _tile_loadd(4, a0 + s * kStepK, lda);
    _tile_dpbssd(0, 4, 6);
    if constexpr (NB > 1) _tile_dpbssd(1, 4, 7);
    if constexpr (RB > 1) {
      _tile_loadd(5, a1 + s * kStepK, lda);
      _tile_dpbssd(2, 5, 6);
      if constexpr (NB > 1) _tile_dpbssd(3, 5, 7);
    }
  }
  store(g, 0, m0, rows0, block);
  if constexpr (NB > 1) store(g, 1, m0, rows0, block + 1);
  if constexpr (RB > 1) store(g, 2, m0 + rows0, rows1, block);
  if constexpr (RB > 1 && NB > 1) store(g, 3, m0 + rows0, rows1, block + 1);
}

// Output rows [m_begin, m_end) in tiles of rows0 + rows1 rows (one tile configuration), over
// every channel block, two at a time.
void pass(const GemmArgs& g, size_t m_begin, size_t m_end, size_t rows0, size_t rows1) {
  load_config(rows0, rows1);
  const size_t quads = packed_k(g.k) / kPackK;
  const WeightSteps w{g.b, quads, quads / kTileQuads};
  const size_t tail_quads = quads % kTileQuads;
  // Two blocks' last quads; the zero padding past tail_quads is never overwritten.
  alignas(64) int8_t tail[2][kTileQuads * kTileBytes];
  if (tail_quads != 0) std::memset(tail, 0, sizeof tail);
  const size_t blocks = packed_n(g.n) / kPackN;
  for (size_t block = 0; block < blocks; block += 2) {
    const bool pair = block + 1 < blocks;
    if (tail_quads != 0) {
      for (size_t j = 0; j < (pair ? 2u : 1u); ++j) {
        std::memcpy(tail[j], g.b + ((block + j) * quads + w.full_steps * kTileQuads) * kPackBlockBytes,
                    tail_quads * kTileBytes);
      }
      memory_barrier(tail);
    }
    for (size_t m = m_begin; m < m_end; m += rows0 + rows1) {
      if (rows1 != 0) {
        pair ? tile<2, 2>(g, w, tail[0], m, rows0, rows1, block)
             : tile<2, 1>(g, w, tail[0], m, rows0, rows1, block);
      } else {
        pair ? tile<1, 2>(g, w, tail[0], m, rows0, 0, block)
             : tile<1, 1>(g, w, tail[0], m, rows0, 0, block);
      }
    }
  }
}

}  // namespace

void qd8_f32_qc8w_gemm_32x32c4(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  const size_t full = g.m / (2 * kTileRows) * (2 * kTileRows);
  if (full != 0) pass(g, 0, full, kTileRows, kTileRows);
  const size_t rest = g.m - full;
  if (rest != 0) {
    const size_t rows0 = rest < kTileRows ? rest : kTileRows;
    pass(g, full, g.m, rows0, rest - rows0);
  }
  _tile_release();  // the tile state stays off the context-switch path between GEMMs
}

}  // namespace EB_KERNEL_NS(amx)

namespace EB_KERNEL_NS(avx512vnni) {
// 4-bit weights: AMX tiles load int8 from memory, so their nibbles would need an unpack pass
// through memory; the avx512vnni set's in-register expansion serves this set (every AMX CPU has
// AVX-512 VNNI).
void qd8_f32_qc4w_gemm_8x32c4(const GemmArgs& g);
}  // namespace )
}  // namespace kernels

extern const KernelSet EB_KERNEL_NS(kAmxKernels);
const KernelSet EB_KERNEL_NS(kAmxKernels) = {
    EB_KERNEL_NAME("amx"),
    {kernels::EB_KERNEL_NS(amx)::qd8_f32_qc8w_gemm_32x32c4, 32, 32, 4,
     EB_KERNEL_NAME("qd8_f32_qc8w_gemm_32x32c4__amx")},
    {nullptr, 0, 0, 0, nullptr},
    {kernels::EB_KERNEL_NS(avx512vnni)::qd8_f32_qc4w_gemm_8x32c4, 8, 32, 4,
     EB_KERNEL_NAME("qd8_f32_qc4w_gemm_8x32c4__avx512vnni")},
    kernels::EB_KERNEL_NS(amx)::f32_qd8_quantize_rows,
    kernels::EB_KERNEL_NS(amx)::f32_layer_norm,
    kernels::EB_KERNEL_NS(amx)::f32_attention,
    kernels::EB_KERNEL_NS(amx)::f32_qd8_softmax_rows,
    nullptr};

}  // namespace edgebert
