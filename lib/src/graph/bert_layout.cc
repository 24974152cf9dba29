#include "bert_layout.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace edgebert {

const char* dense_slot_name(DenseSlot slot) {
  switch (slot) {
    case DenseSlot::Query: return "attention.self.query";
    case DenseSlot::Key: return "attention.self.key";
    case DenseSlot::Value: return "attention.self.value";
    case DenseSlot::AttentionOutput: return "attention.output.dense";
    case DenseSlot::Intermediate: return "intermediate.dense";
    case DenseSlot::Output: return "output.dense";
    case DenseSlot::EmbeddingsProject: return "embeddings_project";
    case DenseSlot::Pooler: return "pooler.dense";
    case DenseSlot::Classifier: return "classifier";
    case DenseSlot::QaOutputs: return "qa_outputs";
    case DenseSlot::MlmTransform: return "cls.predictions.transform.dense";
  }
  return "";
}

const char* embedding_slot_name(EmbeddingSlot slot) {
  switch (slot) {
    case EmbeddingSlot::Word: return "embeddings.word_embeddings";
    case EmbeddingSlot::Position: return "embeddings.position_embeddings";
    case EmbeddingSlot::TokenType: return "embeddings.token_type_embeddings";
  }
  return "";
}

const char* norm_slot_name(NormSlot slot) {
  switch (slot) {
    case NormSlot::Embeddings: return "embeddings.LayerNorm";
    case NormSlot::Attention: return "attention.output.LayerNorm";
    case NormSlot::Output: return "output.LayerNorm";
    case NormSlot::MlmTransform: return "cls.predictions.transform.LayerNorm";
  }
  return "";
}

char* bert_tensor_name(int32_t layer, const char* base, const char* field, char* out,
                       size_t size) {
  const char* dot = field != nullptr ? "." : "";
  if (field == nullptr) field = "";
  if (layer >= 0) {
    std::snprintf(out, size, "encoder.layer.%" PRId32 ".%s%s%s", layer, base, dot, field);
  } else {
    std::snprintf(out, size, "%s%s%s", base, dot, field);
  }
  return out;
}

uint32_t widest_features(const ModelDims& d) {
  uint32_t widest = d.hidden;
  if (d.attention > widest) widest = d.attention;
  if (d.intermediate > widest) widest = d.intermediate;
  if (d.embedding > widest) widest = d.embedding;
  return widest;
}

void dense_slot_shape(const ModelDims& d, DenseSlot slot, uint32_t* n, uint32_t* k) {
  const uint32_t H = d.hidden, A = d.attention, I = d.intermediate;
  uint32_t shape[2] = {H, H};  // pooler
  switch (slot) {
    case DenseSlot::Query: case DenseSlot::Key: case DenseSlot::Value: shape[0] = A; break;
    case DenseSlot::AttentionOutput: shape[1] = A; break;
    case DenseSlot::Intermediate: shape[0] = I; break;
    case DenseSlot::Output: shape[1] = I; break;
    case DenseSlot::EmbeddingsProject: shape[1] = d.embedding; break;
    case DenseSlot::Pooler: break;
    case DenseSlot::Classifier: shape[0] = d.num_labels; break;
    case DenseSlot::QaOutputs: shape[0] = 2; break;
    case DenseSlot::MlmTransform: break;
  }
  *n = shape[0];
  *k = shape[1];
}

DenseSlotInfo dense_slot(const ModelWeights& w, const ModelDims& d, DenseId id) {
  uint32_t n, k;
  dense_slot_shape(d, id.slot, &n, &k);
  const char* name = dense_slot_name(id.slot);
  if (id.slot == DenseSlot::EmbeddingsProject) return {&w.embeddings_project, n, k, name};
  if (id.slot == DenseSlot::Pooler) return {&w.pooler, n, k, name};
  if (id.slot == DenseSlot::Classifier) return {&w.classifier, n, k, name};
  if (id.slot == DenseSlot::QaOutputs) return {&w.qa_outputs, n, k, name};
  if (id.slot == DenseSlot::MlmTransform) return {&w.mlm_transform, n, k, name};
  const LayerWeights& l = w.layers[id.layer];
  const DenseWeights* const per_layer[kDenseSlotsPerLayer] = {
      &l.query, &l.key, &l.value, &l.attention_output, &l.intermediate, &l.output};
  return {per_layer[static_cast<size_t>(id.slot)], n, k, name};
}

size_t model_dense_slots(const ModelDims& d, bool has_pooler, DenseSlot out[kMaxModelSlots]) {
  size_t count = 0;
  if (d.embedding != d.hidden) out[count++] = DenseSlot::EmbeddingsProject;
  if (has_pooler) out[count++] = DenseSlot::Pooler;
  switch (d.task) {
    case fb::TaskKind::Classification:
    case fb::TaskKind::TokenClassification: out[count++] = DenseSlot::Classifier; break;
    case fb::TaskKind::QuestionAnswering: out[count++] = DenseSlot::QaOutputs; break;
    case fb::TaskKind::MaskedLM: out[count++] = DenseSlot::MlmTransform; break;
    case fb::TaskKind::Encoder:
    case fb::TaskKind::Embedding: break;
  }
  return count;
}

char* dense_tensor_name(DenseId id, char* out, size_t size) {
  const int32_t layer = id.slot < kFirstModelSlot ? static_cast<int32_t>(id.layer) : -1;
  return bert_tensor_name(layer, dense_slot_name(id.slot), "weight", out, size);
}

bool is_dense_weight_name(const char* name) {
  char want[96];
  for (size_t m = 0; m < kModelSlots; ++m) {
    const auto slot = static_cast<DenseSlot>(static_cast<size_t>(kFirstModelSlot) + m);
    if (std::strcmp(name, dense_tensor_name(DenseId{0, slot}, want, sizeof want)) == 0) {
      return true;
    }
  }
  // "encoder.layer.<digits>.<slot>.weight"
  constexpr char kLayer[] = "encoder.layer.";
  if (std::strncmp(name, kLayer, sizeof kLayer - 1) != 0) return false;
  const char* p = name + sizeof kLayer - 1;
  if (*p < '0' || *p > '9') return false;
  while (*p >= '0' && *p <= '9') ++p;
  for (size_t s = 0; s < kDenseSlotsPerLayer; ++s) {
    std::snprintf(want, sizeof want, ".%s.weight", dense_slot_name(static_cast<DenseSlot>(s)));
    if (std::strcmp(p, want) == 0) return true;
  }
  return false;
}

}  // namespace edgebert
