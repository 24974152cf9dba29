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

// The values one tensor takes over the calibration texts: first their range (pass 1), then a
// histogram over that range (pass 2) from which a percentile range is read.
struct Observed {
  static constexpr size_t kBins = 4096;
  ValueRange range;
  std::vector<uint64_t> bins;  // pass 2
  uint64_t count = 0;

  void add(const float* x, size_t n) {
    if (bins.empty()) {
      for (size_t i = 0; i < n; ++i) {
        range.min = std::min(range.min, x[i]);
        range.max = std::max(range.max, x[i]);
      }
      return;
    }
    const double width = (double(range.max) - range.min) / kBins;
    for (size_t i = 0; i < n; ++i) {
      const double at = width > 0 ? (x[i] - range.min) / width : 0.0;
      bins[std::min(kBins - 1, static_cast<size_t>(std::max(0.0, at)))] += 1;
    }
    count += n;
  }
  void start_histogram() { bins.assign(kBins, 0); }
  // [lo, hi]: the (100 - p)/2 % of values below lo and above hi clipped (p = 100: min and max).
  ValueRange clipped(double percentile) const {
    if (percentile >= 100.0 || count == 0) return range;
    const double tail = count * (100.0 - percentile) / 200.0;
    const double width = (double(range.max) - range.min) / kBins;
    size_t lo = 0, hi = kBins - 1;
    for (double below = 0; lo < kBins - 1 && below + bins[lo] <= tail; ++lo) below += bins[lo];
    for (double above = 0; hi > lo && above + bins[hi] <= tail; --hi) above += bins[hi];
    return {std::min(0.0f, static_cast<float>(range.min + width * lo)),
            std::max(0.0f, static_cast<float>(range.min + width * (hi + 1)))};
  }
};

struct ObservedDense {
  Observed input, output;
};

// The encoder's dense layers as a DenseProvider: fp32 weights through the trainer's SIMD GEMM,
// the input and pre-epilogue output ranges recorded per layer and slot.
struct Recorder {
  const ModelWeights* weights;
  const ModelDims* dims;
  std::vector<ObservedDense> ranges;  // (layers * kDenseSlotsPerLayer)

  static void dense(void* context, uint32_t layer, DenseSlot slot, float* out, const float* in,
                    size_t s, Epilogue epilogue, const float* residual) {
    auto& r = *static_cast<Recorder*>(context);
    const DenseSlotInfo info = dense_slot(r.weights->layers[layer], *r.dims, slot);
    const size_t k = info.k, n = info.n;
    ObservedDense& range = r.ranges[layer * kDenseSlotsPerLayer + static_cast<size_t>(slot)];
    range.input.add(in, s * k);
    run_dense(out, in, *info.weights, s, n, k);
    range.output.add(out, s * n);
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
                      size_t max_examples, double percentile) {
  if (data.empty()) throw std::runtime_error("calibration data has no examples");
  if (!(percentile > 50.0 && percentile <= 100.0)) {
    throw std::runtime_error("calibration percentile must be in (50, 100]");
  }
  AlignedBytes copy(bytes.size());
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  HostSession host(std::move(copy), "calibration model", 0, "", EB_PROVIDER_NATIVE);
  eb_session* s = host.session().get();
  if (s->model->int8) {
    throw std::runtime_error("calibration needs the fp32 model (quantize an fp32 .ebm)");
  }
  if (!s->has_tokenizer) throw std::runtime_error("calibration needs a model with a tokenizer");
  const ModelDims& d = s->model->dims;
  Recorder recorder{&s->weights, &d,
                    std::vector<ObservedDense>(d.num_layers * kDenseSlotsPerLayer)};
  ObservedDense pooler, classifier;
  // fp32 sessions plan no attention scratch (the reference attention needs none).
  std::vector<float> attention_scratch(attention_scratch_floats(s->max_seq, d.head_dim) *
                                       attention_tasks(s->buffers.threads, d.num_heads));
  KernelBuffers buffers = s->buffers;
  buffers.attention_scratch = attention_scratch.data();
  const DenseProvider provider{Recorder::dense, &recorder};
  std::vector<float> pooled(d.hidden), logits(d.num_labels > 0 ? d.num_labels : 1);

  const size_t count = std::min(max_examples, data.size());
  Calibration result;
  // Pass 1: ranges; pass 2 (percentile < 100): histograms over them.
  const int passes = percentile < 100.0 ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    if (pass == 1) {
      for (ObservedDense& o : recorder.ranges) o.input.start_histogram(), o.output.start_histogram();
      for (ObservedDense* o : {&pooler, &classifier}) o->input.start_histogram(), o->output.start_histogram();
    }
    ProgressBar bar(passes == 1 ? "calibrating" : pass == 0 ? "calibrating (ranges)"
                                                            : "calibrating (histograms)",
                    count, "texts");
    result.tokens = 0;
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
      kernel_encoder_forward(*s->kernels, buffers, s->weights, d, tokens.ids,
                             tokens.token_type_ids, tokens.attention_mask, tokens.count, {},
                             &provider);
      if (s->weights.pooler.present()) {
        pooler.input.add(buffers.hidden, d.hidden);  // the [CLS] row
        Recorder::run_dense(pooled.data(), buffers.hidden, s->weights.pooler, 1, d.hidden, d.hidden);
        pooler.output.add(pooled.data(), d.hidden);
        reference::activation_tanh(pooled.data(), d.hidden);
        if (s->weights.classifier.present()) {
          classifier.input.add(pooled.data(), d.hidden);
          Recorder::run_dense(logits.data(), pooled.data(), s->weights.classifier, 1,
                              d.num_labels, d.hidden);
          classifier.output.add(logits.data(), d.num_labels);
        }
      }
      result.tokens += tokens.count;
      bar.update(i + 1);
    }
    bar.finish();
  }
  result.examples = count;
  result.percentile = percentile;
  auto ranges = [&](const ObservedDense& o) {
    return DenseRanges{o.input.clipped(percentile), o.output.clipped(percentile)};
  };
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    for (size_t i = 0; i < kDenseSlotsPerLayer; ++i) {
      const char* name = dense_slot(s->weights.layers[l], d, static_cast<DenseSlot>(i)).name;
      result.dense["encoder.layer." + std::to_string(l) + "." + name + ".weight"] =
          ranges(recorder.ranges[l * kDenseSlotsPerLayer + i]);
    }
  }
  if (s->weights.pooler.present()) result.dense["pooler.dense.weight"] = ranges(pooler);
  if (s->weights.classifier.present()) result.dense["classifier.weight"] = ranges(classifier);
  return result;
}

}  // namespace edgebert::convert
