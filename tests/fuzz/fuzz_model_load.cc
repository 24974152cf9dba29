// Fuzzes the model loader with arbitrary bytes: eb_model_init must refuse them with an error or
// accept them, and an accepted model must then plan, place and run a session (ids and, with a
// tokenizer, text) without any sanitizer report.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "edgebert/edgebert.h"

namespace {

constexpr size_t kMaxArena = size_t{256} << 20;  // skip plans a fuzzer input inflates beyond this
constexpr uint32_t kMaxSeq = 12;                  // keep each run short

void run_model(const eb_model& model) {
  eb_model_info info;
  eb_model_get_info(&model, &info);
  const uint32_t max_seq = info.max_seq < kMaxSeq ? info.max_seq : kMaxSeq;
  const size_t arena_bytes = eb_arena_size(&model, max_seq, 1);
  if (arena_bytes == 0 || arena_bytes > kMaxArena) return;
  void* arena = std::malloc(arena_bytes);
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  eb_session* session = nullptr;
  eb_error error;
  if (eb_session_init(&session, &model, &options, arena, arena_bytes, &error) != EB_OK) {
    std::abort();  // a model the loader accepted must get a session in the arena it asked for
  }
  int32_t ids[kMaxSeq];
  for (uint32_t i = 0; i < max_seq; ++i) ids[i] = static_cast<int32_t>(i % info.vocab_size);
  const eb_input input{ids, nullptr, nullptr, max_seq};
  eb_session_run(session, &input, &error);
  size_t count = 0;
  for (int which = EB_OUTPUT_LAST_HIDDEN; which <= EB_OUTPUT_EMBEDDING; ++which) {
    const float* out = eb_session_output(session, static_cast<eb_output>(which), &count);
    volatile float sink = 0;
    for (size_t i = 0; out != nullptr && i < count; ++i) sink = sink + out[i];
  }
  if (info.has_tokenizer) {
    static const char kText[] = "Hello, world! caf\xc3\xa9 ##ing [SEP]";
    eb_session_run_text(session, kText, sizeof kText - 1, "b", 1, &error);
  }
  for (uint32_t i = 0; i < info.num_labels + 1; ++i) eb_model_label(&model, i);
  eb_model_token(&model, 0);
  eb_model_token(&model, static_cast<int32_t>(info.vocab_size));
  std::free(arena);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Models are read in place from EB_MODEL_ALIGNMENT-aligned bytes. posix_memalign takes the exact
  // size, so ASan flags any read even one byte past the model's end.
  void* bytes = nullptr;
  if (posix_memalign(&bytes, EB_MODEL_ALIGNMENT, size ? size : 1) != 0) std::abort();
  if (size > 0) std::memcpy(bytes, data, size);
  eb_model model;
  eb_error error;
  // Runs what init accepts, whatever the full weight check says: an unchecked bad weight may give
  // wrong numbers but must never read or write out of bounds (ASan).
  if (eb_model_init(&model, bytes, size, &error) == EB_OK) {
    eb_model_check_weights(&model, &error);
    run_model(model);
  }
  std::free(bytes);
  return 0;
}
