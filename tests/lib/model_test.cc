// Model loading: verification, semantic checks, and refusal of corrupt or truncated files.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

using convert::AlignedBytes;

AlignedBytes copy_of(const AlignedBytes& bytes, size_t size) {
  AlignedBytes copy(size);
  std::memcpy(copy.data(), bytes.data(), size);
  return copy;
}

eb_status load(const AlignedBytes& bytes, eb_error* error) {
  eb_model model;
  return eb_model_init(&model, bytes.data(), bytes.size(), error);
}

// Loads `bytes`; when the runtime accepts them, runs one input of ids and one text so a model that
// slips through the checks must still run without crashing. Returns the load status.
eb_status load_and_run(const AlignedBytes& bytes) {
  Model model;
  const eb_status status = model.init(bytes.data(), bytes.size());
  if (status != EB_OK) return status;
  std::vector<uint8_t> arena(model.arena_size(8));
  Session session;
  eb_session_options options = eb_session_options_default();
  options.max_seq = 8;
  REQUIRE(session.init(model, arena.data(), arena.size(), options) == EB_OK);
  const int32_t ids[4] = {2, 7, 9, 3};
  const eb_status run = session.run(ids, 4);
  CHECK((run == EB_OK || run == EB_ERROR_INVALID_INPUT));
  if (model.info().has_tokenizer) {
    const char text[] = "The movie was GREAT!";
    eb_classification result;
    const eb_status classified = eb_session_classify_text(session.get(), text, sizeof text - 1,
                                                          "pair", 4, &result, nullptr);
    CHECK((classified == EB_OK || classified == EB_ERROR_INVALID_INPUT ||
           classified == EB_ERROR_UNSUPPORTED));
  }
  return status;
}

AlignedBytes packed_int8_fixture() {
  fb::ModelT model = import_fixture("classifier");
  convert::quantize_model(model);
  return convert::pack_model(model);
}

TEST_CASE("Model: loads the imported fixture and reports its shape") {
  const AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  eb_error error;
  REQUIRE_MESSAGE(model.init(bytes.data(), bytes.size(), &error) == EB_OK, error.message);
  const eb_model_info info = model.info();
  CHECK(info.schema_version == 1);
  CHECK(info.num_layers == 2);
  CHECK(info.hidden == 32);
  CHECK(info.num_heads == 4);
  CHECK(info.head_dim == 8);
  CHECK(info.intermediate == 48);
  CHECK(info.vocab_size == 128);
  CHECK(info.max_positions == 64);
  CHECK(info.type_vocab_size == 2);
  CHECK(info.max_seq == 64);
  CHECK(info.task == EB_TASK_CLASSIFICATION);
  CHECK(info.num_labels == 3);
  CHECK(info.has_pooler == 1);
  CHECK(std::string(model.label(0)) == "negative");
  CHECK(std::string(model.label(2)) == "positive");
  CHECK(model.label(3) == nullptr);
  CHECK(std::string(eb_model_producer(model.get())) == "edgebert-convert 0.1.0");
  CHECK(std::string(eb_model_source(model.get())).rfind("hf:BertForSequenceClassification:", 0) == 0);
}

TEST_CASE("Model: every truncation is refused with an error") {
  for (const bool int8 : {false, true}) {
    const AlignedBytes bytes = int8 ? packed_int8_fixture() : packed_fixture("classifier");
    // Every length below 256 (header, vtables) and then a coarse grid over the whole file.
    std::vector<size_t> lengths;
    for (size_t n = 0; n < 256; ++n) lengths.push_back(n);
    for (size_t n = 256; n < bytes.size(); n += bytes.size() / 211) lengths.push_back(n);
    lengths.push_back(bytes.size() - 1);
    for (size_t n : lengths) {
      const AlignedBytes truncated = copy_of(bytes, n);
      eb_error error{};
      const eb_status status =
          n == 0 ? eb_model_init(nullptr, nullptr, 0, &error) : load(truncated, &error);
      INFO((int8 ? "int8" : "fp32") << " length " << n);
      CHECK(status != EB_OK);
      if (n >= 8) {
        CHECK(status == EB_ERROR_INVALID_MODEL);
        CHECK(std::strlen(error.message) > 0);
      }
    }
  }
}

TEST_CASE("Model: random bit flips and byte overwrites never crash the loader or the run") {
  for (const bool int8 : {false, true}) {
    const AlignedBytes bytes = int8 ? packed_int8_fixture() : packed_fixture("classifier");
    std::mt19937_64 rng(int8 ? 8 : 7);
    int refused = 0, accepted = 0;
    for (int trial = 0; trial < 2000; ++trial) {
      AlignedBytes mutated = copy_of(bytes, bytes.size());
      // Anywhere in the file: FlatBuffer structure, tokenizer tables, weights and scales.
      const size_t position = rng() % bytes.size();
      if (trial % 2 == 0) {
        mutated.data()[position] ^= static_cast<uint8_t>(1u << (rng() % 8));
      } else {
        mutated.data()[position] = static_cast<uint8_t>(rng());
      }
      const eb_status status = load_and_run(mutated);
      (status == EB_OK ? accepted : refused) += 1;
      CHECK((status == EB_OK || status == EB_ERROR_INVALID_MODEL ||
             status == EB_ERROR_UNSUPPORTED || status == EB_ERROR_MISALIGNED));
    }
    MESSAGE((int8 ? "int8" : "fp32") << " bit flips: " << refused << " refused, " << accepted
                                     << " accepted (data changed)");
    CHECK(refused > 0);
  }
}

TEST_CASE("Model: specific defects give specific errors") {
  eb_error error;
  SUBCASE("not an edgebert file") {
    AlignedBytes text(64);
    std::memset(text.data(), 'x', 64);
    CHECK(load(text, &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message).find("identifier") != std::string::npos);
  }
  SUBCASE("misaligned bytes") {
    const AlignedBytes bytes = packed_fixture("classifier");
    AlignedBytes shifted(bytes.size() + 4);
    std::memcpy(shifted.data() + 4, bytes.data(), bytes.size());
    eb_model model;
    CHECK(eb_model_init(&model, shifted.data() + 4, bytes.size(), &error) == EB_ERROR_MISALIGNED);
    CHECK(eb_arena_size(&model, 0, 1) == 0);  // a failed init leaves an unusable model
  }
  SUBCASE("newer schema version") {
    fb::ModelT model = import_fixture("classifier");
    model.schema_version = EB_SCHEMA_VERSION + 1;
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_UNSUPPORTED);
    CHECK(std::string(error.message).find("schema version " + std::to_string(EB_SCHEMA_VERSION + 1)) !=
          std::string::npos);
  }
  SUBCASE("missing tensor") {
    fb::ModelT model = import_fixture("classifier");
    model.tensors.erase(std::find_if(model.tensors.begin(), model.tensors.end(), [](auto& t) {
      return t->name == "encoder.layer.1.output.dense.bias";
    }));
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) == "missing tensor encoder.layer.1.output.dense.bias");
  }
  SUBCASE("wrong shape") {
    fb::ModelT model = import_fixture("classifier");
    for (auto& t : model.tensors) {
      if (t->name == "encoder.layer.0.intermediate.dense.weight") t->shape = {32, 48};
    }
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) ==
          "tensor encoder.layer.0.intermediate.dense.weight has shape (32,48), expected (48,32)");
  }
  SUBCASE("int8 where only fp32 is allowed (a bias)") {
    fb::ModelT model = import_fixture("classifier");
    for (auto& t : model.tensors) {
      if (t->name == "encoder.layer.0.output.dense.bias") t->dtype = fb::DType::Int8;
    }
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_UNSUPPORTED);
  }
  SUBCASE("int8 embedding without scales") {
    fb::ModelT model = import_fixture("classifier");
    for (auto& t : model.tensors) {
      if (t->name == "embeddings.word_embeddings.weight") {
        t->dtype = fb::DType::Int8;
        t->data.resize(t->data.size() / 4);
      }
    }
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) == "int8 tensor embeddings.word_embeddings.weight needs 128 scales");
  }
  SUBCASE("labels do not match the classifier") {
    fb::ModelT model = import_fixture("classifier");
    model.task->labels.push_back("extra");
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message).find("classifier.weight has shape (3,32), expected (4,32)") !=
          std::string::npos);
  }
  SUBCASE("config out of range") {
    fb::ModelT model = import_fixture("classifier");
    model.config->max_seq = 65;
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) == "config.max_seq = 65 is outside [1, 64]");
  }
  SUBCASE("narrower embeddings (ELECTRA small): the projection, its shape, no masked LM") {
    convert::BertShape shape = tiny_text_shape(64, 16);
    shape.embedding_size = 4;
    shape.task = fb::TaskKind::Encoder;
    fb::ModelT model = convert::random_bert(shape, 5);
    CHECK(load(convert::pack_model(model), &error) == EB_OK);
    fb::ModelT missing = convert::random_bert(shape, 5);
    missing.tensors.erase(std::find_if(missing.tensors.begin(), missing.tensors.end(),
                                       [](auto& t) { return t->name == "embeddings_project.weight"; }));
    CHECK(load(convert::serialize_model(missing), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) == "missing tensor embeddings_project.weight");
    for (auto& t : model.tensors) {
      if (t->name == "embeddings.LayerNorm.weight") t->shape = {8};
    }
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
    CHECK(std::string(error.message) ==
          "tensor embeddings.LayerNorm.weight has shape (8), expected (4)");
    // The fixture's 128-piece vocabulary brings the [MASK] a masked LM needs.
    std::vector<std::string> vocab =
        convert::read_vocab_file(fixture_path("tiny_bert/classifier/vocab.txt"));
    shape.vocab_size = static_cast<uint32_t>(vocab.size());
    shape.task = fb::TaskKind::MaskedLM;
    fb::ModelT mlm = convert::random_bert(shape, 5);
    mlm.tokenizer = convert::make_tokenizer(std::move(vocab), shape.vocab_size, {}, "vocab.txt");
    CHECK(load(convert::serialize_model(mlm), &error) == EB_ERROR_UNSUPPORTED);
    CHECK(std::string(error.message).find("masked LM model with config.embedding_size 4 != hidden "
                                          "8") != std::string::npos);
  }
  SUBCASE("tokenizer vocabulary size differs from the config") {
    fb::ModelT model = import_fixture("classifier");
    model.tokenizer->vocab.pop_back();
    CHECK(load(convert::serialize_model(model), &error) == EB_ERROR_INVALID_MODEL);
  }
}

}  // namespace
}  // namespace edgebert::test
