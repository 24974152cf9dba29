// Fuzzes the on-device text path (tokenizer + classification) with arbitrary bytes as text and
// text pairs, on the fp32 and int8 versions of the tiny classifier fixture (WordPiece) and on
// classifiers with the byte-level BPE and SentencePiece Unigram fixture tokenizers
// (tests/fixtures/tokenizer/bpe, unigram), at the full max_seq and at a short one (truncation). Checks the documented invariants of every result.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "edgebert/edgebert.h"
#include "quantize.h"
#include "test_support.h"
#include "tokenizer/bpe_file.h"
#include "tokenizer/unigram_file.h"

namespace {

struct Target {
  edgebert::convert::AlignedBytes bytes;
  eb_model model;
  std::vector<uint8_t> arena;
  eb_session* session = nullptr;
  uint32_t max_seq = 0;
  uint32_t vocab = 0;
  bool double_separator = false;  // BPE and Unigram: <s> A </s></s> B </s>, all type 0
};

std::vector<Target>* targets = nullptr;

void add_target(edgebert::convert::AlignedBytes bytes, uint32_t max_seq, uint32_t vocab,
                bool double_separator) {
  Target& t = targets->emplace_back();
  t.bytes = std::move(bytes);
  t.max_seq = max_seq;
  t.vocab = vocab;
  t.double_separator = double_separator;
  if (eb_model_init(&t.model, t.bytes.data(), t.bytes.size(), nullptr) != EB_OK) std::abort();
  t.arena.resize(eb_arena_size(&t.model, max_seq, 1));
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  if (eb_session_init(&t.session, &t.model, &options, t.arena.data(), t.arena.size(), nullptr) !=
      EB_OK) {
    std::abort();
  }
}

#define FUZZ_CHECK(condition) \
  do {                        \
    if (!(condition)) std::abort(); \
  } while (0)

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  targets = new std::vector<Target>();
  targets->reserve(8);
  edgebert::fb::ModelT int8 = edgebert::test::import_fixture("classifier");
  edgebert::convert::quantize_model(int8);
  // A 3-label classifier over the BPE fixture's 4,000 pieces.
  edgebert::convert::BertShape shape = edgebert::test::tiny_text_shape(4000, 64);
  shape.num_labels = 3;
  edgebert::fb::ModelT bpe = edgebert::convert::random_bert(shape, 7);
  bpe.tokenizer = edgebert::convert::read_byte_level_bpe(
      edgebert::test::fixture_path("tokenizer/bpe"), shape.vocab_size);
  edgebert::fb::ModelT unigram = edgebert::convert::random_bert(shape, 8);
  unigram.tokenizer = edgebert::convert::read_unigram(
      edgebert::test::fixture_path("tokenizer/unigram"), shape.vocab_size);
  for (uint32_t max_seq : {64u, 6u}) {
    add_target(edgebert::test::packed_fixture("classifier"), max_seq, 128, false);
    add_target(edgebert::convert::pack_model(int8), max_seq, 128, false);
    add_target(edgebert::convert::pack_model(bpe), max_seq, 4000, true);
    add_target(edgebert::convert::pack_model(unigram), max_seq, 4000, true);
  }
  return 0;
}

// Input: one flags byte (bits 0-1 pick the WordPiece target, or the BPE one when bit 3 is set,
// the Unigram one when bit 5 is; bit 2 = text pair, bit 4 = the short max_seq for BPE and
// Unigram; next byte = where the pair splits), then the text bytes.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Targets: WordPiece fp32, int8, BPE, Unigram at max_seq 64, then the same at 6; bits 0-1
  // keep their meaning of the first corpus (fp32 / int8 at 64, then at 6).
  static const size_t kWordPiece[4] = {0, 1, 4, 5};
  const size_t short_seq = (data[0] & 16) ? 4 : 0;
  const size_t pick = (data[0] & 32)  ? 3 + short_seq
                      : (data[0] & 8) ? 2 + short_seq
                                      : kWordPiece[data[0] & 3];
  Target& t = (*targets)[pick];
  const bool pair = (data[0] & 4) != 0;
  const char* text = reinterpret_cast<const char*>(data + 2);
  const size_t bytes = size - 2;
  const size_t split = pair ? bytes * data[1] / 255 : bytes;
  const char* text_b = pair ? text + split : nullptr;
  const size_t text_b_bytes = pair ? bytes - split : 0;

  eb_classification result;
  eb_error error;
  const eb_status status =
      eb_session_classify_text(t.session, text, split, text_b, text_b_bytes, &result, &error);
  FUZZ_CHECK(status == EB_OK);  // any bytes are valid text (invalid UTF-8 is replaced)
  FUZZ_CHECK(result.num_labels == 3 && result.label >= 0 && result.label < 3);
  double sum = 0;
  for (size_t i = 0; i < result.num_labels; ++i) {
    FUZZ_CHECK(std::isfinite(result.probabilities[i]));
    sum += result.probabilities[i];
  }
  FUZZ_CHECK(std::fabs(sum - 1.0) < 1e-4);

  eb_tokens tokens;
  eb_session_tokens(t.session, &tokens);
  FUZZ_CHECK(tokens.count >= 2 && tokens.count <= t.max_seq);
  FUZZ_CHECK(tokens.sequence[0] == -1 && tokens.sequence[tokens.count - 1] == -1);
  // Types: 0 up to the first [SEP], 1 after it (WordPiece pairs only; BPE, Unigram: all 0). A
  // BPE or Unigram pair has </s></s> between its texts.
  size_t first_sep = 1;
  while (first_sep < tokens.count && tokens.sequence[first_sep] != -1) ++first_sep;
  FUZZ_CHECK(first_sep < tokens.count);
  if (pair && t.double_separator) FUZZ_CHECK(first_sep + 1 < tokens.count && tokens.sequence[first_sep + 1] == -1);
  uint32_t last_end[2] = {0, 0};
  for (size_t i = 0; i < tokens.count; ++i) {
    FUZZ_CHECK(tokens.ids[i] >= 0 && static_cast<uint32_t>(tokens.ids[i]) < t.vocab);
    const uint32_t begin = tokens.offsets[2 * i], end = tokens.offsets[2 * i + 1];
    const size_t limit = tokens.sequence[i] == 1 ? text_b_bytes : split;
    FUZZ_CHECK(begin <= end && end <= limit);
    // Spans never go backwards within a text (BPE pieces of one character share its span, so
    // do Unigram pieces of one normalized character).
    if (tokens.sequence[i] >= 0) {
      FUZZ_CHECK(end >= last_end[tokens.sequence[i]] || begin == end);
      if (begin < end) last_end[tokens.sequence[i]] = end;
    }
    FUZZ_CHECK(tokens.token_type_ids[i] == ((pair && !t.double_separator && i > first_sep) ? 1 : 0));
    FUZZ_CHECK(tokens.attention_mask[i] == 1);
  }
  return 0;
}
