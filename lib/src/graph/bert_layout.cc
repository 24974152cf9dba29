#include "bert_layout.h"

#include <cstdio>

namespace edgebert {

const char* dense_slot_name(DenseSlot slot) {
  switch (slot) {
    case DenseSlot::Query: return "attention.self.query";
    case DenseSlot::Key: return "attention.self.key";
    case DenseSlot::Value: return "attention.self.value";
    case DenseSlot::AttentionOutput: return "attention.output.dense";
    case DenseSlot::Intermediate: return "intermediate.dense";
    case DenseSlot::Output: return "output.dense";
    case DenseSlot::Pooler: return "pooler.dense";
    case DenseSlot::Classifier: return "classifier";
  }
  return "";
}

DenseSlotInfo dense_slot(const ModelWeights& w, const ModelDims& d, DenseId id) {
  const size_t H = d.hidden, A = d.attention, I = d.intermediate;
  const char* name = dense_slot_name(id.slot);
  if (id.slot == DenseSlot::Pooler) return {&w.pooler, H, H, name};
  if (id.slot == DenseSlot::Classifier) return {&w.classifier, d.num_labels, H, name};
  const LayerWeights& l = w.layers[id.layer];
  switch (id.slot) {
    case DenseSlot::Query: return {&l.query, A, H, name};
    case DenseSlot::Key: return {&l.key, A, H, name};
    case DenseSlot::Value: return {&l.value, A, H, name};
    case DenseSlot::AttentionOutput: return {&l.attention_output, H, A, name};
    case DenseSlot::Intermediate: return {&l.intermediate, I, H, name};
    case DenseSlot::Output: return {&l.output, H, I, name};
    default: return {nullptr, 0, 0, name};
  }
}

char* dense_tensor_name(DenseId id, char* out, size_t size) {
  if (id.slot < DenseSlot::Pooler) {
    std::snprintf(out, size, "encoder.layer.%u.%s.weight", id.layer, dense_slot_name(id.slot));
  } else {
    std::snprintf(out, size, "%s.weight", dense_slot_name(id.slot));
  }
  return out;
}

}  // namespace edgebert
