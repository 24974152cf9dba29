// Fuzzes the on-device text path (tokenizer + classification) with arbitrary bytes as text and
// text pairs, on the fp32 and int8 versions of the tiny classifier fixture, at the full max_seq
// and at a short one (truncation). Checks the documented invariants of every result.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "edgebert/edgebert.h"
#include "quantize.h"
#include "test_support.h"

namespace {

struct Target {
  edgebert::convert::AlignedBytes bytes;
  eb_model model;
  std::vector<uint8_t> arena;
  eb_session* session = nullptr;
  uint32_t max_seq = 0;
};

std::vector<Target>* targets = nullptr;

void add_target(edgebert::convert::AlignedBytes bytes, uint32_t max_seq) {
  Target& t = targets->emplace_back();
  t.bytes = std::move(bytes);
  t.max_seq = max_seq;
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
  targets->reserve(4);
  edgebert::fb::ModelT int8 = edgebert::test::import_fixture("classifier");
  edgebert::convert::quantize_model(int8);
  for (uint32_t max_seq : {64u, 6u}) {
    add_target(edgebert::test::packed_fixture("classifier"), max_seq);
    add_target(edgebert::convert::pack_model(int8), max_seq);
  }
  return 0;
}

// Input: one flags byte (bits 0-1 pick the target, bit 2 = text pair, next byte = where the pair
// splits), then the text bytes.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Target& t = (*targets)[data[0] & 3];
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
  // Types: 0 up to the first [SEP], 1 after it (pairs only).
  size_t first_sep = 1;
  while (first_sep < tokens.count && tokens.sequence[first_sep] != -1) ++first_sep;
  FUZZ_CHECK(first_sep < tokens.count);
  for (size_t i = 0; i < tokens.count; ++i) {
    FUZZ_CHECK(tokens.ids[i] >= 0 && tokens.ids[i] < 128);
    const uint32_t begin = tokens.offsets[2 * i], end = tokens.offsets[2 * i + 1];
    const size_t limit = tokens.sequence[i] == 1 ? text_b_bytes : split;
    FUZZ_CHECK(begin <= end && end <= limit);
    FUZZ_CHECK(tokens.token_type_ids[i] == ((pair && i > first_sep) ? 1 : 0));
    FUZZ_CHECK(tokens.attention_mask[i] == 1);
  }
  return 0;
}
