// Parity of the fp32 reference path with Hugging Face transformers (tests/fixtures/tiny_bert),
// and proof that the parity check is sensitive: perturbing any single tensor breaks it.
#include <doctest/doctest.h>

#include <vector>

#include "edgebert/edgebert.hpp"
#include "test_support.h"

namespace edgebert::test {
namespace {

constexpr double kTolerance = 1e-4;

// Worst |ours - transformers| per output over all reference cases.
struct ParityReport {
  double logits = 0, probabilities = 0, pooled = 0, last_hidden = 0, embedding = 0;
  int label_mismatches = 0;  // argmax differs from transformers'
  double worst() const {
    return std::max({logits, probabilities, pooled, last_hidden, embedding});
  }
};

// Runs every reference case through `bytes`; `embedding_key` names the reference embedding that
// the model's pooling should reproduce.
ParityReport run_parity(const convert::AlignedBytes& bytes, const std::string& embedding_key) {
  Model model;
  eb_error error;
  REQUIRE_MESSAGE(model.init(bytes.data(), bytes.size(), &error) == EB_OK, error.message);
  std::vector<uint8_t> arena(model.arena_size());
  Session session;
  REQUIRE(session.init(model, arena.data(), arena.size()) == EB_OK);
  const bool classifier = model.info().task == EB_TASK_CLASSIFICATION;
  ParityReport report;
  auto track = [](double* worst, double diff) { *worst = std::max(*worst, diff); };
  for (const auto& c : reference()["cases"]) {
    const auto ids = c["input_ids"].get<std::vector<int32_t>>();
    const auto types = c["token_type_ids"].get<std::vector<int32_t>>();
    const auto mask = c["attention_mask"].get<std::vector<int32_t>>();
    REQUIRE_MESSAGE(session.run(ids.data(), ids.size(), types.data(), mask.data(), &error) == EB_OK,
                    error.message);
    const OutputView hidden = session.output(EB_OUTPUT_LAST_HIDDEN);
    track(&report.last_hidden,
          max_abs_diff(hidden.data, hidden.size, c["last_hidden"].get<std::vector<float>>()));
    const OutputView embedding = session.output(EB_OUTPUT_EMBEDDING);
    track(&report.embedding,
          max_abs_diff(embedding.data, embedding.size, c[embedding_key].get<std::vector<float>>()));
    const OutputView pooled = session.output(EB_OUTPUT_POOLED);
    track(&report.pooled, max_abs_diff(pooled.data, pooled.size, c["pooled"].get<std::vector<float>>()));
    if (classifier) {
      const OutputView logits = session.output(EB_OUTPUT_LOGITS);
      const OutputView probs = session.output(EB_OUTPUT_PROBABILITIES);
      track(&report.logits, max_abs_diff(logits.data, logits.size, c["logits"].get<std::vector<float>>()));
      track(&report.probabilities,
            max_abs_diff(probs.data, probs.size, c["probabilities"].get<std::vector<float>>()));
      const auto expected = c["logits"].get<std::vector<float>>();
      const auto best = std::max_element(expected.begin(), expected.end()) - expected.begin();
      if (session.label() != best) ++report.label_mismatches;
    }
  }
  return report;
}

void require_parity(const ParityReport& r) {
  MESSAGE("max |diff|: logits " << r.logits << ", probabilities " << r.probabilities << ", pooled "
                             << r.pooled << ", last_hidden " << r.last_hidden << ", embedding "
                             << r.embedding);
  CHECK(r.logits <= kTolerance);
  CHECK(r.probabilities <= kTolerance);
  CHECK(r.pooled <= kTolerance);
  CHECK(r.last_hidden <= kTolerance);
  CHECK(r.embedding <= kTolerance);
  CHECK(r.label_mismatches == 0);
}

TEST_CASE("Reference parity: BertForSequenceClassification matches transformers") {
  REQUIRE(reference()["cases"].size() == 12);
  require_parity(run_parity(packed_fixture("classifier"), "mean_embedding"));
}

TEST_CASE("Reference parity: BertModel matches transformers, mean and CLS pooling") {
  require_parity(run_parity(packed_fixture("base"), "mean_embedding"));
  convert::ImportOptions options;
  options.dir = fixture_path("tiny_bert/base");
  options.pooling = fb::Pooling::Cls;
  fb::ModelT model = convert::import_hf(options);
  require_parity(run_parity(convert::pack_model(model), "cls_embedding"));
}

TEST_CASE("Reference parity: sentence-transformers embedding matches (mean + normalize)") {
  require_parity(run_parity(packed_fixture("sentence"), "normalized_mean_embedding"));
}

TEST_CASE("Reference parity: perturbing any one tensor breaks parity") {
  // Guards the guard: if a tensor were ignored or mis-wired, changing it would not move the
  // outputs and this test would name it. One exception is exact math, not a bug: the key bias
  // adds q_i . b_k to every score of query i, a constant that softmax cancels, so it must NOT
  // move the outputs (beyond rounding).
  fb::ModelT model = import_fixture("classifier");
  convert::pack_model(model);  // sorts tensors by name once, so indices below are stable
  REQUIRE(model.tensors.size() == 5 + 2 * 16 + 2 + 2);
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    fb::TensorT& tensor = *model.tensors[i];
    const std::vector<uint8_t> original = tensor.data;
    std::vector<float> values = convert::tensor_values_f32(tensor);
    for (float& v : values) v = v * 1.01f + 0.01f;
    std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
    const ParityReport report = run_parity(convert::pack_model(model), "mean_embedding");
    INFO("perturbed tensor " << tensor.name);
    const bool softmax_invariant = tensor.name.find("attention.self.key.bias") != std::string::npos;
    if (softmax_invariant) {
      CHECK(report.worst() <= kTolerance);
    } else {
      CHECK(report.worst() > 10 * kTolerance);
    }
    tensor.data = original;
  }
  require_parity(run_parity(convert::pack_model(model), "mean_embedding"));  // restored
}

}  // namespace
}  // namespace edgebert::test
