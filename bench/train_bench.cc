// edgebert-train-bench: training throughput of the C++ trainer for one model shape: full
// pretraining steps (MLM + NSP forward, backward, gradient clipping, AdamW) on a random batch of
// B sequences of exactly T tokens (15% masked, BERT's recipe), after warm-up steps. Prints
// tokens/s and ms/step (median over the timed steps), or JSON. bench/train_vs_torch.py runs the
// same shape in PyTorch and reports the ratio.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "trainer/bert_model.h"
#include "trainer/gemm.h"
#include "trainer/optimizer.h"

using namespace edgebert::train;

int main(int argc, char** argv) {
  BertShape shape;
  shape.vocab = 30522, shape.max_positions = 512, shape.hidden = 256, shape.heads = 4;
  shape.layers = 4, shape.intermediate = 1024, shape.pretraining_heads = true;
  size_t batch = 32, seq = 128, steps = 10, warmup = 2;
  int threads = 0;
  bool as_json = false;
  CLI::App app{"edgebert-train-bench: C++ trainer pretraining-step throughput"};
  app.add_option("--layers", shape.layers)->capture_default_str();
  app.add_option("--hidden", shape.hidden)->capture_default_str();
  app.add_option("--heads", shape.heads)->capture_default_str();
  app.add_option("--intermediate", shape.intermediate)->capture_default_str();
  app.add_option("--vocab", shape.vocab)->capture_default_str();
  app.add_option("--seq", seq, "Tokens per sequence")->capture_default_str();
  app.add_option("--batch", batch, "Sequences per step")->capture_default_str();
  app.add_option("--steps", steps, "Timed steps")->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed steps first")->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads (default: all cores)");
  app.add_flag("--json", as_json, "JSON on stdout");
  std::string gemm;
  app.add_option("--gemm", gemm, "Force a trainer GEMM build (avx512, avx2, sse2, ...)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) omp_set_num_threads(threads);
  if (!gemm.empty() && !sgemm_force(gemm.c_str())) {
    std::string builds;
    for (const std::string& b : sgemm_builds()) builds += (builds.empty() ? "" : ", ") + b;
    std::fprintf(stderr, "--gemm %s: not a build this CPU runs (%s)\n", gemm.c_str(),
                 builds.c_str());
    return 2;
  }
  shape.max_positions = std::max(shape.max_positions, seq);

  BertModel<float> model(shape);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (float& p : model.params()) p = normal(rng);
  Batch b;
  b.B = batch, b.T = seq;
  const size_t N = batch * seq;
  b.ids.resize(N), b.types.assign(N, 0), b.mask.assign(N, 1), b.mlm_targets.assign(N, -1);
  b.labels.resize(batch);
  std::uniform_int_distribution<int32_t> token(5, static_cast<int32_t>(shape.vocab) - 1);
  for (size_t i = 0; i < N; ++i) {
    b.ids[i] = token(rng);
    if (i % seq >= seq / 2) b.types[i] = 1;
    if (i % seq != 0 && rng() % 100 < 15) b.mlm_targets[i] = b.ids[i];
  }
  for (size_t i = 0; i < batch; ++i) b.labels[i] = static_cast<int32_t>(rng() % 2);
  DropoutConfig dropout;
  dropout.hidden = dropout.attention = 0.1;
  AdamW<float> adam(AdamWConfig{}, model.params().size());

  std::vector<double> ms;
  for (size_t step = 0; step < warmup + steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    dropout.stream = mix64(step);
    model.set_dropout(dropout);
    model.forward(b);
    model.zero_grad();
    model.backward(b);
    clip_grad_norm(model.grads(), 1.0);
    adam.update(model, 1e-4, step + 1);
    const double t =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (step >= warmup) ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  const double tokens_per_s = N / (median / 1000.0);
  if (as_json) {
    nlohmann::json j = {{"layers", shape.layers}, {"hidden", shape.hidden}, {"heads", shape.heads},
                        {"intermediate", shape.intermediate}, {"vocab", shape.vocab},
                        {"seq", seq}, {"batch", batch}, {"threads", omp_get_max_threads()},
                        {"gemm", sgemm_kernels()}, {"ms_per_step", median},
                        {"tokens_per_s", tokens_per_s}, {"loss", model.metrics().loss}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("edgebert trainer %zu layers, hidden %zu, seq %zu, batch %zu, %d threads (%s): "
                "%.1f ms/step, %.0f tokens/s (median of %zu steps)\n",
                shape.layers, shape.hidden, seq, batch, omp_get_max_threads(), sgemm_kernels(),
                median, tokens_per_s, steps);
  }
  return 0;
}
