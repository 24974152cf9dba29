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

}  // namespace
}  // namespace edgebert::test
