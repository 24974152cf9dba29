#include "bert_fp32.h"

#include <cmath>

namespace edgebert {
namespace reference {

void embeddings_forward(float* out, const int32_t* ids, const int32_t* types, size_t S,
                        const ModelWeights& weights, const ModelDims& dims) {
  const size_t H = dims.hidden;
  for (size_t s = 0; s < S; ++s) {
    // The reference path runs fp32 models only (ModelView::int8 sends the rest to the kernels).
    const float* word = weights.word_embeddings.values + static_cast<size_t>(ids[s]) * H;
    const float* position = weights.position_embeddings.values + s * H;
    const float* type = weights.token_type_embeddings +
                        static_cast<size_t>(types != nullptr ? types[s] : 0) * H;
    float* row = out + s * H;
    // Same association order as Hugging Face: (word + token_type) + position.
    for (size_t h = 0; h < H; ++h) row[h] = (word[h] + type[h]) + position[h];
  }
  layer_norm_forward(out, weights.embedding_norm, S, H, dims.layer_norm_eps);
}

void layer_norm_forward(float* x, const LayerNormWeights& norm, size_t S, size_t H, float eps) {
  for (size_t s = 0; s < S; ++s) {
    float* row = x + s * H;
    double mean = 0.0;
    for (size_t h = 0; h < H; ++h) mean += row[h];
    mean /= static_cast<double>(H);
    double variance = 0.0;
    for (size_t h = 0; h < H; ++h) variance += (row[h] - mean) * (row[h] - mean);
    variance /= static_cast<double>(H);
    const double inv_std = 1.0 / std::sqrt(variance + static_cast<double>(eps));
    for (size_t h = 0; h < H; ++h) {
      row[h] = static_cast<float>((row[h] - mean) * inv_std * norm.gamma[h] + norm.beta[h]);
    }
  }
}

void dense_forward(float* out, const float* in, const DenseWeights& dense, size_t S, size_t N,
                   size_t K) {
  for (size_t s = 0; s < S; ++s) {
    const float* x = in + s * K;
    for (size_t n = 0; n < N; ++n) {
      const float* w = dense.weight + n * K;
      double sum = dense.bias[n];
      for (size_t k = 0; k < K; ++k) sum += static_cast<double>(x[k]) * w[k];
      out[s * N + n] = static_cast<float>(sum);
    }
  }
}

void attention_forward(float* context, const float* q, const float* k, const float* v,
                       const int32_t* mask, float* scores, size_t S, size_t num_heads,
                       size_t head_dim) {
  const size_t A = num_heads * head_dim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (size_t h = 0; h < num_heads; ++h) {
    const size_t col = h * head_dim;
    for (size_t i = 0; i < S; ++i) {
      // scores (S) = q_i . k_j * scale over attended keys; masked keys get probability 0.
      double max_score = -HUGE_VAL;
      for (size_t j = 0; j < S; ++j) {
        if (mask != nullptr && mask[j] == 0) continue;
        double dot = 0.0;
        for (size_t d = 0; d < head_dim; ++d) {
          dot += static_cast<double>(q[i * A + col + d]) * k[j * A + col + d];
        }
        scores[j] = static_cast<float>(dot * scale);
        if (scores[j] > max_score) max_score = scores[j];
      }
      double sum = 0.0;
      for (size_t j = 0; j < S; ++j) {
        if (mask != nullptr && mask[j] == 0) {
          scores[j] = 0.0f;
          continue;
        }
        scores[j] = static_cast<float>(std::exp(scores[j] - max_score));
        sum += scores[j];
      }
      for (size_t d = 0; d < head_dim; ++d) {
        double acc = 0.0;
        for (size_t j = 0; j < S; ++j) acc += static_cast<double>(scores[j]) * v[j * A + col + d];
        context[i * A + col + d] = static_cast<float>(acc / sum);
      }
    }
  }
}

void activation_forward(float* x, size_t n, fb::Activation activation) {
  switch (activation) {
    case fb::Activation::GeluErf:
      for (size_t i = 0; i < n; ++i) {
        const double t = x[i];
        x[i] = static_cast<float>(0.5 * t * (1.0 + std::erf(t / std::sqrt(2.0))));
      }
      break;
    case fb::Activation::GeluTanh: {
      const double c = 0.7978845608028654;  // sqrt(2 / pi)
      for (size_t i = 0; i < n; ++i) {
        const double t = x[i];
        x[i] = static_cast<float>(0.5 * t * (1.0 + std::tanh(c * (t + 0.044715 * t * t * t))));
      }
      break;
    }
    case fb::Activation::Relu:
      for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
  }
}

void activation_tanh(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

void add_forward(float* x, const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

void softmax_forward(float* x, size_t n) {
  double max_value = x[0];
  for (size_t i = 1; i < n; ++i) max_value = x[i] > max_value ? x[i] : max_value;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - max_value);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::exp(x[i] - max_value) / sum);
}

void pooling_forward(float* out, const float* hidden, const int32_t* mask, size_t S, size_t H,
                     fb::Pooling pooling, bool normalize) {
  if (pooling == fb::Pooling::Cls) {
    for (size_t h = 0; h < H; ++h) out[h] = hidden[h];
  } else {
    size_t count = 0;
    for (size_t s = 0; s < S; ++s) count += (mask == nullptr || mask[s] != 0) ? 1 : 0;
    for (size_t h = 0; h < H; ++h) {
      double sum = 0.0;
      for (size_t s = 0; s < S; ++s) {
        if (mask == nullptr || mask[s] != 0) sum += hidden[s * H + h];
      }
      out[h] = static_cast<float>(sum / static_cast<double>(count));
    }
  }
  if (normalize) {
    double norm = 0.0;
    for (size_t h = 0; h < H; ++h) norm += static_cast<double>(out[h]) * out[h];
    norm = std::sqrt(norm);
    if (norm < 1e-12) norm = 1e-12;
    for (size_t h = 0; h < H; ++h) out[h] = static_cast<float>(out[h] / norm);
  }
}

void encoder_layer_forward(const Buffers& b, const LayerWeights& layer, const int32_t* mask,
                           size_t S, const ModelDims& dims) {
  const size_t H = dims.hidden, A = dims.attention, I = dims.intermediate;
  dense_forward(b.query, b.hidden, layer.query, S, A, H);  // (S, A)
  dense_forward(b.key, b.hidden, layer.key, S, A, H);      // (S, A)
  dense_forward(b.value, b.hidden, layer.value, S, A, H);  // (S, A)
  attention_forward(b.context, b.query, b.key, b.value, mask, b.scores, S, dims.num_heads,
                    dims.head_dim);                                          // (S, A)
  dense_forward(b.attention, b.context, layer.attention_output, S, H, A);   // (S, H)
  add_forward(b.attention, b.hidden, S * H);
  layer_norm_forward(b.attention, layer.attention_norm, S, H, dims.layer_norm_eps);
  dense_forward(b.ffn, b.attention, layer.intermediate, S, I, H);           // (S, I)
  activation_forward(b.ffn, S * I, dims.activation);
  dense_forward(b.hidden, b.ffn, layer.output, S, H, I);                    // (S, H)
  add_forward(b.hidden, b.attention, S * H);
  layer_norm_forward(b.hidden, layer.output_norm, S, H, dims.layer_norm_eps);
}

void encoder_forward(const Buffers& buffers, const ModelWeights& weights, const ModelDims& dims,
                     const int32_t* ids, const int32_t* types, const int32_t* mask, size_t S,
                     const OpObserver& observe) {
  embeddings_forward(buffers.hidden, ids, types, S, weights, dims);
  observe("embeddings");
  for (uint32_t l = 0; l < dims.num_layers; ++l) {
    encoder_layer_forward(buffers, weights.layers[l], mask, S, dims);
    observe("encoder_layer", static_cast<int32_t>(l));
  }
}

}  // namespace reference
}  // namespace edgebert
