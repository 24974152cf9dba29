// The fp32 reference path: scalar, plain loops, accumulation in double. It is the numerical oracle
// every faster path (SIMD, int8, XNNPACK, ARM) is tested against, and it matches Hugging Face's
// BertModel (post-LayerNorm encoder, additive padding mask, exact erf GELU). Keep it obvious.
//
// Shapes: S = tokens, H = hidden, A = heads * head_dim, I = intermediate. Row-major everywhere;
// dense weights are (out, in) as in torch.nn.Linear.
#ifndef EDGEBERT_SRC_REFERENCE_BERT_FP32_H_
#define EDGEBERT_SRC_REFERENCE_BERT_FP32_H_

#include <cstddef>
#include <cstdint>

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

namespace reference {

// out (S, H) = LayerNorm(word[ids] + position[0..S) + token_type[types]); types may be NULL (= 0).
void embeddings_forward(float* out, const int32_t* ids, const int32_t* types, size_t S,
                        const ModelWeights& weights, const ModelDims& dims);

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

// x (n) <- activation(x).
void activation_forward(float* x, size_t n, fb::Activation activation);

// x (n) <- tanh(x) (pooler activation).
void activation_tanh(float* x, size_t n);

// x (n) <- x + y.
void add_forward(float* x, const float* y, size_t n);

// x (n) <- softmax(x), max-subtracted.
void softmax_forward(float* x, size_t n);

// out (H): mean of hidden (S, H) over rows with mask 1 (all rows if mask is NULL), or row 0 for
// CLS pooling; then optionally divided by its L2 norm (clamped at 1e-12 like torch normalize).
void pooling_forward(float* out, const float* hidden, const int32_t* mask, size_t S, size_t H,
                     fb::Pooling pooling, bool normalize);

// Working memory of one forward pass, all planned for max_seq rows.
struct Buffers {
  float* hidden;     // (S, H) input and output of every layer
  float* query;      // (S, A)
  float* key;        // (S, A)
  float* value;      // (S, A)
  float* context;    // (S, A)
  float* attention;  // (S, H) attention output, then residual + LayerNorm
  float* ffn;        // (S, I)
  float* scores;     // (S)
};

// hidden (S, H) <- one post-LN encoder layer applied to hidden.
void encoder_layer_forward(const Buffers& buffers, const LayerWeights& layer, const int32_t* mask,
                           size_t S, const ModelDims& dims);

// buffers.hidden (S, H) <- the encoder's last hidden states for the input.
void encoder_forward(const Buffers& buffers, const ModelWeights& weights, const ModelDims& dims,
                     const int32_t* ids, const int32_t* types, const int32_t* mask, size_t S,
                     const OpObserver& observe = {});

}  // namespace reference
}  // namespace edgebert

#endif  // EDGEBERT_SRC_REFERENCE_BERT_FP32_H_
