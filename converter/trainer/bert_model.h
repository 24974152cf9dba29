// The trainer's BERT: parameters, gradients and activations each in one contiguous buffer carved
// by a size table (llm.c style), forward and backward of BertForSequenceClassification built
// from trainer/layers.h. Templated on the scalar (float to train, double for gradient checks).
//
// Parameter order (the size table, kParamCount entries), L = layers, C = hidden, F = intermediate:
//   wte (V, C)  wpe (P, C)  wtt (TT, C)  emb_ln_w, emb_ln_b (C)
//   per layer, stacked (L, ...): q_w, k_w, v_w, o_w (C, C) with biases (C); ln1_w, ln1_b (C);
//   fc_w (F, C), fc_b (F); proj_w (C, F), proj_b (C); ln2_w, ln2_b (C)
//   pool_w (C, C), pool_b (C), cls_w (labels, C), cls_b (labels)
// Each entry is one Hugging Face BertForSequenceClassification tensor (per layer: stacked).
#ifndef EDGEBERT_CONVERTER_TRAINER_BERT_MODEL_H_
#define EDGEBERT_CONVERTER_TRAINER_BERT_MODEL_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "trainer/layers.h"

namespace edgebert {
namespace train {

struct BertShape {
  size_t vocab = 0, max_positions = 0, type_vocab = 2;
  size_t hidden = 0, heads = 0, layers = 0, intermediate = 0;
  size_t labels = 2;
  double layer_norm_eps = 1e-12;
};

enum Param : size_t {
  kWte, kWpe, kWtt, kEmbLnW, kEmbLnB,
  kQW, kQB, kKW, kKB, kVW, kVB, kOW, kOB, kLn1W, kLn1B,
  kFcW, kFcB, kProjW, kProjB, kLn2W, kLn2B,
  kPoolW, kPoolB, kClsW, kClsB,
  kParamCount
};

inline std::array<size_t, kParamCount> param_sizes(const BertShape& s) {
  const size_t C = s.hidden, L = s.layers, F = s.intermediate;
  return {s.vocab * C, s.max_positions * C, s.type_vocab * C, C, C,
          L * C * C, L * C, L * C * C, L * C, L * C * C, L * C, L * C * C, L * C, L * C, L * C,
          L * F * C, L * F, L * C * F, L * C, L * C, L * C,
          C * C, C, s.labels * C, s.labels};
}

// Pointers into one buffer laid out by param_sizes().
template <typename T>
struct ParamPtrs {
  std::array<T*, kParamCount> p;
  T* operator[](Param i) const { return p[i]; }
};

template <typename T>
ParamPtrs<T> carve(T* base, const std::array<size_t, kParamCount>& sizes) {
  ParamPtrs<T> out;
  for (size_t i = 0; i < kParamCount; ++i) {
    out.p[i] = base;
    base += sizes[i];
  }
  return out;
}

// One batch of B sequences right-padded to T tokens (dynamic padding: T is the batch's longest).
struct Batch {
  size_t B = 0, T = 0;
  std::vector<int32_t> ids, types, mask;  // (B, T)
  std::vector<int32_t> labels;            // (B)
};

template <typename T>
class BertClassifier {
 public:
  explicit BertClassifier(const BertShape& shape) : shape_(shape), sizes_(param_sizes(shape)) {
    size_t total = 0;
    for (size_t n : sizes_) total += n;
    params_.assign(total, T(0));
    grads_.assign(total, T(0));
  }

  const BertShape& shape() const { return shape_; }
  std::vector<T>& params() { return params_; }
  std::vector<T>& grads() { return grads_; }
  ParamPtrs<T> weights() { return carve(params_.data(), sizes_); }
  ParamPtrs<T> gradients() { return carve(grads_.data(), sizes_); }
  const std::array<size_t, kParamCount>& sizes() const { return sizes_; }

  // Mean cross-entropy of the labels; keeps the activations for backward(). probs() (B, labels).
  T forward(const Batch& batch);
  // Accumulates d(mean loss)/d(params) into grads() (zero it first with zero_grad()).
  void backward(const Batch& batch);
  void zero_grad() { std::fill(grads_.begin(), grads_.end(), T(0)); }
  const std::vector<T>& probs() const { return probs_; }

 private:
  struct LayerActs {
    std::vector<T> q, k, v, att, ctx, attn, res1, ln1, ln1_mean, ln1_rstd, fc, gelu, proj, res2,
        ln2, ln2_mean, ln2_rstd;
  };

  BertShape shape_;
  std::array<size_t, kParamCount> sizes_;
  std::vector<T> params_, grads_;
  // Activations of the last forward pass, sized for its batch.
  std::vector<T> emb_, emb_ln_, emb_mean_, emb_rstd_, cls_, pool_pre_, pooled_, logits_, probs_;
  std::vector<LayerActs> acts_;
};

template <typename T>
T BertClassifier<T>::forward(const Batch& batch) {
  const size_t B = batch.B, Tk = batch.T, N = B * Tk;
  const size_t C = shape_.hidden, F = shape_.intermediate, NH = shape_.heads;
  const size_t K = shape_.labels;
  const T eps = static_cast<T>(shape_.layer_norm_eps);
  const ParamPtrs<T> w = weights();

  emb_.resize(N * C);
  emb_ln_.resize(N * C);
  emb_mean_.resize(N);
  emb_rstd_.resize(N);
  embeddings_forward(emb_.data(), batch.ids.data(), batch.types.data(), w[kWte], w[kWpe],
                     w[kWtt], N, Tk, C);
  layernorm_forward(emb_ln_.data(), emb_mean_.data(), emb_rstd_.data(), emb_.data(), w[kEmbLnW],
                    w[kEmbLnB], N, C, eps);

  acts_.resize(shape_.layers);
  const T* x = emb_ln_.data();  // (N, C) input of the layer
  for (size_t l = 0; l < shape_.layers; ++l) {
    LayerActs& a = acts_[l];
    for (auto* v : {&a.q, &a.k, &a.v, &a.ctx, &a.attn, &a.res1, &a.ln1, &a.proj, &a.res2, &a.ln2})
      v->resize(N * C);
    for (auto* v : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) v->resize(N);
    a.att.resize(B * NH * Tk * Tk);
    a.fc.resize(N * F);
    a.gelu.resize(N * F);
    matmul_forward(a.q.data(), x, w[kQW] + l * C * C, w[kQB] + l * C, N, C, C);
    matmul_forward(a.k.data(), x, w[kKW] + l * C * C, w[kKB] + l * C, N, C, C);
    matmul_forward(a.v.data(), x, w[kVW] + l * C * C, w[kVB] + l * C, N, C, C);
    attention_forward(a.ctx.data(), a.att.data(), a.q.data(), a.k.data(), a.v.data(),
                      batch.mask.data(), B, Tk, C, NH);
    matmul_forward(a.attn.data(), a.ctx.data(), w[kOW] + l * C * C, w[kOB] + l * C, N, C, C);
    for (size_t i = 0; i < N * C; ++i) a.res1[i] = a.attn[i] + x[i];
    layernorm_forward(a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), a.res1.data(),
                      w[kLn1W] + l * C, w[kLn1B] + l * C, N, C, eps);
    matmul_forward(a.fc.data(), a.ln1.data(), w[kFcW] + l * F * C, w[kFcB] + l * F, N, C, F);
    gelu_forward(a.gelu.data(), a.fc.data(), N * F);
    matmul_forward(a.proj.data(), a.gelu.data(), w[kProjW] + l * C * F, w[kProjB] + l * C, N, F,
                   C);
    for (size_t i = 0; i < N * C; ++i) a.res2[i] = a.proj[i] + a.ln1[i];
    layernorm_forward(a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), a.res2.data(),
                      w[kLn2W] + l * C, w[kLn2B] + l * C, N, C, eps);
    x = a.ln2.data();
  }

  // Pooler on each sequence's first token ([CLS]), then the classifier.
  cls_.resize(B * C);
  pool_pre_.resize(B * C);
  pooled_.resize(B * C);
  logits_.resize(B * K);
  probs_.resize(B * K);
  for (size_t b = 0; b < B; ++b) {
    for (size_t c = 0; c < C; ++c) cls_[b * C + c] = x[b * Tk * C + c];
  }
  matmul_forward(pool_pre_.data(), cls_.data(), w[kPoolW], w[kPoolB], B, C, C);
  tanh_forward(pooled_.data(), pool_pre_.data(), B * C);
  matmul_forward(logits_.data(), pooled_.data(), w[kClsW], w[kClsB], B, C, K);
  size_t count = 0;
  const T loss = crossentropy_forward(probs_.data(), logits_.data(), batch.labels.data(), B, K,
                                      &count);
  return count > 0 ? loss / static_cast<T>(count) : T(0);
}

template <typename T>
void BertClassifier<T>::backward(const Batch& batch) {
  const size_t B = batch.B, Tk = batch.T, N = B * Tk;
  const size_t C = shape_.hidden, F = shape_.intermediate, NH = shape_.heads;
  const size_t K = shape_.labels;
  const ParamPtrs<T> w = weights();
  const ParamPtrs<T> g = gradients();

  size_t count = 0;
  for (int32_t label : batch.labels) count += label >= 0 ? 1 : 0;
  if (count == 0) return;
  std::vector<T> dlogits(B * K, T(0)), dpooled(B * C, T(0)), dpool_pre(B * C, T(0)),
      dcls(B * C, T(0));
  crossentropy_backward(dlogits.data(), probs_.data(), batch.labels.data(), B, K,
                        T(1) / static_cast<T>(count));
  matmul_backward(dpooled.data(), g[kClsW], g[kClsB], dlogits.data(), pooled_.data(), w[kClsW], B,
                  C, K);
  tanh_backward(dpool_pre.data(), pooled_.data(), dpooled.data(), B * C);
  matmul_backward(dcls.data(), g[kPoolW], g[kPoolB], dpool_pre.data(), cls_.data(), w[kPoolW], B,
                  C, C);

  std::vector<T> dx(N * C, T(0));  // gradient of the current layer's output
  for (size_t b = 0; b < B; ++b) {
    for (size_t c = 0; c < C; ++c) dx[b * Tk * C + c] = dcls[b * C + c];
  }
  std::vector<T> dres(N * C), dln1(N * C), dgelu(N * F), dfc(N * F), dctx(N * C), dq(N * C),
      dk(N * C), dv(N * C), dinp(N * C), datt(Tk);
  for (size_t l = shape_.layers; l-- > 0;) {
    const LayerActs& a = acts_[l];
    const T* x = l == 0 ? emb_ln_.data() : acts_[l - 1].ln2.data();
    std::fill(dres.begin(), dres.end(), T(0));
    layernorm_backward(dres.data(), g[kLn2W] + l * C, g[kLn2B] + l * C, dx.data(), a.res2.data(),
                       w[kLn2W] + l * C, a.ln2_mean.data(), a.ln2_rstd.data(), N, C);
    // res2 = proj + ln1: both branches get dres.
    dln1 = dres;
    std::fill(dgelu.begin(), dgelu.end(), T(0));
    matmul_backward(dgelu.data(), g[kProjW] + l * C * F, g[kProjB] + l * C, dres.data(),
                    a.gelu.data(), w[kProjW] + l * C * F, N, F, C);
    std::fill(dfc.begin(), dfc.end(), T(0));
    gelu_backward(dfc.data(), a.fc.data(), dgelu.data(), N * F);
    matmul_backward(dln1.data(), g[kFcW] + l * F * C, g[kFcB] + l * F, dfc.data(), a.ln1.data(),
                    w[kFcW] + l * F * C, N, C, F);
    std::fill(dres.begin(), dres.end(), T(0));
    layernorm_backward(dres.data(), g[kLn1W] + l * C, g[kLn1B] + l * C, dln1.data(),
                       a.res1.data(), w[kLn1W] + l * C, a.ln1_mean.data(), a.ln1_rstd.data(), N,
                       C);
    // res1 = attn + x: x gets dres directly, plus the q/k/v paths below.
    dinp = dres;
    std::fill(dctx.begin(), dctx.end(), T(0));
    matmul_backward(dctx.data(), g[kOW] + l * C * C, g[kOB] + l * C, dres.data(), a.ctx.data(),
                    w[kOW] + l * C * C, N, C, C);
    std::fill(dq.begin(), dq.end(), T(0));
    std::fill(dk.begin(), dk.end(), T(0));
    std::fill(dv.begin(), dv.end(), T(0));
    attention_backward(dq.data(), dk.data(), dv.data(), datt.data(), dctx.data(), a.att.data(),
                       a.q.data(), a.k.data(), a.v.data(), B, Tk, C, NH);
    matmul_backward(dinp.data(), g[kQW] + l * C * C, g[kQB] + l * C, dq.data(), x,
                    w[kQW] + l * C * C, N, C, C);
    matmul_backward(dinp.data(), g[kKW] + l * C * C, g[kKB] + l * C, dk.data(), x,
                    w[kKW] + l * C * C, N, C, C);
    matmul_backward(dinp.data(), g[kVW] + l * C * C, g[kVB] + l * C, dv.data(), x,
                    w[kVW] + l * C * C, N, C, C);
    dx = dinp;
  }
  std::vector<T> demb(N * C, T(0));
  layernorm_backward(demb.data(), g[kEmbLnW], g[kEmbLnB], dx.data(), emb_.data(), w[kEmbLnW],
                     emb_mean_.data(), emb_rstd_.data(), N, C);
  embeddings_backward(g[kWte], g[kWpe], g[kWtt], demb.data(), batch.ids.data(),
                      batch.types.data(), N, Tk, C);
}

}  // namespace train
}  // namespace edgebert

#endif  // EDGEBERT_CONVERTER_TRAINER_BERT_MODEL_H_
