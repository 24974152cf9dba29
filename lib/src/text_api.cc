// C API for text input: tokenize, run, classify, embed (see edgebert.h).
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstring>

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
  const size_t needed = text_b != nullptr ? pair_special_tokens(s->tokenizer) : 2;
  if (s->max_seq < needed) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "max_seq %" PRIu32 " leaves no room for text",
                s->max_seq);
  }
  return EB_OK;
}

const eb_input& batch_slot(eb_session* s, size_t j) {
  const Encoding& e = s->encoding;
  eb_input& input = s->batch_inputs[j];
  if (s->max_batch > 1) {
    int32_t* ids = s->batch_ids + j * s->max_seq;
    int32_t* types = s->batch_types + j * s->max_seq;
    std::memcpy(ids, e.ids, e.count * sizeof(int32_t));
    std::memcpy(types, e.type_ids, e.count * sizeof(int32_t));
    input = eb_input{ids, types, nullptr, e.count};
  } else {
    input = eb_input{e.ids, e.type_ids, nullptr, e.count};
  }
  return input;
}

}  // namespace edgebert

using edgebert::batch_slot;
using edgebert::check_text;

namespace {

// Reads `text` window by window (room = max_seq - 2 tokens, windows starting every
// room - stride tokens until one reaches the end), max_batch windows per run, and calls
// add(j) for window j of each run's batch once it ran. *windows = the windows read.
template <typename Add>
eb_status run_windows(eb_session* s, const char* text, size_t bytes, uint32_t stride,
                      size_t* windows, Add add, eb_error* error) {
  using namespace edgebert;
  eb_status status = check_text(s, text, bytes, nullptr, 0, error);
  if (status != EB_OK) return status;
  static const char kEmpty[1] = {0};
  const auto* data = reinterpret_cast<const uint8_t*>(text != nullptr ? text : kEmpty);
  const TokenizerTables& t = s->tokenizer;
  const TokenizerScratch& scratch = s->tokenizer_scratch;
  const size_t n = tokenize_text(t, scratch, data, bytes, scratch.first, 0, true);
  const size_t room = s->max_seq - 2;
  if (n > room && stride >= room) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "stride %" PRIu32
                " must be less than the %zu tokens a "
                "window holds (max_seq - 2)",
                stride, room);
  }
  const size_t step = n > room ? room - stride : (room > 0 ? room : 1);
  size_t count = 0, in_batch = 0;
  for (size_t begin = 0;; begin += step) {
    const size_t length = n - begin < room ? n - begin : room;
    tokenize_text(t, scratch, data, bytes, scratch.first, length, false, begin);
    assemble(t, scratch.first, length, nullptr, 0, false, &s->encoding);
    s->observe("tokenize");
    batch_slot(s, in_batch);
    ++in_batch;
    ++count;
    const bool last = begin + length >= n;
    if (in_batch == s->max_batch || last) {
      if ((status = eb_session_run_batch(s, s->batch_inputs, in_batch, error)) != EB_OK) {
        return status;
      }
      for (size_t j = 0; j < in_batch; ++j) add(j);
      in_batch = 0;
    }
    if (last) break;
  }
  if (windows != nullptr) *windows = count;
  return EB_OK;
}

}  // namespace

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

eb_status eb_session_classify_long(eb_session* s, const char* text, size_t text_bytes,
                                   uint32_t stride, eb_classification* result, size_t* windows,
                                   eb_error* error) {
  if (result == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "result is NULL");
  *result = eb_classification{-1, nullptr, nullptr, 0};
  if (windows != nullptr) *windows = 0;
  if (s == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (s->buffers.logits == nullptr) {
    return fail(error, EB_ERROR_UNSUPPORTED, "model is not a classifier");
  }
  const size_t L = s->model->dims.num_labels;
  float* mean = s->window_sums + s->model->dims.hidden;  // (L)
  float* probabilities = mean + L;                        // (L)
  size_t count = 0;
  for (size_t i = 0; i < L; ++i) mean[i] = 0.0f;
  const eb_status status = run_windows(s, text, text_bytes, stride, &count, [&](size_t j) {
    for (size_t i = 0; i < L; ++i) mean[i] += s->buffers.logits[j * L + i];
  }, error);
  if (status != EB_OK) return status;
  for (size_t i = 0; i < L; ++i) mean[i] /= static_cast<float>(count);
  edgebert::classification_probabilities(*s->model, mean, L, probabilities);
  int32_t best = 0;
  for (size_t i = 1; i < L; ++i) best = mean[i] > mean[best] ? static_cast<int32_t>(i) : best;
  result->label = best;
  result->label_name = s->model->root->task()->labels()->Get(static_cast<uint32_t>(best))->c_str();
  result->probabilities = probabilities;
  result->num_labels = L;
  if (windows != nullptr) *windows = count;
  return EB_OK;
}

eb_status eb_session_embed_long(eb_session* s, const char* text, size_t text_bytes,
                                uint32_t stride, const float** embedding, size_t* dimension,
                                size_t* windows, eb_error* error) {
  if (embedding == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "embedding is NULL");
  *embedding = nullptr;
  if (windows != nullptr) *windows = 0;
  if (s == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  const size_t H = s->model->dims.hidden;
  float* mean = s->window_sums;  // (H)
  for (size_t i = 0; i < H; ++i) mean[i] = 0.0f;
  size_t count = 0;
  const eb_status status = run_windows(s, text, text_bytes, stride, &count, [&](size_t j) {
    for (size_t i = 0; i < H; ++i) mean[i] += s->buffers.embedding[j * H + i];
  }, error);
  if (status != EB_OK) return status;
  for (size_t i = 0; i < H; ++i) mean[i] /= static_cast<float>(count);
  if (count > 1 && s->model->normalize) {
    double norm = 0.0;
    for (size_t i = 0; i < H; ++i) norm += static_cast<double>(mean[i]) * mean[i];
    const float inv = norm > 0.0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
    for (size_t i = 0; i < H; ++i) mean[i] *= inv;
  }
  *embedding = mean;
  if (dimension != nullptr) *dimension = H;
  if (windows != nullptr) *windows = count;
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
