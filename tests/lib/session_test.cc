// Sessions: arena sizing and placement, input validation, outputs, several sessions per model.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

struct Loaded {
  convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  Loaded() { REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK); }
};

const int32_t kIds[6] = {2, 40, 41, 70, 12, 3};

TEST_CASE("Session: arena size grows with max_seq and is refused when too small") {
  Loaded m;
  const size_t full = m.model.arena_size();
  CHECK(full > 0);
  CHECK(m.model.arena_size(64) == full);
  CHECK(m.model.arena_size(16) < full);
  CHECK(m.model.arena_size(65) == 0);
  CHECK(eb_arena_size(nullptr, 0, 1) == 0);

  std::vector<uint8_t> arena(full);
  Session session;
  eb_error error;
  CHECK(session.init(m.model, arena.data(), full - 1, eb_session_options_default(), &error) ==
        EB_ERROR_ARENA_TOO_SMALL);
  CHECK(std::string(error.message).find("(1 missing)") != std::string::npos);
  CHECK(session.init(m.model, arena.data(), full, eb_session_options_default(), &error) == EB_OK);
}

TEST_CASE("Session: any arena alignment gives the same outputs") {
  Loaded m;
  const size_t bytes = m.model.arena_size(8);
  std::vector<uint8_t> storage(bytes + 64);
  std::vector<float> first;
  for (size_t shift = 0; shift < 64; shift += 7) {
    Session session;
    eb_session_options options = eb_session_options_default();
    options.max_seq = 8;
    REQUIRE(session.init(m.model, storage.data() + shift, bytes, options) == EB_OK);
    REQUIRE(session.run(kIds, 6) == EB_OK);
    const OutputView probs = session.output(EB_OUTPUT_PROBABILITIES);
    REQUIRE(probs.size == 3);
    if (first.empty()) {
      first.assign(probs.begin(), probs.end());
    } else {
      CHECK(std::memcmp(first.data(), probs.data, 3 * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("Session: a short max_seq plan gives the same result as the full plan") {
  Loaded m;
  std::vector<uint8_t> small(m.model.arena_size(6)), large(m.model.arena_size());
  Session a, b;
  eb_session_options options = eb_session_options_default();
  options.max_seq = 6;
  REQUIRE(a.init(m.model, small.data(), small.size(), options) == EB_OK);
  REQUIRE(b.init(m.model, large.data(), large.size()) == EB_OK);
  REQUIRE(a.run(kIds, 6) == EB_OK);
  REQUIRE(b.run(kIds, 6) == EB_OK);
  const OutputView ha = a.output(EB_OUTPUT_LAST_HIDDEN), hb = b.output(EB_OUTPUT_LAST_HIDDEN);
  REQUIRE(ha.size == 6 * 32);
  CHECK(std::memcmp(ha.data, hb.data, ha.size * sizeof(float)) == 0);
  int32_t seven[7] = {2, 5, 6, 7, 8, 9, 3};
  eb_error error;
  CHECK(a.run(seven, 7, nullptr, nullptr, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(std::string(error.message) == "7 tokens; this session takes 1 to 6");
}

TEST_CASE("Session: bad input is refused with a message and nothing runs") {
  Loaded m;
  std::vector<uint8_t> arena(m.model.arena_size());
  Session session;
  REQUIRE(session.init(m.model, arena.data(), arena.size()) == EB_OK);
  CHECK(session.output(EB_OUTPUT_LOGITS).data == nullptr);  // nothing has run yet
  CHECK(session.label() == -1);
  eb_error error;
  const int32_t bad_id[3] = {2, 128, 3};
  CHECK(session.run(bad_id, 3, nullptr, nullptr, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(std::string(error.message) == "input_ids[1] = 128 is outside [0, 128)");
  const int32_t negative[2] = {-1, 3};
  CHECK(session.run(negative, 2) == EB_ERROR_INVALID_INPUT);
  const int32_t types[3] = {0, 2, 0};
  CHECK(session.run(kIds, 3, types, nullptr, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(std::string(error.message) == "token_type_ids[1] = 2 is outside [0, 2)");
  const int32_t no_attention[3] = {0, 0, 0};
  CHECK(session.run(kIds, 3, nullptr, no_attention, &error) == EB_ERROR_INVALID_INPUT);
  const int32_t two[3] = {1, 2, 1};
  CHECK(session.run(kIds, 3, nullptr, two, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(session.run(kIds, 0, nullptr, nullptr, &error) == EB_ERROR_INVALID_INPUT);
  CHECK(session.run(nullptr, 3, nullptr, nullptr, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(eb_session_run(nullptr, nullptr, &error) == EB_ERROR_INVALID_ARGUMENT);
  CHECK(session.output(EB_OUTPUT_LOGITS).data == nullptr);  // failed runs publish no outputs
  REQUIRE(session.run(kIds, 6) == EB_OK);
  CHECK(session.output(EB_OUTPUT_LOGITS).size == 3);
}

TEST_CASE("Session: outputs follow the model's task") {
  SUBCASE("encoder without classifier") {
    const convert::AlignedBytes bytes = packed_fixture("base");
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    CHECK(model.info().task == EB_TASK_ENCODER);
    std::vector<uint8_t> arena(model.arena_size());
    Session session;
    REQUIRE(session.init(model, arena.data(), arena.size()) == EB_OK);
    REQUIRE(session.run(kIds, 6) == EB_OK);
    CHECK(session.output(EB_OUTPUT_LOGITS).data == nullptr);
    CHECK(session.output(EB_OUTPUT_PROBABILITIES).data == nullptr);
    CHECK(session.label() == -1);
    CHECK(session.output(EB_OUTPUT_POOLED).size == 32);
    CHECK(session.output(EB_OUTPUT_EMBEDDING).size == 32);
    CHECK(session.output(EB_OUTPUT_LAST_HIDDEN).size == 6 * 32);
  }
  SUBCASE("sentence embedding is unit length") {
    const convert::AlignedBytes bytes = packed_fixture("sentence");
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    CHECK(model.info().task == EB_TASK_EMBEDDING);
    std::vector<uint8_t> arena(model.arena_size());
    Session session;
    REQUIRE(session.init(model, arena.data(), arena.size()) == EB_OK);
    REQUIRE(session.run(kIds, 6) == EB_OK);
    double norm = 0;
    for (float v : session.output(EB_OUTPUT_EMBEDDING)) norm += double(v) * v;
    CHECK(norm == doctest::Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("Session: two sessions over one model are independent") {
  Loaded m;
  std::vector<uint8_t> arena_a(m.model.arena_size()), arena_b(m.model.arena_size());
  Session a, b;
  REQUIRE(a.init(m.model, arena_a.data(), arena_a.size()) == EB_OK);
  REQUIRE(b.init(m.model, arena_b.data(), arena_b.size()) == EB_OK);
  const int32_t other[4] = {2, 90, 91, 3};
  REQUIRE(a.run(kIds, 6) == EB_OK);
  std::vector<float> before(a.output(EB_OUTPUT_LOGITS).begin(), a.output(EB_OUTPUT_LOGITS).end());
  REQUIRE(b.run(other, 4) == EB_OK);
  CHECK(std::memcmp(before.data(), a.output(EB_OUTPUT_LOGITS).data, 3 * sizeof(float)) == 0);
  CHECK(std::memcmp(before.data(), b.output(EB_OUTPUT_LOGITS).data, 3 * sizeof(float)) != 0);
}

TEST_CASE("Session: the op observer sees every step in order and changes nothing") {
  struct Seen {
    std::vector<std::string> ops;
    static void observe(void* user, const char* op, int32_t layer) {
      static_cast<Seen*>(user)->ops.push_back(std::string(op) + "@" + std::to_string(layer));
    }
  };
  fb::ModelT quantized = import_fixture("classifier");
  convert::quantize_model(quantized);
  struct Case {
    bool int8;
    eb_provider provider;
  };
  std::vector<Case> cases = {{false, EB_PROVIDER_NATIVE}, {true, EB_PROVIDER_NATIVE}};
  if (eb_provider_available(EB_PROVIDER_XNNPACK)) cases.push_back({false, EB_PROVIDER_XNNPACK});
  for (const Case& c : cases) {
    const bool int8 = c.int8;
    CAPTURE(c.provider);
    const convert::AlignedBytes bytes =
        int8 ? convert::pack_model(quantized) : packed_fixture("classifier");
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    eb_session_options options = eb_session_options_default();
    options.provider = c.provider;
    std::vector<uint8_t> plain_arena(model.arena_size(options)),
        observed_arena(model.arena_size(options));
    Session plain, observed;
    Seen seen;
    REQUIRE(plain.init(model, plain_arena.data(), plain_arena.size(), options) == EB_OK);
    options.op_observer = &Seen::observe;
    options.op_observer_user = &seen;
    REQUIRE(observed.init(model, observed_arena.data(), observed_arena.size(), options) == EB_OK);
    const std::string text = "the movie was great";
    eb_classification a, b;
    REQUIRE(eb_session_classify_text(plain.get(), text.data(), text.size(), nullptr, 0, &a,
                                     nullptr) == EB_OK);
    REQUIRE(eb_session_classify_text(observed.get(), text.data(), text.size(), nullptr, 0, &b,
                                     nullptr) == EB_OK);
    CHECK(std::memcmp(a.probabilities, b.probabilities, 3 * sizeof(float)) == 0);
    std::vector<std::string> expected = {"tokenize@-1", "embeddings@-1"};
    for (int layer = 0; layer < 2; ++layer) {
      const std::string at = "@" + std::to_string(layer);
      // One graph: every executor reports the same steps.
      for (const char* op : {"qkv", "attention", "attention_output", "attention_norm",
                             "intermediate", "output", "output_norm"}) {
        expected.push_back(op + at);
      }
    }
    for (const char* op : {"pooling@-1", "pooler@-1", "classifier@-1"}) expected.push_back(op);
    CHECK(seen.ops == expected);
  }
}

}  // namespace
}  // namespace edgebert::test
