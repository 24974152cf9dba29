// The native executor: the graph on a KernelSet (kernels/kernels.h) for int8 models. Numerics:
// per-token symmetric int8 activations (round half to even), int8 x int8 products accumulated
// exactly in int32, then dequantize + bias + GELU (polynomial erf, |error| < 5e-7) / residual
// fused into the GEMM's stores, in fp32; LayerNorm in fp32; attention in fp32 (vectorized, one
// fixed summation order) or, for models quantized with int8 attention, its two products as int8
// GEMMs (kernels/qd8_attention.h). Every kernel set gives the same bits, for any thread count. The fp32 layers
// of a mixed model run as the oracle computes them (oracle_dense).
#ifndef EDGEBERT_SRC_EXECUTORS_NATIVE_EXECUTOR_H_
#define EDGEBERT_SRC_EXECUTORS_NATIVE_EXECUTOR_H_

#include <cstddef>
#include <cstdint>

#include "../graph/executor.h"
#include "../kernels/kernels.h"
#include "../memory_plan.h"
#include "../model.h"
#include "../parallel.h"

namespace edgebert {

// Attention's tasks: one per thread, at most one per head. The memory plan sizes the scores and
// attention scratch for this many.
inline size_t attention_tasks(size_t threads, size_t heads) {
  return threads < heads ? threads : heads;
}

// Row stride of the quantized input buffer for a model: max(H, A, I) rounded up to 64.
size_t quantized_input_stride(const ModelDims& dims);

// Declares the scratch below for up to max_seq tokens on `threads` threads.
void request_native_scratch(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                            uint32_t threads,
                            BufferRequests* requests);

struct NativeExecutor {
  const KernelSet* kernels;
  const ModelDims* dims;
  // Scratch, planned in the arena head (memory_plan.h) for max_seq rows:
  // Per attention task (S: max_seq, or kQd8AttentionMinTokens - 1 in int8-attention models):
  float* scores;             // (S)
  float* attention_scratch;  // attention_scratch_floats(S, d)
  // int8-attention models: qd8_attention_layout(max_seq, d).bytes per attention task.
  uint8_t* qd8_attention_workspace;
  int8_t* input;             // (S, lda) quantized input of the current dense layer
  float* input_scales;       // (S)
  int32_t* input_sums;       // (S)
  size_t lda;                // quantized_input_stride(dims)
  // Threads for GEMM column blocks, row quantization and attention heads (no pool: serial).
  // Attention runs attention_tasks(threads, heads) tasks, each with its own (S) row of `scores`
  // and its own part of `attention_scratch`, that claim (sequence, head) pairs one at a time.
  Parallel parallel;
  size_t threads;            // the session's planned threads
  bool input_quantized;      // `input` holds the last dense call's input, quantized
  bool int8_attention;       // ModelView::int8_attention: qd8_f32_attention from
                             // kQd8AttentionMinTokens tokens on, else f32_attention

  eb_status dense(const DenseCall& call, eb_error* error);
  void attention(const AttentionCall& call);
  void layer_norm(float* x, const LayerNormWeights& norm, size_t rows);
};

}  // namespace edgebert

#endif  // EDGEBERT_SRC_EXECUTORS_NATIVE_EXECUTOR_H_
