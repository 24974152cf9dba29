// Bare-metal kernel check (Cortex-M boards under qemu-system-arm, platforms/cortex-m): every
// kernel set this build has, against the reference set, bit for bit, on the inputs the host's
// tests/lib/kernels/kernels_test.cc covers: the int8 GEMM (8- and 4-bit weights) over row,
// channel and k remainders with each epilogue, per-row quantization, LayerNorm, fp32 attention and
// the int8 attention's softmax rows. Then instructions per multiply-add of each set's GEMM on one
// shape (QEMU -icount: a proxy, not cycles). Prints one line per check and "kernel_check: PASS" at
// the end.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "board.h"
#include "kernels/kernels.h"
#include "kernels/packing.h"

namespace edgebert {
namespace {

// Deterministic inputs (xorshift32).
struct Random {
  uint32_t state = 2463534242u;
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  int8_t int8() { return static_cast<int8_t>(static_cast<int>(next() % 255u) - 127); }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(next() >> 8) / 16777216.0f;
  }
};

// Static buffers: no heap on the board. Sized for the largest case below.
constexpr size_t kMaxM = 16, kMaxN = 64, kMaxK = 256, kLda = 256;
int8_t weights[kMaxN * kMaxK], packed[kMaxN * kMaxK], activations[kMaxM * kLda];
int32_t sums[kMaxM];
float a_scales[kMaxM], b_scales[kMaxN], bias[kMaxN], residual[kMaxM * kMaxN];
float out_reference[kMaxM * kMaxN], out_set[kMaxM * kMaxN];

int failures = 0;

void check(bool same, const char* set, const char* what, size_t m, size_t n, size_t k) {
  if (!same) {
    std::printf("kernel_check: %s %s differs from reference at m %u n %u k %u\n", set, what,
                static_cast<unsigned>(m), static_cast<unsigned>(n), static_cast<unsigned>(k));
    ++failures;
  }
}

void fill_gemm(Random& r, size_t m, size_t n, size_t k) {
  for (size_t i = 0; i < n * k; ++i) weights[i] = r.int8();
  pack_k4n16(weights, n, k, packed);
  std::memset(activations, 0, sizeof activations);
  for (size_t row = 0; row < m; ++row) {
    int32_t sum = 0;
    for (size_t c = 0; c < k; ++c) sum += activations[row * kLda + c] = r.int8();
    sums[row] = sum;
    a_scales[row] = r.uniform(0.001f, 0.02f);
  }
  for (size_t j = 0; j < n; ++j) b_scales[j] = r.uniform(0.001f, 0.02f), bias[j] = r.uniform(-1, 1);
  for (size_t i = 0; i < m * n; ++i) residual[i] = r.uniform(-2, 2);
}

GemmArgs gemm_args(size_t m, size_t n, size_t k, Epilogue epilogue, float* out) {
  return GemmArgs{activations, kLda, sums, a_scales, packed, b_scales, bias, residual, out, n,
                  m, n, k, epilogue};
}

size_t check_gemm(const KernelSet& reference, const KernelSet& set) {
  Random r;
  size_t cases = 0;
  const Epilogue epilogues[] = {Epilogue::Int32, Epilogue::Bias, Epilogue::BiasGelu,
                                Epilogue::BiasResidual};
  for (size_t m : {1u, 2u, 3u, 5u, 16u}) {
    for (size_t n : {1u, 5u, 16u, 17u, 40u}) {
      for (size_t k : {1u, 3u, 4u, 7u, 32u, 63u, 100u}) {
        fill_gemm(r, m, n, k);
        for (const Epilogue e : epilogues) {
          std::memset(out_reference, 0, sizeof out_reference);
          std::memset(out_set, 0, sizeof out_set);
          reference.qd8_f32_qc8w_gemm.run(gemm_args(m, n, k, e, out_reference));
          set.qd8_f32_qc8w_gemm.run(gemm_args(m, n, k, e, out_set));
          check(std::memcmp(out_reference, out_set, sizeof out_set) == 0, set.name,
                "qd8_f32_qc8w_gemm", m, n, k);
          ++cases;
        }
      }
    }
  }
  return cases;
}

// 4-bit weights (K8N16I4): random nibbles (every byte is valid) and multipliers in [1, 15], over
// the group sizes and the same remainders.
uint8_t nibbles[kMaxN * kMaxK / 2], multipliers[kMaxN * kMaxK / 16];

GemmArgs gemm4_args(size_t m, size_t n, size_t k, size_t group, Epilogue epilogue, float* out) {
  GemmArgs args = gemm_args(m, n, k, epilogue, out);
  args.b = reinterpret_cast<const int8_t*>(nibbles);
  args.b_groups = multipliers;
  args.group_size = group;
  return args;
}

void fill_gemm4(Random& r, size_t m, size_t n, size_t k, size_t group) {
  fill_gemm(r, m, n, k);
  for (size_t i = 0; i < packed_bytes_i4(n, k, group); ++i)
    nibbles[i] = static_cast<uint8_t>(r.next());
  for (size_t i = 0; i < group_multiplier_count(n, k, group); ++i) {
    multipliers[i] = static_cast<uint8_t>(1 + r.next() % kInt4MaxMultiplier);
  }
}

size_t check_gemm4(const KernelSet& reference, const KernelSet& set) {
  Random r;
  size_t cases = 0;
  for (size_t group : {16u, 32u, 64u}) {
    for (size_t m : {1u, 3u, 5u, 16u}) {
      for (size_t n : {1u, 17u, 40u}) {
        for (size_t k : {1u, 7u, 32u, 100u, 256u}) {
          fill_gemm4(r, m, n, k, group);
          for (const Epilogue e : {Epilogue::Int32, Epilogue::BiasGelu}) {
            std::memset(out_reference, 0, sizeof out_reference);
            std::memset(out_set, 0, sizeof out_set);
            reference.qd8_f32_qc4w_gemm.run(gemm4_args(m, n, k, group, e, out_reference));
            set.qd8_f32_qc4w_gemm.run(gemm4_args(m, n, k, group, e, out_set));
            check(std::memcmp(out_reference, out_set, sizeof out_set) == 0, set.name,
                  "qd8_f32_qc4w_gemm", m, n, k);
            ++cases;
          }
        }
      }
    }
  }
  return cases;
}

// The float parts: per-row quantization, LayerNorm, attention, softmax rows.
size_t check_float_parts(const KernelSet& reference, const KernelSet& set) {
  Random r;
  size_t cases = 0;
  static float x[kMaxM * kMaxK], y[kMaxM * kMaxK], gamma[kMaxK], beta[kMaxK];
  constexpr size_t kRows = 32;  // the attention cases' longest sequence
  static int8_t q1[kRows * kLda], q2[kRows * kLda];
  static float s1[kRows], s2[kRows];
  static int32_t sum1[kRows], sum2[kRows];
  for (size_t m : {1u, 3u, 16u}) {
    for (size_t k : {1u, 7u, 32u, 100u, 256u}) {
      for (size_t i = 0; i < m * k; ++i) x[i] = r.uniform(-3, 3);
      reference.f32_qd8_quantize_rows(x, m, k, k, q1, kLda, s1, sum1);
      set.f32_qd8_quantize_rows(x, m, k, k, q2, kLda, s2, sum2);
      check(std::memcmp(q1, q2, m * kLda) == 0 && std::memcmp(s1, s2, m * sizeof(float)) == 0 &&
                std::memcmp(sum1, sum2, m * sizeof(int32_t)) == 0,
            set.name, "f32_qd8_quantize_rows", m, 0, k);
      for (size_t i = 0; i < k; ++i) gamma[i] = r.uniform(0.5f, 1.5f), beta[i] = r.uniform(-1, 1);
      std::memcpy(y, x, m * k * sizeof(float));
      reference.f32_layer_norm(x, gamma, beta, m, k, 1e-12f);
      set.f32_layer_norm(y, gamma, beta, m, k, 1e-12f);
      check(std::memcmp(x, y, m * k * sizeof(float)) == 0, set.name, "f32_layer_norm", m, 0, k);
      cases += 2;
    }
  }
  // Attention: S tokens, 2 heads of 16, every other case with a padding mask.
  static float q[32 * 32], kk[32 * 32], v[32 * 32], c1[32 * 32], c2[32 * 32], scores[32];
  static float scratch[attention_scratch_floats(32, 16)];
  static int32_t mask[32];
  for (size_t s : {1u, 5u, 17u, 32u}) {
    for (size_t i = 0; i < s * 32; ++i) {
      q[i] = r.uniform(-1, 1), kk[i] = r.uniform(-1, 1), v[i] = r.uniform(-1, 1);
    }
    for (size_t i = 0; i < s; ++i) mask[i] = i + 2 < s || i == 0 ? 1 : 0;
    for (const int32_t* m : {static_cast<const int32_t*>(nullptr),
                             static_cast<const int32_t*>(mask)}) {
      reference.f32_attention(c1, q, kk, v, m, scores, scratch, s, 2, 16, 0, 2);
      set.f32_attention(c2, q, kk, v, m, scores, scratch, s, 2, 16, 0, 2);
      check(std::memcmp(c1, c2, s * 32 * sizeof(float)) == 0, set.name, "f32_attention", s, 32, 16);
      for (size_t i = 0; i < s * s; ++i) x[i] = r.uniform(-4, 4);
      std::memcpy(y, x, s * s * sizeof(float));
      reference.f32_qd8_softmax_rows(x, s, s, s, m, q1, kLda, s1, sum1);
      set.f32_qd8_softmax_rows(y, s, s, s, m, q2, kLda, s2, sum2);
      check(std::memcmp(q1, q2, s * kLda) == 0 && std::memcmp(s1, s2, s * sizeof(float)) == 0 &&
                std::memcmp(sum1, sum2, s * sizeof(int32_t)) == 0,
            set.name, "f32_qd8_softmax_rows", s, s, 0);
      cases += 2;
    }
  }
  return cases;
}

// Instructions per multiply-add of a set's GEMM: m 16, n 64, k 256, bias epilogue; 4-bit
// weights in groups of 32 if int4.
uint64_t gemm_instructions(const KernelSet& set, bool int4) {
  Random r;
  fill_gemm4(r, kMaxM, kMaxN, kMaxK, 32);
  const GemmArgs args = int4 ? gemm4_args(kMaxM, kMaxN, kMaxK, 32, Epilogue::Bias, out_set)
                             : gemm_args(kMaxM, kMaxN, kMaxK, Epilogue::Bias, out_set);
  const uint64_t before = board_instructions();
  (int4 ? set.qd8_f32_qc4w_gemm : set.qd8_f32_qc8w_gemm).run(args);
  return board_instructions() - before;
}

}  // namespace
}  // namespace edgebert

int main() {
  using namespace edgebert;
  const KernelSet* reference = select_kernels("reference");
  const KernelSet* best = select_kernels(nullptr);
  std::printf("kernel_check: automatic kernel set %s\n", best->name);
  for (const KernelSet* const* set = all_kernel_sets(); *set != nullptr; ++set) {
    if (!kernels_supported(*set)) continue;
    const size_t gemm = check_gemm(*reference, **set) + check_gemm4(*reference, **set);
    const size_t other = check_float_parts(*reference, **set);
    const uint64_t macs = uint64_t{kMaxM} * kMaxN * kMaxK;
    for (bool int4 : {false, true}) {
      const uint64_t instructions = gemm_instructions(**set, int4);
      const GemmKernel& entry = int4 ? (*set)->qd8_f32_qc4w_gemm : (*set)->qd8_f32_qc8w_gemm;
      std::printf(
          "kernel_check: %s (%s): %u GEMM cases (8- and 4-bit) and %u float-part cases "
          "against reference; m 16 n 64 k 256: %lu instructions, %lu.%02lu per "
          "multiply-add\n",
          (*set)->name, entry.name, static_cast<unsigned>(gemm), static_cast<unsigned>(other),
          static_cast<unsigned long>(instructions), static_cast<unsigned long>(instructions / macs),
          static_cast<unsigned long>(instructions * 100 / macs % 100));
    }
  }
  std::printf("kernel_check: %s\n", failures == 0 ? "PASS" : "FAIL");
  return failures == 0 ? 0 : 1;
}
