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

// The buffers a forward pass of `model` at up to `max_seq` tokens on `threads` threads needs, in
// ArenaBuffer order: the graph's activations, the tokenizer's (models with a tokenizer), and the
// scratch of every executor the model can run on (fp32: the oracle and XNNPACK; int8: the native
// kernels and XNNPACK), whichever provider a session picks. Returns the count.
size_t required_buffers(const ModelView& model, uint32_t max_seq, uint32_t threads,
                        BufferSpec* out);

// Model init: a stored plan that matches what `model` needs at its max_seq but is unsound is
// EB_ERROR_INVALID_MODEL (error written); a missing or non-matching one is fine.
eb_status check_model_plan(const ModelView& model, eb_error* error);

// The plan a session uses: the model's stored plan when it is for exactly this max_seq and
// thread count, else a greedy plan computed here.
void session_plan(const ModelView& model, uint32_t max_seq, uint32_t threads, MemoryPlan* plan);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_SESSION_PLAN_H_
