// Parity of the fp32 reference path with Hugging Face transformers (tests/fixtures/tiny_bert),
// and proof that the parity check is sensitive: perturbing any single tensor breaks it.
#include <doctest/doctest.h>

#include <vector>

#include "edgebert/edgebert.hpp"
#include "lib/parity.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

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
