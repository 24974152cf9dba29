// What a session's arena head holds for a model: the buffers that the graph, the tokenizer and
// the executors the model can run on declare (each in its own module), planned by the generic
// planner (memory_plan.h). The session (session.cc), the C API's model init (which checks a
// stored plan) and the converter (which stores one) all use these.
#ifndef EDGEBERT_SRC_SESSION_PLAN_H_
#define EDGEBERT_SRC_SESSION_PLAN_H_

#include <cstddef>
#include <cstdint>

#include "memory_plan.h"
#include "model.h"

namespace edgebert {

// The buffers a forward pass of `model` over up to `max_batch` sequences of up to `max_seq`
// tokens on `threads` threads needs, in ArenaBuffer order: the graph's activations, the
// tokenizer's (models with a tokenizer; a batch's encodings), and the scratch of every executor
// the model can run on (fp32: the oracle and XNNPACK; int8: the native kernels and XNNPACK),
// whichever provider a session picks. Returns the count.
size_t required_buffers(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                        uint32_t threads, BufferSpec* out);

// Model init: a stored plan that matches what `model` needs at its max_seq but is unsound is
// EB_ERROR_INVALID_MODEL (error written); a missing or non-matching one is fine.
eb_status check_model_plan(const ModelView& model, eb_error* error);

// The plan a session uses: the model's stored plan when it is for exactly this max_seq and
// thread count and one sequence per run (the converter stores those), else a greedy plan
// computed here.
void session_plan(const ModelView& model, uint32_t max_seq, uint32_t max_batch, uint32_t threads,
                  MemoryPlan* plan);

// Bytes of a batch's encodings (token ids and types of max_batch sequences of max_seq) that
// eb_session_score gathers before one run; planned when max_batch > 1.
uint64_t batch_encoding_bytes(uint32_t max_seq, uint32_t max_batch);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_SESSION_PLAN_H_
