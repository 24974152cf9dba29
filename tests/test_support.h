// Shared helpers for the doctest suites: fixture paths, importing the tiny BERT fixture, reading
// the Hugging Face reference outputs, and comparing float arrays.
#ifndef EDGEBERT_TESTS_TEST_SUPPORT_H_
#define EDGEBERT_TESTS_TEST_SUPPORT_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "file_io.h"
#include "hf_import.h"
#include "model_file.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"

namespace edgebert::test {

inline std::string fixture_path(const std::string& relative) {
  return std::string(EB_FIXTURES_DIR) + "/" + relative;
}

// Imports tests/fixtures/tiny_bert/<layout> ("classifier", "base", "sentence").
inline fb::ModelT import_fixture(const std::string& layout) {
  convert::ImportOptions options;
  options.dir = fixture_path("tiny_bert/" + layout);
  return convert::import_hf(options);
}

inline convert::AlignedBytes packed_fixture(const std::string& layout) {
  fb::ModelT model = import_fixture(layout);
  return convert::pack_model(model);
}

// A MiniLM-wide random model shape, 2 layers deep (hidden 384, 6 heads x 64, intermediate 1536,
// vocab 1000): real SIMD tile paths, several GEMM column tasks and attention heads, yet quick.
inline convert::BertShape wide_test_shape(uint32_t max_positions) {
  convert::BertShape shape;
  shape.num_layers = 2;
  shape.hidden = 384;
  shape.num_heads = 6;
  shape.head_dim = 64;
  shape.intermediate = 1536;
  shape.vocab_size = 1000;
  shape.max_positions = max_positions;
  return shape;
}

// A tiny random encoder shape (1 layer, hidden 8, 2 heads of 4) over `vocab_size` pieces: enough
// to exercise text input end to end.
inline convert::BertShape tiny_text_shape(uint32_t vocab_size, uint32_t max_positions = 512) {
  convert::BertShape shape;
  shape.num_layers = 1;
  shape.hidden = 8;
  shape.num_heads = 2;
  shape.head_dim = 4;
  shape.intermediate = 16;
  shape.vocab_size = vocab_size;
  shape.max_positions = max_positions;
  return shape;
}

// The tiny encoder carrying the WordPiece tokenizer of `vocab_file` (relative to the fixtures
// folder).
inline convert::AlignedBytes packed_text_model(const std::string& vocab_file,
                                               const convert::TokenizerOptions& options) {
  std::vector<std::string> vocab = convert::read_vocab_file(fixture_path(vocab_file));
  const convert::BertShape shape = tiny_text_shape(static_cast<uint32_t>(vocab.size()));
  fb::ModelT model = convert::random_bert(shape, 1);
  model.tokenizer = convert::make_tokenizer(std::move(vocab), shape.vocab_size, options, vocab_file);
  return convert::pack_model(model);
}

// Output `which` of the runtime (default session options) for one sequence of token `ids` on
// `bytes`.
inline std::vector<float> runtime_output(const convert::AlignedBytes& bytes,
                                         const std::vector<int32_t>& ids, eb_output which) {
  // Throws (a failed test case with the runtime's message) rather than REQUIRE: the fuzzers
  // include this header without doctest.
  Model model;
  eb_error error;
  if (model.init(bytes.data(), bytes.size(), &error) != EB_OK)
    throw std::runtime_error(error.message);
  std::vector<uint8_t> arena(model.arena_size());
  Session session;
  if (session.init(model, arena.data(), arena.size()) != EB_OK) {
    throw std::runtime_error("session init failed");
  }
  if (session.run(ids.data(), ids.size(), nullptr, nullptr, &error) != EB_OK) {
    throw std::runtime_error(error.message);
  }
  const OutputView out = session.output(which);
  return std::vector<float>(out.data, out.data + out.size);
}

inline const nlohmann::json& reference() {
  static const nlohmann::json json =
      nlohmann::json::parse(convert::read_text_file(fixture_path("tiny_bert/reference.json")));
  return json;
}

// max |a[i] - b[i]|; infinity when the sizes differ or a value is not finite.
inline double max_abs_diff(const float* a, size_t n, const std::vector<float>& b) {
  if (a == nullptr || n != b.size()) return INFINITY;
  double worst = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (!(d <= worst)) worst = std::isnan(d) ? INFINITY : d;
  }
  return worst;
}

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_TEST_SUPPORT_H_
