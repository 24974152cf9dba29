// The fp32 oracle's ops: scalar, plain loops, accumulation in double. They are the numerical
// oracle every faster path (SIMD, int8, XNNPACK, ARM) is tested against, and with the graph
// (graph/bert_graph.h) they match Hugging Face's BertModel (exact erf GELU). Keep them obvious.
// The oracle executor (executors/oracle_executor.h) runs the graph on them; the element-wise ops
// and pooling below also serve every other executor (the graph calls them directly).
//
// Shapes: S = tokens, H = hidden, A = heads * head_dim, I = intermediate. Row-major everywhere;
// dense weights are (out, in) as in torch.nn.Linear.
#ifndef EDGEBERT_SRC_ORACLE_FP32_OPS_H_
#define EDGEBERT_SRC_ORACLE_FP32_OPS_H_

#include <cstddef>
#include <cstdint>

#include "../model.h"

namespace edgebert {
namespace oracle {

// x (S, H) <- LayerNorm(x) * gamma + beta, biased variance, eps inside the square root.
void layer_norm_forward(float* x, const LayerNormWeights& norm, size_t S, size_t H, float eps);

// out (S, N) = in (S, K) @ weight (N, K)^T + bias (N).
void dense_forward(float* out, const float* in, const DenseWeights& dense, size_t S, size_t N,
                   size_t K);

// context (S, A): per head h, softmax(q_h k_h^T / sqrt(head_dim) + mask) v_h, where masked keys
// (mask[j] == 0) get weight exactly 0 (Hugging Face adds the dtype's lowest value). mask may be
// NULL (all keys attend). scores is (S) scratch.
void attention_forward(float* context, const float* q, const float* k, const float* v,
                       const int32_t* mask, float* scores, size_t S, size_t num_heads,
                       size_t head_dim);

// Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), in double.
float gelu_erf(float x);

// x (n) <- activation(x).
void activation_forward(float* x, size_t n, fb::Activation activation);

// x (n) <- tanh(x) (pooler activation).
void activation_tanh(float* x, size_t n);

// x (n) <- 1 / (1 + exp(-x)) (multi-label and single-output classifiers).
void activation_sigmoid(float* x, size_t n);

// x (n) <- softmax(x), max-subtracted.
void softmax_forward(float* x, size_t n);

// out (H): mean of hidden (S, H) over rows with mask 1 (all rows if mask is NULL), or row 0 for
// CLS pooling; then optionally divided by its L2 norm (clamped at 1e-12 like torch normalize).
void pooling_forward(float* out, const float* hidden, const int32_t* mask, size_t S, size_t H,
                     fb::Pooling pooling, bool normalize);

}  // namespace oracle
}  // namespace edgebert

#endif  // EDGEBERT_SRC_ORACLE_FP32_OPS_H_
