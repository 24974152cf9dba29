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

TEST_CASE("BPE tokenizer: exact ids and offsets of RobertaTokenizerFast on the parity suite") {
  TextModel plain(packed_bpe_model(false)), prefixed(packed_bpe_model(true));
  size_t prefix_cases = 0;
  const ParityCounts n = run_parity("tokenizer/bpe-parity.jsonl", [&](const nlohmann::json& c) -> Session& {
    const bool prefix = c["prefix"].get<bool>();
    prefix_cases += prefix;
    return (prefix ? prefixed : plain).session(c["max_seq"].get<uint32_t>());
  });
  MESSAGE(n.cases << " cases (" << n.pairs << " pairs, " << prefix_cases
                  << " with add_prefix_space), " << n.id_mismatches << " id mismatches, "
                  << n.offset_mismatches << " offset mismatches");
  CHECK(n.cases >= 5000);
  CHECK(n.id_mismatches == 0);
  CHECK(n.offset_mismatches == 0);
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
  auto with = [](const std::function<void(nlohmann::json&)>& edit) {
    return refusal("tokenizer/bpe", edit,
                   [](const fs::path& dir) { convert::read_byte_level_bpe(dir, 4000); });
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
}

}  // namespace
}  // namespace edgebert::test
