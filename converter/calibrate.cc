#include "calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "forward_kernels.h"  // the runtime's encoder forward (lib/src), driven with our dense
#include "host_session.h"
#include "progress.h"
#include "reference/bert_fp32.h"
#include "session.h"
#include "trainer/gemm.h"

namespace edgebert::convert {
namespace {

void widen(ValueRange* r, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    r->min = std::min(r->min, x[i]);
    r->max = std::max(r->max, x[i]);
  }
}

// The encoder's dense layers as a DenseProvider: fp32 weights through the trainer's SIMD GEMM,
// the input and pre-epilogue output ranges recorded per layer and slot.
struct Recorder {
  const ModelWeights* weights;
  const ModelDims* dims;
  std::vector<DenseRanges> ranges;  // (layers * kDenseSlotsPerLayer)

  static void dense(void* context, uint32_t layer, DenseSlot slot, float* out, const float* in,
                    size_t s, Epilogue epilogue, const float* residual) {
    auto& r = *static_cast<Recorder*>(context);
    const LayerWeights& l = r.weights->layers[layer];
    const size_t H = r.dims->hidden, A = r.dims->attention, I = r.dims->intermediate;
    const DenseWeights* w = nullptr;
    size_t k = 0, n = 0;
    switch (slot) {
      case DenseSlot::Query: w = &l.query, k = H, n = A; break;
      case DenseSlot::Key: w = &l.key, k = H, n = A; break;
      case DenseSlot::Value: w = &l.value, k = H, n = A; break;
      case DenseSlot::AttentionOutput: w = &l.attention_output, k = A, n = H; break;
      case DenseSlot::Intermediate: w = &l.intermediate, k = H, n = I; break;
      case DenseSlot::Output: w = &l.output, k = I, n = H; break;
    }
    DenseRanges& range = r.ranges[layer * kDenseSlotsPerLayer + static_cast<size_t>(slot)];
    widen(&range.input, in, s * k);
    run_dense(out, in, *w, s, n, k);
    widen(&range.output, out, s * n);
    if (epilogue == Epilogue::BiasGelu) {
      reference::activation_forward(out, s * n, fb::Activation::GeluErf);
    } else if (epilogue == Epilogue::BiasResidual) {
      reference::add_forward(out, residual, s * n);
    }
  }

  // out (S, N) = in (S, K) W^T + bias.
  static void run_dense(float* out, const float* in, const DenseWeights& w, size_t s, size_t n,
                        size_t k) {
    train::sgemm(false, true, s, n, k, in, k, w.weight, k, 0.0f, out, n);
    for (size_t i = 0; i < s; ++i) {
      for (size_t j = 0; j < n; ++j) out[i * n + j] += w.bias[j];
    }
  }
};

const char* const kSlotNames[kDenseSlotsPerLayer] = {
    "attention.self.query", "attention.self.key",  "attention.self.value",
    "attention.output.dense", "intermediate.dense", "output.dense"};

}  // namespace

AffineInt8 affine_int8(const ValueRange& range) {
  const double lo = std::min(0.0f, range.min), hi = std::max(0.0f, range.max);
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {1.0f, 0};
  const double scale = (hi - lo) / 255.0;
  const double zero = std::nearbyint(-128.0 - lo / scale);
  return {static_cast<float>(scale),
          static_cast<int8_t>(std::min(127.0, std::max(-128.0, zero)))};
}

Calibration calibrate(const AlignedBytes& bytes, const std::vector<Example>& data,
                      size_t max_examples) {
  if (data.empty()) throw std::runtime_error("calibration data has no examples");
  AlignedBytes copy(bytes.size());
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  HostSession host(std::move(copy), "calibration model", 0, "", EB_PROVIDER_NATIVE);
  eb_session* s = host.session().get();
  if (s->model->int8) {
    throw std::runtime_error("calibration needs the fp32 model (quantize an fp32 .ebm)");
  }
  if (!s->has_tokenizer) throw std::runtime_error("calibration needs a model with a tokenizer");
  const ModelDims& d = s->model->dims;
  Recorder recorder{&s->weights, &d, std::vector<DenseRanges>(d.num_layers * kDenseSlotsPerLayer)};
  DenseRanges pooler, classifier;
  // fp32 sessions plan no transposed-keys scratch (the reference attention needs none).
  std::vector<float> keys_t(size_t{d.attention} * s->max_seq);
  KernelBuffers buffers = s->buffers;
  buffers.keys_t = keys_t.data();
  const DenseProvider provider{Recorder::dense, &recorder};
  std::vector<float> pooled(d.hidden), logits(d.num_labels > 0 ? d.num_labels : 1);

  const size_t count = std::min(max_examples, data.size());
  Calibration result;
  ProgressBar bar("calibrating", count, "texts");
  for (size_t i = 0; i < count; ++i) {
    const Example& e = data[i * data.size() / count];  // evenly spaced over the file
    eb_error error;
    if (eb_session_tokenize(s, e.text.data(), e.text.size(),
                            e.has_text_b ? e.text_b.data() : nullptr, e.text_b.size(),
                            &error) != EB_OK) {
      throw std::runtime_error("calibration text at line " + std::to_string(e.line) + ": " +
                               error.message);
    }
    eb_tokens tokens;
    eb_session_tokens(s, &tokens);
    kernel_encoder_forward(*s->kernels, buffers, s->weights, d, tokens.ids, tokens.token_type_ids,
                           tokens.attention_mask, tokens.count, {}, &provider);
    if (s->weights.pooler.present()) {
      widen(&pooler.input, buffers.hidden, d.hidden);  // the [CLS] row
      Recorder::run_dense(pooled.data(), buffers.hidden, s->weights.pooler, 1, d.hidden, d.hidden);
      widen(&pooler.output, pooled.data(), d.hidden);
      reference::activation_tanh(pooled.data(), d.hidden);
      if (s->weights.classifier.present()) {
        widen(&classifier.input, pooled.data(), d.hidden);
        Recorder::run_dense(logits.data(), pooled.data(), s->weights.classifier, 1, d.num_labels,
                            d.hidden);
        widen(&classifier.output, logits.data(), d.num_labels);
      }
    }
    result.tokens += tokens.count;
    bar.update(i + 1);
  }
  bar.finish();
  result.examples = count;
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    for (size_t i = 0; i < kDenseSlotsPerLayer; ++i) {
      result.dense["encoder.layer." + std::to_string(l) + "." + kSlotNames[i] + ".weight"] =
          recorder.ranges[l * kDenseSlotsPerLayer + i];
    }
  }
  if (s->weights.pooler.present()) result.dense["pooler.dense.weight"] = pooler;
  if (s->weights.classifier.present()) result.dense["classifier.weight"] = classifier;
  return result;
}

}  // namespace edgebert::convert
