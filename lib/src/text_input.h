// Checks shared by the text calls (text_api.cc) and the task calls (task_api.cc).
#ifndef EDGEBERT_SRC_TEXT_INPUT_H_
#define EDGEBERT_SRC_TEXT_INPUT_H_

#include <cstddef>

#include "edgebert/edgebert.h"

namespace edgebert {

// A session with a tokenizer, texts that are NULL only when empty and under 4 GiB, and a
// max_seq with room for [CLS] text [SEP] (text_b [SEP]).
eb_status check_text(const eb_session* s, const char* text, size_t bytes, const char* text_b,
                     size_t bytes_b, eb_error* error);

// The session's current tokenization as sequence `j` of a batch: copied into row j of the batch
// encodings when the session batches (the next tokenization overwrites the encoding), else the
// encoding itself. Fills s->batch_inputs[j] and returns it.
const eb_input& batch_slot(eb_session* s, size_t j);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_TEXT_INPUT_H_
