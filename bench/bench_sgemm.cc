// The trainer's float GEMM (converter/trainer/gemm.h) at the products of one BERT-Mini pretraining
// step (4 layers, hidden 256, intermediate 1024, batch 32 x seq 128 = 4096 tokens, ~600 masked
// tokens through the tied 30522-word decoder), in GFLOP/s (2 M N K / time) next to an fp32 FMA
// peak probe measured in the same process. One thread unless OMP_NUM_THREADS says otherwise.
// Each shape once per build the CPU runs (sgemm_avx512/..., sgemm_avx2/..., sgemm_sse2/...).
//   build/bench/edgebert_bench_sgemm [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "trainer/gemm.h"

namespace edgebert::bench {
enum class Probe { kMaddwd, kMaddubsw, kFma };
double peak_probe_avx2(Probe probe, size_t iterations);
double peak_probe_fma_zmm(size_t iterations);
}  // namespace edgebert::bench

namespace {

using edgebert::train::sgemm;

// C (M, N) = beta C + op(A) op(B), the operands laid out as the trainer's callers lay them out.
void BM_sgemm(benchmark::State& state, const std::string& build, bool trans_a, bool trans_b,
              size_t m, size_t n, size_t k, float beta) {
  edgebert::train::sgemm_force(build.c_str());
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> a(m * k), b(k * n), c(m * n, 0.0f);
  for (float& v : a) v = normal(rng);
  for (float& v : b) v = normal(rng);
  const size_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  for (auto _ : state) {
    sgemm(trans_a, trans_b, m, n, k, a.data(), lda, b.data(), ldb, beta, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * m * n * k / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(edgebert::train::sgemm_kernels());
  edgebert::train::sgemm_force(nullptr);
}

void register_all() {
  // name, trans_a, trans_b, M, N, K, beta: dense forward is NT (out = inp W^T), input gradient NN
  // (accumulating), weight gradient TN (accumulating).
  struct Shape {
    const char* name;
    bool trans_a, trans_b;
    size_t m, n, k;
    float beta;
  } const shapes[] = {
      {"qkv_fwd", false, true, 4096, 256, 256, 0.0f},
      {"fc_fwd", false, true, 4096, 1024, 256, 0.0f},
      {"proj_fwd", false, true, 4096, 256, 1024, 0.0f},
      {"qkv_dinp", false, false, 4096, 256, 256, 1.0f},
      {"fc_dinp", false, false, 4096, 256, 1024, 1.0f},
      {"proj_dinp", false, false, 4096, 1024, 256, 1.0f},
      {"qkv_dweight", true, false, 256, 256, 4096, 1.0f},
      {"fc_dweight", true, false, 1024, 256, 4096, 1.0f},
      {"proj_dweight", true, false, 256, 1024, 4096, 1.0f},
      {"mlm_decoder_fwd", false, true, 600, 30522, 256, 0.0f},
      {"mlm_decoder_dinp", false, false, 600, 256, 30522, 1.0f},
      {"mlm_decoder_dweight", true, false, 30522, 256, 600, 1.0f},
      {"attention_scores", false, true, 128, 128, 64, 0.0f},
      {"in_cache", false, false, 96, 256, 256, 0.0f},
      {"attention_context", false, false, 128, 64, 128, 0.0f},
  };
  // Every build this CPU runs, side by side (sgemm_avx512/..., sgemm_avx2/..., sgemm_sse2/...).
  for (const std::string& build : edgebert::train::sgemm_builds()) {
    for (const Shape& s : shapes) {
      const std::string name = "sgemm_" + build + "/" + s.name + "/" + (s.trans_a ? "T" : "N") +
                               (s.trans_b ? "T" : "N") + "/m=" + std::to_string(s.m) +
                               "/n=" + std::to_string(s.n) + "/k=" + std::to_string(s.k);
      benchmark::RegisterBenchmark(name.c_str(), BM_sgemm, build, s.trans_a, s.trans_b, s.m, s.n,
                                   s.k, s.beta)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    std::printf("peak probe, one thread: vfmadd231ps ymm %.1f GFLOPS\n",
                edgebert::bench::peak_probe_avx2(edgebert::bench::Probe::kFma, 20'000'000));
  }
  if (__builtin_cpu_supports("avx512f")) {
    std::printf("peak probe, one thread: vfmadd231ps zmm %.1f GFLOPS\n",
                edgebert::bench::peak_probe_fma_zmm(20'000'000));
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
