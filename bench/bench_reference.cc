// The fp32 reference forward pass, end to end, on BERT-shaped random models: the baseline every
// faster path (SIMD, int8, XNNPACK) is compared against. Reports tokens/s and GFLOP/s.
#include <benchmark/benchmark.h>

#include <vector>

#include "edgebert/edgebert.hpp"
#include "model_file.h"
#include "random_model.h"

namespace {

using edgebert::convert::BertShape;

// FLOPs of one forward pass at S tokens (multiply-adds x 2): dense layers + attention matmuls.
double forward_flops(const BertShape& s, double S) {
  const double H = s.hidden, A = s.num_heads * s.head_dim, I = s.intermediate;
  const double per_layer = 2 * S * (3 * H * A + A * H + 2 * H * I) + 2 * 2 * S * S * A;
  return s.num_layers * per_layer;
}

void run_reference(benchmark::State& state, const BertShape& shape) {
  edgebert::fb::ModelT spec = edgebert::convert::random_bert(shape, 1);
  const auto bytes = edgebert::convert::pack_model(spec);
  edgebert::Model model;
  if (model.init(bytes.data(), bytes.size()) != EB_OK) {
    state.SkipWithError("model init failed");
    return;
  }
  const auto S = static_cast<uint32_t>(state.range(0));
  std::vector<uint8_t> arena(model.arena_size(S));
  edgebert::Session session;
  eb_session_options options = eb_session_options_default();
  options.max_seq = S;
  if (session.init(model, arena.data(), arena.size(), options) != EB_OK) {
    state.SkipWithError("session init failed");
    return;
  }
  std::vector<int32_t> ids(S);
  for (uint32_t i = 0; i < S; ++i) ids[i] = static_cast<int32_t>((i * 7919) % shape.vocab_size);
  for (auto _ : state) {
    if (session.run(ids.data(), S) != EB_OK) state.SkipWithError("run failed");
    benchmark::DoNotOptimize(session.output(EB_OUTPUT_LOGITS).data);
  }
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(S), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(forward_flops(shape, S) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["arena_bytes"] = static_cast<double>(arena.size());
}

// BERT-Tiny (2/128, 2 heads, 512) and MiniLM-L6 (6/384, 12 heads, 1536) shapes.
void BM_reference_bert_tiny(benchmark::State& state) {
  run_reference(state, BertShape{2, 128, 2, 64, 512, 30522, 512, 2, 2});
}
void BM_reference_minilm_l6(benchmark::State& state) {
  run_reference(state, BertShape{6, 384, 12, 32, 1536, 30522, 512, 2, 2});
}

BENCHMARK(BM_reference_bert_tiny)->ArgName("seq")->Arg(16)->Arg(64)->Arg(128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_reference_minilm_l6)->ArgName("seq")->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
