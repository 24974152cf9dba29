// The XNNPACK execution provider (EB_PROVIDER_XNNPACK): every dense layer of the model runs as an
// XNNPACK fully connected operator — f32 for fp32 weights, qs8 for int8 weights quantized per
// tensor with calibrated static activation scales — while embeddings, attention, LayerNorm, GELU
// and the residual adds run on our own kernel set (XNNPACK 2022-02 has none of them).
//
// Memory (DESIGN.md §3): the provider owns one region of the arena tail,
//
//   | XnnpackSession | XnnpackDense[ops] | attention scratch | q_in | q_out | xnn heap ──►   ◄── unpack |
//
// XNNPACK allocates through the process-wide xnn_allocator installed by the first
// xnn_initialize(); ours bump-allocates from the region of the session being initialised on this
// thread (a thread-local pointer set only inside xnnpack_session_init) and falls back to
// malloc for anyone else's XNNPACK calls. Operators (and their packed weights) are created at
// session init and set up (sizes and pointers only; nothing allocates) for the heads at init and
// for each encoder operator at its first run with a new row count; they are never deleted: they
// die with the arena. Other runs call xnn_run_operator only. `unpack` is transient: int8 weights
// are unpacked from K4N16 to row-major there for XNNPACK to pack them its own way.
#ifndef EDGEBERT_SRC_PROVIDERS_XNNPACK_PROVIDER_H_
#define EDGEBERT_SRC_PROVIDERS_XNNPACK_PROVIDER_H_

#include <cstddef>
#include <cstdint>

#include "../forward_kernels.h"
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
  XnnpackDense* dense;  // (num_layers * kDenseSlotsPerLayer) encoder slots, then pooler, classifier
  size_t count;
  size_t pooler, classifier;  // their indices in `dense` (when the model has them)
  float* pooled;        // (H) pooler output (session buffer)
  float* logits;        // (labels) classifier output (session buffer)
  void* threadpool;     // pthreadpool_t or NULL
  const KernelSet* kernels;
  const KernelBuffers* buffers;
  float* attention_scratch;  // fp32 models: attention_scratch_floats(max_seq, d) per head (int8
                             // ones plan it in the head); the session's buffers point at it
  int8_t* q_in;         // (max_seq, widest input) + XNN_EXTRA_BYTES: qs8 input
  int8_t* q_out;        // (max_seq, widest output) + XNN_EXTRA_BYTES: qs8 output
  size_t region_bytes;  // planned
  size_t used_bytes;    // taken by init, unpack scratch included (tests compare with the plan)
};

// Whether this library was built with XNNPACK.
bool xnnpack_built();

// Bytes of the provider's arena region for `model` at `max_seq` tokens (an upper bound for
// XNNPACK's own allocations, checked by the tests against used_bytes).
size_t xnnpack_region_bytes(const ModelView& model, uint32_t max_seq);

// Creates the session's operators inside `region` (xnnpack_region_bytes() bytes, 64-aligned).
// `x` lives in the region's first bytes; `weights` must stay valid (arena tail).
eb_status xnnpack_session_init(XnnpackSession** x, uint8_t* region, size_t region_bytes,
                               const ModelView& model, const ModelWeights& weights,
                               const KernelSet& kernels, const KernelBuffers& buffers,
                               uint32_t max_seq, void* threadpool, float* pooled, float* logits,
                               eb_error* error);

// b.hidden (S, H) <- the encoder's last hidden states, dense layers through XNNPACK.
void xnnpack_encoder_forward(XnnpackSession& x, const ModelWeights& w, const ModelDims& d,
                             const int32_t* ids, const int32_t* types, const int32_t* mask,
                             size_t s, const OpObserver& observe);

// Runs dense operator `index` of `x.dense` on `rows` rows of `in` into `out` (Bias epilogue),
// setting it up for them first if need be. For tests.
void xnnpack_run_dense(XnnpackSession& x, size_t index, float* out, const float* in, size_t rows);

// The heads, one row each: pooled (H) = dense(hidden row 0) (before tanh), logits = dense(pooled).
void xnnpack_pooler(XnnpackSession& x);
void xnnpack_classifier(XnnpackSession& x);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_PROVIDERS_XNNPACK_PROVIDER_H_
