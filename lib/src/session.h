// Session: one inference context placed inside the caller's arena.
//
// Arena layout (one caller buffer of eb_arena_size() bytes, any alignment):
//
//   arena ─► | pad <64 B | head: planned activations and scratch      | tail: persistent       |
//            |           | buffers at the memory plan's offsets; two  | eb_session             |
//            |           | buffers share bytes when their lifetimes   | LayerWeights[layers]   |
//            |           | are disjoint (memory_plan.h)               | GraphSequence[batch]   |
//            |           |                                            | eb_input[batch]        |
//            |           |                                            | window sums            |
//            |           |                                            | XNNPACK region (if so) |
//
// Every block starts on a 64-byte boundary (cache line, widest SIMD load). The plan is made for
// the session's max_seq; runs at S < max_seq use the same blocks.
#ifndef EDGEBERT_SRC_SESSION_H_
#define EDGEBERT_SRC_SESSION_H_

#include <cstddef>
#include <cstdint>

#include "executors/native_executor.h"
#include "executors/oracle_executor.h"
#include "executors/xnnpack_executor.h"
#include "graph/bert_graph.h"
#include "graph/executor.h"
#include "kernels/kernels.h"
#include "session_plan.h"
#include "model.h"
#include "tokenizer/tokenizer.h"

namespace edgebert {

constexpr size_t kArenaAlignment = 64;
constexpr uint32_t kMaxBatch = 256;  // sequences of one run (eb_session_options.max_batch)

// Byte offsets relative to the aligned arena base, and the total to request.
struct ArenaPlan {
  MemoryPlan head;         // activations and scratch, offsets from the base
  size_t session, layers;  // tail: persistent
  size_t sequences;        // tail: GraphSequence[max_batch], a run's inputs
  size_t batch_inputs;     // tail: eb_input[max_batch], the batches eb_session_score forms
  size_t window_sums;      // tail: (hidden + 2 num_labels) floats, long texts' window means
  size_t xnnpack, xnnpack_bytes;  // tail: the XNNPACK provider's region (0 bytes: native)
  size_t total_bytes;      // includes kArenaAlignment - 1 bytes of slack for any arena alignment
};

ArenaPlan plan_arena(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                     uint32_t threads, eb_provider provider);

// The graph's observer when the caller set a hook (session.observe): notes whether the step is
// a layer's "attention" (eb_session_attention may then read it), calls the caller's hook, and
// clears the note (attention_api.cc).
void observe_step(void* session, const char* op, int32_t layer);

// The provider `requested` resolves to for `model` (AUTO decided here), or -1 if it cannot run
// the model in this build; `why` (may be null) then says why.
int resolve_provider(const ModelView& model, eb_provider requested, const char** why);

}  // namespace edgebert

// The C handle. Lives in the arena tail; all pointers point into the same arena or the model bytes.
struct eb_session {
  const edgebert::ModelView* model;
  edgebert::ModelWeights weights;
  const edgebert::KernelSet* kernels;  // the native executor's kernel set (also XNNPACK's)
  edgebert::GraphBuffers buffers;      // the graph's activations
  edgebert::OracleExecutor oracle;     // fp32 models on the native provider
  edgebert::NativeExecutor native;     // int8 models; attention and LayerNorm for XNNPACK
  edgebert::XnnpackSession* xnnpack;   // the XNNPACK executor's state, or nullptr
  edgebert::Executor executor;         // what runs the graph: one of the three above
  uint32_t max_seq;
  uint32_t max_batch;    // sequences one run takes (eb_session_run_batch)
  uint32_t threads;
  int32_t* batch_ids;    // (max_batch, max_seq) with max_batch > 1 and a tokenizer: the
  int32_t* batch_types;  // tokenizations eb_session_score gathers for one run; else null
  edgebert::GraphSequence* sequences;  // (max_batch) the inputs of the run in progress
  eb_input* batch_inputs;              // (max_batch) a batch eb_session_score hands to a run
  float* window_sums;  // (hidden + 2 num_labels): sums, then means, of a long text's windows
                       // (embedding, then logits and their probabilities)
  edgebert::OpObserver user_observer;  // the caller's hook (options.op_observer), or off
  edgebert::OpObserver observe;  // what the graph calls: off without a hook, else a wrapper that
                                 // notes the step (attention_layer), then calls user_observer
  int32_t attention_layer;       // while the hook is told of layer l's "attention" step: l (its
                                 // Q and K still live: eb_session_attention); else -1
  size_t running_sequences;      // sequences of the run in progress (sequences[0, n))
  eb_provider provider;          // NATIVE or XNNPACK (AUTO resolved at init)
  size_t last_tokens;    // tokens (rows of all sequences) of the last successful run, 0 before any
  size_t last_sequences;  // sequences of the last successful run
  int32_t last_label;
  size_t last_masks;     // masked LM: mask tokens of the last run (rows of buffers.mlm_hidden)
  float* mlm_logits;     // masked LM: (vocab_size) one masked row's decoder output
  bool has_tokenizer;
  edgebert::TokenizerTables tokenizer;
  edgebert::TokenizerScratch tokenizer_scratch;
  edgebert::Encoding encoding;  // last tokenization; count 0 before any
};

#endif  // EDGEBERT_SRC_SESSION_H_
