// Tokenizer throughput: the device tokenizer over the texts of the parity fixture (SST-2 dev,
// WikiText, Austen, hard cases; uncased bert-base vocabulary), one thread, max_seq 512 so that
// nothing is truncated. bench/tokenizer_vs_hf.py runs Hugging Face tokenizers on the same texts.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "model_file.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"

namespace {

namespace convert = edgebert::convert;

std::vector<std::string> fixture_texts() {
  std::vector<std::string> texts;
  std::ifstream in(std::string(EB_FIXTURES_DIR) + "/tokenizer/parity.jsonl");
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json c = nlohmann::json::parse(line);
    if (c["vocab"] == "uncased" && !c.contains("text_b")) texts.push_back(c["text"]);
  }
  return texts;
}

void BM_tokenize_fixture_texts(benchmark::State& state) {
  std::vector<std::string> vocab =
      convert::read_vocab_file(std::string(EB_FIXTURES_DIR) + "/tokenizer/uncased-vocab.txt");
  convert::BertShape shape{1, 8, 2, 4, 16, static_cast<uint32_t>(vocab.size()), 512, 2, 2};
  edgebert::fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::make_tokenizer(std::move(vocab), shape.vocab_size, {}, "vocab");
  const auto bytes = convert::pack_model(spec);
  edgebert::Model model;
  if (model.init(bytes.data(), bytes.size()) != EB_OK) return state.SkipWithError("model");
  std::vector<uint8_t> arena(model.arena_size(512));
  edgebert::Session session;
  eb_session_options options = eb_session_options_default();
  options.max_seq = 512;
  if (session.init(model, arena.data(), arena.size(), options) != EB_OK) {
    return state.SkipWithError("session");
  }
  const std::vector<std::string> texts = fixture_texts();
  size_t tokens = 0, bytes_in = 0;
  for (auto _ : state) {
    for (const std::string& text : texts) {
      eb_session_tokenize(session.get(), text.data(), text.size(), nullptr, 0, nullptr);
      eb_tokens out;
      eb_session_tokens(session.get(), &out);
      tokens += out.count - 2;  // without [CLS] and [SEP], as counted on the HF side
      bytes_in += text.size();
    }
  }
  state.counters["texts"] = static_cast<double>(texts.size());
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes_in) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_tokenize_fixture_texts)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
