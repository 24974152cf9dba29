#include "model_file.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "edgebert_internal/model.h"
#include "edgebert_internal/plan.h"  // the runtime's planner, shared

namespace edgebert::convert {

fb::ModelT new_model(const std::string& source) {
  fb::ModelT model;
  model.schema_version = 1;  // pack_model() sets the lowest version that holds the file
  model.provenance = std::make_unique<fb::ProvenanceT>();
  model.provenance->producer = kProducer;
  model.provenance->source = source;
  // SOURCE_DATE_EPOCH (reproducible-builds.org) pins the stamp: identical inputs and settings
  // then give byte-identical model files.
  char stamp[32];
  std::time_t now = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    const long long value = std::strtoll(epoch, &end, 10);
    if (end != epoch && *end == '\0' && value >= 0) now = static_cast<std::time_t>(value);
  }
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  model.provenance->created_utc = stamp;
  return model;
}

ModelDims layout_dims(const fb::ModelT& model) {
  if (!model.config) throw std::runtime_error("model has no config");
  const fb::ConfigT& c = *model.config;
  ModelDims d{};
  d.num_layers = c.num_layers;
  d.hidden = c.hidden;
  d.num_heads = c.num_heads;
  d.head_dim = c.head_dim;
  d.attention = c.num_heads * c.head_dim;
  d.intermediate = c.intermediate;
  d.vocab_size = c.vocab_size;
  d.max_positions = c.max_positions;
  d.type_vocab_size = c.type_vocab_size;
  d.max_seq = c.max_seq;
  d.task = model.task ? model.task->kind : fb::TaskKind::Encoder;
  const bool classifier = d.task == fb::TaskKind::Classification ||
                          d.task == fb::TaskKind::TokenClassification;
  d.num_labels = classifier ? static_cast<uint32_t>(model.task->labels.size()) : 0;
  d.layer_norm_eps = c.layer_norm_eps;
  d.activation = c.activation;
  d.embedding = c.embedding_size != 0 ? c.embedding_size : c.hidden;
  d.position_offset = c.position_offset;
  d.pooler_activation = c.pooler_activation;
  return d;
}

void add_tensor_f32(fb::ModelT& model, const std::string& name, std::vector<uint32_t> shape,
                    const std::vector<float>& values) {
  size_t count = 1;
  for (uint32_t d : shape) count *= d;
  if (count != values.size()) {
    throw std::runtime_error("tensor " + name + ": " + std::to_string(values.size()) +
                             " values for a shape of " + std::to_string(count));
  }
  auto tensor = std::make_unique<fb::TensorT>();
  tensor->name = name;
  tensor->dtype = fb::DType::Float32;
  tensor->shape = std::move(shape);
  tensor->data.resize(values.size() * sizeof(float));
  std::memcpy(tensor->data.data(), values.data(), tensor->data.size());
  model.tensors.push_back(std::move(tensor));
}

const fb::TensorT* find_tensor(const fb::ModelT& model, const std::string& name) {
  for (const auto& t : model.tensors) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

std::vector<float> tensor_values_f32(const fb::TensorT& tensor) {
  if (tensor.dtype != fb::DType::Float32) {
    throw std::runtime_error("tensor " + tensor.name + " is not fp32");
  }
  std::vector<float> values(tensor.data.size() / sizeof(float));
  std::memcpy(values.data(), tensor.data.data(), values.size() * sizeof(float));
  return values;
}

void check_model_bytes(const AlignedBytes& bytes, const std::string& what) {
  eb_model model;
  eb_error error;
  eb_status status = eb_model_init(&model, bytes.data(), bytes.size(), &error);
  if (status == EB_OK) status = eb_model_check_weights(&model, &error);  // the full check
  if (status != EB_OK) {
    throw std::runtime_error(what + ": " + eb_status_string(status) + ": " + error.message);
  }
}

uint32_t schema_version_for(const fb::ModelT& model) {
  for (const auto& t : model.tensors) {
    if (t->dtype == fb::DType::Int4) return 6;
  }
  if (model.config && model.config->embedding_size != 0) return 5;
  if (model.tokenizer && model.tokenizer->model == fb::TokenizerModel::Unigram) return 4;
  if ((model.config && (model.config->position_offset != 0 ||
                        model.config->pooler_activation != fb::Activation::Tanh)) ||
      (model.tokenizer && model.tokenizer->model != fb::TokenizerModel::WordPiece)) {
    return 3;
  }
  if (!model.task) return 1;
  const fb::TaskKind task = model.task->kind;
  const bool version2 = task == fb::TaskKind::QuestionAnswering ||
                        task == fb::TaskKind::TokenClassification ||
                        task == fb::TaskKind::MaskedLM ||
                        model.task->problem_type != fb::ProblemType::SingleLabel;
  return version2 ? 2 : 1;
}

AlignedBytes serialize_model(fb::ModelT& model) {
  std::sort(model.tensors.begin(), model.tensors.end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
  for (size_t i = 1; i < model.tensors.size(); ++i) {
    if (model.tensors[i]->name == model.tensors[i - 1]->name) {
      throw std::runtime_error("duplicate tensor " + model.tensors[i]->name);
    }
  }
  flatbuffers::FlatBufferBuilder builder(1 << 20);
  builder.Finish(fb::Model::Pack(builder, &model), fb::ModelIdentifier());
  AlignedBytes bytes(builder.GetSize());
  std::memcpy(bytes.data(), builder.GetBufferPointer(), builder.GetSize());
  return bytes;
}

void attach_memory_plan(fb::ModelT& model) {
  model.memory_plan.reset();
  const AlignedBytes unplanned = serialize_model(model);
  eb_model loaded;
  eb_error error;
  const eb_status status = eb_model_init(&loaded, unplanned.data(), unplanned.size(), &error);
  if (status != EB_OK) {
    throw std::runtime_error(std::string("the runtime refuses the model: ") +
                             eb_status_string(status) + ": " + error.message);
  }
  const ModelView& view = *as_view(&loaded);
  MemoryPlan plan;
  plan.count = required_buffers(view, view.dims.max_seq, 1, 1, plan.buffers);
  plan_greedy(&plan);
  auto stored = std::make_unique<fb::MemoryPlanT>();
  stored->max_seq = view.dims.max_seq;
  stored->threads = 1;
  stored->head_bytes = plan.head_bytes;
  stored->lower_bound = plan.lower_bound;
  for (size_t i = 0; i < plan.count; ++i) {
    const BufferSpec& b = plan.buffers[i];
    stored->buffers.emplace_back(b.buffer, b.first_step, b.last_step, plan.offsets[i], b.size);
  }
  model.memory_plan = std::move(stored);
}

AlignedBytes pack_model(fb::ModelT& model) {
  model.schema_version = schema_version_for(model);
  attach_memory_plan(model);
  AlignedBytes bytes = serialize_model(model);
  check_model_bytes(bytes, "the runtime refuses the model");
  return bytes;
}

fb::ModelT clone_model(fb::ModelT& model) {
  const AlignedBytes bytes = pack_model(model);
  fb::ModelT copy;
  fb::GetModel(bytes.data())->UnPackTo(&copy);
  return copy;
}

size_t save_model(fb::ModelT& model, const std::string& path) {
  const AlignedBytes bytes = pack_model(model);
  write_file_atomic(path, bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace edgebert::convert
