// Batches (eb_session_run_batch, eb_session_score): several sequences in one run give each
// sequence the bits it gets alone, on every provider, kernel set and thread count, for every
// task head; the arena is sized for max_batch x max_seq; bad batches are refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "random_model.h"
#include "test_support.h"

#if EB_TEST_XNNPACK
#include <pthreadpool.h>
#endif

namespace edgebert::test {
namespace {

struct Setup {
  eb_provider provider = EB_PROVIDER_AUTO;
  const char* kernels = nullptr;
  uint32_t threads = 1;
};

// A session at max_seq with room for max_batch sequences.
struct BatchSession {
  std::vector<uint8_t> arena;
  Session session;
  void* pool = nullptr;

  BatchSession(const Model& model, uint32_t max_seq, uint32_t max_batch, const Setup& setup) {
    eb_session_options options = eb_session_options_default();
    options.max_seq = max_seq;
    options.max_batch = max_batch;
    options.provider = setup.provider;
    options.kernels = setup.kernels;
    options.threads = setup.threads;
#if EB_TEST_XNNPACK
    if (setup.threads > 1) pool = pthreadpool_create(setup.threads);
#endif
    options.threadpool = pool;
    arena.resize(model.arena_size(options));
    REQUIRE(!arena.empty());
    eb_error error;
    REQUIRE_MESSAGE(session.init(model, arena.data(), arena.size(), options, &error) == EB_OK,
                    error.message);
  }
  ~BatchSession() {
#if EB_TEST_XNNPACK
    if (pool != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pool));
#endif
  }
};

// Runs `lengths` sequences one by one and as one batch and checks the batch's outputs are the
// single runs' outputs (per-sequence ones in sequence order, row outputs back to back).
void check_batch_equals_singles(const Model& model, uint32_t max_seq,
                                const std::vector<size_t>& lengths, const Setup& setup) {
  const uint32_t vocab = [&] {
    eb_model_info info;
    eb_model_get_info(model.get(), &info);
    return info.vocab_size;
  }();
  std::vector<std::vector<int32_t>> ids(lengths.size()), types(lengths.size()), masks(lengths.size());
  std::vector<eb_input> inputs;
  for (size_t q = 0; q < lengths.size(); ++q) {
    for (size_t i = 0; i < lengths[q]; ++i) {
      ids[q].push_back(static_cast<int32_t>((q * 131 + i * 37 + 5) % vocab));
      types[q].push_back(i > lengths[q] / 2 ? 1 : 0);
      masks[q].push_back(i + 2 < lengths[q] || i == 0 ? 1 : 0);  // some padding at the end
    }
    // Every other sequence without types and mask (NULL pointers), as callers mix them.
    const bool plain = q % 2 == 1;
    inputs.push_back(eb_input{ids[q].data(), plain ? nullptr : types[q].data(),
                              plain ? nullptr : masks[q].data(), lengths[q]});
  }
  BatchSession single(model, max_seq, 1, setup);
  std::vector<std::vector<float>> per_output(6);  // by output kind, sequences concatenated
  const eb_output kinds[6] = {EB_OUTPUT_LAST_HIDDEN, EB_OUTPUT_POOLED, EB_OUTPUT_LOGITS,
                              EB_OUTPUT_PROBABILITIES, EB_OUTPUT_EMBEDDING,
                              EB_OUTPUT_TOKEN_LOGITS};
  eb_error error;
  for (const eb_input& input : inputs) {
    REQUIRE_MESSAGE(eb_session_run(single.session.get(), &input, &error) == EB_OK, error.message);
    for (size_t k = 0; k < 6; ++k) {
      const OutputView v = single.session.output(kinds[k]);
      per_output[k].insert(per_output[k].end(), v.begin(), v.end());
    }
  }
  BatchSession batch(model, max_seq, static_cast<uint32_t>(lengths.size()), setup);
  REQUIRE_MESSAGE(eb_session_run_batch(batch.session.get(), inputs.data(), inputs.size(), &error) ==
                      EB_OK,
                  error.message);
  for (size_t k = 0; k < 6; ++k) {
    CAPTURE(k);
    const OutputView v = batch.session.output(kinds[k]);
    CHECK(std::vector<float>(v.begin(), v.end()) == per_output[k]);
  }
}

TEST_CASE("Batch: each sequence gets the bits it gets alone (fp32 and int8, every head)") {
  const std::vector<size_t> lengths = {5, 17, 1, 64, 30, 64, 2};  // int8 attention from 64 on
  SUBCASE("fp32 classifier, native and XNNPACK") {
    const convert::AlignedBytes bytes = packed_fixture("classifier");
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    check_batch_equals_singles(model, 64, lengths, Setup{EB_PROVIDER_NATIVE});
    if (eb_provider_available(EB_PROVIDER_XNNPACK)) {
      check_batch_equals_singles(model, 64, lengths, Setup{EB_PROVIDER_XNNPACK});
    }
  }
  SUBCASE("int8 MiniLM-wide classifier, every kernel set, 1 and 2 threads") {
    fb::ModelT spec = convert::random_bert(wide_test_shape(64), 7);
    spec.config->max_seq = 64;
    convert::quantize_model(spec);
    const convert::AlignedBytes bytes = convert::pack_model(spec);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    for (const char* kernels : {"reference", static_cast<const char*>(nullptr)}) {
      CAPTURE((kernels != nullptr ? kernels : "best"));
      check_batch_equals_singles(model, 64, lengths, Setup{EB_PROVIDER_NATIVE, kernels, 1});
#if EB_TEST_XNNPACK
      check_batch_equals_singles(model, 64, lengths, Setup{EB_PROVIDER_NATIVE, kernels, 2});
#endif
    }
  }
  SUBCASE("task heads: question answering, tagging, masked LM; ELECTRA small's projection") {
    for (const char* task :
         {"tasks/qa", "tasks/tagger", "tasks/mlm", "families/electra_small_tagger"}) {
      CAPTURE(task);
      convert::ImportOptions options;
      options.dir = fixture_path(task);
      fb::ModelT imported = convert::import_hf(options);
      const convert::AlignedBytes bytes = convert::pack_model(imported);
      Model model;
      REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
      check_batch_equals_singles(model, 64, lengths, Setup{EB_PROVIDER_NATIVE});
    }
  }
}

TEST_CASE("Batch: scores of a batched session are the one-by-one scores") {
  convert::ImportOptions options;
  options.dir = fixture_path("tasks/reranker");
  fb::ModelT imported = convert::import_hf(options);
  for (const bool int8 : {false, true}) {
    CAPTURE(int8);
    fb::ModelT spec = convert::import_hf(options);
    if (int8) convert::quantize_model(spec);
    const convert::AlignedBytes bytes = convert::pack_model(spec);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    const std::vector<std::string> texts = {
        "a passage about the film", "", "another passage, longer than the first one by far",
        "short", "the fifth passage", "six", "seven words in this one right here"};
    std::vector<const char*> passages;
    std::vector<size_t> bytes_of;
    for (const std::string& t : texts) passages.push_back(t.data()), bytes_of.push_back(t.size());
    std::vector<float> one(texts.size()), batched(texts.size()), probabilities(texts.size());
    BatchSession single(model, 128, 1, Setup{EB_PROVIDER_NATIVE});
    REQUIRE(single.session.score("which passage?", passages.data(), bytes_of.data(), texts.size(),
                                 one.data()) == EB_OK);
    BatchSession batch(model, 128, 3, Setup{EB_PROVIDER_NATIVE});  // 3 + 3 + 1
    REQUIRE(batch.session.score("which passage?", passages.data(), bytes_of.data(), texts.size(),
                                batched.data(), probabilities.data()) == EB_OK);
    CHECK(batched == one);
    CHECK(probabilities[0] == doctest::Approx(1.0 / (1.0 + std::exp(-one[0]))));
  }
}

TEST_CASE("Batch: the arena grows with max_batch; bad batches are refused") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  eb_session_options options = eb_session_options_default();
  options.provider = EB_PROVIDER_NATIVE;
  const size_t one = model.arena_size(options);
  options.max_batch = 4;
  const size_t four = model.arena_size(options);
  CHECK(four > one);
  options.max_batch = 257;
  CHECK(model.arena_size(options) == 0);
  BatchSession s(model, 16, 2, Setup{EB_PROVIDER_NATIVE});
  const int32_t ids[3] = {2, 40, 3}, bad[2] = {2, 1000};
  eb_input inputs[3] = {{ids, nullptr, nullptr, 3}, {ids, nullptr, nullptr, 3},
                        {ids, nullptr, nullptr, 3}};
  eb_error error;
  CHECK(eb_session_run_batch(s.session.get(), inputs, 3, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(error.message) == "3 sequences; this session takes 1 to 2 (eb_session_options.max_batch)");
  CHECK(eb_session_run_batch(s.session.get(), inputs, 0, &error) == EB_ERROR_INVALID_ARGUMENT);
  inputs[1] = eb_input{bad, nullptr, nullptr, 2};
  CHECK(eb_session_run_batch(s.session.get(), inputs, 2, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(std::string(error.message) == "inputs[].input_ids[1] = 1000 is outside [0, 128)");
  inputs[1] = eb_input{ids, nullptr, nullptr, 17};
  CHECK(eb_session_run_batch(s.session.get(), inputs, 2, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(std::string(error.message) == "inputs[1]: 17 tokens; this session takes 1 to 16");
  CHECK(s.session.output(EB_OUTPUT_LOGITS).data == nullptr);  // a failed run leaves no outputs
  inputs[1] = eb_input{ids, nullptr, nullptr, 3};
  REQUIRE(eb_session_run_batch(s.session.get(), inputs, 2, &error) == EB_OK);
  CHECK(s.session.output(EB_OUTPUT_LOGITS).size == 6);
  CHECK(s.session.output(EB_OUTPUT_LAST_HIDDEN).size == 6 * 32);
}

}  // namespace
}  // namespace edgebert::test

namespace edgebert::test {
namespace {

// Logits (or embeddings) of each window of `ids` (the text's tokens without specials), run one
// by one at window length `room` + 2 with the given stride: what the long-text calls average.
std::vector<std::vector<float>> window_outputs(Session& s, const std::vector<int32_t>& ids,
                                               size_t room, size_t stride, eb_output which) {
  std::vector<std::vector<float>> out;
  for (size_t begin = 0;; begin += room - stride) {
    const size_t length = std::min(room, ids.size() - begin);
    std::vector<int32_t> window = {2};  // [CLS]
    window.insert(window.end(), ids.begin() + begin, ids.begin() + begin + length);
    window.push_back(3);  // [SEP]
    REQUIRE(s.run(window.data(), window.size()) == EB_OK);
    const OutputView v = s.output(which);
    out.emplace_back(v.begin(), v.end());
    if (begin + length >= ids.size()) break;
  }
  return out;
}

TEST_CASE("Long texts: classify and embed read every window and average them") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  std::string text;
  for (int i = 0; i < 9; ++i) text += "the movie was good and the plot was fun but the acting was dull . ";
  const std::string long_text = text.substr(0, 300);
  // Its tokens, word by word (one tokenization would stop at the session's max_seq).
  BatchSession whole(model, 64, 1, Setup{EB_PROVIDER_NATIVE});
  eb_error error;
  eb_tokens tokens;
  std::vector<int32_t> long_ids;
  for (size_t start = 0; start < long_text.size();) {
    const size_t end = std::min(long_text.find(' ', start), long_text.size());
    const std::string word = long_text.substr(start, end - start);
    REQUIRE(eb_session_tokenize(whole.session.get(), word.data(), word.size(), nullptr, 0,
                                &error) == EB_OK);
    eb_session_tokens(whole.session.get(), &tokens);
    long_ids.insert(long_ids.end(), tokens.ids + 1, tokens.ids + tokens.count - 1);
    start = end + 1;
  }
  REQUIRE(long_ids.size() > 62);
  for (const uint32_t max_batch : {1u, 3u}) {
    CAPTURE(max_batch);
    BatchSession s(model, 16, max_batch, Setup{EB_PROVIDER_NATIVE});
    BatchSession one(model, 16, 1, Setup{EB_PROVIDER_NATIVE});
    // A text that fits one window is exactly the ordinary call.
    eb_classification result, plain;
    size_t windows = 0;
    const std::string fits = "the movie was good";
    REQUIRE(eb_session_classify_long(s.session.get(), fits.data(), fits.size(), 4, &result,
                                     &windows, &error) == EB_OK);
    CHECK(windows == 1);
    std::vector<float> first(result.probabilities, result.probabilities + result.num_labels);
    REQUIRE(eb_session_classify_text(one.session.get(), fits.data(), fits.size(), nullptr, 0,
                                     &plain, &error) == EB_OK);
    CHECK(first == std::vector<float>(plain.probabilities, plain.probabilities + 3));
    // A long one: the mean of the windows' logits (14 tokens a window, 4 shared).
    REQUIRE(eb_session_classify_long(s.session.get(), long_text.data(), long_text.size(), 4,
                                     &result, &windows, &error) == EB_OK);
    const auto logits = window_outputs(one.session, long_ids, 14, 4, EB_OUTPUT_LOGITS);
    CHECK(windows == logits.size());
    CHECK(windows == (long_ids.size() - 14 + 9) / 10 + 1);
    std::vector<float> mean(3, 0.0f);
    for (const auto& w : logits) {
      for (size_t i = 0; i < 3; ++i) mean[i] += w[i];
    }
    double softmax_sum = 0;
    for (size_t i = 0; i < 3; ++i) softmax_sum += std::exp(mean[i] / windows);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(result.probabilities[i] ==
            doctest::Approx(std::exp(mean[i] / windows) / softmax_sum).epsilon(1e-5));
    }
    const float* embedding = nullptr;
    size_t dimension = 0;
    REQUIRE(eb_session_embed_long(s.session.get(), long_text.data(), long_text.size(), 4,
                                  &embedding, &dimension, &windows, &error) == EB_OK);
    CHECK(dimension == 32);
    const auto embeddings = window_outputs(one.session, long_ids, 14, 4, EB_OUTPUT_EMBEDDING);
    for (size_t i = 0; i < 32; ++i) {
      double sum = 0;
      for (const auto& w : embeddings) sum += w[i];
      CHECK(embedding[i] == doctest::Approx(sum / windows).epsilon(1e-5));
    }
    CHECK(eb_session_classify_long(s.session.get(), long_text.data(), long_text.size(), 14,
                                   &result, &windows, &error) == EB_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(error.message) ==
          "stride 14 must be less than the 14 tokens a window holds (max_seq - 2)");
  }
}

}  // namespace
}  // namespace edgebert::test
