// Tokenizer: exact parity with Hugging Face BertTokenizerFast (tests/fixtures/tokenizer, made by
// make_tokenizer_fixture.py), every code point's treatment, UTF-8 decoding, text C API.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "lib/tokenizer/text_model.h"
#include "session.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace edgebert::test {
namespace {

convert::TokenizerOptions uncased() { return convert::TokenizerOptions{}; }
convert::TokenizerOptions cased() {
  convert::TokenizerOptions options;
  options.lowercase = false;
  options.strip_accents = false;
  return options;
}

TEST_CASE("Tokenizer: exact ids, type ids and offsets of BertTokenizerFast on the parity suite") {
  TextModel uncased_model(packed_text_model("tokenizer/uncased-vocab.txt", uncased()));
  TextModel cased_model(packed_text_model("tokenizer/cased-vocab.txt", cased()));
  std::ifstream in(fixture_path("tokenizer/parity.jsonl"));
  REQUIRE(in.good());
  size_t cases = 0, mismatches = 0, with_offsets = 0, pairs = 0;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json c = nlohmann::json::parse(line);
    ++cases;
    TextModel& m = c["vocab"] == "cased" ? cased_model : uncased_model;
    Session& session = m.session(c["max_seq"].get<uint32_t>());
    const std::string text = c["text"];
    const bool pair = c.contains("text_b");
    const std::string text_b = pair ? c["text_b"].get<std::string>() : "";
    pairs += pair;
    eb_error error;
    REQUIRE(eb_session_tokenize(session.get(), text.data(), text.size(),
                                pair ? text_b.data() : nullptr, text_b.size(), &error) == EB_OK);
    eb_tokens tokens;
    eb_session_tokens(session.get(), &tokens);
    const std::vector<int32_t> ids(tokens.ids, tokens.ids + tokens.count);
    const std::vector<int32_t> types(tokens.token_type_ids, tokens.token_type_ids + tokens.count);
    const auto want_ids = c["ids"].get<std::vector<int32_t>>();
    const auto want_types = pair ? c["type_ids"].get<std::vector<int32_t>>()
                                 : std::vector<int32_t>(want_ids.size(), 0);
    bool same = ids == want_ids && types == want_types;
    if (c.contains("offsets") && same) {
      ++with_offsets;
      const std::vector<uint32_t> offsets(tokens.offsets, tokens.offsets + 2 * tokens.count);
      same = offsets == c["offsets"].get<std::vector<uint32_t>>();
    }
    if (!same && ++mismatches <= 20) {
      MESSAGE("mismatch (" << c["vocab"].get<std::string>() << ", max_seq " << c["max_seq"]
                           << "): " << c["text"].dump() << (pair ? " | " + c["text_b"].dump() : "")
                           << "\n  ours: " << join(ids) << "\n  HF:   " << join(want_ids));
    }
  }
  MESSAGE(cases << " cases (" << pairs << " pairs, " << with_offsets
                << " with offsets checked), " << mismatches << " mismatches");
  CHECK(cases >= 5000);
  CHECK(mismatches == 0);
}

TEST_CASE("Tokenizer: every code point is classified and normalized like the reference") {
  TextModel m(packed_text_model("tokenizer/uncased-vocab.txt", uncased()));
  TokenizerTables t = m.tables();
  std::ifstream in(fixture_path("tokenizer/codepoints.txt"));
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);  // header
  size_t classified = 0, class_errors = 0;
  std::map<std::string, std::map<uint32_t, std::vector<uint32_t>>> maps;
  std::string map_name;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (line.rfind("map ", 0) == 0) {
      map_name = line.substr(4);
      continue;
    }
    if (map_name.empty()) {  // "first last class"
      uint32_t first, last;
      std::string klass;
      fields >> std::hex >> first >> last >> klass;
      for (uint32_t cp = first; cp <= last; ++cp, ++classified) {
        const fb::UnicodeRecord& r = unicode_record(t, cp);
        auto flag = [&](fb::UnicodeFlag f) { return (r.flags() & static_cast<uint8_t>(f)) != 0; };
        const char* ours = flag(fb::UnicodeFlag::Remove)  ? "removed"
                           : flag(fb::UnicodeFlag::Space) ? "space"
                           : (flag(fb::UnicodeFlag::Cjk) || flag(fb::UnicodeFlag::Punctuation))
                               ? "isolated"
                               : "kept";
        if (klass != ours && ++class_errors <= 10) {
          MESSAGE("U+" << std::hex << cp << ": reference " << klass << ", ours " << ours);
        }
      }
    } else {  // "cp mapped..."
      uint32_t cp, x;
      fields >> std::hex >> cp;
      std::vector<uint32_t>& mapped = maps[map_name][cp];
      while (fields >> x) mapped.push_back(x);
    }
  }
  CHECK(classified == 0x110000 - 0x800);  // every scalar value
  CHECK(class_errors == 0);
  REQUIRE(maps.size() == 3);
  for (const auto& map : maps) {
    // (references, not structured bindings: clang 14 cannot capture those in INFO's lambda)
    const auto& name = map.first;
    const auto& expected = map.second;
    t.strip_accents = name != "lower";
    t.lowercase = name != "strip";
    size_t errors = 0;
    uint32_t out[kMaxNormalizedLength];
    for (uint32_t cp = 0; cp < 0x110000; ++cp) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      const std::vector<uint32_t> ours(out, out + normalize_code_point(t, cp, out));
      const auto it = expected.find(cp);
      const std::vector<uint32_t> want = it != expected.end() ? it->second : std::vector<uint32_t>{cp};
      if (ours != want && ++errors <= 10) MESSAGE(name << " U+" << std::hex << cp << " differs");
    }
    INFO("mapping " << name << " (" << expected.size() << " changed code points)");
    CHECK(errors == 0);
  }
}

TEST_CASE("Tokenizer: UTF-8 decoding replaces maximal ill-formed subparts like Python") {
  // Expected counts from bytes.decode("utf-8", errors="replace") in CPython 3.11.
  struct Case {
    std::string bytes;
    std::vector<uint32_t> code_points;
  } const cases[] = {
      {"\xF0\x80\x80", {0xFFFD, 0xFFFD, 0xFFFD}},         // overlong 4-byte lead
      {"\xE2\x82", {0xFFFD}},                             // truncated 3-byte sequence
      {"\xED\xA0\x80", {0xFFFD, 0xFFFD, 0xFFFD}},         // surrogate
      {"\xC0\xAF", {0xFFFD, 0xFFFD}},                     // overlong 2-byte
      {"\xF4\x90\x80\x80", {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}},  // above U+10FFFF
      {"\xE2\x82" "a", {0xFFFD, 'a'}},
      {"\xF0\x9F\x98", {0xFFFD}},
      {"\xFF", {0xFFFD}},
      {"\x80\x80", {0xFFFD, 0xFFFD}},
      {"\xF0\x9F\x98\x80", {0x1F600}},
      {"\xC3\xA9t\xC3\xA9", {0xE9, 't', 0xE9}},
  };
  for (const Case& c : cases) {
    std::vector<uint32_t> got;
    const auto* p = reinterpret_cast<const uint8_t*>(c.bytes.data());
    for (size_t pos = 0; pos < c.bytes.size();) got.push_back(utf8_decode(p, c.bytes.size(), &pos));
    CHECK(got == c.code_points);
  }
}

TEST_CASE("Tokenizer: invalid UTF-8, NUL bytes and huge texts are handled deterministically") {
  TextModel m(packed_text_model("tokenizer/uncased-vocab.txt", uncased()));
  Session& s = m.session(16);
  auto ids_of = [&](const std::string& text) {
    REQUIRE(eb_session_tokenize(s.get(), text.data(), text.size(), nullptr, 0, nullptr) == EB_OK);
    eb_tokens tokens;
    eb_session_tokens(s.get(), &tokens);
    return std::vector<int32_t>(tokens.ids, tokens.ids + tokens.count);
  };
  // Ill-formed bytes and NUL are dropped without splitting the word, like U+FFFD in HF.
  CHECK(ids_of("hel\xFFlo wor\xC0\xAFld") == ids_of("hello world"));
  CHECK(ids_of(std::string("hel\0lo", 6)) == ids_of("hello"));
  CHECK(ids_of("") == std::vector<int32_t>{101, 102});
  CHECK(ids_of(" \t\n ") == std::vector<int32_t>{101, 102});
  // A 10 MB text: truncated to max_seq, equal to the tokenization of its start.
  std::string huge;
  while (huge.size() < 10'000'000) huge += "the quick brown fox jumps over the lazy dog. ";
  const std::vector<int32_t> ids = ids_of(huge);
  CHECK(ids.size() == 16);
  CHECK(ids == ids_of(huge.substr(0, 200)));
  // Pairs need room for three special tokens.
  Session& tiny = m.session(2);
  eb_error error;
  CHECK(eb_session_tokenize(tiny.get(), "a", 1, "b", 1, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(eb_session_tokenize(tiny.get(), "a", 1, nullptr, 0, &error) == EB_OK);
  CHECK(eb_session_tokenize(tiny.get(), nullptr, 3, nullptr, 0, &error) == EB_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("Tokenizer: split_special_tokens turns off matching \"[CLS]\" in text") {
  convert::TokenizerOptions options = uncased();
  options.split_special_tokens = true;
  TextModel split(packed_text_model("tokenizer/uncased-vocab.txt", options));
  TextModel matching(packed_text_model("tokenizer/uncased-vocab.txt", uncased()));
  auto ids_of = [](TextModel& m, const std::string& text) {
    REQUIRE(eb_session_tokenize(m.session(16).get(), text.data(), text.size(), nullptr, 0,
                                nullptr) == EB_OK);
    eb_tokens tokens;
    eb_session_tokens(m.session(16).get(), &tokens);
    return std::vector<int32_t>(tokens.ids, tokens.ids + tokens.count);
  };
  CHECK(ids_of(matching, "a[MASK]") == std::vector<int32_t>{101, 1037, 103, 102});
  // "[", "mask", "]" as ordinary text.
  CHECK(ids_of(split, "a[MASK]") == std::vector<int32_t>{101, 1037, 1031, 7308, 1033, 102});
}

TEST_CASE("Tokenizer: text C API classifies and embeds; id-only models refuse text") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  CHECK(model.info().has_tokenizer == 1);
  CHECK(std::string(eb_model_token(model.get(), 2)) == "[CLS]");
  CHECK(eb_model_token(model.get(), 128) == nullptr);
  std::vector<uint8_t> arena(model.arena_size());
  Session session;
  REQUIRE(session.init(model, arena.data(), arena.size()) == EB_OK);
  const std::string text = "The movie was GREAT!";
  eb_classification result;
  eb_error error;
  REQUIRE(eb_session_classify_text(session.get(), text.data(), text.size(), nullptr, 0, &result,
                                   &error) == EB_OK);
  // The same as running the ids by hand: [CLS] the movie was great ! [SEP]
  const int32_t ids[7] = {2, 57, 58, 61, 64, 81, 3};
  eb_tokens tokens;
  eb_session_tokens(session.get(), &tokens);
  REQUIRE(tokens.count == 7);
  CHECK(std::memcmp(tokens.ids, ids, sizeof ids) == 0);
  CHECK(std::string(eb_model_token(model.get(), tokens.ids[5])) == "!");
  CHECK(tokens.offsets[2 * 4] == 14);  // "GREAT" at bytes [14, 19)
  CHECK(tokens.offsets[2 * 4 + 1] == 19);
  std::vector<float> probs(result.probabilities, result.probabilities + result.num_labels);
  REQUIRE(session.run(tokens.ids, tokens.count) == EB_OK);
  CHECK(std::memcmp(probs.data(), session.output(EB_OUTPUT_PROBABILITIES).data, 3 * sizeof(float)) == 0);
  CHECK(result.label == session.label());
  CHECK(std::string(result.label_name) == model.label(static_cast<uint32_t>(result.label)));

  const float* embedding = nullptr;
  size_t dimension = 0;
  CHECK(eb_session_embed_text(session.get(), "a pair", 6, &embedding, &dimension, &error) == EB_OK);
  CHECK(dimension == 32);
  CHECK(embedding != nullptr);

  fb::ModelT ids_only = convert::random_bert(convert::BertShape{1, 8, 2, 4, 16, 64, 64, 2, 2}, 3);
  const convert::AlignedBytes ids_bytes = convert::pack_model(ids_only);
  Model plain;
  REQUIRE(plain.init(ids_bytes.data(), ids_bytes.size()) == EB_OK);
  CHECK(plain.info().has_tokenizer == 0);
  std::vector<uint8_t> plain_arena(plain.arena_size());
  Session plain_session;
  REQUIRE(plain_session.init(plain, plain_arena.data(), plain_arena.size()) == EB_OK);
  CHECK(eb_session_run_text(plain_session.get(), "x", 1, nullptr, 0, &error) == EB_ERROR_UNSUPPORTED);
  CHECK(std::string(error.message) == "model has no tokenizer: pass token ids instead");
}

}  // namespace
}  // namespace edgebert::test
