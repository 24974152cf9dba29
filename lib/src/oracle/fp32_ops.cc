#include "fp32_ops.h"

#include <cmath>

namespace edgebert {
namespace oracle {

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

float gelu_erf(float x) {
  const double t = x;
  return static_cast<float>(0.5 * t * (1.0 + std::erf(t / std::sqrt(2.0))));
}

void activation_forward(float* x, size_t n, fb::Activation activation) {
  switch (activation) {
    case fb::Activation::GeluErf:
      for (size_t i = 0; i < n; ++i) x[i] = gelu_erf(x[i]);
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
    case fb::Activation::Tanh:
      activation_tanh(x, n);
      break;
  }
}

void activation_tanh(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

void activation_sigmoid(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
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

}  // namespace oracle
}  // namespace edgebert
