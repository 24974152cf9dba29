// Thin header-only C++17 wrapper over edgebert.h. No exceptions: calls return eb_status.
//
// Ownership: Model views caller bytes (which must outlive it); Session lives in a caller arena
// (which must outlive it). Neither allocates.
#ifndef EDGEBERT_EDGEBERT_HPP_
#define EDGEBERT_EDGEBERT_HPP_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgebert/edgebert.h"

namespace edgebert {

class Model {
 public:
  /// Verifies and views `size` bytes at `data` (see eb_model_init).
  eb_status init(const void* data, size_t size, eb_error* error = nullptr) {
    return eb_model_init(&model_, data, size, error);
  }
  /// Reads every int8 weight against the file's claims (see eb_model_check_weights).
  eb_status check_weights(eb_error* error = nullptr) const {
    return eb_model_check_weights(&model_, error);
  }
  eb_model_info info() const {
    eb_model_info info;
    eb_model_get_info(&model_, &info);
    return info;
  }
  /// Exact arena bytes for a session (see eb_arena_size).
  size_t arena_size(uint32_t max_seq = 0, uint32_t threads = 1) const {
    return eb_arena_size(&model_, max_seq, threads);
  }
  /// Exact arena bytes for a session with these options (see eb_session_arena_size).
  size_t arena_size(const eb_session_options& options) const {
    return eb_session_arena_size(&model_, &options);
  }
  const char* label(uint32_t index) const { return eb_model_label(&model_, index); }
  const eb_model* get() const { return &model_; }

 private:
  eb_model model_{};
};

/// A view of one output: `size` floats at `data` (nullptr / 0 if unavailable).
struct OutputView {
  const float* data;
  size_t size;
  const float* begin() const { return data; }
  const float* end() const { return data + size; }
};

class Session {
 public:
  eb_status init(const Model& model, void* arena, size_t arena_bytes,
                 const eb_session_options& options = eb_session_options_default(),
                 eb_error* error = nullptr) {
    return eb_session_init(&session_, model.get(), &options, arena, arena_bytes, error);
  }
  /// Runs one sequence; token_type_ids and attention_mask may be nullptr.
  eb_status run(const int32_t* input_ids, size_t num_tokens,
                const int32_t* token_type_ids = nullptr, const int32_t* attention_mask = nullptr,
                eb_error* error = nullptr) {
    const eb_input input{input_ids, token_type_ids, attention_mask, num_tokens};
    return eb_session_run(session_, &input, error);
  }
  OutputView output(eb_output which) const {
    size_t count = 0;
    const float* data = eb_session_output(session_, which, &count);
    return OutputView{data, count};
  }
  int32_t label() const { return eb_session_label(session_); }
  /// Inside an op observer called for a layer's "attention" step: one head's map of a sequence
  /// of the run in progress (eb_session_attention).
  eb_status attention(size_t sequence, uint32_t head, float* out, size_t capacity,
                      size_t* tokens = nullptr, eb_error* error = nullptr) const {
    return eb_session_attention(session_, sequence, head, out, capacity, tokens, error);
  }

  /// Text calls (see edgebert.h "Tasks"): results into caller arrays, `*count` = how many exist.
  eb_status classify(std::string_view text, eb_classification* result, eb_error* error = nullptr) {
    return eb_session_classify_text(session_, text.data(), text.size(), nullptr, 0, result, error);
  }
  eb_status answer(std::string_view question, std::string_view context, eb_answer* answers,
                   size_t capacity, size_t* count,
                   const eb_answer_options& options = eb_answer_options_default(),
                   eb_error* error = nullptr) {
    return eb_session_answer(session_, question.data(), question.size(), context.data(),
                             context.size(), &options, answers, capacity, count, error);
  }
  eb_status tag(std::string_view text, eb_entity* entities, size_t capacity, size_t* count,
                const eb_tag_options& options = eb_tag_options_default(),
                eb_error* error = nullptr) {
    return eb_session_tag(session_, text.data(), text.size(), &options, entities, capacity, count,
                          error);
  }
  eb_status fill_mask(std::string_view text, uint32_t top_k, eb_token_score* out, size_t capacity,
                      size_t* count, eb_error* error = nullptr) {
    return eb_session_fill_mask(session_, text.data(), text.size(), top_k, out, capacity, count,
                                error);
  }
  eb_status score(std::string_view query, const char* const* passages,
                  const size_t* passage_bytes, size_t count, float* logits,
                  float* probabilities = nullptr, eb_error* error = nullptr) {
    return eb_session_score(session_, query.data(), query.size(), passages, passage_bytes, count,
                            logits, probabilities, error);
  }
  eb_session* get() const { return session_; }

 private:
  eb_session* session_ = nullptr;
};

}  // namespace edgebert

#endif  // EDGEBERT_EDGEBERT_HPP_
