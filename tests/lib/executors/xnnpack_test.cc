// The XNNPACK executor (lib/src/executors/xnnpack_executor.*): parity with Hugging Face and with
// our fp32 reference, operators reused across sequence lengths and threads, the arena region
// holding everything XNNPACK allocates, and clear refusals. Skipped when built without XNNPACK.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "calibrate.h"
#include "edgebert/edgebert.hpp"
#include "kernels/packing.h"
#include "labelled_data.h"
#include "lib/parity.h"
#include "model_file.h"
#include "quantize.h"
#include "random_model.h"
#include "session.h"
#include "test_support.h"

#if EB_TEST_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>
#endif

namespace edgebert::test {
namespace {

bool xnnpack() { return eb_provider_available(EB_PROVIDER_XNNPACK) != 0; }

eb_session_options with(eb_provider provider, uint32_t max_seq = 0, void* threadpool = nullptr,
                        uint32_t threads = 1) {
  eb_session_options options = eb_session_options_default();
  options.provider = provider;
  options.max_seq = max_seq;
  options.threadpool = threadpool;
  options.threads = threads;  // the pool is used only with threads > 1
  return options;
}

// A session in its own arena.
struct Run {
  std::vector<uint8_t> arena;
  Session session;
  eb_status init(const Model& model, const eb_session_options& options, eb_error* error) {
    arena.assign(model.arena_size(options), 0);
    return session.init(model, arena.data(), arena.size(), options, error);
  }
  std::vector<float> hidden(const std::vector<int32_t>& ids) {
    eb_error error;
    REQUIRE_MESSAGE(session.run(ids.data(), ids.size(), nullptr, nullptr, &error) == EB_OK,
                    error.message);
    const OutputView h = session.output(EB_OUTPUT_LAST_HIDDEN);
    return {h.begin(), h.end()};
  }
};

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  return max_abs_diff(a.data(), a.size(), b);
}

std::vector<int32_t> ids_of_length(size_t n, uint32_t vocab, uint32_t seed) {
  std::vector<int32_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((seed * 7919u + i * 104729u) % vocab);
  return ids;
}

// Cases that need the provider exist only in builds with it (never a silent pass without it).
#if EB_TEST_XNNPACK
TEST_CASE("XNNPACK: fp32 models match transformers like the reference path") {
  require_parity(run_parity(packed_fixture("classifier"), "mean_embedding", EB_PROVIDER_XNNPACK));
  require_parity(run_parity(packed_fixture("base"), "mean_embedding", EB_PROVIDER_XNNPACK));
  require_parity(
      run_parity(packed_fixture("sentence"), "normalized_mean_embedding", EB_PROVIDER_XNNPACK));
}

#endif  // EB_TEST_XNNPACK

TEST_CASE("XNNPACK: the default provider is XNNPACK for fp32 models, native for int8 ones") {
  fb::ModelT spec = import_fixture("classifier");
  const convert::AlignedBytes fp32 = convert::pack_model(spec);
  convert::quantize_model(spec);
  const convert::AlignedBytes int8 = convert::pack_model(spec);
  for (const auto* bytes : {&fp32, &int8}) {
    Model model;
    REQUIRE(model.init(bytes->data(), bytes->size()) == EB_OK);
    Run run;
    eb_error error;
    REQUIRE(run.init(model, eb_session_options_default(), &error) == EB_OK);
    const bool expect_xnnpack = xnnpack() && bytes == &fp32;
    CHECK(std::string(eb_session_provider(run.session.get())) ==
          (expect_xnnpack ? "xnnpack" : "native"));
    CHECK(model.arena_size() == model.arena_size(eb_session_options_default()));
  }
}

#if EB_TEST_XNNPACK
// A MiniLM-wide random model (2 layers): real XNNPACK tile paths, and a region bound that must
// hold for wide layers as well as for the tiny fixture.
TEST_CASE("XNNPACK: fp32 follows the reference at every length, reused operators, 1 and 2 threads") {
  const convert::BertShape shape = wide_test_shape(128);
  fb::ModelT spec = convert::random_bert(shape, 7);
  spec.config->max_seq = 128;
  const convert::AlignedBytes bytes = convert::pack_model(spec);
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  eb_error error;
  Run reference, one;
  REQUIRE(reference.init(model, with(EB_PROVIDER_NATIVE), &error) == EB_OK);
  REQUIRE_MESSAGE(one.init(model, with(EB_PROVIDER_XNNPACK), &error) == EB_OK, error.message);
  const XnnpackSession& x = *one.session.get()->xnnpack;
  MESSAGE("XNNPACK region: " << x.used_bytes << " of " << x.region_bytes << " planned bytes used");
  CHECK(x.used_bytes <= x.region_bytes);
  CHECK(x.used_bytes * 10 >= x.region_bytes * 7);  // the bound stays tight (>= 70% used)
  pthreadpool_t pool = pthreadpool_create(2);
  REQUIRE(pool != nullptr);
  Run two;
  REQUIRE(two.init(model, with(EB_PROVIDER_XNNPACK, 0, pool, 2), &error) == EB_OK);
  REQUIRE(two.session.get()->native.parallel.pool == pool);  // really on the 2-thread pool
  // Lengths out of order: each new length sets the operators up again, a repeated one reuses them.
  for (const size_t n : {5, 128, 1, 17, 5, 64}) {
    CAPTURE(n);
    const std::vector<int32_t> ids = ids_of_length(n, shape.vocab_size, static_cast<uint32_t>(n));
    const std::vector<float> want = reference.hidden(ids);
    const std::vector<float> got = one.hidden(ids);
    CHECK(max_diff(got, want) <= 1e-4);
    CHECK(two.hidden(ids) == got);  // threads split rows and columns, never a dot product
  }
  pthreadpool_destroy(pool);
}

// The static int8 arithmetic, written out: q = clamp(round(x / s_in) + z_in); acc = sum (q - z_in)
// w + round(b / (s_in s_w)); y = clamp(round(acc s_in s_w / s_out) + z_out); out = (y - z_out) s_out.
std::vector<float> emulate_static_dense(const DenseWeights& w, size_t n, size_t k,
                                        const std::vector<float>& in, size_t rows) {
  const size_t kp = packed_k(k);
  const double s_w = w.scales[0], s_in = w.input_scale, s_out = w.output_scale;
  auto clamp8 = [](double v) { return v < -128 ? -128.0 : (v > 127 ? 127.0 : v); };
  std::vector<float> out(rows * n);
  for (size_t r = 0; r < rows; ++r) {
    std::vector<int32_t> q(k);
    for (size_t c = 0; c < k; ++c) {
      q[c] = static_cast<int32_t>(
          clamp8(std::nearbyint(in[r * k + c] / w.input_scale) + w.input_zero_point));
    }
    for (size_t j = 0; j < n; ++j) {
      int64_t acc = static_cast<int64_t>(std::nearbyint(w.bias[j] / (s_in * s_w)));
      for (size_t c = 0; c < k; ++c) {
        acc += static_cast<int64_t>(q[c] - w.input_zero_point) * w.packed[packed_index(j, c, kp)];
      }
      const double y = clamp8(std::nearbyint(static_cast<double>(acc) * s_in * s_w / s_out) +
                              w.output_zero_point);
      out[r * n + j] = static_cast<float>((y - w.output_zero_point) * s_out);
    }
  }
  return out;
}

TEST_CASE("XNNPACK: static int8 operators compute the static int8 arithmetic (within one step)") {
  fb::ModelT spec = import_fixture("classifier");
  const convert::AlignedBytes fp32 = convert::pack_model(spec);
  const convert::Calibration calibration = convert::calibrate(
      fp32, convert::read_labelled_file(fixture_path("sst2_dev_sample.tsv")), 32);
  convert::quantize_model(spec, 8, &calibration);
  const convert::AlignedBytes bytes = convert::pack_model(spec);
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  eb_error error;
  Run run;
  REQUIRE_MESSAGE(run.init(model, with(EB_PROVIDER_XNNPACK), &error) == EB_OK, error.message);
  const size_t rows = 7;
  run.hidden(ids_of_length(rows, model.info().vocab_size, 3));  // sets the operators up for 7 rows
  eb_session* s = run.session.get();
  XnnpackSession& x = *s->xnnpack;
  const ModelDims& d = s->model->dims;
  std::mt19937 rng(5);
  size_t steps_off = 0, values = 0;
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    for (size_t i = 0; i < kDenseSlotsPerLayer; ++i) {
      const XnnpackDense& op = x.ops[l * kDenseSlotsPerLayer + i];
      REQUIRE(op.int8);
      const DenseWeights& w = *dense_slot(s->weights, d, {l, static_cast<DenseSlot>(i)}).weights;
      // Inputs over the calibrated range and 20% beyond it (clipped by quantization).
      const float lo = (-128 - w.input_zero_point) * w.input_scale * 1.2f;
      const float hi = (127 - w.input_zero_point) * w.input_scale * 1.2f;
      std::uniform_real_distribution<float> value(lo, hi);
      std::vector<float> in(rows * op.k), got(rows * op.n);
      for (float& v : in) v = value(rng);
      REQUIRE(xnnpack_run_dense(x, l * kDenseSlotsPerLayer + i, got.data(), in.data(), rows,
                                &error) == EB_OK);
      const std::vector<float> want = emulate_static_dense(w, op.n, op.k, in, rows);
      for (size_t j = 0; j < got.size(); ++j) {
        const double diff = std::fabs(double(got[j]) - want[j]);
        REQUIRE(diff <= w.output_scale * 1.001);  // XNNPACK rounds in fp32: ties may go 1 step off
        steps_off += diff > w.output_scale * 0.5;
        ++values;
      }
    }
  }
  MESSAGE(values << " outputs of " << d.num_layers * kDenseSlotsPerLayer << " operators: "
                 << steps_off << " one step off the double-precision emulation");
  CHECK(steps_off * 100 <= values);  // rare: only near rounding ties
}

// A failed XNNPACK setup or run must stop the run with an error naming the layer, never return
// EB_OK over stale outputs. The failures are forced by swapping one layer's operator for an
// operator of another type (XNNPACK's setup refuses it) or for one never set up (its run does).
TEST_CASE("XNNPACK: a failed operator setup or run is an error naming the layer") {
  Model model;
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  eb_error error;
  Run run;
  REQUIRE_MESSAGE(run.init(model, with(EB_PROVIDER_XNNPACK), &error) == EB_OK, error.message);
  const std::vector<int32_t> ids = ids_of_length(6, model.info().vocab_size, 2);
  const std::vector<float> good = run.hidden(ids);
  XnnpackSession& x = *run.session.get()->xnnpack;
  const size_t slot = 1 * kDenseSlotsPerLayer + static_cast<size_t>(DenseSlot::Intermediate);
  XnnpackDense& op = x.ops[slot];
  xnn_operator_t clamp = nullptr;
  REQUIRE(xnn_create_clamp_nc_f32(op.k, op.k, op.k, -1.0f, 1.0f, 0, &clamp) == xnn_status_success);
  void* const real = op.op;
  op.op = clamp;
  // Setup: a new length makes the run set the operator up, and a clamp is no fully connected one.
  const std::vector<int32_t> longer = ids_of_length(9, model.info().vocab_size, 3);
  CHECK(run.session.run(longer.data(), longer.size(), nullptr, nullptr, &error) ==
        EB_ERROR_UNSUPPORTED);
  std::string message = error.message;
  CHECK(message.find("XNNPACK setup of encoder.layer.1.intermediate.dense.weight") !=
        std::string::npos);
  CHECK(run.session.output(EB_OUTPUT_LAST_HIDDEN).size == 0);  // no outputs after a failure
  // Run: at the length it is set up for, setup is skipped and the unset clamp refuses to run.
  CHECK(run.session.run(ids.data(), ids.size(), nullptr, nullptr, &error) == EB_ERROR_UNSUPPORTED);
  message = error.message;
  CHECK(message.find("XNNPACK run of encoder.layer.1.intermediate.dense.weight failed") !=
        std::string::npos);
  op.op = real;
  CHECK(run.hidden(ids) == good);  // the real operator still runs, with the same bits
  xnn_delete_operator(clamp);
}

#endif  // EB_TEST_XNNPACK

TEST_CASE("Static int8 scales that XNNPACK would reject or assert on are refused at load") {
  fb::ModelT fp32_spec = import_fixture("classifier");
  const convert::Calibration calibration = convert::calibrate(
      convert::pack_model(fp32_spec), convert::read_labelled_file(fixture_path("sst2_dev_sample.tsv")), 8);
  auto load = [&](const std::function<void(fb::TensorT&)>& tamper, eb_error* error) {
    fb::ModelT spec = import_fixture("classifier");
    convert::quantize_model(spec, 8, &calibration);
    for (auto& t : spec.tensors) {
      if (t->name == "encoder.layer.1.intermediate.dense.weight") tamper(*t);
    }
    const convert::AlignedBytes bytes = convert::serialize_model(spec);  // unchecked, unlike pack
    eb_model model;
    return eb_model_init(&model, bytes.data(), bytes.size(), error);
  };
  eb_error error;
  CHECK(load([](fb::TensorT&) {}, &error) == EB_OK);
  // Requantization scale input * weight / output below 2^-32 (Debian's XNNPACK asserts) or 256+.
  CHECK(load([](fb::TensorT& t) { t.output_scale = 1e30f; }, &error) == EB_ERROR_INVALID_MODEL);
  CHECK(std::string(error.message).find("activation scales out of range") != std::string::npos);
  CHECK(load([](fb::TensorT& t) { t.output_scale = 1e-30f; }, &error) == EB_ERROR_INVALID_MODEL);
  CHECK(load([](fb::TensorT& t) { t.input_scale = 1e-40f; }, &error) == EB_ERROR_INVALID_MODEL);
  CHECK(load([](fb::TensorT& t) { t.output_scale = NAN; }, &error) == EB_ERROR_INVALID_MODEL);
  CHECK(load([](fb::TensorT& t) { t.output_scale = -1.0f; }, &error) == EB_ERROR_INVALID_MODEL);
  // Static scales need one weight scale per tensor.
  CHECK(load([](fb::TensorT& t) { t.scales[1] *= 2.0f; }, &error) == EB_ERROR_INVALID_MODEL);
  CHECK(std::string(error.message).find("more than one weight scale") != std::string::npos);
}

TEST_CASE("XNNPACK: per-channel int8 models and builds without XNNPACK are refused clearly") {
  fb::ModelT spec = import_fixture("classifier");
  convert::quantize_model(spec);
  const convert::AlignedBytes bytes = convert::pack_model(spec);
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  CHECK(model.arena_size(with(EB_PROVIDER_XNNPACK)) == 0);
  Run run;
  eb_error error;
  std::vector<uint8_t> arena(model.arena_size(with(EB_PROVIDER_NATIVE)));
  CHECK(run.session.init(model, arena.data(), arena.size(), with(EB_PROVIDER_XNNPACK), &error) ==
        EB_ERROR_UNSUPPORTED);
  const std::string message = error.message;
  CHECK(message.find(xnnpack() ? "--per-tensor --calib" : "without XNNPACK") != std::string::npos);
  // An unknown provider (3: inside the enum's value range, so reading it is defined C++).
  CHECK(run.session.init(model, arena.data(), arena.size(), with(static_cast<eb_provider>(3)),
                         &error) == EB_ERROR_UNSUPPORTED);
}

}  // namespace
}  // namespace edgebert::test
