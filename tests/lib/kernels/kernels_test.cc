// Kernel sets: every set this CPU supports computes the reference's integers exactly (GEMM int32,
// row quantization) and its floats within rounding (epilogues, LayerNorm, attention), over random
// and awkward shapes: M = 1, channel and K tails, K not a multiple of the quad or of 64.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/packing.h"
#include "kernels/qd8_attention.h"
#include "oracle/fp32_ops.h"

namespace edgebert {
#if defined(EB_TEST_EMULATED_KERNELS)
// The AVX-512 VNNI, AVX-VNNI and AMX sets' own code compiled with SIMDe's portable intrinsics
// (kernels/x86/x86_intrinsics.h) and, for the tiles, kernels/x86/amx_emulation.h: they run on
// any x86-64 CPU with AVX2.
extern const KernelSet kAvx512VnniKernels_emulated;
extern const KernelSet kAvxVnniKernels_emulated;
extern const KernelSet kAmxKernels_emulated;
#endif
namespace test {
namespace {

// Every set this CPU runs, then the emulated builds of those it may lack.
std::vector<const KernelSet*> supported_sets() {
  std::vector<const KernelSet*> sets;
  for (const KernelSet* const* s = all_kernel_sets(); *s != nullptr; ++s) {
    if (kernels_supported(*s)) sets.push_back(*s);
  }
#if defined(EB_TEST_EMULATED_KERNELS)
  sets.push_back(&kAvx512VnniKernels_emulated);
  sets.push_back(&kAvxVnniKernels_emulated);
  sets.push_back(&kAmxKernels_emulated);
#endif
  return sets;
}

const KernelSet& reference_set() { return *select_kernels("reference"); }

#if defined(__x86_64__)
// The set the automatic choice must be on this x86 CPU, from its CPUID bits and the OS's saved
// register state (XCR0) read here directly, not through kernels_supported(): the best of
// amx > avx512vnni > avxvnni > avx2 > reference whose instructions the CPU has and the OS enables
// (for amx also: Linux grants this process the tile data).
std::string expected_x86_set() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const bool fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1;
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool ymm_state = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
  const bool avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1,
             avx512vl = (ebx >> 31) & 1, avx512vnni = (ecx >> 11) & 1;
  const bool amx_int8 = ((edx >> 24) & 1) && ((edx >> 25) & 1);
  const bool tile_state = (xcr0 & 0x60000) == 0x60000;  // XTILECFG + XTILEDATA
  __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx);
  const bool avxvnni = (eax >> 4) & 1;
  const bool has_avx2 = avx2 && fma && ymm_state;
  const bool has_avx512vnni =
      has_avx2 && zmm_state && avx512f && avx512bw && avx512vl && avx512vnni;
  // ARCH_REQ_XCOMP_PERM for XTILEDATA: 0 when Linux lets this process use the tiles.
  if (has_avx512vnni && amx_int8 && tile_state && syscall(SYS_arch_prctl, 0x1023, 18) == 0) {
    return "amx";
  }
  if (has_avx512vnni) return "avx512vnni";
  if (has_avx2 && avxvnni) return "avxvnni";
  if (has_avx2) return "avx2";
  return "reference";
}
#endif

size_t lda_for(size_t k) { return (k + 63) / 64 * 64; }

struct Problem {
  size_t m, n, k;
  std::vector<int8_t> a, a_pairs, w, packed;  // a_pairs: a in row pairs (packing.h)
  std::vector<int32_t> a_sums;
  std::vector<float> a_scales, b_scales, bias, residual;
};

// Random activations in [-127, 127] and weights in [-max_abs, max_abs], extremes included.
Problem make_problem(size_t m, size_t n, size_t k, std::mt19937& rng, int max_abs = 127) {
  Problem p{m, n, k, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  std::uniform_int_distribution<int> byte(-127, 127), weight(-max_abs, max_abs);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  p.a.assign(m * lda_for(k), 0);
  p.a_sums.assign(m, 0);
  for (size_t r = 0; r < m; ++r) {
    for (size_t i = 0; i < k; ++i) {
      p.a[r * lda_for(k) + i] = static_cast<int8_t>(byte(rng));
      p.a_sums[r] += p.a[r * lda_for(k) + i];
    }
  }
  p.w.resize(n * k);
  for (int8_t& v : p.w) v = static_cast<int8_t>(weight(rng));
  // Extremes in the first row and column: +-max_abs and 127 activations catch saturation.
  for (size_t i = 0; i < k; ++i) p.w[i] = static_cast<int8_t>((i % 2) ? max_abs : -max_abs);
  if (n > 1) {
    for (size_t i = 0; i < k; ++i) p.w[k + i] = static_cast<int8_t>(max_abs);
  }
  if (m > 0) {
    for (size_t i = 0; i < k; ++i) p.a[i] = 127;
    p.a_sums[0] = 127 * static_cast<int32_t>(k);
  }
  p.packed.resize(packed_bytes(n, k));
  pack_k4n16(p.w.data(), n, k, p.packed.data());
  // Row pairs: M rounded up to even, the last pair's second row zeros as the quantizer leaves it.
  p.a_pairs.assign((m + 1) / 2 * 2 * lda_for(k), 99);
  for (size_t r = 0; r < (m + 1) / 2 * 2; ++r) {
    for (size_t i = 0; i < lda_for(k); ++i) {
      p.a_pairs[row_pair_index(r, i, lda_for(k))] = r < m ? p.a[r * lda_for(k) + i] : 0;
    }
  }
  for (size_t i = 0; i < m; ++i) p.a_scales.push_back(0.01f + 0.001f * static_cast<float>(i));
  for (size_t i = 0; i < n; ++i) {
    p.b_scales.push_back(0.02f + 0.0001f * static_cast<float>(i));
    p.bias.push_back(real(rng));
  }
  for (size_t i = 0; i < m * n; ++i) p.residual.push_back(real(rng));
  return p;
}

// The exact int32 product of activation row r with weight channel j (p.w: the int8 values).
int32_t naive_dot(const Problem& p, size_t r, size_t j) {
  int32_t sum = 0;
  for (size_t i = 0; i < p.k; ++i) sum += p.a[r * lda_for(p.k) + i] * p.w[j * p.k + i];
  return sum;
}

GemmArgs args_for(const Problem& p, void* c, Epilogue epilogue,
                  LhsLayout layout = LhsLayout::kRows) {
  GemmArgs args{layout == LhsLayout::kRows ? p.a.data() : p.a_pairs.data(),
                lda_for(p.k),
                p.a_sums.data(),
                p.a_scales.data(),
                p.packed.data(),
                p.b_scales.data(),
                p.bias.data(),
                p.residual.data(),
                c,
                p.n,
                p.m,
                p.n,
                p.k,
                epilogue};
  args.a_layout = layout;
  return args;
}

// The activation layouts a set's GEMMs read: rows, and row pairs where it quantizes in pairs.
std::vector<LhsLayout> layouts_of(const KernelSet& set) {
  if (set.f32_qd8_quantize_row_pairs == nullptr) return {LhsLayout::kRows};
  return {LhsLayout::kRows, LhsLayout::kRowPairs};
}

const char* layout_name(LhsLayout layout) {
  return layout == LhsLayout::kRows ? "rows" : "row pairs";
}

// 4-bit weights (K8N16I4): q in [-8, 7] and multipliers m in [1, 15] per (channel, group); the
// int8 values m q. Extremes: channel 0 alternates -8 and 7 at m 15 (-120, 105), channel 1 is 7
// at m 15; row 0 of the activations is all 127.
struct Problem4 {
  Problem base;  // a, a_sums, scales, bias, residual; base.w holds the int8 values m q
  size_t group;
  std::vector<uint8_t> nibbles, multipliers;
};

Problem4 make_problem4(size_t m, size_t n, size_t k, size_t group, std::mt19937& rng) {
  Problem4 p{make_problem(m, n, k, rng), group, {}, {}};
  const size_t groups = packed_k_i4(k, group) / group;
  std::uniform_int_distribution<int> q_of(kInt4Min, kInt4Max), m_of(1, kInt4MaxMultiplier);
  std::vector<int8_t> q(n * k);
  std::vector<uint8_t> mult(n * groups);
  for (int8_t& v : q) v = static_cast<int8_t>(q_of(rng));
  for (uint8_t& v : mult) v = static_cast<uint8_t>(m_of(rng));
  for (size_t i = 0; i < k; ++i) q[i] = static_cast<int8_t>(i % 2 ? kInt4Max : kInt4Min);
  for (size_t i = 0; n > 1 && i < k; ++i) q[k + i] = kInt4Max;
  for (size_t g = 0; g < groups; ++g) {
    mult[g] = kInt4MaxMultiplier;
    if (n > 1) mult[groups + g] = kInt4MaxMultiplier;
  }
  for (size_t r = 0; r < n; ++r) {
    for (size_t i = 0; i < k; ++i) {
      p.base.w[r * k + i] = static_cast<int8_t>(q[r * k + i] * mult[r * groups + i / group]);
    }
  }
  p.nibbles.resize(packed_bytes_i4(n, k, group));
  p.multipliers.resize(group_multiplier_count(n, k, group));
  pack_k8n16i4(q.data(), mult.data(), n, k, group, p.nibbles.data(), p.multipliers.data());
  return p;
}

GemmArgs args_for(const Problem4& p, void* c, Epilogue epilogue,
                  LhsLayout layout = LhsLayout::kRows) {
  GemmArgs args = args_for(p.base, c, epilogue, layout);
  args.b = reinterpret_cast<const int8_t*>(p.nibbles.data());
  args.b_groups = p.multipliers.data();
  args.group_size = p.group;
  return args;
}

TEST_CASE("Kernels: the reference set is selectable and this CPU's best set is found") {
  REQUIRE(select_kernels("reference") != nullptr);
  REQUIRE(select_kernels(nullptr) != nullptr);
  CHECK(select_kernels("no-such-set") == nullptr);
  std::string tested, untested;
  for (const KernelSet* const* s = all_kernel_sets(); *s != nullptr; ++s) {
    (kernels_supported(*s) ? tested : untested) += std::string((*s)->name) + " ";
  }
  // Sets this CPU cannot run are NOT tested by this run: say so loudly.
#if defined(EB_TEST_EMULATED_KERNELS)
  tested += "+ emulated with SIMDe (and AMX tiles modelled): " +
            std::string(kAvx512VnniKernels_emulated.name) + " " + kAvxVnniKernels_emulated.name +
            " " + kAmxKernels_emulated.name + " ";
#endif
  MESSAGE("kernel sets tested on this CPU: " << tested << "| NOT tested here (CPU lacks them): "
                                             << (untested.empty() ? "none" : untested)
                                             << "| automatic choice: "
                                             << std::string(select_kernels(nullptr)->name));
  // The cross-build test script runs this suite under several emulated CPUs and names the set
  // each must choose (e.g. neon on cortex-a72, dotprod on cortex-a76, i8mm on max): proof that
  // dispatch reads the CPU's features at run time.
  if (const char* expected = std::getenv("EDGEBERT_EXPECT_KERNELS")) {
    CHECK(std::string(select_kernels(nullptr)->name) == expected);
  }
#if defined(__x86_64__)
  // On x86 the CPU at hand decides it: a VNNI CPU must not get avx2.
  CHECK(std::string(select_kernels(nullptr)->name) == expected_x86_set());
#endif
}

// Each GEMM entry's name states its contract and blocking ("qd8_f32_qc8w_gemm_8x32c4__avx512vnni"),
// and the blocking it declares is what callers may split by: whole K4N16 blocks.
TEST_CASE("Kernels: every GEMM entry is named by its contract and declares its blocking") {
  for (const KernelSet* set : supported_sets()) {
    const GemmKernel* entries[] = {&set->qd8_f32_qc8w_gemm, &set->qd8_f32_qc7w_gemm,
                                   &set->qd8_f32_qc4w_gemm};
    for (const GemmKernel* g : entries) {
      if (g->run == nullptr) {
        CHECK(g == &set->qd8_f32_qc7w_gemm);  // only the 7-bit entry is optional
        continue;
      }
      const std::string name = g->name;
      INFO(std::string(set->name) << ": " << name);
      const char* contract = g == &set->qd8_f32_qc8w_gemm   ? "qd8_f32_qc8w_gemm_"
                             : g == &set->qd8_f32_qc7w_gemm ? "qd8_f32_qc7w_gemm_"
                                                            : "qd8_f32_qc4w_gemm_";
      CHECK(name.rfind(contract, 0) == 0);
      const std::string blocking = std::to_string(g->mr) + "x" + std::to_string(g->nr) + "c" +
                                   std::to_string(g->kr) + "__";
      CHECK(name.find(blocking) != std::string::npos);
      CHECK(g->mr >= 1);
      CHECK(g->nr % kPackN == 0);
      CHECK(g->kr % kPackK == 0);
    }
  }
}

TEST_CASE("Kernels: qd8_f32_qc8w_gemm is bit-exact in int32 against a naive product, every set") {
  std::mt19937 rng(11);
  // 16, 32: whole AMX tiles; 17, 33, 48, 63: its row tails past one and two tiles.
  // i8mm's dense tile: 16 rows in pairs, so 15, 17, 33: odd tails past one and two tiles.
  const size_t ms[] = {1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 32, 33, 48, 63};
  const size_t ns[] = {1, 15, 16, 17, 33, 48, 100};
  const size_t ks[] = {1, 3, 4, 5, 12, 63, 64, 65, 76, 130, 768};  // quads % 4: 1, 2, 3, 0
  for (const KernelSet* set : supported_sets()) {
    for (LhsLayout layout : layouts_of(*set)) {
      size_t mismatches = 0, problems = 0;
      for (size_t m : ms) {
        for (size_t n : ns) {
          for (size_t k : ks) {
            const Problem p = make_problem(m, n, k, rng);
            std::vector<int32_t> c(m * n, -1);
            set->qd8_f32_qc8w_gemm.run(args_for(p, c.data(), Epilogue::Int32, layout));
            ++problems;
            for (size_t r = 0; r < m; ++r) {
              for (size_t j = 0; j < n; ++j) {
                const int32_t want = naive_dot(p, r, j);
                if (c[r * n + j] != want && ++mismatches <= 5) {
                  MESSAGE(std::string(set->name)
                          << " " << layout_name(layout) << " m=" << m << " n=" << n << " k=" << k
                          << " at (" << r << "," << j << "): " << c[r * n + j] << " != " << want);
                }
              }
            }
          }
        }
      }
      INFO("kernel set " << std::string(set->name) << ", " << layout_name(layout) << ", "
                         << problems << " shapes");
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("Kernels: qd8_f32_qc7w_gemm (7-bit weights) is bit-exact where a set has it") {
  std::mt19937 rng(21);
  size_t sets_with_it = 0;
  for (const KernelSet* set : supported_sets()) {
    if (set->qd8_f32_qc7w_gemm.run == nullptr) continue;
    ++sets_with_it;
    size_t mismatches = 0;
    for (size_t m : {1u, 2u, 3u, 4u, 5u, 6u, 8u, 9u, 33u}) {
      for (size_t n : {1u, 8u, 16u, 17u, 40u}) {
        for (size_t k : {1u, 4u, 7u, 64u, 65u, 768u}) {
          // Activations at +127 and weights at +-63 in the first rows: the worst case for
          // vpmaddubsw, 2 * 255 * 63 = 32130 < 32767.
          const Problem p = make_problem(m, n, k, rng, 63);
          for (LhsLayout layout : layouts_of(*set)) {
            std::vector<int32_t> c(m * n, -1);
            set->qd8_f32_qc7w_gemm.run(args_for(p, c.data(), Epilogue::Int32, layout));
            for (size_t r = 0; r < m; ++r) {
              for (size_t j = 0; j < n; ++j) mismatches += c[r * n + j] != naive_dot(p, r, j);
            }
          }
        }
      }
    }
    INFO("kernel set " << std::string(set->name));
    CHECK(mismatches == 0);
  }
  MESSAGE(sets_with_it << " supported set(s) here have qd8_f32_qc7w_gemm");
}

TEST_CASE(
    "Kernels: qd8_f32_qc4w_gemm (4-bit weights) is bit-exact in int32 against a naive "
    "product of the int8 values m q, every set") {
  std::mt19937 rng(31);
  // Rows: every tile height's tails (avx2 / avxvnni 4, avx512vnni 8, neon 8 (armv7 4), i8mm 16
  // (15 the largest tail), dotprod 20 (19; 21 and 33 past one tile)).
  const size_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 19, 21, 33};
  const size_t ns[] = {1, 15, 16, 17, 33, 48};
  const size_t ks[] = {1, 5, 16, 17, 32, 63, 64, 65, 100, 384};
  for (const KernelSet* set : supported_sets()) {
    size_t mismatches = 0, problems = 0;
    for (size_t group : {16u, 32u, 64u}) {
      for (size_t m : ms) {
        for (size_t n : ns) {
          for (size_t k : ks) {
            const Problem4 p = make_problem4(m, n, k, group, rng);
            for (LhsLayout layout : layouts_of(*set)) {
              std::vector<int32_t> c(m * n, -1);
              set->qd8_f32_qc4w_gemm.run(args_for(p, c.data(), Epilogue::Int32, layout));
              ++problems;
              for (size_t r = 0; r < m; ++r) {
                for (size_t j = 0; j < n; ++j) {
                  const int32_t want = naive_dot(p.base, r, j);
                  if (c[r * n + j] != want && ++mismatches <= 5) {
                    MESSAGE(std::string(set->name)
                            << " " << layout_name(layout) << " G=" << group << " m=" << m
                            << " n=" << n << " k=" << k << " at (" << r << "," << j
                            << "): " << c[r * n + j] << " != " << want);
                  }
                }
              }
            }
          }
        }
      }
    }
    INFO("kernel set " << std::string(set->name) << ", " << problems << " shapes (every layout)");
    CHECK(mismatches == 0);
  }
}

TEST_CASE(
    "Kernels: qd8_f32_qc4w_gemm's epilogues equal qc8w on the same int8 values, bit for bit") {
  std::mt19937 rng(32);
  for (const KernelSet* set : supported_sets()) {
    for (size_t m : {19, 40}) {
      for (Epilogue e : {Epilogue::Bias, Epilogue::BiasGelu, Epilogue::BiasResidual}) {
        const Problem4 p = make_problem4(m, 70, 200, 32, rng);
        Problem as_int8 = p.base;  // its w are the int8 values m q, packed K4N16
        pack_k4n16(as_int8.w.data(), as_int8.n, as_int8.k, as_int8.packed.data());
        std::vector<float> ours(m * p.base.n), want(m * p.base.n);
        reference_set().qd8_f32_qc8w_gemm.run(args_for(as_int8, want.data(), e));
        for (LhsLayout layout : layouts_of(*set)) {
          set->qd8_f32_qc4w_gemm.run(args_for(p, ours.data(), e, layout));
          INFO(std::string(set->name)
               << " " << layout_name(layout) << " epilogue " << static_cast<int>(e) << " m=" << m);
          CHECK(std::memcmp(ours.data(), want.data(), ours.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE(
    "Kernels: pack_k8n16i4 puts every nibble and multiplier at its index, q 0 and m 1 in "
    "the padding") {
  std::mt19937 rng(33);
  for (size_t group : {16u, 32u, 64u}) {
    for (size_t n : {1u, 16u, 21u}) {
      for (size_t k : {3u, 16u, 40u, 130u}) {
        const Problem4 p = make_problem4(1, n, k, group, rng);
        const size_t kp = packed_k_i4(k, group);
        INFO("G=" << group << " n=" << n << " k=" << k);
        CHECK(p.nibbles.size() == packed_n(n) * kp / 2);
        size_t wrong = 0, padding_wrong = 0;
        for (size_t r = 0; r < packed_n(n); ++r) {
          for (size_t c = 0; c < kp; ++c) {
            const int v = int4_weight(p.nibbles.data(), p.multipliers.data(), r, c, kp, group);
            if (r < n && c < k) {
              wrong += v != p.base.w[r * k + c];
            } else {
              padding_wrong += v != 0;
            }
          }
          for (size_t g = 0; g < kp / group; ++g) {
            const uint8_t m = p.multipliers[group_multiplier_index(r, g * group, kp, group)];
            padding_wrong += r >= n && m != 1;
          }
        }
        CHECK(wrong == 0);
        CHECK(padding_wrong == 0);
      }
    }
  }
}

TEST_CASE("Kernels: qd8_f32_qc8w_gemm's fused epilogues give the reference set's floats bit for bit") {
  std::mt19937 rng(12);
  for (const KernelSet* set : supported_sets()) {
    // 19 rows: tails of every tile height; 40: a whole 32-row AMX tile too. 70 channels: whole
    // blocks and a 6-channel tail.
    for (size_t m : {19, 40}) {
      for (Epilogue e : {Epilogue::Bias, Epilogue::BiasGelu, Epilogue::BiasResidual}) {
        const Problem p = make_problem(m, 70, 200, rng);
        std::vector<float> ours(p.m * p.n), want(p.m * p.n);
        reference_set().qd8_f32_qc8w_gemm.run(args_for(p, want.data(), e));
        for (LhsLayout layout : layouts_of(*set)) {
          set->qd8_f32_qc8w_gemm.run(args_for(p, ours.data(), e, layout));
          INFO(std::string(set->name)
               << " " << layout_name(layout) << " epilogue " << static_cast<int>(e) << " m=" << m);
          // The same operations in the same order (-ffp-contract=off): the same bits.
          CHECK(std::memcmp(ours.data(), want.data(), ours.size() * sizeof(float)) == 0);
        }
      }
    }
  }
}

TEST_CASE("Kernels: f32_qd8_quantize_rows is identical in every set and within half a step") {
  std::mt19937 rng(13);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t k : {1u, 7u, 16u, 100u, 768u}) {
    const size_t m = 5, ldq = lda_for(k);
    std::vector<float> x(m * k);
    for (float& v : x) v = normal(rng);
    for (size_t i = 0; i < k; ++i) x[k + i] = 0.0f;  // an all-zero row
    std::vector<int8_t> want(m * ldq, 99);
    std::vector<float> want_scales(m);
    std::vector<int32_t> want_sums(m);
    reference_set().f32_qd8_quantize_rows(x.data(), m, k, k, want.data(), ldq, want_scales.data(),
                                          want_sums.data());
    for (size_t r = 0; r < m; ++r) {
      int32_t sum = 0;
      for (size_t i = 0; i < k; ++i) {
        const float back = want[r * ldq + i] * want_scales[r];
        CHECK(std::fabs(back - x[r * k + i]) <= 0.5f * want_scales[r] * 1.0001f);
        sum += want[r * ldq + i];
      }
      for (size_t i = k; i < ldq; ++i) CHECK(want[r * ldq + i] == 0);
      CHECK(sum == want_sums[r]);
    }
    CHECK(want_scales[1] == 1.0f);
    for (const KernelSet* set : supported_sets()) {
      std::vector<int8_t> q(m * ldq, 99);
      std::vector<float> scales(m);
      std::vector<int32_t> sums(m);
      set->f32_qd8_quantize_rows(x.data(), m, k, k, q.data(), ldq, scales.data(), sums.data());
      INFO(std::string(set->name) << " k=" << k);
      CHECK(q == want);
      CHECK(scales == want_scales);
      CHECK(sums == want_sums);
      if (set->f32_qd8_quantize_row_pairs == nullptr) continue;
      // Row pairs: the same bytes at row_pair_index, for an odd and an even count of rows (the
      // odd count's last pair gets a zero second row), scales and sums the same.
      for (size_t rows : {m, m - 1}) {
        std::vector<int8_t> pairs((rows + 1) / 2 * 2 * ldq, 99);
        set->f32_qd8_quantize_row_pairs(x.data(), rows, k, k, pairs.data(), ldq, scales.data(),
                                        sums.data());
        size_t wrong = 0;
        for (size_t r = 0; r < (rows + 1) / 2 * 2; ++r) {
          for (size_t i = 0; i < ldq; ++i) {
            wrong += pairs[row_pair_index(r, i, ldq)] != (r < rows ? want[r * ldq + i] : 0);
          }
        }
        INFO("row pairs, " << rows << " rows");
        CHECK(wrong == 0);
        CHECK(std::vector<float>(scales.begin(), scales.begin() + rows) ==
              std::vector<float>(want_scales.begin(), want_scales.begin() + rows));
        CHECK(std::vector<int32_t>(sums.begin(), sums.begin() + rows) ==
              std::vector<int32_t>(want_sums.begin(), want_sums.begin() + rows));
      }
    }
  }
}

TEST_CASE("Kernels: f32_qd8_quantize_rows maps NaN and infinity to 0 in every set") {
  // Only a model with non-finite values produces them; the result must still be defined and the
  // same everywhere: NaN -> 0 with the finite values scaled as usual; an infinite value makes the
  // scale infinite and every value 0. A row too small for 127 / max to be finite saturates.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const size_t k = 40, ldq = lda_for(k);
  std::vector<float> x(3 * k, 0.5f);
  x[0] = 1.0f, x[1] = nan, x[2] = -2.0f, x[3] = 3.0f;
  x[k + 5] = -inf;
  for (size_t i = 0; i < k; ++i) x[2 * k + i] = 0.0f;
  x[2 * k] = 1e-38f, x[2 * k + 1] = -2e-38f;
  for (const KernelSet* set : supported_sets()) {
    INFO(set->name);
    std::vector<int8_t> q(3 * ldq, 99);
    float scales[3];
    int32_t sums[3];
    set->f32_qd8_quantize_rows(x.data(), 3, k, k, q.data(), ldq, scales, sums);
    CHECK(scales[0] == 3.0f / 127.0f);
    CHECK(q[0] == 42);
    CHECK(q[1] == 0);
    CHECK(q[2] == -85);
    CHECK(q[3] == 127);
    CHECK(q[4] == 21);
    CHECK(sums[0] == 42 - 85 + 127 + 21 * static_cast<int32_t>(k - 4));
    CHECK(std::isinf(scales[1]));
    CHECK(sums[1] == 0);
    for (size_t i = 0; i < k; ++i) CHECK(q[ldq + i] == 0);
    CHECK(scales[2] == 2e-38f / 127.0f);
    CHECK(q[2 * ldq] == 127);
    CHECK(q[2 * ldq + 1] == -127);
    for (size_t i = 2; i < k; ++i) CHECK(q[2 * ldq + i] == 0);
    CHECK(sums[2] == 0);
  }
}

TEST_CASE("Kernels: f32_layer_norm and f32_attention match the fp32 oracle") {
  std::mt19937 rng(14);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // head_dim 20 leaves a column tail, 32 and 64 do not; 101 keys give whole blocks of scores,
  // single vectors and a partial vector, 31 no whole block on the widest sets, 7 less than a
  // vector anywhere.
  for (const std::pair<size_t, size_t>& shape :
       {std::pair<size_t, size_t>{20, 101}, {32, 101}, {64, 101}, {32, 31}, {64, 7}}) {
    const size_t d = shape.first, s = shape.second;  // (clang 14: no lambda captures of bindings)
    CAPTURE(s);
    const size_t heads = 3, a = heads * d, h = 48;
    std::vector<float> q(s * a), k(s * a), v(s * a), gamma(h), beta(h), x(s * h);
    for (auto* vec : {&q, &k, &v, &gamma, &beta, &x}) {
      for (float& f : *vec) f = normal(rng);
    }
    std::vector<int32_t> mask(s, 1);
    mask[s - 1] = mask[s - 2] = 0;
    std::vector<float> want_ctx(s * a), scores(s);
    oracle::attention_forward(want_ctx.data(), q.data(), k.data(), v.data(), mask.data(),
                                 scores.data(), s, heads, d);
    std::vector<float> want_x = x;
    oracle::layer_norm_forward(want_x.data(), LayerNormWeights{gamma.data(), beta.data(), static_cast<uint32_t>(h)}, s,
                                  h, 1e-12f);
    for (const KernelSet* set : supported_sets()) {
      const size_t head_scratch = attention_scratch_floats(s, d);
      std::vector<float> ctx(s * a), y = x, scratch(head_scratch);
      set->f32_attention(ctx.data(), q.data(), k.data(), v.data(), mask.data(), scores.data(),
                         scratch.data(), s, heads, d, 0, heads);
      // One call per head with its own scores row and scratch (as threads run them): the same
      // bits.
      std::vector<float> per_head(s * a), head_scores(s * heads), per_head_scratch(head_scratch * heads);
      for (size_t hd = heads; hd-- > 0;) {
        set->f32_attention(per_head.data(), q.data(), k.data(), v.data(), mask.data(),
                           head_scores.data() + hd * s, per_head_scratch.data() + hd * head_scratch,
                           s, heads, d, hd, hd + 1);
      }
      CHECK(per_head == ctx);
      // Every set sums in the same order whatever its vector width: the same bits as the
      // reference set (end-to-end identity across sets rests on this).
      std::vector<float> ref_ctx(s * a), ref_scratch(head_scratch);
      reference_set().f32_attention(ref_ctx.data(), q.data(), k.data(), v.data(), mask.data(),
                                    scores.data(), ref_scratch.data(), s, heads, d, 0, heads);
      CHECK(ctx == ref_ctx);
      set->f32_layer_norm(y.data(), gamma.data(), beta.data(), s, h, 1e-12f);
      double worst_ctx = 0, worst_ln = 0;
      for (size_t i = 0; i < ctx.size(); ++i) {
        worst_ctx = std::max(worst_ctx, std::fabs(double(ctx[i]) - want_ctx[i]));
      }
      for (size_t i = 0; i < y.size(); ++i) {
        worst_ln = std::max(worst_ln, std::fabs(double(y[i]) - want_x[i]));
      }
      INFO(std::string(set->name) << " head_dim " << d);
      CHECK(worst_ctx <= 2e-5);
      CHECK(worst_ln <= 2e-5);
    }
  }
}

// armv7's neon set computes the softmax's exponentials and 8-bit steps in NEON, which flushes
// denormals: rows that reach the clamp, denormal scores and non-finite masked scores must still
// give the reference set's bits (as they must in every set).
TEST_CASE("Kernels: f32_qd8_softmax_rows gives the reference set's bits on awkward rows") {
  std::mt19937 rng(16);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const size_t n = 37, m = 4, ld = 40, ldq = 64;  // vectors of 4 and 8 and a tail
  std::vector<float> x(m * ld, 0.0f);
  for (size_t j = 0; j < n; ++j) {
    x[j] = normal(rng);
    x[ld + j] = -6.0f * static_cast<float>(j);  // -216 .. 0: exp at and past the clamp
    x[2 * ld + j] = (j % 3 == 0 ? -1.0f : 1.0f) * 1e-39f * static_cast<float>(j);  // denormals
    x[3 * ld + j] = 0.5f * static_cast<float>(j % 5);  // ties: 254 e on many half steps
  }
  x[2 * ld + 5] = 0.0f;
  std::vector<int32_t> mask(n, 1);
  for (size_t j : {3u, 8u, 9u, 36u}) mask[j] = 0;
  for (size_t r = 0; r < m; ++r) x[r * ld + 3] = nan, x[r * ld + 8] = inf, x[r * ld + 9] = -inf;
  x[10] = nan, x[ld + 11] = -inf;  // unmasked (only from a model with non-finite values)
  const auto run = [&](const KernelSet& set, const int32_t* row_mask) {
    std::vector<float> e = x, scales(m);
    std::vector<int8_t> q(m * ldq, 99);
    std::vector<int32_t> sums(m);
    set.f32_qd8_softmax_rows(e.data(), m, n, ld, row_mask, q.data(), ldq, scales.data(),
                             sums.data());
    return std::make_tuple(e, q, scales, sums);
  };
  std::vector<int32_t> none(n, 0);  // every key masked: all steps at -127, scale finite
  const int32_t* const masks[] = {mask.data(), none.data()};
  for (const int32_t* row_mask : masks) {
    const auto want = run(reference_set(), row_mask);
    for (const KernelSet* set : supported_sets()) {
      INFO(std::string(set->name) << (row_mask == none.data() ? ", every key masked" : ""));
      const auto got = run(*set, row_mask);
      CHECK(std::memcmp(std::get<0>(got).data(), std::get<0>(want).data(),
                        std::get<0>(want).size() * sizeof(float)) == 0);
      CHECK(std::get<1>(got) == std::get<1>(want));
      CHECK(std::memcmp(std::get<2>(got).data(), std::get<2>(want).data(), m * sizeof(float)) == 0);
      CHECK(std::get<3>(got) == std::get<3>(want));
    }
  }
}

TEST_CASE("Kernels: pack_k4n16 puts every weight at packed_index and zeros the padding") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(-127, 127);
  for (const std::pair<size_t, size_t>& shape :
       {std::pair<size_t, size_t>{1, 1}, {16, 4}, {17, 5}, {33, 64}, {5, 101}}) {
    const size_t n = shape.first, k = shape.second;  // not a structured binding: INFO captures
    std::vector<int8_t> w(n * k);
    for (int8_t& x : w) x = static_cast<int8_t>(byte(rng));
    std::vector<int8_t> packed(packed_bytes(n, k), 99);
    pack_k4n16(w.data(), n, k, packed.data());
    std::vector<int8_t> want(packed_bytes(n, k), 0);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < k; ++c) want[packed_index(r, c, packed_k(k))] = w[r * k + c];
    }
    INFO("n " << n << " k " << k);
    CHECK(packed == want);
  }
}

TEST_CASE("Kernels: qd8_f32_attention follows fp32 attention, the same bits in every set") {
  std::mt19937 rng(15);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  // 101 tokens: a last query block of 5 rows, key and value tails; 20 takes K tails in the
  // score GEMM, 32 and 64 are MiniLM's and BERT-base's head sizes.
  for (size_t d : {20u, 32u, 64u}) {
    const size_t s = 101, heads = 3, a = heads * d;
    std::vector<float> q(s * a), k(s * a), v(s * a);
    for (auto* vec : {&q, &k, &v}) {
      for (float& f : *vec) f = normal(rng);
    }
    // Sharper attention than random vectors give (BERT's heads often look at a few tokens).
    for (float& f : q) f *= 2.0f;
    std::vector<int32_t> mask(s, 1);
    mask[s - 1] = mask[s - 2] = 0;
    std::vector<float> want(s * a), scores(s);
    oracle::attention_forward(want.data(), q.data(), k.data(), v.data(), mask.data(),
                              scores.data(), s, heads, d);
    const size_t bytes = qd8_attention_layout(s, d).bytes;
    // Every head in its own call, as attention tasks run them; workspaces start dirty.
    auto run = [&](const KernelSet& set) {
      std::vector<float> ctx(s * a, -1.0f);
      std::vector<uint64_t> workspace((bytes + 7) / 8, 0x5555555555555555ull);
      for (size_t h = heads; h-- > 0;) {
        qd8_f32_attention(set, ctx.data(), q.data(), k.data(), v.data(), mask.data(),
                          reinterpret_cast<uint8_t*>(workspace.data()), s, heads, d, h);
      }
      return ctx;
    };
    const std::vector<float> ref = run(reference_set());
    double worst = 0, mean = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      const double e = std::fabs(double(ref[i]) - want[i]);
      worst = std::max(worst, e);
      mean += e / ref.size();
    }
    // Masked keys take no part, not even in the value scales: changing their keys and values
    // changes no bit.
    std::vector<float> k2 = k, v2 = v;
    for (size_t c = 0; c < a; ++c) k2[(s - 1) * a + c] = v2[(s - 2) * a + c] = 50.0f;
    std::vector<float> masked_changed(s * a);
    std::vector<uint64_t> workspace((bytes + 7) / 8);
    for (size_t h = 0; h < heads; ++h) {
      qd8_f32_attention(reference_set(), masked_changed.data(), q.data(), k2.data(), v2.data(),
                        mask.data(), reinterpret_cast<uint8_t*>(workspace.data()), s, heads, d, h);
    }
    CHECK(masked_changed == ref);
    INFO("head_dim " << d << ": max |diff| vs fp32 " << worst << ", mean " << mean);
    MESSAGE("qd8_f32_attention head_dim " << d << ": max |diff| vs fp32 attention " << worst
            << ", mean " << mean);
    // Values ~N(0, 1), 99 keys: the 8-bit steps of Q, K, V and P gave max 0.029-0.038, mean
    // 0.0038-0.0043 (with P symmetric int8, 127 steps instead of 254: max 0.058, mean 0.0056).
    CHECK(worst <= 0.05);
    CHECK(mean <= 0.0055);
    for (const KernelSet* set : supported_sets()) {
      INFO(set->name);
      CHECK(run(*set) == ref);
    }
  }
}

}  // namespace
}  // namespace test
}  // namespace edgebert
