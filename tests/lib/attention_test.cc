// Attention maps (eb_session_attention): read from the op observer at each
// layer's "attention" step, they are transformers' output_attentions
// (tests/fixtures/tiny_bert/reference.json) to 1e-5 on the fp32 model, per
// sequence of a batch too; int8 models give the maps of their own Q and K, the
// same on every kernel set; calls out of place are refused.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

constexpr uint32_t kLayers = 2, kHeads = 4;

// A hook that copies every head of every sequence at each layer's "attention"
// step into maps[sequence] as (layers, heads, S, S), the layout of the
// fixture's "attentions".
struct AttentionRecorder {
  eb_session *session = nullptr;
  size_t sequences = 1;
  std::vector<std::vector<float>> maps;
  std::vector<std::string> failures;  // eb_session_attention errors seen by the hook
  int attention_steps = 0;

  static void observe(void *user, const char *op, int32_t layer) {
    auto *r = static_cast<AttentionRecorder *>(user);
    if (std::string(op) != "attention") return;
    ++r->attention_steps;
    r->maps.resize(r->sequences);
    for (size_t q = 0; q < r->sequences; ++q) {
      size_t S = 0;
      eb_error error;
      if (eb_session_attention(r->session, q, 0, nullptr, 0, &S, &error) != EB_OK) {
        r->failures.push_back(error.message);
        return;
      }
      std::vector<float> &m = r->maps[q];
      m.resize(size_t{kLayers} * kHeads * S * S);
      for (uint32_t h = 0; h < kHeads; ++h) {
        float *out = m.data() + (size_t(layer) * kHeads + h) * S * S;
        if (eb_session_attention(r->session, q, h, out, S * S, nullptr, &error) != EB_OK) {
          r->failures.push_back(error.message);
        }
      }
    }
  }
};

struct ObservedSession {
  std::vector<uint8_t> arena;
  Session session;
  AttentionRecorder recorder;

  explicit ObservedSession(const Model &model, uint32_t max_batch = 1,
                           const char *kernels = nullptr,
                           eb_provider provider = EB_PROVIDER_NATIVE) {
    eb_session_options options = eb_session_options_default();
    options.provider = provider;
    options.max_batch = max_batch;
    options.kernels = kernels;
    options.op_observer = &AttentionRecorder::observe;
    options.op_observer_user = &recorder;
    arena.resize(model.arena_size(options));
    eb_error error;
    REQUIRE_MESSAGE(session.init(model, arena.data(), arena.size(), options, &error) == EB_OK,
                    error.message);
    recorder.session = session.get();
  }
};

struct Case {
  std::vector<int32_t> ids, types, mask;
  std::vector<float> attentions;
  eb_input input() const { return eb_input{ids.data(), types.data(), mask.data(), ids.size()}; }
};

std::vector<Case> reference_cases() {
  std::vector<Case> cases;
  for (const auto &c : reference()["cases"]) {
    cases.push_back(Case{c["input_ids"].get<std::vector<int32_t>>(),
                         c["token_type_ids"].get<std::vector<int32_t>>(),
                         c["attention_mask"].get<std::vector<int32_t>>(),
                         c["attentions"].get<std::vector<float>>()});
  }
  return cases;
}

TEST_CASE(
    "Attention: the fp32 model's maps are transformers' "
    "output_attentions to 1e-5") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  std::vector<eb_provider> providers = {EB_PROVIDER_NATIVE};
  if (eb_provider_available(EB_PROVIDER_XNNPACK)) providers.push_back(EB_PROVIDER_XNNPACK);
  for (const eb_provider provider : providers) {
    CAPTURE(provider);
    ObservedSession o(model, 1, nullptr, provider);
    double worst = 0;
    for (const Case &c : reference_cases()) {
      const eb_input input = c.input();
      o.recorder.attention_steps = 0;
      REQUIRE(eb_session_run(o.session.get(), &input, nullptr) == EB_OK);
      REQUIRE(o.recorder.failures.empty());
      CHECK(o.recorder.attention_steps == static_cast<int>(kLayers));
      const std::vector<float> &m = o.recorder.maps[0];
      CAPTURE(c.ids.size());
      const double diff = max_abs_diff(m.data(), m.size(), c.attentions);
      CHECK(diff <= 1e-5);
      worst = std::max(worst, diff);
      // Masked keys get exactly 0, like exp(finfo.min) in transformers.
      const size_t S = c.ids.size();
      for (size_t row = 0; row < kLayers * kHeads * S; ++row) {
        for (size_t j = 0; j < S; ++j) {
          if (c.mask[j] == 0) CHECK(m[row * S + j] == 0.0f);
        }
      }
    }
    MESSAGE(std::string(eb_session_provider(o.session.get()))
            << " fp32 attention maps vs transformers: max |diff| " << worst);
  }
}

TEST_CASE("Attention: each sequence of a batch gets its own maps") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  const std::vector<Case> cases = reference_cases();
  const std::vector<size_t> picked = {3, 0, 9, 5};  // lengths 7, 1, 32, 16 with padding
  ObservedSession o(model, static_cast<uint32_t>(picked.size()));
  o.recorder.sequences = picked.size();
  std::vector<eb_input> inputs;
  for (size_t i : picked) inputs.push_back(cases[i].input());
  REQUIRE(eb_session_run_batch(o.session.get(), inputs.data(), inputs.size(), nullptr) == EB_OK);
  REQUIRE(o.recorder.failures.empty());
  for (size_t q = 0; q < picked.size(); ++q) {
    CAPTURE(q);
    const std::vector<float> &m = o.recorder.maps[q];
    CHECK(max_abs_diff(m.data(), m.size(), cases[picked[q]].attentions) <= 1e-5);
  }
}

TEST_CASE("Attention: int8 maps are close to fp32 and the same on every kernel set") {
  fb::ModelT quantized = import_fixture("classifier");
  convert::quantize_model(quantized);
  const convert::AlignedBytes bytes = convert::pack_model(quantized);
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  const Case c = reference_cases()[11];  // 64 tokens, a pair
  const eb_input input = c.input();
  ObservedSession reference(model, 1, "reference");
  REQUIRE(eb_session_run(reference.session.get(), &input, nullptr) == EB_OK);
  REQUIRE(reference.recorder.failures.empty());
  const std::vector<float> &ours = reference.recorder.maps[0];
  // Rows are probability distributions, and near the fp32 model's (int8 weights
  // move them).
  const size_t S = c.ids.size();
  for (size_t row = 0; row < kLayers * kHeads * S; ++row) {
    double sum = 0;
    for (size_t j = 0; j < S; ++j) sum += ours[row * S + j];
    CHECK(std::fabs(sum - 1.0) < 1e-5);
  }
  const double drift = max_abs_diff(ours.data(), ours.size(), c.attentions);
  MESSAGE("int8 vs transformers fp32 attention: max |diff| " << drift);
  CHECK(drift < 0.1);
  // Q and K are bit-identical across kernel sets, so the maps are too.
  ObservedSession best(model);
  REQUIRE(eb_session_run(best.session.get(), &input, nullptr) == EB_OK);
  CAPTURE(eb_session_kernels(best.session.get()));
  CHECK(best.recorder.maps[0] == ours);
}

TEST_CASE("Attention: the maps follow a text call's tokens") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  ObservedSession o(model);
  const std::string text = "the movie was not very good", pair = "it was fun";
  eb_classification result;
  REQUIRE(eb_session_classify_text(o.session.get(), text.data(), text.size(), pair.data(),
                                   pair.size(), &result, nullptr) == EB_OK);
  REQUIRE(o.recorder.failures.empty());
  eb_tokens tokens;
  eb_session_tokens(o.session.get(), &tokens);
  CHECK(o.recorder.maps[0].size() == kLayers * kHeads * tokens.count * tokens.count);
}

TEST_CASE(
    "Attention: refused outside an attention step, out of range or "
    "without room") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  struct Probe {
    eb_session *session = nullptr;
    std::vector<std::string> at_qkv, at_attention;
    static void observe(void *user, const char *op, int32_t) {
      auto *p = static_cast<Probe *>(user);
      std::vector<std::string> *errors = nullptr;
      const std::string step = op;
      if (step == "qkv") errors = &p->at_qkv;
      if (step == "attention") errors = &p->at_attention;
      if (errors == nullptr) return;
      float out[4];
      eb_error error;
      size_t tokens = 99;
      auto call = [&](size_t sequence, uint32_t head, float *buffer, size_t capacity) {
        const eb_status status =
            eb_session_attention(p->session, sequence, head, buffer, capacity, &tokens, &error);
        errors->push_back(status == EB_OK ? "ok" : error.message);
      };
      call(0, 0, nullptr, 0);   // size query
      call(1, 0, out, 4);       // no second sequence
      call(0, kHeads, out, 4);  // no such head
      call(0, 0, out, 4);       // 3 tokens need 9
    }
  };
  Probe probe;
  eb_session_options options = eb_session_options_default();
  options.op_observer = &Probe::observe;
  options.op_observer_user = &probe;
  std::vector<uint8_t> arena(model.arena_size(options));
  Session session;
  REQUIRE(session.init(model, arena.data(), arena.size(), options) == EB_OK);
  probe.session = session.get();
  const int32_t ids[3] = {2, 40, 3};
  REQUIRE(session.run(ids, 3) == EB_OK);
  REQUIRE(probe.at_attention.size() == 4 * kLayers);
  CHECK(probe.at_attention[0] == "ok");
  CHECK(probe.at_attention[1] == "sequence 1: the run has 1");
  CHECK(probe.at_attention[2] == "head 4: the model has 4");
  CHECK(probe.at_attention[3] == "out holds 4 floats; 3 tokens need 9");
  for (const std::string &message : probe.at_qkv) {
    CHECK(message.find("only inside the op observer") != std::string::npos);
  }
  // After the run, and on a session without a hook.
  float out[9];
  eb_error error;
  CHECK(eb_session_attention(session.get(), 0, 0, out, 9, nullptr, &error) ==
        EB_ERROR_INVALID_ARGUMENT);
  CHECK(session.attention(0, 0, out, 9) == EB_ERROR_INVALID_ARGUMENT);  // the C++ wrapper
  CHECK(eb_session_attention(nullptr, 0, 0, out, 9, nullptr, &error) == EB_ERROR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace edgebert::test
