#include "trainer/model_io.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "hf_import.h"
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

// The trainer's parameter holding a tensor of the runtime's layout.
Param param_of(const BertTensor& t) {
  const bool weight = t.kind == TensorKind::NormWeight || t.kind == TensorKind::DenseWeight;
  switch (t.kind) {
    case TensorKind::Embedding:
      return t.embedding == EmbeddingSlot::Word       ? train::kWte
             : t.embedding == EmbeddingSlot::Position ? train::kWpe
                                                      : train::kWtt;
    case TensorKind::NormWeight:
    case TensorKind::NormBias:
      if (t.norm == NormSlot::Embeddings) return weight ? train::kEmbLnW : train::kEmbLnB;
      if (t.norm == NormSlot::Attention) return weight ? train::kLn1W : train::kLn1B;
      if (t.norm == NormSlot::MlmTransform) return weight ? train::kMlmLnW : train::kMlmLnB;
      return weight ? train::kLn2W : train::kLn2B;
    case TensorKind::Vector:
      return train::kMlmBias;
    case TensorKind::DenseWeight:
    case TensorKind::DenseBias:
      break;
  }
  const auto pick = [weight](Param w, Param b) { return weight ? w : b; };
  switch (t.slot) {
    case DenseSlot::Query: return pick(train::kQW, train::kQB);
    case DenseSlot::Key: return pick(train::kKW, train::kKB);
    case DenseSlot::Value: return pick(train::kVW, train::kVB);
    case DenseSlot::AttentionOutput: return pick(train::kOW, train::kOB);
    case DenseSlot::Intermediate: return pick(train::kFcW, train::kFcB);
    case DenseSlot::Output: return pick(train::kProjW, train::kProjB);
    case DenseSlot::EmbeddingsProject: return pick(train::kEmbProjW, train::kEmbProjB);
    case DenseSlot::Pooler: return pick(train::kPoolW, train::kPoolB);
    case DenseSlot::Classifier: return pick(train::kClsW, train::kClsB);
    case DenseSlot::QaOutputs: return pick(train::kClsW, train::kClsB);  // K = 2
    case DenseSlot::MlmTransform: return pick(train::kMlmW, train::kMlmB);
  }
  return train::kParamCount;  // not reached: every slot is listed
}

}  // namespace

bool is_head_tensor(const std::string& name) {
  for (const DenseSlot head : {DenseSlot::Classifier, DenseSlot::QaOutputs}) {
    if (name.rfind(std::string(dense_slot_name(head)) + ".", 0) == 0) return true;
  }
  return name.rfind("cls.", 0) == 0;
}

fb::ModelT read_start_model(const std::string& path, bool encoder_only) {
  if (std::filesystem::is_directory(path)) {
    ImportOptions import;
    import.dir = path;
    import.encoder_only = encoder_only;
    return import_hf(import);
  }
  const AlignedBytes bytes = read_file_aligned(path);
  check_model_bytes(bytes, path);
  fb::ModelT model;
  fb::GetModel(bytes.data())->UnPackTo(&model);
  return model;
}

void drop_head_tensors(fb::ModelT& model) {
  model.tensors.erase(std::remove_if(model.tensors.begin(), model.tensors.end(),
                                     [](const auto& t) { return is_head_tensor(t->name); }),
                      model.tensors.end());
}

fb::TaskKind trainer_task(const train::BertShape& s) {
  if (s.pretraining_heads || s.labels == 0) return fb::TaskKind::Encoder;
  switch (s.objective) {
    case train::Objective::Tokens:
      return fb::TaskKind::TokenClassification;
    case train::Objective::Spans:
      return fb::TaskKind::QuestionAnswering;
    case train::Objective::SingleLabel:
    case train::Objective::MultiLabel:
    case train::Objective::Regression:
      break;
  }
  return fb::TaskKind::Classification;
}

fb::ProblemType trainer_problem_type(const train::BertShape& s) {
  return s.objective == train::Objective::MultiLabel ? fb::ProblemType::MultiLabel
         : s.objective == train::Objective::Regression ? fb::ProblemType::Regression
                                                       : fb::ProblemType::SingleLabel;
}

std::vector<TrainerTensor> trainer_tensors(const train::BertShape& s) {
  const uint32_t C = static_cast<uint32_t>(s.hidden);
  // The runtime's layout (edgebert_internal/layout.h).
  ModelDims dims{};
  dims.num_layers = static_cast<uint32_t>(s.layers);
  dims.hidden = C;
  dims.embedding = static_cast<uint32_t>(train::embedding_width(s));
  dims.attention = static_cast<uint32_t>(train::attention_width(s));
  dims.intermediate = static_cast<uint32_t>(s.intermediate);
  dims.vocab_size = static_cast<uint32_t>(s.vocab);
  dims.max_positions = static_cast<uint32_t>(s.max_positions);
  dims.type_vocab_size = static_cast<uint32_t>(s.type_vocab);
  dims.num_labels = !s.pretraining_heads ? static_cast<uint32_t>(s.labels) : 0;
  dims.task = trainer_task(s);
  const bool per_token = dims.task == fb::TaskKind::TokenClassification ||
                         dims.task == fb::TaskKind::QuestionAnswering;
  std::vector<NamedTensor> out;
  for_each_bert_tensor(dims, [&](const BertTensor& t) {
    // Token classifiers and span heads have no pooler (BertForTokenClassification,
    // BertForQuestionAnswering), nor a trainer buffer for it.
    if (per_token && t.kind >= TensorKind::DenseWeight && t.slot == DenseSlot::Pooler) return;
    char name[96];
    std::vector<uint32_t> shape = {t.rows};
    if (t.cols != 0) shape.push_back(t.cols);
    out.push_back({param_of(t), t.layer, t.name(name, sizeof name), std::move(shape)});
  });
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
  train::BertShape s;
  s.vocab = c.vocab_size;
  s.max_positions = c.max_positions;
  s.type_vocab = c.type_vocab_size;
  s.hidden = c.hidden;
  s.embedding = c.embedding_size;  // 0: hidden
  s.heads = c.num_heads;
  s.attention = c.num_heads * c.head_dim;  // may differ from hidden, as the runtime allows
  s.layers = c.num_layers;
  s.intermediate = c.intermediate;
  s.labels = labels;
  s.pretraining_heads = pretraining_heads;
  s.layer_norm_eps = c.layer_norm_eps;
  s.position_offset = c.position_offset;
  switch (c.pooler_activation) {
    case fb::Activation::Tanh: s.pooler = train::PoolerActivation::Tanh; break;
    case fb::Activation::Relu: s.pooler = train::PoolerActivation::Relu; break;
    case fb::Activation::GeluErf: s.pooler = train::PoolerActivation::Gelu; break;
    default:
      throw std::runtime_error("the trainer implements tanh, ReLU and GELU poolers; this model's "
                               "is " + std::string(fb::EnumNameActivation(c.pooler_activation)));
  }
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
  const fb::TaskKind task = trainer_task(shape);
  // Drop the tensors the trainer writes, and any task head's (a stale classifier, another
  // task's qa_outputs or cls.* heads): the file gets the trainer's head only.
  std::vector<std::unique_ptr<fb::TensorT>> kept;
  std::vector<NamedTensor> names = trainer_tensors(shape);
  names.erase(std::remove_if(names.begin(), names.end(), [](const NamedTensor& t) { return !in_ebm(t); }),
              names.end());
  for (auto& tensor : model.tensors) {
    const bool ours = std::any_of(names.begin(), names.end(),
                                  [&](const NamedTensor& t) { return t.name == tensor->name; });
    if (!ours && !is_head_tensor(tensor->name)) kept.push_back(std::move(tensor));
  }
  model.tensors = std::move(kept);
  for (const NamedTensor& t : names) {
    const size_t n = elements(t.shape);
    const float* src = w[t.param] + (t.layer < 0 ? 0 : static_cast<size_t>(t.layer) * n);
    add_tensor_f32(model, t.name, t.shape, std::vector<float>(src, src + n));
  }
  if (!model.task) model.task = std::make_unique<fb::TaskT>();
  model.task->kind = task;
  model.task->problem_type = trainer_problem_type(shape);
  const bool named = task == fb::TaskKind::Classification ||
                     task == fb::TaskKind::TokenClassification;
  model.task->labels = named ? labels : std::vector<std::string>{};
}

train::StaticRanges static_ranges(const train::BertShape& shape, const Calibration& calibration) {
  train::StaticRanges out;
  for (const NamedTensor& t : trainer_tensors(shape)) {
    if (std::find(std::begin(train::kDenseWeights), std::end(train::kDenseWeights), t.param) ==
        std::end(train::kDenseWeights)) {
      continue;
    }
    const auto found = calibration.dense.find(t.name);
    if (found == calibration.dense.end()) {
      throw std::runtime_error("calibration has no activation ranges for " + t.name);
    }
    const AffineInt8 in = affine_int8(found->second.input);
    const AffineInt8 out_q = affine_int8(found->second.output);
    std::vector<train::StaticDense>& list = out[t.param];
    const size_t index = t.layer < 0 ? 0 : static_cast<size_t>(t.layer);
    if (list.size() <= index) list.resize(index + 1);
    list[index] = {in.scale, out_q.scale, in.zero_point, out_q.zero_point};
  }
  return out;
}

std::function<void(train::BertModel<float>&)> static_recalibration(fb::ModelT& model,
                                                                   std::vector<std::string> labels,
                                                                   std::vector<Example> texts,
                                                                   size_t samples,
                                                                   double percentile) {
  return [&model, labels = std::move(labels), texts = std::move(texts), samples,
          percentile](train::BertModel<float>& trainer) {
    store_weights(trainer, model, labels);
    const Calibration c =
        calibrate(pack_model(model), texts, samples, percentile, /*progress=*/false);
    trainer.set_static_ranges(static_ranges(trainer.shape(), c));
  };
}

}  // namespace edgebert::convert
