#include "random_model.h"

#include <random>
#include <string>
#include <vector>

#include "edgebert_internal/layout.h"
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
  c.embedding_size = s.embedding_size != s.hidden ? s.embedding_size : 0;
  c.max_seq = s.max_positions;
  model.task = std::make_unique<fb::TaskT>();
  model.task->kind = s.task;
  if (s.task == fb::TaskKind::Classification && s.num_labels == 0) {
    model.task->kind = fb::TaskKind::Encoder;
  }
  const bool labelled = model.task->kind == fb::TaskKind::Classification ||
                        model.task->kind == fb::TaskKind::TokenClassification;
  for (uint32_t i = 0; labelled && i < s.num_labels; ++i) {
    model.task->labels.push_back("LABEL_" + std::to_string(i));
  }
  if (model.task->kind == fb::TaskKind::Classification && s.num_labels == 1) {
    model.task->problem_type = fb::ProblemType::Regression;
  }

  // Every tensor of the layout: tables and dense weights N(0, 0.02), LayerNorm gains 1, biases 0.
  for_each_bert_tensor(layout_dims(model), [&](const BertTensor& t) {
    char name[96];
    t.name(name, sizeof name);
    std::vector<uint32_t> shape = {t.rows};
    if (t.cols != 0) shape.push_back(t.cols);
    std::vector<float> values(t.rows * size_t{t.cols != 0 ? t.cols : 1u},
                              t.kind == TensorKind::NormWeight ? 1.0f : 0.0f);
    if (t.kind == TensorKind::Embedding || t.kind == TensorKind::DenseWeight) {
      for (float& v : values) v = normal(rng);
    }
    add_tensor_f32(model, name, std::move(shape), values);
  });
  return model;
}

}  // namespace edgebert::convert
