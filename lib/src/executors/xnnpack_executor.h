// The XNNPACK executor (EB_PROVIDER_XNNPACK): every dense layer of the graph runs as an XNNPACK
// fully connected operator — f32 for fp32 weights, qs8 for int8 weights quantized per tensor
// with calibrated static activation scales (x = (q - zero_point) * scale; XNNPACK requantizes
// in fp32) — then GELU (the kernels' polynomial) or the residual add; attention and LayerNorm
// run on the native executor's kernel set (XNNPACK 2022-02 has neither).
//
// Memory (docs/architecture.md): the executor owns one region of the arena tail,
//
//   | XnnpackSession | XnnpackDense[ops] | attention scratch | q_in | q_out | xnn heap ──►   ◄── unpack |
//
// XNNPACK allocates through the process-wide xnn_allocator installed by the first
// xnn_initialize(); ours bump-allocates from the region of the session being initialised on this
// thread (a thread-local pointer set only inside xnnpack_session_init) and falls back to
// malloc for anyone else's XNNPACK calls. Operators (and their packed weights) are created at
// session init and set up (sizes and pointers only; nothing allocates) at each operator's
// first run with a new row count or buffers; they are never deleted: they
// die with the arena. Other runs call xnn_run_operator only. `unpack` is transient: int8 weights
// are unpacked from K4N16 to row-major there for XNNPACK to pack them its own way.
#ifndef EDGEBERT_SRC_EXECUTORS_XNNPACK_EXECUTOR_H_
#define EDGEBERT_SRC_EXECUTORS_XNNPACK_EXECUTOR_H_

#include <cstddef>
#include <cstdint>

#include "native_executor.h"
#include "../graph/bert_graph.h"
#include "../model.h"

namespace edgebert {

// One XNNPACK fully connected operator and what its epilogue needs.
struct XnnpackDense {
  void* op;                     // xnn_operator_t
  size_t k, n;                  // input and output features
  bool int8;                    // qs8: quantize the input, dequantize the output
  float input_scale, output_scale;
  int8_t input_zero_point, output_zero_point;
  size_t setup_rows;    // rows the operator is set up for (0: not yet)
  const float* setup_in;  // fp32: the buffers it is set up with (int8: null, it uses q_in/q_out)
  float* setup_out;
};

struct XnnpackSession {
  XnnpackDense* ops;    // (num_layers * kDenseSlotsPerLayer) encoder slots, then the model
                        // slots' (model_dense_slots order)
  size_t count;
  size_t model_op[kModelSlots];  // index in `ops` of each model slot, or SIZE_MAX
  void* threadpool;     // pthreadpool_t or NULL
  NativeExecutor* native;  // runs attention and LayerNorm
  float* attention_scratch;  // fp32 models: attention_scratch_floats(max_seq, d) per head (int8
                             // ones plan it in the head); the native executor points at it
  int8_t* q_in;         // (max_batch x max_seq, widest input) + XNN_EXTRA_BYTES: qs8 input
  int8_t* q_out;        // (max_batch x max_seq, widest output) + XNN_EXTRA_BYTES: qs8 output
  size_t region_bytes;  // planned
  size_t used_bytes;    // taken by init, unpack scratch included (tests compare with the plan)

  // The executor's ops (graph/executor.h): a failed XNNPACK setup or run is an error naming
  // the layer, and the run stops there.
  eb_status dense(const DenseCall& call, eb_error* error);
  void attention(const AttentionCall& call);
  void layer_norm(float* x, const LayerNormWeights& norm, size_t rows);
};

// Whether this library was built with XNNPACK.
bool xnnpack_built();

// Bytes of the provider's arena region for `model` at `max_seq` tokens (an upper bound for
// XNNPACK's own allocations, checked by the tests against used_bytes).
size_t xnnpack_region_bytes(const ModelView& model, uint32_t max_seq, uint32_t max_batch);

// Declares the head scratch the executor uses for up to max_seq tokens on `threads` threads:
// the scores rows of its attention (the native kernels'); everything else is in its region.
void request_xnnpack_scratch(const ModelView& model, uint32_t max_seq, uint32_t threads,
                             BufferRequests* requests);

// Creates the session's operators inside `region` (xnnpack_region_bytes() bytes, 64-aligned)
// (set up for their rows and buffers at their first run). `x` lives in the region's first bytes; `weights` and `native` must stay valid (arena tail); native's
// attention scratch is pointed at the region's when the plan has none (fp32 models).
eb_status xnnpack_session_init(XnnpackSession** x, uint8_t* region, size_t region_bytes,
                               const ModelView& model, const ModelWeights& weights,
                               NativeExecutor* native,
                               uint32_t max_seq, uint32_t max_batch, void* threadpool,
                               eb_error* error);

// Runs operator `index` of `x.ops` on `rows` rows of `in` into `out` (Bias epilogue), setting it
// up for them first if need be. For tests.
eb_status xnnpack_run_dense(XnnpackSession& x, size_t index, float* out, const float* in,
                            size_t rows, eb_error* error);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_EXECUTORS_XNNPACK_EXECUTOR_H_
