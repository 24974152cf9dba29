// Fuzzes the task calls with arbitrary bytes and options: question answering (short windows,
// any stride, top-k, no-answer), tagging (every aggregation), fill-mask, and batched
// cross-encoder scores, on the task fixtures at short max_seq (every window and truncation
// path), BERT with WordPiece (tests/fixtures/tasks) and RoBERTa with byte-level BPE
// (tests/fixtures/tasks_roberta). Checks the documented invariants of every result; refusals
// must be the documented ones.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgebert/edgebert.h"
#include "test_support.h"

namespace {

struct Target {
  edgebert::convert::AlignedBytes bytes;
  eb_model model;
  std::vector<uint8_t> arena;
  eb_session* session = nullptr;
  uint32_t max_seq = 0;
  uint32_t vocab = 0;
  const char* mask = nullptr;  // the mask token's text
};

std::vector<Target>* targets = nullptr;

#define FUZZ_CHECK(condition) \
  do {                        \
    if (!(condition)) std::abort(); \
  } while (0)

void add_target(const std::string& family, const char* task, uint32_t max_seq,
                uint32_t max_batch) {
  Target& t = targets->emplace_back();
  edgebert::convert::ImportOptions import;
  import.dir = edgebert::test::fixture_path(family + "/" + task);
  edgebert::fb::ModelT spec = edgebert::convert::import_hf(import);
  t.vocab = spec.config->vocab_size;
  t.mask = family == "tasks" ? " [MASK] " : " <mask> ";
  t.bytes = edgebert::convert::pack_model(spec);
  t.max_seq = max_seq;
  FUZZ_CHECK(eb_model_init(&t.model, t.bytes.data(), t.bytes.size(), nullptr) == EB_OK);
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  options.max_batch = max_batch;
  t.arena.resize(eb_session_arena_size(&t.model, &options));
  FUZZ_CHECK(eb_session_init(&t.session, &t.model, &options, t.arena.data(), t.arena.size(),
                             nullptr) == EB_OK);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  targets = new std::vector<Target>();
  targets->reserve(8);
  for (const char* family : {"tasks", "tasks_roberta"}) {
    add_target(family, "qa", 24, 1);
    add_target(family, "tagger", 16, 1);
    add_target(family, "mlm", 16, 1);
    add_target(family, "reranker", 16, 3);
  }
  return 0;
}

// Input: byte 0 = task (bits 0-1), option bits (2-4) and family (bit 5: RoBERTa), byte 1 =
// where the text splits in two (question / context, query / passages), byte 2 = a number option
// (top_k, stride), then text.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  Target& t = (*targets)[(data[0] & 3) + ((data[0] & 32) ? 4 : 0)];
  const uint8_t option = data[2];
  const char* text = reinterpret_cast<const char*>(data + 3);
  const size_t bytes = size - 3;
  const size_t split = bytes * data[1] / 255;
  eb_error error;
  size_t count = 0;
  switch (data[0] & 3) {
    case 0: {  // answer
      eb_answer_options o = eb_answer_options_default();
      o.top_k = 1 + option % 5;
      o.max_answer_len = 1 + (option >> 3) % 20;
      o.doc_stride = (data[0] & 4) ? EB_DOC_STRIDE_AUTO : (option >> 2) % 30;
      o.handle_impossible_answer = (data[0] >> 3) & 1;
      o.align_to_words = (data[0] >> 4) & 1;
      eb_answer answers[5];
      const size_t context_bytes = bytes - split;
      const eb_status status = eb_session_answer(t.session, text, split, text + split,
                                                 context_bytes, &o, answers, 5, &count, &error);
      FUZZ_CHECK(status == EB_OK || status == EB_ERROR_INVALID_INPUT ||
                 status == EB_ERROR_INVALID_ARGUMENT);
      if (status != EB_OK) break;
      FUZZ_CHECK(count <= o.top_k);
      for (size_t i = 0; i < count; ++i) {
        FUZZ_CHECK(answers[i].score >= 0.0f && answers[i].score <= 1.0f);
        FUZZ_CHECK(answers[i].start <= answers[i].end && answers[i].end <= context_bytes);
        FUZZ_CHECK(i == 0 || answers[i - 1].score >= answers[i].score);
      }
      break;
    }
    case 1: {  // tag
      eb_tag_options o = eb_tag_options_default();
      o.aggregation = static_cast<eb_aggregation>(option % 5);
      if (data[0] & 4) o.ignore_label = nullptr;
      eb_entity entities[16];
      FUZZ_CHECK(eb_session_tag(t.session, text, bytes, &o, entities, 16, &count, &error) == EB_OK);
      FUZZ_CHECK(count <= t.max_seq);
      for (size_t i = 0; i < count && i < 16; ++i) {
        FUZZ_CHECK(entities[i].start <= entities[i].end && entities[i].end <= bytes);
        FUZZ_CHECK(entities[i].score >= 0.0f && entities[i].score <= 1.0f);
        FUZZ_CHECK(entities[i].label != nullptr && entities[i].tokens >= 1);
        FUZZ_CHECK(i == 0 || entities[i - 1].start <= entities[i].start);
      }
      break;
    }
    case 2: {  // fill-mask: the text with the mask token put at the split when the flag says so
      std::string masked(text, bytes);
      if (data[0] & 4) masked.insert(split, t.mask);
      const uint32_t top_k = 1 + option % 8;
      eb_token_score out[16];
      const eb_status status = eb_session_fill_mask(t.session, masked.data(), masked.size(), top_k,
                                                    out, 16, &count, &error);
      FUZZ_CHECK(status == EB_OK || status == EB_ERROR_INVALID_INPUT);
      if (status != EB_OK) break;
      FUZZ_CHECK(count % top_k == 0 && count >= top_k);
      for (size_t i = 0; i < count && i < 16 / top_k * top_k; ++i) {
        FUZZ_CHECK(out[i].probability >= 0.0f && out[i].probability <= 1.0f);
        FUZZ_CHECK(out[i].token >= 0 && static_cast<uint32_t>(out[i].token) < t.vocab);
        FUZZ_CHECK(i % top_k == 0 || out[i - 1].probability >= out[i].probability);
      }
      break;
    }
    default: {  // scores: the rest cut into up to 5 passages
      const char* passages[5];
      size_t lengths[5];
      const size_t n = 1 + option % 5;
      const size_t rest = bytes - split;
      for (size_t i = 0; i < n; ++i) {
        passages[i] = text + split + rest * i / n;
        lengths[i] = rest * (i + 1) / n - rest * i / n;
      }
      float logits[5], probabilities[5];
      FUZZ_CHECK(eb_session_score(t.session, text, split, passages, lengths, n, logits,
                                  probabilities, &error) == EB_OK);
      for (size_t i = 0; i < n; ++i) {
        FUZZ_CHECK(std::isfinite(logits[i]));
        FUZZ_CHECK(probabilities[i] >= 0.0f && probabilities[i] <= 1.0f);
      }
      break;
    }
  }
  return 0;
}
