// Parity with Hugging Face transformers on the tiny fixture's reference cases
// (tests/fixtures/tiny_bert/reference.json), shared by the reference path's and the providers'
// parity tests.
#ifndef EDGEBERT_TESTS_LIB_PARITY_H_
#define EDGEBERT_TESTS_LIB_PARITY_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "test_support.h"

namespace edgebert::test {

inline constexpr double kTolerance = 1e-4;

// Worst |ours - transformers| per output over all reference cases.
struct ParityReport {
  double logits = 0, probabilities = 0, pooled = 0, last_hidden = 0, embedding = 0;
  int label_mismatches = 0;  // argmax differs from transformers'
  double worst() const {
    return std::max({logits, probabilities, pooled, last_hidden, embedding});
  }
};

// Runs every reference case through `bytes` with `provider`; `embedding_key` names the reference embedding that
// the model's pooling should reproduce.
inline ParityReport run_parity(const convert::AlignedBytes& bytes, const std::string& embedding_key,
                               eb_provider provider = EB_PROVIDER_NATIVE) {
  Model model;
  eb_error error;
  REQUIRE_MESSAGE(model.init(bytes.data(), bytes.size(), &error) == EB_OK, error.message);
  eb_session_options options = eb_session_options_default();
  options.provider = provider;
  std::vector<uint8_t> arena(model.arena_size(options));
  Session session;
  REQUIRE_MESSAGE(session.init(model, arena.data(), arena.size(), options, &error) == EB_OK,
                  error.message);
  REQUIRE(std::string(eb_session_provider(session.get())) ==
          (provider == EB_PROVIDER_XNNPACK ? "xnnpack" : "native"));
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

inline void require_parity(const ParityReport& r) {
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

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_LIB_PARITY_H_
