// Whole-model gradient checks of the trainer's BERT, in double: every parameter's analytic
// gradient (backward through the heads, encoder layers, attention with padding, dropout and
// embeddings) against central differences of the loss, for the classification model and for the
// pretraining model (MLM + NSP). Required: relative error <= 1e-6 per parameter tensor.
// Then the float model (packed SIMD GEMM, threads) against the double one on the same weights.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "trainer/bert_model.h"

namespace edgebert {
namespace train {
namespace {

// attention: heads x head_dim when it differs from hidden (0: = hidden).
BertShape tiny_shape(bool pretraining, size_t attention = 0,
                     Objective objective = Objective::SingleLabel) {
  BertShape shape;
  shape.objective = objective;
  shape.attention = attention;
  shape.vocab = 13;
  shape.max_positions = 8;
  shape.type_vocab = 2;
  shape.hidden = 8;
  shape.heads = 2;
  shape.layers = 2;
  shape.intermediate = 12;
  shape.labels = objective == Objective::Regression ? 1 : objective == Objective::Spans ? 2 : 3;
  shape.pretraining_heads = pretraining;
  return shape;
}

template <typename T>
void randomize(BertModel<T>& model, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, 0.5);
  for (T& p : model.params()) p = static_cast<T>(dist(rng));
  // LayerNorm gains near 1, as after initialisation.
  auto w = model.weights();
  const auto& sizes = model.sizes();
  for (Param gain : {kEmbLnW, kLn1W, kLn2W, kMlmLnW}) {
    for (size_t i = 0; i < sizes[gain]; ++i) w[gain][i] += T(1);
  }
}

// Two sequences, the second padded (dynamic padding to the longest, 5 tokens), pair types.
Batch tiny_batch(bool pretraining) {
  Batch batch;
  batch.B = 2;
  batch.T = 5;
  batch.ids = {2, 5, 7, 3, 9, 2, 11, 3, 0, 0};
  batch.types = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  batch.mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  batch.labels = pretraining ? std::vector<int32_t>{1, 0} : std::vector<int32_t>{2, 0};
  if (pretraining) batch.mlm_targets = {-1, 6, -1, -1, 12, -1, 4, -1, -1, -1};
  // Regression values (one output), multi-hot labels (3), per-token labels (-1: [CLS], [SEP],
  // a subword without a label, padding).
  batch.targets = {0.7f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f};
  batch.token_labels = {-1, 2, 0, -1, 1, -1, 1, -1, -1, -1};
  batch.spans = {1, 2, 1, 1};  // answer start and end token of each sequence
  return batch;
}

// Knowledge distillation on the classifier batch: teacher logits for both sequences, T = 2,
// hard weight 0.3; `unlabeled` drops the second sequence's label (teacher-labelled text).
void add_distillation(Batch& batch, bool unlabeled) {
  batch.soft_logits = {1.5f, -0.5f, 0.25f, -2.0f, 0.75f, 1.0f};
  batch.soft_temperature = 2.0f;
  batch.hard_weight = 0.3f;
  if (unlabeled) batch.labels[1] = -1;
}

// pooler: DistilBERT's ReLU pre_classifier or ELECTRA's GELU head, then also RoBERTa's
// positions from row 2.
// embedding: the embeddings' width when it differs from hidden (ELECTRA small's
// embeddings_project).
void check_gradients(bool pretraining, const DropoutConfig& dropout, size_t attention = 0,
                     Objective objective = Objective::SingleLabel, int distill = 0,
                     PoolerActivation pooler = PoolerActivation::Tanh, size_t embedding = 0) {
  BertShape shape = tiny_shape(pretraining, attention, objective);
  shape.embedding = embedding;
  if (pooler != PoolerActivation::Tanh) {
    shape.pooler = pooler;
    shape.position_offset = 2;  // the batch's 5 tokens read rows 2..6 of 8
  }
  BertModel<double> model(shape);
  randomize(model, 7);
  model.set_dropout(dropout);
  Batch batch = tiny_batch(pretraining);
  if (distill > 0) add_distillation(batch, distill > 1);

  const double loss = model.forward(batch);
  CHECK(std::isfinite(loss));
  CHECK(loss > 0.0);
  if (pretraining) CHECK(model.metrics().mlm_count == 3);
  model.zero_grad();
  model.backward(batch);
  const std::vector<double> analytic = model.grads();

  std::vector<double>& params = model.params();
  const auto& sizes = model.sizes();
  const double e = 1e-6;
  size_t offset = 0;
  for (size_t t = 0; t < kParamCount; ++t) {
    double diff2 = 0, a2 = 0, n2 = 0;
    // The padding id's word row is frozen by design (nn.Embedding's padding_idx), though the
    // span head's softmax over every position does see it: not compared there.
    const size_t skip = t == kWte && objective == Objective::Spans ? embedding_width(shape) : 0;
    for (size_t i = offset + skip; i < offset + sizes[t]; ++i) {
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
    offset += sizes[t];
    if (sizes[t] == 0) continue;  // head not present in this model
    // The key bias adds the same amount to all scores of a query, which softmax ignores: its
    // true gradient is 0, so the analytic value (~1e-17) and the numeric one (rounding noise)
    // are compared in absolute terms. Every other tensor has a gradient of order 1e-3 or more.
    const double denom = std::sqrt(std::max(a2, n2));
    INFO("pretraining " << pretraining << ", objective " << static_cast<int>(objective)
                        << ", dropout " << dropout.hidden << ", parameter tensor "
                        << t << ": |grad| " << std::sqrt(a2) << ", |diff| " << std::sqrt(diff2));
    // So is the span head's bias (it adds the same to every position's start or end logit).
    const bool invariant = objective == Objective::Spans && t == kClsB;
    if (t == kKB || invariant) {
      CHECK(std::sqrt(a2) <= 1e-12);
      CHECK(std::sqrt(n2) <= 1e-8);
    } else {
      REQUIRE(denom > 1e-6);
      const double error = std::sqrt(diff2) / denom;
      INFO("relative error " << error);
      CHECK(error <= 1e-6);
    }
  }
  if (!pretraining && objective != Objective::Spans) {
    // (The span head's softmax runs over every position, padding included, as Hugging Face's.)
    // Padding must not influence the loss: id 0 appears only at the second sequence's padded
    // positions (masked as keys, never pooled), so its word-embedding row gets no gradient.
    const auto g = model.gradients();
    double pad_row = 0;
    for (size_t c = 0; c < embedding_width(shape); ++c) pad_row += std::fabs(g[kWte][c]);
    CHECK(pad_row == 0.0);
  }
}

DropoutConfig some_dropout() {
  DropoutConfig d;
  d.hidden = 0.2;
  d.attention = 0.2;
  d.classifier = 0.2;
  d.stream = 12345;
  return d;
}

TEST_CASE("Trainer gradients: BertForSequenceClassification, every parameter") {
  check_gradients(false, DropoutConfig{});
}

TEST_CASE("Trainer gradients: ReLU and GELU poolers, positions from row 2 (DistilBERT, ELECTRA, "
          "RoBERTa)") {
  for (const PoolerActivation pooler : {PoolerActivation::Relu, PoolerActivation::Gelu}) {
    CAPTURE(static_cast<int>(pooler));
    check_gradients(false, DropoutConfig{}, 0, Objective::SingleLabel, 0, pooler);
    check_gradients(false, some_dropout(), 0, Objective::SingleLabel, 1, pooler);
  }
}

TEST_CASE("Trainer gradients: classification with dropout (fixed masks)") {
  check_gradients(false, some_dropout());
}

TEST_CASE("Trainer gradients: distillation (soft targets at T = 2 + hard labels), unlabeled rows") {
  check_gradients(false, DropoutConfig{}, 0, Objective::SingleLabel, 1);
  check_gradients(false, some_dropout(), 0, Objective::SingleLabel, 1);
  check_gradients(false, DropoutConfig{}, 0, Objective::SingleLabel, 2);  // one row unlabeled
}

TEST_CASE("Trainer distillation: the loss is the stated mix, and only single-label heads take it") {
  BertModel<double> model(tiny_shape(false));
  randomize(model, 7);
  Batch batch = tiny_batch(false);
  const double ce = model.forward(batch);
  std::vector<double> logits(6);
  // The classifier's logits from its probabilities: log p differs from the logits by a constant
  // per row, which the softmax at any temperature ignores.
  for (size_t i = 0; i < 6; ++i) logits[i] = std::log(model.probs()[i]);
  add_distillation(batch, false);
  const double mixed = model.forward(batch);
  double kl = 0;
  for (size_t b = 0; b < 2; ++b) {
    double zt = 0, zs = 0;
    for (size_t k = 0; k < 3; ++k) {
      zt += std::exp(batch.soft_logits[b * 3 + k] / 2.0);
      zs += std::exp(logits[b * 3 + k] / 2.0);
    }
    for (size_t k = 0; k < 3; ++k) {
      const double pt = std::exp(batch.soft_logits[b * 3 + k] / 2.0) / zt;
      const double qs = std::exp(logits[b * 3 + k] / 2.0) / zs;
      kl += pt * std::log(pt / qs);
    }
  }
  const double hard = batch.hard_weight;  // 0.3f, as the model reads it
  CHECK(mixed == doctest::Approx(hard * ce + (1 - hard) * 4.0 * kl / 2.0).epsilon(1e-12));
  BertModel<double> regression(tiny_shape(false, 0, Objective::Regression));
  Batch wrong = tiny_batch(false);
  wrong.soft_logits = {1.0f, 2.0f};
  CHECK_THROWS_AS(regression.forward(wrong), std::invalid_argument);
  batch.soft_logits.pop_back();  // not (B, K)
  CHECK_THROWS_AS(model.forward(batch), std::invalid_argument);
}

TEST_CASE("Trainer gradients: regression, multi-label, token classification and span heads") {
  for (const Objective objective :
       {Objective::Regression, Objective::MultiLabel, Objective::Tokens, Objective::Spans}) {
    CAPTURE(static_cast<int>(objective));
    check_gradients(false, DropoutConfig{}, 0, objective);
    check_gradients(false, some_dropout(), 0, objective);
  }
}

TEST_CASE("Trainer gradients: heads x head_dim != hidden (2 heads of 6 on hidden 8), with dropout") {
  check_gradients(false, some_dropout(), 12);
  const auto sizes = param_sizes(tiny_shape(false, 12));
  CHECK(sizes[kQW] == 2 * 12 * 8);  // (A, C) per layer
  CHECK(sizes[kOW] == 2 * 8 * 12);  // (C, A) per layer
}

TEST_CASE("Trainer gradients: embeddings narrower and wider than hidden (ELECTRA small's "
          "embeddings_project), with dropout; token and span heads") {
  for (const size_t embedding : {size_t{4}, size_t{12}}) {
    CAPTURE(embedding);
    check_gradients(false, DropoutConfig{}, 0, Objective::SingleLabel, 0,
                    PoolerActivation::Gelu, embedding);
    check_gradients(false, some_dropout(), 0, Objective::SingleLabel, 0,
                    PoolerActivation::Gelu, embedding);
    check_gradients(false, some_dropout(), 0, Objective::Tokens, 0, PoolerActivation::Tanh,
                    embedding);
    check_gradients(false, DropoutConfig{}, 0, Objective::Spans, 0, PoolerActivation::Tanh,
                    embedding);
  }
  BertShape shape = tiny_shape(false);
  shape.embedding = 4;
  const auto sizes = param_sizes(shape);
  CHECK(sizes[kWte] == 13 * 4);
  CHECK(sizes[kEmbLnW] == 4);
  CHECK(sizes[kEmbProjW] == 8 * 4);  // (C, E)
  CHECK(sizes[kEmbProjB] == 8);
  CHECK(param_sizes(tiny_shape(false))[kEmbProjW] == 0);  // none when E = C
  shape.pretraining_heads = true;
  CHECK_THROWS_WITH_AS(BertModel<float>{shape}, doctest::Contains("pretraining needs embeddings "
                                                                 "as wide as hidden"),
                       std::invalid_argument);
}

TEST_CASE("Trainer gradients: BertForPreTraining (MLM + NSP) with dropout, every parameter") {
  check_gradients(true, DropoutConfig{});
  check_gradients(true, some_dropout());
}

TEST_CASE("Trainer float model (SIMD GEMM, threads) matches the double model") {
  for (bool pretraining : {false, true}) {
    BertShape shape = tiny_shape(pretraining);
    shape.hidden = 32;  // big enough for whole GEMM tiles and tails
    shape.heads = 4;
    shape.intermediate = 72;
    BertModel<double> ref(shape);
    BertModel<float> fast(shape);
    randomize(ref, 3);
    for (size_t i = 0; i < ref.params().size(); ++i) {
      fast.params()[i] = static_cast<float>(ref.params()[i]);
      ref.params()[i] = fast.params()[i];  // both on exactly the same weights
    }
    ref.set_dropout(some_dropout());
    fast.set_dropout(some_dropout());
    const Batch batch = tiny_batch(pretraining);
    const double ref_loss = ref.forward(batch);
    const double fast_loss = fast.forward(batch);
    CHECK(std::fabs(ref_loss - fast_loss) <= 1e-5 * std::fabs(ref_loss));
    ref.zero_grad();
    ref.backward(batch);
    fast.zero_grad();
    fast.backward(batch);
    const auto& sizes = ref.sizes();
    size_t offset = 0;
    for (size_t t = 0; t < kParamCount; ++t) {
      double diff2 = 0, r2 = 0;
      for (size_t i = offset; i < offset + sizes[t]; ++i) {
        const double d = ref.grads()[i] - fast.grads()[i];
        diff2 += d * d;
        r2 += ref.grads()[i] * ref.grads()[i];
      }
      offset += sizes[t];
      if (sizes[t] == 0 || t == kKB) continue;
      INFO("pretraining " << pretraining << ", tensor " << t);
      CHECK(std::sqrt(diff2) <= 1e-4 * std::sqrt(r2));
    }
  }
}

}  // namespace
}  // namespace train
}  // namespace edgebert
