// The trainer's model I/O (converter/trainer/model_io.cc) over the runtime's layout: every shape
// the runtime runs, heads x head_dim != hidden included, loads into the trainer, computes what
// the runtime computes, and goes back into a file the runtime loads.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "model_file.h"
#include "random_model.h"
#include "trainer/model_io.h"

namespace edgebert::convert {
namespace {

TEST_CASE("Trainer model I/O: heads x head_dim != hidden loads, matches the runtime, saves") {
  BertShape s;
  s.num_layers = 2, s.hidden = 32, s.num_heads = 2, s.head_dim = 24;  // A = 48 != H = 32
  s.intermediate = 64, s.vocab_size = 50, s.max_positions = 16, s.num_labels = 3;
  fb::ModelT spec = random_bert(s, 3);
  const train::BertShape shape = trainer_shape(spec, 3, false);
  CHECK(train::attention_width(shape) == 48);
  train::BertModel<float> trainer(shape);
  CHECK(load_weights(trainer, spec).empty());  // every tensor found, at the layout's shape

  const std::vector<int32_t> ids = {2, 7, 11, 5, 43, 3};
  train::Batch batch;
  batch.B = 1, batch.T = ids.size();
  batch.ids = ids;
  batch.types.assign(ids.size(), 0);
  batch.mask.assign(ids.size(), 1);
  batch.labels = {1};
  trainer.forward(batch);

  const AlignedBytes bytes = pack_model(spec);
  Model model;
  eb_error error;
  REQUIRE_MESSAGE(model.init(bytes.data(), bytes.size(), &error) == EB_OK, error.message);
  std::vector<uint8_t> arena(model.arena_size());
  Session session;
  REQUIRE(session.init(model, arena.data(), arena.size()) == EB_OK);
  REQUIRE(session.run(ids.data(), ids.size(), nullptr, nullptr, &error) == EB_OK);
  const OutputView probabilities = session.output(EB_OUTPUT_PROBABILITIES);
  REQUIRE(probabilities.size == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(std::fabs(trainer.probs()[i] - probabilities.data[i]) <= 1e-5);
  }

  // Back into a file: the runtime loads it (the trainer wrote every tensor at its shape).
  for (float& p : trainer.params()) p *= 0.5f;
  store_weights(trainer, spec, {"a", "b", "c"});
  const AlignedBytes saved = pack_model(spec);
  Model reloaded;
  CHECK_MESSAGE(reloaded.init(saved.data(), saved.size(), &error) == EB_OK, error.message);
}

}  // namespace
}  // namespace edgebert::convert
