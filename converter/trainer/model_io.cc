#include "trainer/model_io.h"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "model_file.h"

namespace edgebert::convert {
namespace {

using train::Param;

using NamedTensor = TrainerTensor;

size_t elements(const std::vector<uint32_t>& shape) {
  size_t n = 1;
  for (uint32_t d : shape) n *= d;
  return n;
}

bool in_ebm(const NamedTensor& t) { return t.name.rfind("cls.", 0) != 0; }

}  // namespace

std::vector<TrainerTensor> trainer_tensors(const train::BertShape& s) {
  const uint32_t C = static_cast<uint32_t>(s.hidden), F = static_cast<uint32_t>(s.intermediate);
  std::vector<NamedTensor> out = {
      {train::kWte, -1, "embeddings.word_embeddings.weight", {uint32_t(s.vocab), C}},
      {train::kWpe, -1, "embeddings.position_embeddings.weight", {uint32_t(s.max_positions), C}},
      {train::kWtt, -1, "embeddings.token_type_embeddings.weight", {uint32_t(s.type_vocab), C}},
      {train::kEmbLnW, -1, "embeddings.LayerNorm.weight", {C}},
      {train::kEmbLnB, -1, "embeddings.LayerNorm.bias", {C}}};
  for (int l = 0; l < static_cast<int>(s.layers); ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const std::vector<NamedTensor> layer = {
        {train::kQW, l, p + "attention.self.query.weight", {C, C}},
        {train::kQB, l, p + "attention.self.query.bias", {C}},
        {train::kKW, l, p + "attention.self.key.weight", {C, C}},
        {train::kKB, l, p + "attention.self.key.bias", {C}},
        {train::kVW, l, p + "attention.self.value.weight", {C, C}},
        {train::kVB, l, p + "attention.self.value.bias", {C}},
        {train::kOW, l, p + "attention.output.dense.weight", {C, C}},
        {train::kOB, l, p + "attention.output.dense.bias", {C}},
        {train::kLn1W, l, p + "attention.output.LayerNorm.weight", {C}},
        {train::kLn1B, l, p + "attention.output.LayerNorm.bias", {C}},
        {train::kFcW, l, p + "intermediate.dense.weight", {F, C}},
        {train::kFcB, l, p + "intermediate.dense.bias", {F}},
        {train::kProjW, l, p + "output.dense.weight", {C, F}},
        {train::kProjB, l, p + "output.dense.bias", {C}},
        {train::kLn2W, l, p + "output.LayerNorm.weight", {C}},
        {train::kLn2B, l, p + "output.LayerNorm.bias", {C}}};
    out.insert(out.end(), layer.begin(), layer.end());
  }
  out.push_back({train::kPoolW, -1, "pooler.dense.weight", {C, C}});
  out.push_back({train::kPoolB, -1, "pooler.dense.bias", {C}});
  if (!s.pretraining_heads && s.labels > 0) {
    out.push_back({train::kClsW, -1, "classifier.weight", {uint32_t(s.labels), C}});
    out.push_back({train::kClsB, -1, "classifier.bias", {uint32_t(s.labels)}});
  }
  if (s.pretraining_heads) {
    const std::string p = "cls.predictions.";
    out.push_back({train::kMlmW, -1, p + "transform.dense.weight", {C, C}});
    out.push_back({train::kMlmB, -1, p + "transform.dense.bias", {C}});
    out.push_back({train::kMlmLnW, -1, p + "transform.LayerNorm.weight", {C}});
    out.push_back({train::kMlmLnB, -1, p + "transform.LayerNorm.bias", {C}});
    out.push_back({train::kMlmBias, -1, p + "bias", {uint32_t(s.vocab)}});
    out.push_back({train::kNspW, -1, "cls.seq_relationship.weight", {2, C}});
    out.push_back({train::kNspB, -1, "cls.seq_relationship.bias", {2}});
  }
  return out;
}

train::BertShape trainer_shape(const fb::ModelT& model, size_t labels, bool pretraining_heads) {
  if (!model.config) throw std::runtime_error("model has no config");
  const fb::ConfigT& c = *model.config;
  if (c.activation != fb::Activation::GeluErf) {
    throw std::runtime_error("the trainer implements exact-erf GELU only; this model uses " +
                             std::string(fb::EnumNameActivation(c.activation)));
  }
  if (c.num_heads * c.head_dim != c.hidden) {
    throw std::runtime_error("the trainer needs num_heads * head_dim == hidden");
  }
  train::BertShape s;
  s.vocab = c.vocab_size;
  s.max_positions = c.max_positions;
  s.type_vocab = c.type_vocab_size;
  s.hidden = c.hidden;
  s.heads = c.num_heads;
  s.layers = c.num_layers;
  s.intermediate = c.intermediate;
  s.labels = labels;
  s.pretraining_heads = pretraining_heads;
  s.layer_norm_eps = c.layer_norm_eps;
  return s;
}

void init_bert_weights(train::BertModel<float>& model, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  auto w = model.weights();
  const auto& sizes = model.sizes();
  for (size_t t = 0; t < train::kParamCount; ++t) {
    const Param p = static_cast<Param>(t);
    float* x = w[p];
    const bool gain = p == train::kEmbLnW || p == train::kLn1W || p == train::kLn2W ||
                      p == train::kMlmLnW;
    for (size_t i = 0; i < sizes[t]; ++i) {
      x[i] = gain ? 1.0f : train::is_no_decay(p) ? 0.0f : normal(rng);
    }
  }
}

std::vector<std::string> load_weights(train::BertModel<float>& trainer, const fb::ModelT& model) {
  std::vector<std::string> missing;
  auto w = trainer.weights();
  for (const NamedTensor& t : trainer_tensors(trainer.shape())) {
    if (!in_ebm(t)) continue;
    const fb::TensorT* tensor = find_tensor(model, t.name);
    if (tensor == nullptr) {
      missing.push_back(t.name);
      continue;
    }
    if (tensor->dtype != fb::DType::Float32) {
      throw std::runtime_error(t.name + " is not fp32: training needs an fp32 model (quantize "
                                        "after training)");
    }
    if (tensor->shape != t.shape) {
      throw std::runtime_error(t.name + " has an unexpected shape for this configuration");
    }
    const std::vector<float> values = tensor_values_f32(*tensor);
    const size_t n = elements(t.shape);
    float* dst = w[t.param] + (t.layer < 0 ? 0 : static_cast<size_t>(t.layer) * n);
    std::copy(values.begin(), values.begin() + n, dst);
  }
  return missing;
}

void store_weights(const train::BertModel<float>& trainer, fb::ModelT& model,
                   const std::vector<std::string>& labels) {
  const auto w = trainer.weights();
  const train::BertShape& shape = trainer.shape();
  const bool classifier = !shape.pretraining_heads && shape.labels > 0;
  // Drop the tensors the trainer writes, and a stale classifier of another head.
  std::vector<std::unique_ptr<fb::TensorT>> kept;
  std::vector<NamedTensor> names = trainer_tensors(shape);
  names.erase(std::remove_if(names.begin(), names.end(), [](const NamedTensor& t) { return !in_ebm(t); }),
              names.end());
  for (auto& tensor : model.tensors) {
    const bool ours = std::any_of(names.begin(), names.end(),
                                  [&](const NamedTensor& t) { return t.name == tensor->name; });
    const bool classifier_tensor = tensor->name.rfind("classifier.", 0) == 0;
    if (!ours && !classifier_tensor) kept.push_back(std::move(tensor));
  }
  model.tensors = std::move(kept);
  for (const NamedTensor& t : names) {
    const size_t n = elements(t.shape);
    const float* src = w[t.param] + (t.layer < 0 ? 0 : static_cast<size_t>(t.layer) * n);
    add_tensor_f32(model, t.name, t.shape, std::vector<float>(src, src + n));
  }
  if (!model.task) model.task = std::make_unique<fb::TaskT>();
  model.task->kind = classifier ? fb::TaskKind::Classification : fb::TaskKind::Encoder;
  model.task->labels = classifier ? labels : std::vector<std::string>{};
}

}  // namespace edgebert::convert
