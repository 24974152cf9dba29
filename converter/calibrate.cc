#include "calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "edgebert_internal/calibration.h"  // the runtime's graph, run on the executor below
#include "host_session.h"
#include "progress.h"
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

// The calibration executor: the graph's dense layers on the fp32 weights through the trainer's
// SIMD GEMM, then the oracle's epilogue, with each layer's input and pre-epilogue output
// recorded; attention and LayerNorm on the session's native kernel set (fp32 in, fp32 out).
struct Recorder {
  NativeExecutor native;
  uint32_t layers;
  // (layers * kDenseSlotsPerLayer) encoder slots, then one per model slot
  std::vector<ObservedDense> ranges;

  ObservedDense& observed(DenseId id) {
    if (id.slot >= kFirstModelSlot) {
      return ranges[layers * kDenseSlotsPerLayer + model_slot_index(id.slot)];
    }
    return ranges[id.layer * kDenseSlotsPerLayer + static_cast<size_t>(id.slot)];
  }

  // out (rows, N) = in (rows, K) W^T + bias, recorded, then the epilogue.
  eb_status dense(const DenseCall& c, eb_error*) {
    ObservedDense& range = observed(c.id);
    range.input.add(c.in, c.rows * c.k);
    train::sgemm(false, true, c.rows, c.n, c.k, c.in, c.k, c.weights->weight, c.k, 0.0f, c.out,
                 c.n);
    for (size_t i = 0; i < c.rows; ++i) {
      for (size_t j = 0; j < c.n; ++j) c.out[i * c.n + j] += c.weights->bias[j];
    }
    range.output.add(c.out, c.rows * c.n);
    finish_epilogue(c.out, c.rows * c.n, c.epilogue, c.residual, oracle::gelu_erf);
    return EB_OK;
  }
  void attention(const AttentionCall& call) { native.attention(call); }
  void layer_norm(float* x, const LayerNormWeights& norm, size_t rows) {
    native.layer_norm(x, norm, rows);
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
                      size_t max_examples, double percentile, bool progress) {
  if (data.empty()) throw std::runtime_error("calibration data has no examples");
  if (!(percentile > 50.0 && percentile <= 100.0)) {
    throw std::runtime_error("calibration percentile must be in (50, 100]");
  }
  AlignedBytes copy(bytes.size());
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  HostSession host(std::move(copy), "calibration model", 0, "", EB_PROVIDER_NATIVE);
  eb_session* session = host.session().get();
  const SessionGraph g = session_graph(session);
  if (g.model->int8) {
    throw std::runtime_error("calibration needs the fp32 model (quantize an fp32 .ebm)");
  }
  if (!g.has_tokenizer) throw std::runtime_error("calibration needs a model with a tokenizer");
  const ModelDims& d = g.model->dims;
  // fp32 sessions plan no attention scratch for the kernels (the oracle's attention needs none).
  std::vector<float> attention_scratch(attention_scratch_floats(g.max_seq, d.head_dim) *
                                       attention_tasks(g.native.threads, d.num_heads));
  Recorder recorder{g.native, d.num_layers,
                    std::vector<ObservedDense>(d.num_layers * kDenseSlotsPerLayer + kModelSlots)};
  recorder.native.attention_scratch = attention_scratch.data();
  const Executor executor = executor_of(&recorder);

  const size_t count = std::min(max_examples, data.size());
  Calibration result;
  // Pass 1: ranges; pass 2 (percentile < 100): histograms over them.
  const int passes = percentile < 100.0 ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    if (pass == 1) {
      for (ObservedDense& o : recorder.ranges) o.input.start_histogram(), o.output.start_histogram();
    }
    std::optional<ProgressBar> bar;
    if (progress) {
      bar.emplace(passes == 1 ? "calibrating"
                  : pass == 0 ? "calibrating (ranges)"
                              : "calibrating (histograms)",
                  count, "texts");
    }
    result.tokens = 0;
    for (size_t i = 0; i < count; ++i) {
      const Example& e = data[i * data.size() / count];  // evenly spaced over the file
      eb_error error;
      if (eb_session_tokenize(session, e.text.data(), e.text.size(),
                              e.has_text_b ? e.text_b.data() : nullptr, e.text_b.size(),
                              &error) != EB_OK) {
        throw std::runtime_error("calibration text at line " + std::to_string(e.line) + ": " +
                                 error.message);
      }
      eb_tokens tokens;
      eb_session_tokens(session, &tokens);
      const GraphSequence sequence{tokens.ids, tokens.token_type_ids, tokens.attention_mask,
                                   tokens.count};
      const GraphInput input{&sequence, 1, tokens.count};
      HeadResults heads;
      if (bert_forward(executor, *g.model, *g.weights, g.buffers, input, {}, &heads, &error) !=
          EB_OK) {
        throw std::runtime_error("calibration run: " + std::string(error.message));
      }
      result.tokens += tokens.count;
      if (bar) bar->update(i + 1);
    }
    if (bar) bar->finish();
  }
  result.examples = count;
  result.percentile = percentile;
  auto ranges = [&](const ObservedDense& o) {
    return DenseRanges{o.input.clipped(percentile), o.output.clipped(percentile)};
  };
  char name[96];
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    for (size_t i = 0; i < kDenseSlotsPerLayer; ++i) {
      const DenseId id{l, static_cast<DenseSlot>(i)};
      result.dense[dense_tensor_name(id, name, sizeof name)] = ranges(recorder.observed(id));
    }
  }
  DenseSlot slots[kMaxModelSlots];
  const size_t slot_count = model_dense_slots(d, g.model->has_pooler, slots);
  for (size_t m = 0; m < slot_count; ++m) {
    const DenseId id{0, slots[m]};
    result.dense[dense_tensor_name(id, name, sizeof name)] = ranges(recorder.observed(id));
  }
  return result;
}

}  // namespace edgebert::convert
