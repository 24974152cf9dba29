// The one BERT layout: every tensor of a model by Hugging Face name, its shape and its place
// (embedding tables, LayerNorms, dense layers by slot). The loader finds tensors by it, the
// executors their weights, the XNNPACK executor and calibration name layers by it, and the
// converter (import, quantize, the random-model maker, the trainer's model I/O) writes and
// reads files by it, through edgebert_internal.
#ifndef EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_
#define EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>

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

// The embedding tables and LayerNorms, named "embeddings.word_embeddings" (+ ".weight"), ...
enum class EmbeddingSlot : uint8_t { Word, Position, TokenType };
const char* embedding_slot_name(EmbeddingSlot slot);
enum class NormSlot : uint8_t { Embeddings, Attention, Output };  // Attention, Output: per layer
const char* norm_slot_name(NormSlot slot);

// "<base>.<field>" for a model-level tensor (layer < 0), "encoder.layer.<l>.<base>.<field>"
// for a layer's (field null: the prefix without ".<field>"), into out (at most `size` bytes,
// NUL-terminated); returns out.
char* bert_tensor_name(int32_t layer, const char* base, const char* field, char* out,
                       size_t size);

// max(H, A, I): the widest input or output of any dense layer.
uint32_t widest_features(const ModelDims& d);

// (n, k) of dense slot `slot`: output and input features.
void dense_slot_shape(const ModelDims& d, DenseSlot slot, uint32_t* n, uint32_t* k);

// One tensor of the layout, as for_each_bert_tensor hands it over.
enum class TensorKind : uint8_t { Embedding, NormWeight, NormBias, DenseWeight, DenseBias };
struct BertTensor {
  int32_t layer;     // -1 outside the encoder layers
  const char* base;  // "attention.self.query", "embeddings.LayerNorm", ...
  TensorKind kind;
  uint32_t rows, cols;  // cols 0: a vector of `rows`
  bool optional;        // the pooler: a model without one is valid (not a classifier then)
  // Which table, LayerNorm or dense layer (the field of the tensor's kind; the others unused).
  EmbeddingSlot embedding;
  NormSlot norm;
  DenseSlot slot;

  char* name(char* out, size_t size) const {
    const bool weight = kind != TensorKind::NormBias && kind != TensorKind::DenseBias;
    return bert_tensor_name(layer, base, weight ? "weight" : "bias", out, size);
  }
};

// visit(const BertTensor&) for every tensor of a BERT with dims `d`, in module order: the
// embeddings (word, position, token type, LayerNorm), per layer Q, K, V, attention output, its
// LayerNorm, intermediate, output, its LayerNorm, then the pooler and (num_labels > 0) the
// classifier.
template <typename Visit>
void for_each_bert_tensor(const ModelDims& d, Visit&& visit) {
  const uint32_t H = d.hidden;
  const uint32_t table_rows[] = {d.vocab_size, d.max_positions, d.type_vocab_size};
  for (uint8_t e = 0; e < 3; ++e) {
    const auto table = static_cast<EmbeddingSlot>(e);
    visit(BertTensor{-1, embedding_slot_name(table), TensorKind::Embedding, table_rows[e], H,
                     false, table, NormSlot::Embeddings, DenseSlot::Query});
  }
  const auto norm = [&](int32_t layer, NormSlot slot) {
    for (const TensorKind kind : {TensorKind::NormWeight, TensorKind::NormBias}) {
      visit(BertTensor{layer, norm_slot_name(slot), kind, H, 0, false, EmbeddingSlot::Word, slot,
                       DenseSlot::Query});
    }
  };
  const auto dense = [&](int32_t layer, DenseSlot slot, bool optional) {
    uint32_t n, k;
    dense_slot_shape(d, slot, &n, &k);
    visit(BertTensor{layer, dense_slot_name(slot), TensorKind::DenseWeight, n, k, optional,
                     EmbeddingSlot::Word, NormSlot::Embeddings, slot});
    visit(BertTensor{layer, dense_slot_name(slot), TensorKind::DenseBias, n, 0, optional,
                     EmbeddingSlot::Word, NormSlot::Embeddings, slot});
  };
  norm(-1, NormSlot::Embeddings);
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    const auto layer = static_cast<int32_t>(l);
    dense(layer, DenseSlot::Query, false);
    dense(layer, DenseSlot::Key, false);
    dense(layer, DenseSlot::Value, false);
    dense(layer, DenseSlot::AttentionOutput, false);
    norm(layer, NormSlot::Attention);
    dense(layer, DenseSlot::Intermediate, false);
    dense(layer, DenseSlot::Output, false);
    norm(layer, NormSlot::Output);
  }
  dense(-1, DenseSlot::Pooler, true);
  if (d.num_labels > 0) dense(-1, DenseSlot::Classifier, false);
}

// Whether `name` is the weight of a dense layer ("encoder.layer.<l>.<slot>.weight",
// "pooler.dense.weight", "classifier.weight").
bool is_dense_weight_name(const char* name);

// Writes the Hugging Face name of `id`'s weight tensor ("encoder.layer.3.output.dense.weight")
// into out (at most `size` bytes, NUL-terminated) and returns out.
char* dense_tensor_name(DenseId id, char* out, size_t size);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_
