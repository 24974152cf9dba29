// C API for text input: tokenize, run, classify, embed (see edgebert.h).
#include <cstdint>

#include "edgebert/edgebert.h"
#include "error.h"
#include "session.h"
#include "text_input.h"

using edgebert::fail;

namespace edgebert {

eb_status check_text(const eb_session* s, const char* text, size_t bytes, const char* text_b,
                     size_t bytes_b, eb_error* error) {
  if (s == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (!s->has_tokenizer) {
    return fail(error, EB_ERROR_UNSUPPORTED, "model has no tokenizer: pass token ids instead");
  }
  if ((text == nullptr && bytes > 0) || (text_b == nullptr && bytes_b > 0)) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "text is NULL but its length is not 0");
  }
  if (bytes > UINT32_MAX || bytes_b > UINT32_MAX) {
    return fail(error, EB_ERROR_INVALID_INPUT, "text longer than 4 GiB");
  }
  const uint32_t needed = text_b != nullptr ? 3 : 2;
  if (s->max_seq < needed) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "max_seq %u leaves no room for text", s->max_seq);
  }
  return EB_OK;
}

}  // namespace edgebert

using edgebert::check_text;

extern "C" {

eb_status eb_session_tokenize(eb_session* s, const char* text, size_t text_bytes,
                              const char* text_b, size_t text_b_bytes, eb_error* error) {
  const eb_status status = check_text(s, text, text_bytes, text_b, text_b_bytes, error);
  if (status != EB_OK) return status;
  static const char kEmpty[1] = {0};
  edgebert::encode(s->tokenizer, s->tokenizer_scratch,
                   reinterpret_cast<const uint8_t*>(text != nullptr ? text : kEmpty), text_bytes,
                   reinterpret_cast<const uint8_t*>(text_b), text_b_bytes, s->max_seq,
                   &s->encoding);
  s->observe("tokenize");
  return edgebert::ok(error);
}

void eb_session_tokens(const eb_session* s, eb_tokens* tokens) {
  if (tokens == nullptr) return;
  *tokens = eb_tokens{};
  if (s == nullptr || !s->has_tokenizer) return;
  const edgebert::Encoding& e = s->encoding;
  *tokens = eb_tokens{e.ids, e.type_ids, e.mask, e.offsets, e.sequence, e.count};
}

eb_status eb_session_run_text(eb_session* s, const char* text, size_t text_bytes,
                              const char* text_b, size_t text_b_bytes, eb_error* error) {
  const eb_status status = eb_session_tokenize(s, text, text_bytes, text_b, text_b_bytes, error);
  if (status != EB_OK) return status;
  const eb_input input{s->encoding.ids, s->encoding.type_ids, nullptr, s->encoding.count};
  return eb_session_run(s, &input, error);
}

eb_status eb_session_classify_text(eb_session* s, const char* text, size_t text_bytes,
                                   const char* text_b, size_t text_b_bytes,
                                   eb_classification* result, eb_error* error) {
  if (result == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "result is NULL");
  *result = eb_classification{-1, nullptr, nullptr, 0};
  if (s != nullptr && s->buffers.logits == nullptr) {
    return fail(error, EB_ERROR_UNSUPPORTED, "model is not a classifier");
  }
  const eb_status status = eb_session_run_text(s, text, text_bytes, text_b, text_b_bytes, error);
  if (status != EB_OK) return status;
  result->label = s->last_label;
  result->label_name = s->model->root->task()->labels()->Get(static_cast<uint32_t>(s->last_label))->c_str();
  result->probabilities = s->buffers.probabilities;
  result->num_labels = s->model->dims.num_labels;
  return EB_OK;
}

eb_status eb_session_embed_text(eb_session* s, const char* text, size_t text_bytes,
                                const float** embedding, size_t* dimension, eb_error* error) {
  if (embedding == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "embedding is NULL");
  *embedding = nullptr;
  const eb_status status = eb_session_run_text(s, text, text_bytes, nullptr, 0, error);
  if (status != EB_OK) return status;
  *embedding = eb_session_output(s, EB_OUTPUT_EMBEDDING, dimension);
  return EB_OK;
}

}  // extern "C"
