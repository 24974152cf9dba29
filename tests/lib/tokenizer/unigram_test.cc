// SentencePiece Unigram: exact parity with Hugging Face XLMRobertaTokenizerFast
// (tests/fixtures/tokenizer/unigram and unigram-parity.jsonl, made by make_unigram_fixture.py),
// the grapheme clusters against utf8proc, the converter's refusals, and the behaviours no fixture
// holds (chunked long words, invalid UTF-8).
#include <doctest/doctest.h>
#include <utf8proc.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "file_io.h"
#include "inspect.h"
#include "lib/tokenizer/text_model.h"
#include "session.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unigram_file.h"

namespace edgebert::test {
namespace {

namespace fs = std::filesystem;

// The tiny encoder carrying the fixture's Unigram tokenizer (4,000 pieces).
convert::AlignedBytes packed_unigram_model() {
  const convert::BertShape shape = tiny_text_shape(4000);
  fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::read_unigram(fixture_path("tokenizer/unigram"), shape.vocab_size);
  return convert::pack_model(spec);
}

TEST_CASE("Unigram tokenizer: exact ids and offsets of XLMRobertaTokenizerFast on the parity suite") {
  TextModel m(packed_unigram_model());
  const ParityCounts n = run_parity("tokenizer/unigram-parity.jsonl", [&](const nlohmann::json& c) -> Session& {
    return m.session(c["max_seq"].get<uint32_t>());
  });
  MESSAGE(n.cases << " cases (" << n.pairs << " pairs), " << n.id_mismatches << " id mismatches, "
                  << n.offset_mismatches << " offset mismatches");
  CHECK(n.cases >= 5000);
  CHECK(n.id_mismatches == 0);
  CHECK(n.offset_mismatches == 0);
}

TEST_CASE("Unigram tokenizer: grapheme clusters are utf8proc's (UAX #29) on random text") {
  TextModel m(packed_unigram_model());
  const TokenizerTables& t = m.tables();
  // Code points of every grapheme break class, and plain letters between them.
  const std::vector<uint32_t> pool = {
      'a', 'Z', ' ', '\r', '\n', 0x01, 0x7F, 0x85, 0x200B, 0x0301, 0x0308, 0x20E3, 0xFE0F,
      0x200D, 0x0903, 0x093E, 0x0E33, 0x0600, 0x110BD, 0x1100, 0x1161, 0x11A8, 0xAC00, 0xAC01,
      0x1F1EB, 0x1F1F7, 0x1F468, 0x1F469, 0x2764, 0x00A9, 0x1F3FD, 0x0915, 0x094D, 0x4E2D, 0xE0020,
      0xFFFD, 0x2028, 0xFEFF};
  std::mt19937 rng(11);
  size_t clusters = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const size_t n = 1 + rng() % 12;
    for (size_t i = 0; i < n; ++i) {
      char buf[4];
      text.append(buf, utf8_encode(pool[rng() % pool.size()], buf));
    }
    // utf8proc's breaks, then ours.
    std::vector<size_t> want, got;
    int32_t state = 0;
    size_t pos = 0;
    utf8proc_int32_t previous = -1;
    while (pos < text.size()) {
      utf8proc_int32_t cp;
      const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
      const utf8proc_ssize_t len = utf8proc_iterate(bytes + pos, text.size() - pos, &cp);
      REQUIRE(len > 0);
      if (previous >= 0 && utf8proc_grapheme_break_stateful(previous, cp, &state)) want.push_back(pos);
      previous = cp;
      pos += static_cast<size_t>(len);
    }
    want.push_back(text.size());
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    for (size_t at = 0; at < text.size();) got.push_back(at = grapheme_end(t, bytes, text.size(), at));
    clusters += got.size();
    INFO(nlohmann::json(text).dump());
    CHECK(got == want);
  }
  MESSAGE(clusters << " clusters");
}

TEST_CASE("Unigram tokenizer: long words are segmented in chunks, invalid UTF-8 is covered") {
  TextModel m(packed_unigram_model());
  Session& session = m.session(512);
  const eb_session* s = session.get();
  // A word of 5,000 letters: chunks of <= 2,048 bytes, every byte covered once, in order.
  const std::string word(5000, 'q');
  std::vector<Token> tokens(6000);
  const size_t n = tokenize_text(s->tokenizer, s->tokenizer_scratch,
                                 reinterpret_cast<const uint8_t*>(word.data()), word.size(),
                                 tokens.data(), tokens.size(), true);
  REQUIRE(n > 3);
  REQUIRE(n <= tokens.size());
  uint32_t covered = 0;
  for (size_t i = 0; i < n; ++i) {
    CHECK(tokens[i].end >= covered);
    covered = tokens[i].end;
  }
  CHECK(covered == 5000);
  CHECK(tokens[0].word_start);
  // Invalid bytes read as U+FFFD: tokens span them, and the text's end is reached.
  const std::string bad = "ok \xff\xfe bad \xe2\x82 cut";
  const Tokens b = tokenize(session, bad);
  CHECK(b.offsets[2] == 0);
  CHECK(b.offsets[b.offsets.size() - 3] == bad.size());
}

TEST_CASE("Unigram tokenizer: sentencepiece.bpe.model alone gives the tokenizer transformers converts") {
  for (const char* fixture : {"tokenizer/unigram", "families/unigram320"}) {
    CAPTURE(fixture);
    // A folder with only what XLMRobertaTokenizer (slow) reads.
    const fs::path dir = fs::temp_directory_path() / "edgebert_unigram_slow_files";
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* name : {"sentencepiece.bpe.model", "tokenizer_config.json"}) {
      fs::copy_file(fixture_path(std::string(fixture) + "/" + name), dir / name);
    }
    const auto fast = convert::read_unigram(fixture_path(fixture), 4000);
    const auto slow = convert::read_unigram(dir, 4000);
    CHECK(fast->vocab == slow->vocab);
    CHECK(fast->unigram_scores == slow->unigram_scores);
    CHECK(fast->charsmap_trie == slow->charsmap_trie);
    CHECK(fast->charsmap_normalized == slow->charsmap_normalized);
    CHECK(fast->strip_right == slow->strip_right);
    CHECK(fast->space_run_replacement == slow->space_run_replacement);
    CHECK(fast->prepend_scheme == slow->prepend_scheme);
    CHECK(fast->normalized_special_ids == slow->normalized_special_ids);
    CHECK(fast->lstrip_ids == slow->lstrip_ids);
    CHECK(std::vector<int32_t>{fast->unk_id, fast->cls_id, fast->sep_id, fast->pad_id, fast->mask_id} ==
          std::vector<int32_t>{slow->unk_id, slow->cls_id, slow->sep_id, slow->pad_id, slow->mask_id});
    // Another SentencePiece tokenizer class is refused by name.
    nlohmann::json config = nlohmann::json::parse(convert::read_text_file((dir / "tokenizer_config.json").string()));
    config["tokenizer_class"] = "AlbertTokenizer";
    std::ofstream(dir / "tokenizer_config.json") << config.dump();
    CHECK_THROWS_WITH_AS(convert::read_unigram(dir, 4000),
                         doctest::Contains("tokenizer_class \"AlbertTokenizer\" is not XLMRobertaTokenizer"),
                         std::runtime_error);
    fs::remove_all(dir);
  }
}

TEST_CASE("Unigram tokenizer: what the device does not do is refused naming the file and field") {
  auto with = [](const std::function<void(nlohmann::json&)>& edit) {
    return refusal("tokenizer/unigram", edit,
                   [](const fs::path& dir) { convert::read_unigram(dir, 4000); });
  };
  const auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const char* what) {
    const std::string message = with(edit);
    INFO(message);
    CHECK(message.find(std::string("tokenizer.json: ") + what) != std::string::npos);
  };
  refused([](nlohmann::json& t) { t["normalizer"] = {{"type", "Lowercase"}}; },
          "normalizer Lowercase is not supported");
  refused([](nlohmann::json& t) { std::swap(t["normalizer"]["normalizers"][0], t["normalizer"]["normalizers"][2]); },
          "normalizer Strip comes after a later step");
  refused([](nlohmann::json& t) { t["normalizer"]["normalizers"][2]["pattern"] = {{"String", "x"}}; },
          "normalizer Replace pattern {\"String\":\"x\"} is not supported");
  refused([](nlohmann::json& t) { t["pre_tokenizer"] = {{"type", "Whitespace"}}; },
          "pre_tokenizer.type Whitespace is not Metaspace");
  refused([](nlohmann::json& t) { t["pre_tokenizer"]["prepend_scheme"] = "sometimes"; },
          "pre_tokenizer.prepend_scheme \"sometimes\" is not always, first or never");
  refused([](nlohmann::json& t) { t["model"]["byte_fallback"] = true; }, "model.byte_fallback is set");
  refused([](nlohmann::json& t) { t["model"]["unk_id"] = nullptr; }, "model.unk_id is not set");
  refused([](nlohmann::json& t) { t["post_processor"]["pair"][4]["Sequence"]["type_id"] = 1; },
          "post_processor.pair gives a type id other than 0");
  refused([](nlohmann::json& t) { t["post_processor"] = {{"type", "BertProcessing"}}; },
          "post_processor.type BertProcessing is not supported");
  refused([](nlohmann::json& t) { t["added_tokens"].back()["rstrip"] = true; },
          "added token \"<mask>\" is normalized and rstrip (not supported)");
  refused([](nlohmann::json& t) { t["normalizer"]["normalizers"][0]["precompiled_charsmap"] = "AAAA!"; },
          "precompiled_charsmap is not base64");
  CHECK(with([](nlohmann::json&) {}).empty());
}

TEST_CASE("Unigram tokenizer: the model file says schema 4 and inspect shows the pipeline") {
  const convert::AlignedBytes bytes = packed_unigram_model();
  const fb::Model* model = fb::GetModel(bytes.data());
  CHECK(model->schema_version() == 4);
  const fb::Tokenizer* t = model->tokenizer();
  CHECK(t->model() == fb::TokenizerModel::Unigram);
  CHECK(t->strip_right());
  CHECK(t->space_run_replacement()->str() == "\u2581");
  CHECK(t->prepend_scheme() == fb::PrependScheme::Always);
  CHECK(t->charsmap_trie()->size() > 1000);
  CHECK(t->normalized_special_ids()->size() == 1);
  CHECK(t->normalized_special_ids()->Get(0) == t->mask_id());
  const nlohmann::json report = convert::inspect_model(bytes);
  CHECK(report["tokenizer"]["model"] == "unigram");
  CHECK(report["tokenizer"]["unigram"]["prepend_scheme"] == "always");
  CHECK(report["tokenizer"]["table_bytes"]["unigram_scores"] == 8 * 4000);
  MESSAGE("Unigram fixture tables: " << report["tokenizer"]["table_bytes"].dump());
}

}  // namespace
}  // namespace edgebert::test
