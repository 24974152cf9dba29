// Threads for the native kernels (lib/src/parallel.*): sessions on a caller's pthreadpool give
// bit-identical outputs to one thread, whatever the thread count, and refuse threads without a
// pool. Skipped when built without pthreadpool.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "random_model.h"
#include "test_support.h"

#if EB_TEST_XNNPACK
#include <pthreadpool.h>
#endif

namespace edgebert::test {
namespace {

#if EB_TEST_XNNPACK
// Last hidden states and logits of `ids` on `threads` threads.
std::vector<float> outputs(const Model& model, uint32_t threads, const std::vector<int32_t>& ids,
                           eb_provider provider) {
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  eb_session_options options = eb_session_options_default();
  options.threads = threads;
  options.threadpool = pool;
  options.provider = provider;
  std::vector<uint8_t> arena(model.arena_size(options));
  Session session;
  eb_error error;
  REQUIRE_MESSAGE(session.init(model, arena.data(), arena.size(), options, &error) == EB_OK,
                  error.message);
  REQUIRE(session.run(ids.data(), ids.size(), nullptr, nullptr, &error) == EB_OK);
  const OutputView hidden = session.output(EB_OUTPUT_LAST_HIDDEN);
  const OutputView logits = session.output(EB_OUTPUT_LOGITS);
  std::vector<float> out(hidden.begin(), hidden.end());
  out.insert(out.end(), logits.begin(), logits.end());
  if (pool != nullptr) pthreadpool_destroy(pool);
  return out;
}

TEST_CASE("Threads: int8 kernels on 2 and 3 threads give the bits of one thread") {
  // Wide enough for several GEMM column tasks (1536 / 64) and 6 attention heads; 7-bit and 8-bit.
  const convert::BertShape shape = wide_test_shape(64);
  for (const int bits : {8, 7}) {
    fb::ModelT spec = convert::random_bert(shape, 3);
    spec.config->max_seq = 64;
    convert::quantize_model(spec, bits);
    const convert::AlignedBytes bytes = convert::pack_model(spec);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    for (const size_t n : {1, 13, 64}) {
      std::vector<int32_t> ids(n);
      for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>((i * 37 + 11) % 1000);
      const std::vector<float> one = outputs(model, 1, ids, EB_PROVIDER_NATIVE);
      CAPTURE(bits);
      CAPTURE(n);
      CHECK(outputs(model, 2, ids, EB_PROVIDER_NATIVE) == one);
      CHECK(outputs(model, 3, ids, EB_PROVIDER_NATIVE) == one);
    }
  }
}

TEST_CASE("Threads: XNNPACK fp32 on 2 threads gives the bits of one thread") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  const std::vector<int32_t> ids = {2, 40, 17, 33, 8, 3};
  CHECK(outputs(model, 2, ids, EB_PROVIDER_XNNPACK) == outputs(model, 1, ids, EB_PROVIDER_XNNPACK));
}
#endif

TEST_CASE("Threads: more than one thread needs a pool (or a build with pthreadpool)") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  eb_session_options options = eb_session_options_default();
  options.threads = 2;
  std::vector<uint8_t> arena(model.arena_size(options));
  Session session;
  eb_error error;
  const eb_status status = session.init(model, arena.data(), arena.size(), options, &error);
  CHECK((status == EB_ERROR_INVALID_ARGUMENT || status == EB_ERROR_UNSUPPORTED));
  CHECK(std::string(error.message).find("thread") != std::string::npos);
}

}  // namespace
}  // namespace edgebert::test
