// AdamW exactly as torch.optim.AdamW (decoupled weight decay applied before the Adam update,
// bias corrections folded into the step size and the denominator as torch does), the linear
// warmup + linear decay schedule of Hugging Face's get_linear_schedule_with_warmup, and global
// gradient-norm clipping as torch.nn.utils.clip_grad_norm_.
#ifndef EDGEBERT_CONVERTER_TRAINER_OPTIMIZER_H_
#define EDGEBERT_CONVERTER_TRAINER_OPTIMIZER_H_

#include <cmath>
#include <cstddef>
#include <vector>

#include "trainer/bert_model.h"

namespace edgebert {
namespace train {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

// Learning rate for 0-based step `step` of `total` steps: 0 -> peak over `warmup` steps, then
// linearly to 0 at `total`.
inline double linear_schedule(double peak, size_t step, size_t warmup, size_t total) {
  if (step < warmup) return peak * static_cast<double>(step) / static_cast<double>(warmup);
  if (total <= warmup) return peak;
  const double left = static_cast<double>(total - step) / static_cast<double>(total - warmup);
  return peak * std::max(0.0, left);
}

// Scales g so its L2 norm is at most max_norm (torch: coefficient max_norm / (norm + 1e-6),
// clamped to 1). Returns the norm before clipping. max_norm <= 0 disables clipping.
template <typename T>
double clip_grad_norm(std::vector<T>& g, double max_norm) {
  double sum = 0;
  for (T x : g) sum += static_cast<double>(x) * static_cast<double>(x);
  const double norm = std::sqrt(sum);
  if (max_norm > 0) {
    const double coef = std::min(1.0, max_norm / (norm + 1e-6));
    if (coef < 1.0) {
      const T c = static_cast<T>(coef);
#pragma omp parallel for schedule(static) if (g.size() >= kParallelMinWork)
      for (size_t i = 0; i < g.size(); ++i) g[i] *= c;
    }
  }
  return norm;
}

// First and second moments for every parameter of one model, in the model's buffer order.
template <typename T>
class AdamW {
 public:
  AdamW(const AdamWConfig& config, size_t n) : config_(config), m_(n, T(0)), v_(n, T(0)) {}

  // One update with learning rate lr; `step` counts updates from 1 (bias correction).
  void update(BertModel<T>& model, double lr, size_t step) {
    std::vector<T>& p = model.params();
    const std::vector<T>& g = model.grads();
    const auto& sizes = model.sizes();
    const double bc1 = 1.0 - std::pow(config_.beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(config_.beta2, static_cast<double>(step));
    const T b1 = static_cast<T>(config_.beta1), b2 = static_cast<T>(config_.beta2);
    const T step_size = static_cast<T>(lr / bc1), bc2_sqrt = static_cast<T>(std::sqrt(bc2));
    const T eps = static_cast<T>(config_.eps);
    size_t offset = 0;
    for (size_t t = 0; t < kParamCount; ++t) {
      const T decay = is_no_decay(static_cast<Param>(t))
                          ? T(1)
                          : static_cast<T>(1.0 - lr * config_.weight_decay);
      const size_t end = offset + sizes[t];
#pragma omp parallel for schedule(static) if (end - offset >= kParallelMinWork)
      for (size_t i = offset; i < end; ++i) {
        p[i] *= decay;
        m_[i] = b1 * m_[i] + (T(1) - b1) * g[i];
        v_[i] = b2 * v_[i] + (T(1) - b2) * g[i] * g[i];
        p[i] -= step_size * m_[i] / (std::sqrt(v_[i]) / bc2_sqrt + eps);
      }
      offset = end;
    }
  }

  std::vector<T>& m() { return m_; }
  std::vector<T>& v() { return v_; }

 private:
  AdamWConfig config_;
  std::vector<T> m_, v_;
};

}  // namespace train
}  // namespace edgebert

#endif  // EDGEBERT_CONVERTER_TRAINER_OPTIMIZER_H_
