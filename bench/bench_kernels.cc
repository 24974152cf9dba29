// Kernel benchmarks: int8 GEMM (8-, 7- and 4-bit weights) of every kernel set this CPU runs at BERT
// shapes, in GOPS (2 x M x N x K / time) and % of a peak probe measured at start-up in the same
// process; fp32 attention (all heads of one layer) in GFLOPS, next to the FMA probe, and int8
// attention in GOPS.
//   build/bench/edgebert_bench_kernels [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/packing.h"
#include "kernels/qd8_attention.h"

namespace edgebert::bench {
enum class Probe { kMaddwd, kMaddubsw, kFma };
double peak_probe_avx2(Probe probe, size_t iterations);
double peak_probe_vnni(bool zmm, size_t iterations);
double peak_probe_amx(size_t iterations);
}

namespace {

using namespace edgebert;

// int8 GOPS of the avx2 kernel's multiply instruction (vpmaddwd), or 0 where it cannot run.
double peak_gops() {
  static const double peak = __builtin_cpu_supports("avx2")
                                 ? bench::peak_probe_avx2(bench::Probe::kMaddwd, 20'000'000)
                                 : 0.0;
  return peak;
}

// The peak of the instruction a GEMM entry multiplies with, measured once (0: no probe, the
// reference set). Each set's probe runs only when the CPU runs the set.
double entry_peak_gops(const KernelSet* set, bool seven_bit) {
  const std::string name = set->name;
  if (name == "amx") {
    static const double tiles = bench::peak_probe_amx(1'000'000);
    return tiles;
  }
  if (name == "avx512vnni") {
    static const double zmm = bench::peak_probe_vnni(true, 10'000'000);
    return zmm;
  }
  if (name == "avxvnni") {
    static const double ymm = bench::peak_probe_vnni(false, 10'000'000);
    return ymm;
  }
  if (name == "avx2") {
    static const double maddubsw = bench::peak_probe_avx2(bench::Probe::kMaddubsw, 20'000'000);
    return seven_bit ? maddubsw : peak_gops();
  }
  return 0.0;
}

// One GEMM entry; bits 8, 7 (weights in [-63, 63]: the qd8_f32_qc7w_gemm entries) or 4 (K8N16I4
// in groups of 32 k: the qd8_f32_qc4w_gemm entries).
void BM_gemm(benchmark::State& state, const KernelSet* set, const GemmKernel* gemm, int bits,
             size_t m, size_t n, size_t k, Epilogue epilogue) {
  const bool seven_bit = bits == 7;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(-127, 127), weight(seven_bit ? -63 : -127, seven_bit ? 63 : 127);
  const size_t lda = (k + 63) / 64 * 64, group = 32;
  // Rows rounded up to even: a set that quantizes in row pairs is timed on the layout the dense
  // layers give it (random bytes either way).
  std::vector<int8_t> a((m + 1) / 2 * 2 * lda, 0), w(n * k), packed(packed_bytes(n, k));
  std::vector<int32_t> sums(m, 0);
  for (size_t r = 0; r < m; ++r) {
    for (size_t i = 0; i < k; ++i) sums[r] += a[r * lda + i] = static_cast<int8_t>(byte(rng));
  }
  for (int8_t& v : w) v = static_cast<int8_t>(weight(rng));
  pack_k4n16(w.data(), n, k, packed.data());
  std::vector<uint8_t> nibbles(packed_bytes_i4(n, k, group)),
      multipliers(group_multiplier_count(n, k, group));
  if (bits == 4) {
    std::uniform_int_distribution<int> q_of(kInt4Min, kInt4Max), m_of(1, kInt4MaxMultiplier);
    std::vector<uint8_t> m_rows(n * (packed_k_i4(k, group) / group));
    for (int8_t& v : w) v = static_cast<int8_t>(q_of(rng));
    for (uint8_t& v : m_rows) v = static_cast<uint8_t>(m_of(rng));
    pack_k8n16i4(w.data(), m_rows.data(), n, k, group, nibbles.data(), multipliers.data());
  }
  std::vector<float> a_scales(m, 0.01f), b_scales(n, 0.01f), bias(n, 0.0f), c(m * n);
  GemmArgs args{a.data(),
                lda,
                sums.data(),
                a_scales.data(),
                packed.data(),
                b_scales.data(),
                bias.data(),
                nullptr,
                c.data(),
                n,
                m,
                n,
                k,
                epilogue};
  if (set->f32_qd8_quantize_row_pairs != nullptr) args.a_layout = LhsLayout::kRowPairs;
  if (bits == 4) {
    args.b = reinterpret_cast<const int8_t*>(nibbles.data());
    args.b_groups = multipliers.data();
    args.group_size = group;
  }
  for (auto _ : state) {
    gemm->run(args);
    benchmark::DoNotOptimize(c.data());
  }
  const double ops = 2.0 * m * n * k;
  state.counters["GOPS"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  // The peak of this entry's own multiply instruction, and the share of it the GEMM reaches.
  const double peak = entry_peak_gops(set, seven_bit);
  state.counters["peak_GOPS"] = peak;
  if (peak > 0) {
    state.counters["pct_of_peak"] = benchmark::Counter(
        100.0 * ops / 1e9 / peak, benchmark::Counter::kIsIterationInvariantRate);
  }
  state.SetLabel(gemm->name);
}

// One layer's attention, all heads on one thread: GFLOPS counts the two products (q k^T and
// p v, 2 x S x S x head_dim each per head); softmax, the keys transpose and the values copy
// come on top.
// int8: qd8_f32_attention (kernels/qd8_attention.h) head by head, the same count (GOPS); its
// quantization and packing of keys and values and the softmax come on top.
void BM_attention(benchmark::State& state, const KernelSet* set, size_t s, size_t heads,
                  size_t d, bool int8) {
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const size_t a = heads * d;
  std::vector<float> q(s * a), k(s * a), v(s * a), context(s * a), scores(s),
      scratch(attention_scratch_floats(s, d));
  std::vector<uint64_t> workspace(qd8_attention_layout(s, d).bytes / 8);
  for (auto* vec : {&q, &k, &v}) {
    for (float& f : *vec) f = normal(rng);
  }
  std::vector<int32_t> mask(s, 1);
  for (auto _ : state) {
    if (int8) {
      for (size_t h = 0; h < heads; ++h) {
        qd8_f32_attention(*set, context.data(), q.data(), k.data(), v.data(), mask.data(),
                          reinterpret_cast<uint8_t*>(workspace.data()), s, heads, d, h);
      }
    } else {
      set->f32_attention(context.data(), q.data(), k.data(), v.data(), mask.data(),
                         scores.data(), scratch.data(), s, heads, d, 0, heads);
    }
    benchmark::DoNotOptimize(context.data());
  }
  const double flops = 4.0 * s * s * d * heads;
  state.counters[int8 ? "GOPS" : "GFLOPS"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(set->name);
}

void register_all() {
  // Epilogue: dequantize + bias; the *_gelu shapes add GELU as the model's FFN input layer does.
  struct Shape {
    const char* name;
    size_t m, n, k;
    Epilogue epilogue = Epilogue::Bias;
  } const shapes[] = {
      {"bert_base_qkv", 128, 768, 768},       {"bert_base_ffn_in", 128, 3072, 768},
      {"bert_base_ffn_out", 128, 768, 3072},  {"minilm_qkv", 128, 384, 384},
      {"minilm_ffn_in", 128, 1536, 384},      {"bert_mini_ffn_in", 128, 1024, 256},
      {"bert_base_qkv_m16", 16, 768, 768},
      {"minilm_ffn_in_gelu", 128, 1536, 384, Epilogue::BiasGelu},
  };
  struct AttentionShape {
    const char* name;
    size_t s, heads, d;
  } const attention_shapes[] = {
      {"bert_base", 128, 12, 64}, {"minilm", 128, 12, 32}, {"bert_mini", 128, 4, 64},
      {"bert_base_s32", 32, 12, 64}, {"bert_base_s48", 48, 12, 64},
      {"bert_base_s64", 64, 12, 64}, {"bert_base_s96", 96, 12, 64},
      {"bert_base_s384", 384, 12, 64}, {"minilm_s32", 32, 12, 32},
      {"minilm_s64", 64, 12, 32}, {"minilm_s96", 96, 12, 32},
      // lengths that are not a multiple of a vector (real inputs mostly are not)
      {"minilm_s31", 31, 12, 32}, {"minilm_s25", 25, 12, 32},
  };
  for (const KernelSet* const* s = all_kernel_sets(); *s != nullptr; ++s) {
    if (!kernels_supported(*s) || std::string((*s)->name) == "reference") continue;
    for (bool int8 : {false, true}) {
      for (const AttentionShape& shape : attention_shapes) {
        const std::string name = std::string(int8 ? "qd8_f32_attention__" : "f32_attention__") +
                                 (*s)->name + "/" + shape.name + "/s=" + std::to_string(shape.s) +
                                 "/heads=" + std::to_string(shape.heads) +
                                 "/d=" + std::to_string(shape.d);
        benchmark::RegisterBenchmark(name.c_str(), BM_attention, *s, shape.s, shape.heads,
                                     shape.d, int8)
            ->Unit(benchmark::kMicrosecond);
      }
    }
    for (int bits : {8, 7, 4}) {
      const GemmKernel* gemm = bits == 7   ? &(*s)->qd8_f32_qc7w_gemm
                               : bits == 4 ? &(*s)->qd8_f32_qc4w_gemm
                                           : &(*s)->qd8_f32_qc8w_gemm;
      if (gemm->run == nullptr) continue;
      for (const Shape& shape : shapes) {
        // Named by the entry: "qd8_f32_qc8w_gemm_8x32c4__avx512vnni/bert_base_qkv/m=128/...".
        const std::string name = std::string(gemm->name) + "/" + shape.name + "/m=" +
                                 std::to_string(shape.m) + "/n=" + std::to_string(shape.n) +
                                 "/k=" + std::to_string(shape.k);
        benchmark::RegisterBenchmark(name.c_str(), BM_gemm, *s, gemm, bits, shape.m, shape.n,
                                     shape.k, shape.epilogue)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (__builtin_cpu_supports("avx2")) {
    std::printf("peak probes, one thread: vpmaddwd %.1f int8 GOPS (the avx2 kernel's multiply), "
                "vpmaddubsw %.1f int8 GOPS, vfmadd231ps %.1f GFLOPS\n",
                peak_gops(), bench::peak_probe_avx2(bench::Probe::kMaddubsw, 20'000'000),
                bench::peak_probe_avx2(bench::Probe::kFma, 20'000'000));
  }
  for (const KernelSet* const* s = all_kernel_sets(); *s != nullptr; ++s) {
    const double peak = kernels_supported(*s) ? entry_peak_gops(*s, false) : 0.0;
    const std::string name = (*s)->name;
    if (peak > 0 && name != "avx2") {
      std::printf("peak probe, one thread: %s %s %.1f int8 GOPS\n", (*s)->name,
                  name == "amx" ? "tdpbssd" : "vpdpbusd", peak);
    }
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
