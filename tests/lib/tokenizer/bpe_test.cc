// Byte-level BPE: exact parity with Hugging Face RobertaTokenizerFast (tests/fixtures/tokenizer/bpe
// and bpe-parity.jsonl, made by make_bpe_fixture.py), the converter's reading of its files, and
// the behaviours no fixture holds (chunked long words, invalid UTF-8).
#include <doctest/doctest.h>

#include <array>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "lib/tokenizer/text_model.h"
#include "session.h"
#include "test_support.h"
#include "tokenizer/bpe_file.h"
#include "tokenizer/tokenizer.h"

namespace edgebert::test {
namespace {

namespace fs = std::filesystem;

// The tiny encoder carrying the fixture's BPE tokenizer (4,000 pieces).
convert::AlignedBytes packed_bpe_model(bool add_prefix_space) {
  const convert::BertShape shape = tiny_text_shape(4000);
  fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::read_byte_level_bpe(fixture_path("tokenizer/bpe"), shape.vocab_size);
  spec.tokenizer->add_prefix_space = add_prefix_space;
  return convert::pack_model(spec);
}

struct Tokens {
  std::vector<int32_t> ids, types;
  std::vector<uint32_t> offsets;
};

Tokens tokenize(Session& session, const std::string& text, const std::string* text_b = nullptr) {
  eb_error error;
  REQUIRE_MESSAGE(eb_session_tokenize(session.get(), text.data(), text.size(),
                                      text_b ? text_b->data() : nullptr,
                                      text_b ? text_b->size() : 0, &error) == EB_OK,
                  error.message);
  eb_tokens t;
  eb_session_tokens(session.get(), &t);
  return Tokens{{t.ids, t.ids + t.count},
                {t.token_type_ids, t.token_type_ids + t.count},
                {t.offsets, t.offsets + 2 * t.count}};
}

TEST_CASE("BPE tokenizer: exact ids and offsets of RobertaTokenizerFast on the parity suite") {
  TextModel plain(packed_bpe_model(false)), prefixed(packed_bpe_model(true));
  std::ifstream in(fixture_path("tokenizer/bpe-parity.jsonl"));
  REQUIRE(in.good());
  size_t cases = 0, pairs = 0, prefix_cases = 0, id_mismatches = 0, offset_mismatches = 0;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json c = nlohmann::json::parse(line);
    ++cases;
    const bool prefix = c["prefix"].get<bool>();
    prefix_cases += prefix;
    Session& session = (prefix ? prefixed : plain).session(c["max_seq"].get<uint32_t>());
    const std::string text = c["text"];
    const bool pair = c.contains("text_b");
    const std::string text_b = pair ? c["text_b"].get<std::string>() : "";
    pairs += pair;
    const Tokens got = tokenize(session, text, pair ? &text_b : nullptr);
    const auto want_ids = c["ids"].get<std::vector<int32_t>>();
    const bool same_ids = got.ids == want_ids;
    const bool same_offsets = got.offsets == c["offsets"].get<std::vector<uint32_t>>();
    CHECK(got.types == std::vector<int32_t>(got.ids.size(), 0));
    id_mismatches += !same_ids;
    offset_mismatches += same_ids && !same_offsets;
    if ((!same_ids || !same_offsets) && id_mismatches + offset_mismatches <= 20) {
      const std::vector<uint32_t> want_offsets = c["offsets"].get<std::vector<uint32_t>>();
      std::ostringstream o;
      for (size_t i = 0; i < got.offsets.size(); ++i) {
        o << (i ? " " : "") << got.offsets[i] << (i < want_offsets.size() && want_offsets[i] != got.offsets[i] ? "*" : "");
      }
      MESSAGE("mismatch (prefix " << prefix << ", max_seq " << c["max_seq"] << "): "
                                  << c["text"].dump() << (pair ? " | " + c["text_b"].dump() : "")
                                  << "\n  ours: " << join(got.ids) << "\n  HF:   " << join(want_ids)
                                  << "\n  our offsets: " << o.str());
    }
  }
  MESSAGE(cases << " cases (" << pairs << " pairs, " << prefix_cases << " with add_prefix_space), "
                << id_mismatches << " id mismatches, " << offset_mismatches
                << " offset mismatches");
  CHECK(cases >= 5000);
  CHECK(id_mismatches == 0);
  CHECK(offset_mismatches == 0);
}

TEST_CASE("BPE tokenizer: the slow files (vocab.json + merges.txt) give the same tokenizer") {
  // A folder with only what RobertaTokenizer (slow) reads.
  const fs::path dir = fs::temp_directory_path() / "edgebert_bpe_slow_files";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* name : {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
    fs::copy_file(fixture_path(std::string("tokenizer/bpe/") + name), dir / name);
  }
  const auto fast = convert::read_byte_level_bpe(fixture_path("tokenizer/bpe"), 4000);
  const auto slow = convert::read_byte_level_bpe(dir, 4000);
  CHECK(fast->vocab == slow->vocab);
  const auto triples = [](const fb::TokenizerT& t) {
    std::vector<std::array<int32_t, 3>> out;
    for (const fb::BpeMerge& m : t.bpe_merges) out.push_back({m.left(), m.right(), m.merged()});
    return out;
  };
  CHECK(triples(*fast) == triples(*slow));
  CHECK(fast->bpe_merges.size() > 3000);
  CHECK(fast->bpe_byte_ids == slow->bpe_byte_ids);
  CHECK(fast->lstrip_ids == slow->lstrip_ids);
  CHECK(fast->lstrip_ids == std::vector<int32_t>{fast->mask_id});
  CHECK(fast->add_prefix_space == slow->add_prefix_space);
  CHECK(fast->cls_id == 0);
  CHECK(fast->sep_id == 2);
  fs::remove_all(dir);
}

TEST_CASE("BPE tokenizer: long words are merged in chunks, invalid UTF-8 goes through as bytes") {
  TextModel m(packed_bpe_model(false));
  Session& session = m.session(512);
  // A word of 3,000 letters: chunks of <= 1,024 bytes, every byte covered once, in order (all
  // its tokens, past max_seq: the internal call counts them).
  const std::string word(3000, 'q');
  const eb_session* s = session.get();
  std::vector<Token> tokens(4000);
  const size_t n = tokenize_text(s->tokenizer, s->tokenizer_scratch,
                                 reinterpret_cast<const uint8_t*>(word.data()), word.size(),
                                 tokens.data(), tokens.size(), true);
  REQUIRE(n > 3);
  REQUIRE(n <= tokens.size());
  uint32_t covered = 0;
  for (size_t i = 0; i < n; ++i) {
    CHECK(tokens[i].begin == covered);
    covered = tokens[i].end;
  }
  CHECK(covered == 3000);
  // Invalid bytes: tokens cover them (each is a "character" of its own), nothing is lost.
  const std::string bad = "ok \xff\xfe bad \xe2\x82 cut";
  const Tokens b = tokenize(session, bad);
  CHECK(b.offsets[2] == 0);
  CHECK(b.offsets[b.offsets.size() - 3] == bad.size());
}

TEST_CASE("BPE tokenizer: what the device does not do is refused naming the file and field") {
  const fs::path dir = fs::temp_directory_path() / "edgebert_bpe_refusals";
  auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    nlohmann::json t =
        nlohmann::json::parse(convert::read_text_file(fixture_path("tokenizer/bpe/tokenizer.json")));
    edit(t);
    std::ofstream(dir / "tokenizer.json") << t.dump();
    std::string message;
    try {
      convert::read_byte_level_bpe(dir, 4000);
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    return message;
  };
  CHECK(with([](nlohmann::json& t) { t["normalizer"] = {{"type", "Lowercase"}}; })
            .find("tokenizer.json: normalizer Lowercase is not supported") != std::string::npos);
  CHECK(with([](nlohmann::json& t) { t["pre_tokenizer"]["type"] = "Whitespace"; })
            .find("pre_tokenizer.type Whitespace is not ByteLevel") != std::string::npos);
  CHECK(with([](nlohmann::json& t) { t["model"]["dropout"] = 0.1; })
            .find("model.dropout is set") != std::string::npos);
  CHECK(with([](nlohmann::json& t) { t["model"]["continuing_subword_prefix"] = "##"; })
            .find("model.continuing_subword_prefix \"##\" is not supported") != std::string::npos);
  CHECK(with([](nlohmann::json& t) { t["post_processor"] = {{"type", "BertProcessing"}}; })
            .find("post_processor.type BertProcessing is not supported") != std::string::npos);
  CHECK(with([](nlohmann::json& t) { t["model"]["merges"].push_back("zzqx yyqx"); })
            .find("merge \"zzqx yyqx\" names a piece that is not in the vocabulary") !=
        std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace edgebert::test
