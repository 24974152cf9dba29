// The trainer against PyTorch / Hugging Face (fixture: tests/fixtures/make_trainer_fixture.py ->
// tests/fixtures/trainer/parity.json, float32, dropout off):
//   - one pretraining step (BertForPreTraining: MLM + NSP): loss within 1e-5, every parameter
//     gradient within 1e-4 relative (L2 over the tensor);
//   - one fine-tuning step (BertForSequenceClassification): the same bounds;
//   - five steps of AdamW with warmup/decay and clipping: every loss within 1e-4;
//   - the regression, multi-label and token classification heads (BertForSequenceClassification
//     with problem_type regression / multi_label_classification, BertForTokenClassification)
//     and the span head (BertForQuestionAnswering, one sequence without a span): loss and every
//     gradient within the same bounds;
//   - distillation, and quantization-aware fine-tuning of a classifier (fake-quantized weights,
//     embeddings and dense inputs, straight-through gradients): the same bounds.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "trainer/bert_model.h"
#include "trainer/model_io.h"
#include "trainer/optimizer.h"

#ifndef EB_FIXTURES_DIR
#error "EB_FIXTURES_DIR must be defined"
#endif

namespace edgebert::convert {
namespace {

using nlohmann::json;

const json& fixture() {
  static const json j = [] {
    std::ifstream in(std::string(EB_FIXTURES_DIR) + "/trainer/parity.json");
    REQUIRE(in.good());
    return json::parse(in);
  }();
  return j;
}

train::BertShape fixture_shape(bool pretraining,
                               train::Objective objective = train::Objective::SingleLabel) {
  const json& c = fixture()["config"];
  train::BertShape s;
  s.vocab = c["vocab"];
  s.hidden = c["hidden"];
  s.layers = c["layers"];
  s.heads = c["heads"];
  s.intermediate = c["intermediate"];
  s.max_positions = c["max_positions"];
  s.type_vocab = c["type_vocab"];
  s.labels = objective == train::Objective::Regression ? 1
             : objective == train::Objective::Spans    ? 2
                                                       : c["labels"].get<size_t>();
  s.pretraining_heads = pretraining;
  s.objective = objective;
  return s;
}

// HF name of a trainer tensor in the fixture's model ("bert." prefix for the encoder).
std::string hf_name(const TrainerTensor& t) {
  const bool head = t.name.rfind("cls.", 0) == 0 || t.name.rfind("classifier.", 0) == 0 ||
                    t.name.rfind("qa_outputs.", 0) == 0;
  return head ? t.name : "bert." + t.name;
}

// Copies (or compares) tensors by name between the fixture's dict and the trainer's buffer.
void set_params(train::BertModel<float>& model, const json& params) {
  auto w = model.weights();
  for (const TrainerTensor& t : trainer_tensors(model.shape())) {
    const std::string name = hf_name(t);
    INFO(name);
    REQUIRE(params.contains(name));
    const std::vector<float> values = params[name].get<std::vector<float>>();
    size_t n = 1;
    for (uint32_t d : t.shape) n *= d;
    REQUIRE(values.size() == n);
    std::copy(values.begin(), values.end(), w[t.param] + (t.layer < 0 ? 0 : t.layer * n));
  }
}

train::Batch fixture_batch(bool pretraining) {
  const json& b = fixture()["batch"];
  train::Batch batch;
  batch.B = b["B"];
  batch.T = b["T"];
  batch.ids = b["ids"].get<std::vector<int32_t>>();
  batch.types = b["types"].get<std::vector<int32_t>>();
  batch.mask = b["mask"].get<std::vector<int32_t>>();
  batch.labels = b[pretraining ? "nsp" : "labels"].get<std::vector<int32_t>>();
  if (pretraining) batch.mlm_targets = b["mlm_targets"].get<std::vector<int32_t>>();
  return batch;
}

// One step of `ref` (a fixture section): loss within 1e-5, every gradient within 1e-4 relative.
void check_step(bool pretraining, const json& ref,
                train::Objective objective = train::Objective::SingleLabel) {
  train::BertModel<float> model(fixture_shape(pretraining, objective));
  set_params(model, ref["params"]);
  model.set_fake_quantization(ref.value("fake_quantization", false));
  train::Batch batch = fixture_batch(pretraining);
  if (objective == train::Objective::Tokens) {
    for (const double v : ref["targets"]) {
      batch.token_labels.push_back(v == -100 ? -1 : static_cast<int32_t>(v));
    }
  } else if (objective == train::Objective::Spans) {
    for (const int v : ref["targets"]) batch.spans.push_back(v >= int(batch.T) ? -1 : v);
  } else if (objective != train::Objective::SingleLabel) {
    batch.targets = ref["targets"].get<std::vector<float>>();
  } else if (ref.contains("teacher_logits")) {  // distillation
    batch.labels = ref["targets"].get<std::vector<int32_t>>();
    batch.soft_logits = ref["teacher_logits"].get<std::vector<float>>();
    batch.soft_temperature = ref["temperature"].get<float>();
    batch.hard_weight = ref["hard_weight"].get<float>();
  }
  const double loss = model.forward(batch);
  CHECK(std::fabs(loss - ref["loss"].get<double>()) <= 1e-5);
  model.zero_grad();
  model.backward(batch);
  auto g = model.gradients();
  size_t checked = 0;
  for (const TrainerTensor& t : trainer_tensors(model.shape())) {
    const std::string name = hf_name(t);
    INFO(name);
    REQUIRE(ref["grads"].contains(name));
    const std::vector<double> expected = ref["grads"][name].get<std::vector<double>>();
    const float* got = g[t.param] + (t.layer < 0 ? 0 : t.layer * expected.size());
    double diff2 = 0, ref2 = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      diff2 += (got[i] - expected[i]) * (got[i] - expected[i]);
      ref2 += expected[i] * expected[i];
    }
    // Softmax-invariant (the key bias; for the span head its bias and the last LayerNorm's
    // shift, which add the same to every position's logit): true gradient 0, both ~1e-9.
    const bool invariant = objective == train::Objective::Spans &&
                           (t.param == train::kClsB || (t.param == train::kLn2B && t.layer == 1));
    if (t.param == train::kKB || invariant) {
      CHECK(std::sqrt(diff2) <= 1e-6);
    } else {
      INFO("relative error " << std::sqrt(diff2 / ref2));
      CHECK(std::sqrt(diff2) <= 1e-4 * std::sqrt(ref2));
    }
    ++checked;
  }
  CHECK(checked == trainer_tensors(model.shape()).size());
}

TEST_CASE("Trainer parity with PyTorch: one pretraining step (MLM + NSP), loss and gradients") {
  check_step(true, fixture()["pretrain"]);
}

TEST_CASE("Trainer parity with PyTorch: one fine-tuning step, loss and gradients") {
  check_step(false, fixture()["finetune"]);
}

TEST_CASE("Trainer parity with PyTorch: regression, multi-label, token classification, span heads") {
  const json& heads = fixture()["heads"];
  SUBCASE("regression") { check_step(false, heads["regression"], train::Objective::Regression); }
  SUBCASE("multi-label") { check_step(false, heads["multi_label"], train::Objective::MultiLabel); }
  SUBCASE("tokens") { check_step(false, heads["tokens"], train::Objective::Tokens); }
  SUBCASE("spans") { check_step(false, heads["spans"], train::Objective::Spans); }
}

TEST_CASE("Trainer parity with PyTorch: distillation (T^2 KL at T = 2 + hard CE, an unlabeled row)") {
  check_step(false, fixture()["heads"]["distill"]);
}

TEST_CASE("Trainer parity with PyTorch: quantization-aware fine-tuning (fake int8, straight-through)") {
  check_step(false, fixture()["heads"]["qat"]);
}

TEST_CASE("Trainer parity with PyTorch: five AdamW steps with schedule and clipping") {
  const json& ref = fixture()["adamw"];
  train::BertModel<float> model(fixture_shape(false));
  set_params(model, fixture()["finetune"]["params"]);
  const train::Batch batch = fixture_batch(false);
  train::AdamWConfig config;
  config.weight_decay = ref["weight_decay"];
  config.eps = ref["eps"];
  train::AdamW<float> adam(config, model.params().size());
  const std::vector<double> losses = ref["losses"].get<std::vector<double>>();
  const size_t steps = ref["steps"];
  for (size_t step = 0; step <= steps; ++step) {
    const double loss = model.forward(batch);
    INFO("step " << step);
    CHECK(std::fabs(loss - losses[step]) <= 1e-4);
    if (step == steps) break;
    model.zero_grad();
    model.backward(batch);
    train::clip_grad_norm(model.grads(), ref["clip"].get<double>());
    adam.update(model, train::linear_schedule(ref["lr"], step, ref["warmup"], steps), step + 1);
  }
}

}  // namespace
}  // namespace edgebert::convert
