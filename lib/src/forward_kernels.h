// The kernel path: the forward pass of int8 (and mixed) models through a KernelSet (per-token
// dynamic activation quantization, int8 GEMMs with fused dequantize + bias + GELU / residual
// epilogues, vectorized attention and LayerNorm). Same buffers, same steps as the reference path;
// fp32 layers of a mixed model fall back to the reference dense.
#ifndef EDGEBERT_SRC_FORWARD_KERNELS_H_
#define EDGEBERT_SRC_FORWARD_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "model.h"
#include "parallel.h"
#include "reference/bert_fp32.h"

namespace edgebert {

// The reference path's buffers plus the kernel path's scratch (null for fp32 models) and threads.
struct KernelBuffers : reference::Buffers {
  float* attention_scratch;  // attention_scratch_floats(S, d) per attention task
  int8_t* input;     // (S, lda) quantized input of the current dense layer
  float* input_scales;   // (S)
  int32_t* input_sums;   // (S)
  size_t lda;        // quantized row stride: max(H, A, I) rounded up to 64
  // Threads for GEMM column blocks, row quantization and attention heads (no pool: serial).
  // Attention runs attention_tasks(threads, heads) tasks, each with its own (S) row of `scores`
  // and its own part of `attention_scratch`, that claim heads one at a time.
  Parallel parallel;
  size_t threads;    // the session's planned threads
};

// Attention's tasks: one per thread, at most one per head. The memory plan sizes the scores and
// attention scratch for this many.
inline size_t attention_tasks(size_t threads, size_t heads) {
  return threads < heads ? threads : heads;
}

// Row stride of the quantized input buffer for a model.
size_t quantized_input_stride(const ModelDims& dims);

// out (S, N) = epilogue(in (S, K) W^T + bias [+ residual]). Quantizes `in` first unless
// `reuse_input` (the previous call quantized the same rows).
void kernel_dense(const KernelSet& ks, const KernelBuffers& b, float* out, const float* in,
                  size_t s, size_t k, size_t n, const DenseWeights& w, Epilogue epilogue,
                  const float* residual, bool reuse_input);

// The dense layers of one encoder layer, in the order a forward pass runs them.
enum class DenseSlot : uint8_t { Query, Key, Value, AttentionOutput, Intermediate, Output };
constexpr size_t kDenseSlotsPerLayer = 6;

// One slot of one layer: its weights, shape and Hugging Face name ("attention.self.query"; the
// tensor is "encoder.layer.<l>.<name>.weight").
struct DenseSlotInfo {
  const DenseWeights* weights;
  size_t n, k;  // output and input features
  const char* name;
};
DenseSlotInfo dense_slot(const LayerWeights& layer, const ModelDims& d, DenseSlot slot);

// Another execution provider's dense layers (XNNPACK): out (S, N) = epilogue(in (S, K) W^T +
// bias [+ residual]) for layer `layer`'s `slot`, reading the same buffers as kernel_dense.
struct DenseProvider {
  void (*dense)(void* context, uint32_t layer, DenseSlot slot, float* out, const float* in,
                size_t s, Epilogue epilogue, const float* residual);
  void* context;
};

// b.hidden (S, H) <- the encoder's last hidden states. Dense layers run through `provider` when
// given, else through kernel_dense; everything else runs on the kernel set.
void kernel_encoder_forward(const KernelSet& ks, const KernelBuffers& b, const ModelWeights& w,
                            const ModelDims& d, const int32_t* ids, const int32_t* types,
                            const int32_t* mask, size_t s, const OpObserver& observe = {},
                            const DenseProvider* provider = nullptr);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_FORWARD_KERNELS_H_
