// Vocabulary trainer: layout of vocab.txt, determinism, and that the device tokenizer with the
// learned vocabulary covers its training text without [UNK] and compresses it better with size.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "edgebert/edgebert.hpp"
#include "test_support.h"
#include "tokenizer/vocab_trainer.h"

namespace edgebert::test {
namespace {

namespace fs = std::filesystem;

// SST-2 dev sentences (and the other uncased single texts) of the parity fixture, one per line.
std::string corpus_file() {
  static const std::string path = [] {
    const fs::path p = fs::temp_directory_path() / ("edgebert_vocab_corpus_" + std::to_string(::getpid()));
    std::ifstream in(fixture_path("tokenizer/parity.jsonl"));
    std::ofstream out(p);
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json c = nlohmann::json::parse(line);
      const std::string text = c["text"];
      // Leave out the hard cases that are [UNK] by definition: literal "[UNK]" (matched as the
      // special token) and words over max_input_chars_per_word.
      bool long_word = false;
      for (size_t start = 0, end; start < text.size(); start = end + 1) {
        end = text.find(' ', start);
        if (end == std::string::npos) end = text.size();
        long_word |= end - start > 100;
      }
      if (c["vocab"] == "uncased" && !c.contains("text_b") && c["max_seq"] == 128 &&
          text.find("[UNK]") == std::string::npos && !long_word) {
        out << text << "\n";
      }
    }
    return p.string();
  }();
  return path;
}

std::vector<std::string> train(size_t size) {
  convert::VocabTrainerOptions options;
  options.corpus_files = {corpus_file()};
  options.vocab_size = size;
  options.progress = false;
  return convert::train_wordpiece_vocab(options);
}

// Tokens per word and [UNK] count of the corpus under `vocab`, through the device tokenizer.
std::pair<double, size_t> tokenize_corpus(const std::vector<std::string>& vocab) {
  convert::BertShape shape{1, 8, 2, 4, 16, static_cast<uint32_t>(vocab.size()), 512, 2, 2};
  fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::make_tokenizer(vocab, vocab.size(), {}, "trained vocab");
  const convert::AlignedBytes bytes = convert::pack_model(spec);
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  std::vector<uint8_t> arena(model.arena_size(512));
  Session session;
  eb_session_options options = eb_session_options_default();
  options.max_seq = 512;
  REQUIRE(session.init(model, arena.data(), arena.size(), options) == EB_OK);
  std::ifstream in(corpus_file());
  size_t tokens = 0, words = 0, unknown = 0;
  for (std::string line; std::getline(in, line);) {
    REQUIRE(eb_session_tokenize(session.get(), line.data(), line.size(), nullptr, 0, nullptr) == EB_OK);
    eb_tokens out;
    eb_session_tokens(session.get(), &out);
    for (size_t i = 1; i + 1 < out.count; ++i) {
      ++tokens;
      unknown += out.ids[i] == 1;  // [UNK]
      const std::string piece = eb_model_token(model.get(), out.ids[i]);
      words += piece.rfind("##", 0) != 0;
    }
  }
  return {static_cast<double>(tokens) / static_cast<double>(words), unknown};
}

TEST_CASE("Vocab trainer: special tokens, then characters, then merged pieces") {
  const std::vector<std::string> vocab = train(800);
  REQUIRE(vocab.size() == 800);
  CHECK(std::vector<std::string>(vocab.begin(), vocab.begin() + 5) ==
        std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"});
  auto chars = [](const std::string& piece) {
    const size_t start = piece.rfind("##", 0) == 0 ? 2 : 0;
    size_t n = 0;
    for (size_t i = start; i < piece.size(); ++i) n += (piece[i] & 0xC0) != 0x80;
    return n;
  };
  size_t first_merged = 5;
  while (first_merged < vocab.size() && chars(vocab[first_merged]) == 1) ++first_merged;
  CHECK(first_merged > 30);  // the alphabet: letters, digits, punctuation, "##" forms
  for (size_t i = first_merged; i < vocab.size(); ++i) CHECK(chars(vocab[i]) >= 2);
  CHECK(std::set<std::string>(vocab.begin(), vocab.end()).size() == vocab.size());
  for (const char* word : {"the", "film", "movie", "and"}) {
    CHECK(std::find(vocab.begin(), vocab.end(), word) != vocab.end());
  }
  CHECK(train(800) == vocab);  // deterministic
}

TEST_CASE("Vocab trainer: the device tokenizer covers the corpus and compresses more with size") {
  const auto [small_ratio, small_unknown] = tokenize_corpus(train(300));
  const auto [large_ratio, large_unknown] = tokenize_corpus(train(3000));
  MESSAGE("tokens per word: " << small_ratio << " (300 pieces), " << large_ratio << " (3000)");
  CHECK(small_unknown == 0);
  CHECK(large_unknown == 0);
  CHECK(large_ratio < small_ratio);
}

TEST_CASE("Vocab trainer: refuses a size without room and missing files") {
  convert::VocabTrainerOptions options;
  options.corpus_files = {corpus_file()};
  options.vocab_size = 5;
  options.progress = false;
  CHECK_THROWS_WITH_AS(convert::train_wordpiece_vocab(options), doctest::Contains("--size"),
                       std::runtime_error);
  options.vocab_size = 100;
  options.corpus_files = {"/nonexistent/corpus.txt"};
  CHECK_THROWS_WITH_AS(convert::train_wordpiece_vocab(options), doctest::Contains("cannot open"),
                       std::runtime_error);
}

}  // namespace
}  // namespace edgebert::test
