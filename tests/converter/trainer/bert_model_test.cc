// Whole-model gradient check of the trainer's BertForSequenceClassification, in double: every
// parameter's analytic gradient (backward through heads, encoder layers, attention with padding
// and embeddings) against central differences of the mean loss. Required: relative error
// <= 1e-6 per parameter tensor.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>

#include "trainer/bert_model.h"

namespace edgebert {
namespace train {
namespace {

TEST_CASE("Trainer gradients: whole BertForSequenceClassification, every parameter") {
  BertShape shape;
  shape.vocab = 13;
  shape.max_positions = 8;
  shape.type_vocab = 2;
  shape.hidden = 8;
  shape.heads = 2;
  shape.layers = 2;
  shape.intermediate = 12;
  shape.labels = 3;
  BertClassifier<double> model(shape);
  std::mt19937 rng(7);
  std::normal_distribution<double> dist(0.0, 0.5);
  for (double& p : model.params()) p = dist(rng);
  // LayerNorm gains near 1, as after initialisation.
  auto w = model.weights();
  const auto& sizes = model.sizes();
  for (Param gain : {kEmbLnW, kLn1W, kLn2W}) {
    for (size_t i = 0; i < sizes[gain]; ++i) w[gain][i] += 1.0;
  }

  // Two sequences, the second padded (dynamic padding to the longest, 5 tokens), pair types.
  Batch batch;
  batch.B = 2;
  batch.T = 5;
  batch.ids = {2, 5, 7, 3, 9, 2, 11, 3, 0, 0};
  batch.types = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  batch.mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  batch.labels = {2, 0};

  const double loss = model.forward(batch);
  CHECK(std::isfinite(loss));
  CHECK(loss > 0.0);
  model.zero_grad();
  model.backward(batch);
  const std::vector<double> analytic = model.grads();

  std::vector<double>& params = model.params();
  const double e = 1e-6;
  size_t offset = 0;
  for (size_t t = 0; t < kParamCount; ++t) {
    double diff2 = 0, a2 = 0, n2 = 0;
    for (size_t i = offset; i < offset + sizes[t]; ++i) {
      const double saved = params[i];
      params[i] = saved + e;
      const double plus = model.forward(batch);
      params[i] = saved - e;
      const double minus = model.forward(batch);
      params[i] = saved;
      const double numeric = (plus - minus) / (2 * e);
      diff2 += (analytic[i] - numeric) * (analytic[i] - numeric);
      a2 += analytic[i] * analytic[i];
      n2 += numeric * numeric;
    }
    // The key bias adds the same amount to all scores of a query, which softmax ignores: its
    // true gradient is 0, so the analytic value (~1e-17) and the numeric one (rounding noise)
    // are compared in absolute terms. Every other tensor has a gradient of order 1e-3 or more.
    const double denom = std::sqrt(std::max(a2, n2));
    INFO("parameter tensor " << t << ": |grad| " << std::sqrt(a2) << ", |diff| "
                             << std::sqrt(diff2));
    if (t == kKB) {
      CHECK(std::sqrt(a2) <= 1e-12);
      CHECK(std::sqrt(n2) <= 1e-8);
    } else {
      REQUIRE(denom > 1e-6);
      const double error = std::sqrt(diff2) / denom;
      INFO("relative error " << error);
      CHECK(error <= 1e-6);
    }
    offset += sizes[t];
  }
  // Padding must not influence the loss: id 0 appears only at the second sequence's padded
  // positions (masked as keys, never pooled), so its word-embedding row gets exactly no gradient.
  const auto g = model.gradients();
  double pad_row = 0;
  for (size_t c = 0; c < shape.hidden; ++c) pad_row += std::fabs(g[kWte][0 * shape.hidden + c]);
  CHECK(pad_row == 0.0);
}

}  // namespace
}  // namespace train
}  // namespace edgebert
