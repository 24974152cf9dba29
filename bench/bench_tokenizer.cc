// Tokenizer throughput: the device tokenizer over the texts of the parity fixtures, one thread,
// max_seq 512 so that nothing is truncated: WordPiece (SST-2 dev, WikiText, Austen, hard cases;
// uncased bert-base vocabulary), byte-level BPE (the single texts of bpe-parity.jsonl without
// the prefix space; the 4,000-piece fixture tokenizer) and SentencePiece Unigram (the single
// texts of unigram-parity.jsonl; the 4,000-piece XLM-R-style fixture tokenizer).
// bench/tokenizer_vs_hf.py runs Hugging Face tokenizers on the same texts.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "model_file.h"
#include "random_model.h"
#include "tokenizer/bpe_file.h"
#include "tokenizer/unigram_file.h"
#include "tokenizer/vocab_file.h"

namespace {

namespace convert = edgebert::convert;

enum class Family { WordPiece, Bpe, Unigram };

// The single texts of a family's parity fixture, each once: the uncased ones (WordPiece), those
// without the prefix space (BPE), all (Unigram); the stress set's repeats at max_seq 16 and 6
// left out.
std::vector<std::string> fixture_texts(Family family) {
  const char* files[] = {"/tokenizer/parity.jsonl", "/tokenizer/bpe-parity.jsonl",
                         "/tokenizer/unigram-parity.jsonl"};
  std::vector<std::string> texts;
  std::ifstream in(std::string(EB_FIXTURES_DIR) + files[static_cast<int>(family)]);
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json c = nlohmann::json::parse(line);
    if (c.contains("text_b")) continue;
    const bool repeat = c["max_seq"] == 16 || c["max_seq"] == 6;
    const bool take = family == Family::WordPiece ? c["vocab"] == "uncased"
                      : family == Family::Bpe     ? !c["prefix"].get<bool>() && !repeat
                                                  : !repeat;
    if (take) texts.push_back(c["text"]);
  }
  return texts;
}

void run_tokenizer(benchmark::State& state, edgebert::fb::ModelT spec, Family family) {
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
  const std::vector<std::string> texts = fixture_texts(family);
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
  state.counters["tokens_per_pass"] =
      static_cast<double>(tokens) / static_cast<double>(state.iterations());
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes_in) / 1e6, benchmark::Counter::kIsRate);
}
void BM_tokenize_fixture_texts(benchmark::State& state) {
  std::vector<std::string> vocab =
      convert::read_vocab_file(std::string(EB_FIXTURES_DIR) + "/tokenizer/uncased-vocab.txt");
  convert::BertShape shape{1, 8, 2, 4, 16, static_cast<uint32_t>(vocab.size()), 512, 2, 2};
  edgebert::fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::make_tokenizer(std::move(vocab), shape.vocab_size, {}, "vocab");
  run_tokenizer(state, std::move(spec), Family::WordPiece);
}
BENCHMARK(BM_tokenize_fixture_texts)->Unit(benchmark::kMillisecond);

void BM_tokenize_fixture_texts_bpe(benchmark::State& state) {
  convert::BertShape shape{1, 8, 2, 4, 16, 4000, 512, 2, 2};
  edgebert::fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer =
      convert::read_byte_level_bpe(std::string(EB_FIXTURES_DIR) + "/tokenizer/bpe", 4000);
  run_tokenizer(state, std::move(spec), Family::Bpe);
}
BENCHMARK(BM_tokenize_fixture_texts_bpe)->Unit(benchmark::kMillisecond);

void BM_tokenize_fixture_texts_unigram(benchmark::State& state) {
  convert::BertShape shape{1, 8, 2, 4, 16, 4000, 512, 2, 2};
  edgebert::fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::read_unigram(std::string(EB_FIXTURES_DIR) + "/tokenizer/unigram", 4000);
  run_tokenizer(state, std::move(spec), Family::Unigram);
}
BENCHMARK(BM_tokenize_fixture_texts_unigram)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
