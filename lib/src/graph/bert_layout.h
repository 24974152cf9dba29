// The dense layers of a BERT graph by slot: which weights each one reads, its shape and its
// Hugging Face name. Executors find their weights here; the XNNPACK executor and the
// calibration pass name layers by it.
#ifndef EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_
#define EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_

#include <cstddef>
#include <cstdint>

#include "../model.h"

namespace edgebert {

// The dense layers of one encoder layer in the order a forward pass runs them, then the heads.
enum class DenseSlot : uint8_t {
  Query, Key, Value, AttentionOutput, Intermediate, Output,  // per encoder layer
  Pooler, Classifier,                                        // heads, once per model
};
constexpr size_t kDenseSlotsPerLayer = 6;

// One dense layer of the graph: `layer` counts for the per-layer slots only.
struct DenseId {
  uint32_t layer;
  DenseSlot slot;
};

// Its weights, shape and name: "attention.self.query" for a layer's slot (the tensor is
// "encoder.layer.<l>.<name>.weight"), "pooler.dense" and "classifier" for the heads.
struct DenseSlotInfo {
  const DenseWeights* weights;
  size_t n, k;  // output and input features
  const char* name;
};
DenseSlotInfo dense_slot(const ModelWeights& w, const ModelDims& d, DenseId id);
const char* dense_slot_name(DenseSlot slot);

// Writes the Hugging Face name of `id`'s weight tensor ("encoder.layer.3.output.dense.weight")
// into out (at most `size` bytes, NUL-terminated) and returns out.
char* dense_tensor_name(DenseId id, char* out, size_t size);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_
