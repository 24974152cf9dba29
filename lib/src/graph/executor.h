// Executors: the op table the BERT graph (graph/bert_graph.h) runs on. The graph says what is
// computed and in which order; an executor says how: the fp32 oracle (executors/
// oracle_executor.h), the native int8 kernel sets (executors/native_executor.h), XNNPACK
// (executors/xnnpack_executor.h) and the converter's calibration pass are the four. Each states
// its numerics where it is defined.
//
// The table is plain function pointers over the executor's own state (`self`), TFLite Micro
// style: the runtime has no virtual tables (tests/lib/hygiene_test.sh). executor_of(&x) builds
// it from a struct with the three member functions.
//
// Ops the graph runs itself, the same for every executor, are not in the table: the embedding
// gather, the element-wise activations other than exact GELU (tanh GELU, ReLU, the pooler's
// tanh), pooling, softmax (graph/bert_graph.cc).
#ifndef EDGEBERT_SRC_GRAPH_EXECUTOR_H_
#define EDGEBERT_SRC_GRAPH_EXECUTOR_H_

#include <cstddef>
#include <cstdint>

#include "edgebert/edgebert.h"
#include "bert_layout.h"
#include "epilogue.h"
#include "../model.h"

namespace edgebert {

// The session's optional profiling hook (eb_session_options.op_observer): a call after each step.
struct OpObserver {
  void (*fn)(void* user, const char* op, int32_t layer) = nullptr;
  void* user = nullptr;
  void operator()(const char* op, int32_t layer = -1) const {
    if (fn != nullptr) fn(user, op, layer);
  }
};

// out (rows, N) = epilogue(in (rows, K) W^T + bias [+ residual (rows, N)]), W (N, K) the
// weights of dense layer `id` (graph/bert_layout.h), resolved by the graph.
struct DenseCall {
  DenseId id;
  const DenseWeights* weights;
  size_t n, k;
  float* out;
  const float* in;
  size_t rows;
  Epilogue epilogue;
  const float* residual;  // BiasResidual only; never aliases out
  // `in` holds exactly the previous dense call's input (Q, K and V read the same hidden
  // states): an executor that transforms its input (quantizes it) may reuse that work.
  bool same_input;
};

// One input sequence (of a run's GraphInput).
struct GraphSequence {
  const int32_t* ids;    // (S) in [0, vocab_size)
  const int32_t* types;  // (S) in [0, type_vocab_size), or null (all 0)
  const int32_t* mask;   // (S) 0 or 1, at least one 1; or null (all attend)
  size_t s;
};

// context (S, A) = per head h, softmax(q_h k_h^T / sqrt(head_dim) + mask) v_h; masked keys
// (mask[j] == 0) get weight exactly 0; mask may be null (every key attends).
// Attention of `count` sequences whose rows lie back to back in q, k, v and context (A floats
// a row), each attending within itself under its own mask. One call for the whole batch lets
// an executor spread (sequence, head) pairs over its threads at once.
struct AttentionCall {
  float* context;
  const float* q;
  const float* k;
  const float* v;
  const GraphSequence* sequences;
  size_t count;
};

struct Executor {
  void* self;
  // Fails only where the executor calls a library that can (XNNPACK); `error` says which layer.
  eb_status (*dense)(void* self, const DenseCall& call, eb_error* error);
  void (*attention)(void* self, const AttentionCall& call);
  // x (rows, norm.width) <- LayerNorm(x) * gamma + beta (biased variance, eps inside the square
  // root).
  void (*layer_norm)(void* self, float* x, const LayerNormWeights& norm, size_t rows);
};

// The table of `x`, a struct with dense(call, error), attention(call), layer_norm(x, norm, rows).
template <typename T>
Executor executor_of(T* x) {
  return Executor{
      x,
      [](void* self, const DenseCall& call, eb_error* error) {
        return static_cast<T*>(self)->dense(call, error);
      },
      [](void* self, const AttentionCall& call) { static_cast<T*>(self)->attention(call); },
      [](void* self, float* data, const LayerNormWeights& norm, size_t rows) {
        static_cast<T*>(self)->layer_norm(data, norm, rows);
      }};
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_EXECUTOR_H_
