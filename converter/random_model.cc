#include "random_model.h"

#include <random>
#include <string>
#include <vector>

#include "model_file.h"

namespace edgebert::convert {

fb::ModelT random_bert(const BertShape& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  fb::ModelT model = new_model("random:seed=" + std::to_string(seed));
  model.config = std::make_unique<fb::ConfigT>();
  fb::ConfigT& c = *model.config;
  c.num_layers = s.num_layers;
  c.hidden = s.hidden;
  c.num_heads = s.num_heads;
  c.head_dim = s.head_dim;
  c.intermediate = s.intermediate;
  c.vocab_size = s.vocab_size;
  c.max_positions = s.max_positions;
  c.type_vocab_size = s.type_vocab_size;
  c.max_seq = s.max_positions;
  model.task = std::make_unique<fb::TaskT>();
  model.task->kind = s.num_labels >= 2 ? fb::TaskKind::Classification : fb::TaskKind::Encoder;
  for (uint32_t i = 0; i < s.num_labels && s.num_labels >= 2; ++i) {
    model.task->labels.push_back("LABEL_" + std::to_string(i));
  }

  auto random = [&](const std::string& name, std::vector<uint32_t> shape) {
    size_t n = 1;
    for (uint32_t d : shape) n *= d;
    std::vector<float> values(n);
    for (float& v : values) v = normal(rng);
    add_tensor_f32(model, name, std::move(shape), values);
  };
  auto constant = [&](const std::string& name, uint32_t n, float value) {
    add_tensor_f32(model, name, {n}, std::vector<float>(n, value));
  };
  auto dense = [&](const std::string& prefix, uint32_t out, uint32_t in) {
    random(prefix + ".weight", {out, in});
    constant(prefix + ".bias", out, 0.0f);
  };
  auto norm = [&](const std::string& prefix, uint32_t n) {
    constant(prefix + ".weight", n, 1.0f);
    constant(prefix + ".bias", n, 0.0f);
  };
  const uint32_t H = s.hidden, A = s.num_heads * s.head_dim, I = s.intermediate;
  random("embeddings.word_embeddings.weight", {s.vocab_size, H});
  random("embeddings.position_embeddings.weight", {s.max_positions, H});
  random("embeddings.token_type_embeddings.weight", {s.type_vocab_size, H});
  norm("embeddings.LayerNorm", H);
  for (uint32_t l = 0; l < s.num_layers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    dense(p + "attention.self.query", A, H);
    dense(p + "attention.self.key", A, H);
    dense(p + "attention.self.value", A, H);
    dense(p + "attention.output.dense", H, A);
    norm(p + "attention.output.LayerNorm", H);
    dense(p + "intermediate.dense", I, H);
    dense(p + "output.dense", H, I);
    norm(p + "output.LayerNorm", H);
  }
  dense("pooler.dense", H, H);
  if (s.num_labels >= 2) dense("classifier", s.num_labels, H);
  return model;
}

}  // namespace edgebert::convert
