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

// The dense layers of one encoder layer in the order a forward pass runs them, then the ones
// outside the encoder layers ("model slots", once per model): the embeddings' projection and
// the heads.
enum class DenseSlot : uint8_t {
  Query, Key, Value, AttentionOutput, Intermediate, Output,  // per encoder layer
  EmbeddingsProject,  // (H, E) embeddings_project: models whose embedding_size E != H (ELECTRA)
  Pooler, Classifier,                                        // heads
  QaOutputs,      // question answering: (2, H) start and end logits of every token
  MlmTransform,   // masked LM: (H, H) cls.predictions.transform.dense
};
constexpr size_t kDenseSlotsPerLayer = 6;
constexpr DenseSlot kFirstModelSlot = DenseSlot::EmbeddingsProject;
constexpr size_t kModelSlots = 5;  // EmbeddingsProject .. MlmTransform
// Index of a model slot among the model slots (0 for EmbeddingsProject).
constexpr size_t model_slot_index(DenseSlot slot) {
  return static_cast<size_t>(slot) - static_cast<size_t>(kFirstModelSlot);
}

// One dense layer of the graph: `layer` counts for the per-layer slots only.
struct DenseId {
  uint32_t layer;
  DenseSlot slot;
};

// Its weights, shape and name: "attention.self.query" for a layer's slot (the tensor is
// "encoder.layer.<l>.<name>.weight"), "embeddings_project", "pooler.dense", "classifier", ...
// for the model slots.
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
// Attention, Output: per layer; MlmTransform: the masked LM head's
// "cls.predictions.transform.LayerNorm".
enum class NormSlot : uint8_t { Embeddings, Attention, Output, MlmTransform };
const char* norm_slot_name(NormSlot slot);

// "<base>.<field>" for a model-level tensor (layer < 0), "encoder.layer.<l>.<base>.<field>"
// for a layer's (field null: the prefix without ".<field>"), into out (at most `size` bytes,
// NUL-terminated); returns out.
char* bert_tensor_name(int32_t layer, const char* base, const char* field, char* out,
                       size_t size);

// max(H, A, I, E): the widest input or output of any dense layer.
uint32_t widest_features(const ModelDims& d);

// (n, k) of dense slot `slot`: output and input features.
void dense_slot_shape(const ModelDims& d, DenseSlot slot, uint32_t* n, uint32_t* k);

// The masked LM head's output bias (vocab_size): its decoder is the word embedding table.
constexpr char kMlmBiasName[] = "cls.predictions.bias";

// One tensor of the layout, as for_each_bert_tensor hands it over. Vector: a head's own
// vector that belongs to no dense layer or norm (kMlmBiasName), named by `base` alone.
enum class TensorKind : uint8_t { Embedding, NormWeight, NormBias, DenseWeight, DenseBias, Vector };
struct BertTensor {
  int32_t layer;     // -1 outside the encoder layers
  const char* base;  // "attention.self.query", "embeddings.LayerNorm", ...
  TensorKind kind;
  uint32_t rows, cols;  // cols 0: a vector of `rows`
  bool optional;        // the pooler: a model without one is valid (not a classifier then)
  bool head;            // a task head's tensor: Hugging Face keeps it beside the "bert." module
  // Which table, LayerNorm or dense layer (the field of the tensor's kind; the others unused).
  EmbeddingSlot embedding;
  NormSlot norm;
  DenseSlot slot;

  char* name(char* out, size_t size) const {
    if (kind == TensorKind::Vector) return bert_tensor_name(layer, base, nullptr, out, size);
    const bool weight = kind != TensorKind::NormBias && kind != TensorKind::DenseBias;
    return bert_tensor_name(layer, base, weight ? "weight" : "bias", out, size);
  }
};

// visit(const BertTensor&) for every tensor of a BERT with dims `d`, in module order: the
// embeddings (word, position, token type, LayerNorm, all E wide), embeddings_project when
// E != H, per layer Q, K, V, attention output, its
// LayerNorm, intermediate, output, its LayerNorm, then the pooler (optional) and the task's
// head: Classification and TokenClassification the classifier (num_labels, H),
// QuestionAnswering qa_outputs (2, H), MaskedLM the transform dense, its LayerNorm and the
// output bias (the decoder's weight is the word embedding table).
template <typename Visit>
void for_each_bert_tensor(const ModelDims& d, Visit&& visit) {
  const uint32_t E = d.embedding;
  const uint32_t table_rows[] = {d.vocab_size, d.max_positions, d.type_vocab_size};
  for (uint8_t e = 0; e < 3; ++e) {
    const auto table = static_cast<EmbeddingSlot>(e);
    visit(BertTensor{-1, embedding_slot_name(table), TensorKind::Embedding, table_rows[e], E,
                     false, false, table, NormSlot::Embeddings, DenseSlot::Query});
  }
  const auto norm = [&](int32_t layer, NormSlot slot, bool head) {
    const uint32_t width = slot == NormSlot::Embeddings ? E : d.hidden;
    for (const TensorKind kind : {TensorKind::NormWeight, TensorKind::NormBias}) {
      visit(BertTensor{layer, norm_slot_name(slot), kind, width, 0, false, head,
                       EmbeddingSlot::Word, slot, DenseSlot::Query});
    }
  };
  const auto dense = [&](int32_t layer, DenseSlot slot, bool optional, bool head) {
    uint32_t n, k;
    dense_slot_shape(d, slot, &n, &k);
    visit(BertTensor{layer, dense_slot_name(slot), TensorKind::DenseWeight, n, k, optional, head,
                     EmbeddingSlot::Word, NormSlot::Embeddings, slot});
    visit(BertTensor{layer, dense_slot_name(slot), TensorKind::DenseBias, n, 0, optional, head,
                     EmbeddingSlot::Word, NormSlot::Embeddings, slot});
  };
  norm(-1, NormSlot::Embeddings, false);
  if (E != d.hidden) dense(-1, DenseSlot::EmbeddingsProject, false, false);
  for (uint32_t l = 0; l < d.num_layers; ++l) {
    const auto layer = static_cast<int32_t>(l);
    dense(layer, DenseSlot::Query, false, false);
    dense(layer, DenseSlot::Key, false, false);
    dense(layer, DenseSlot::Value, false, false);
    dense(layer, DenseSlot::AttentionOutput, false, false);
    norm(layer, NormSlot::Attention, false);
    dense(layer, DenseSlot::Intermediate, false, false);
    dense(layer, DenseSlot::Output, false, false);
    norm(layer, NormSlot::Output, false);
  }
  dense(-1, DenseSlot::Pooler, true, false);
  switch (d.task) {
    case fb::TaskKind::Classification:
    case fb::TaskKind::TokenClassification:
      dense(-1, DenseSlot::Classifier, false, true);
      break;
    case fb::TaskKind::QuestionAnswering:
      dense(-1, DenseSlot::QaOutputs, false, true);
      break;
    case fb::TaskKind::MaskedLM:
      dense(-1, DenseSlot::MlmTransform, false, true);
      norm(-1, NormSlot::MlmTransform, true);
      visit(BertTensor{-1, kMlmBiasName, TensorKind::Vector, d.vocab_size, 0, false, true,
                       EmbeddingSlot::Word, NormSlot::Embeddings, DenseSlot::Query});
      break;
    case fb::TaskKind::Encoder:
    case fb::TaskKind::Embedding:
      break;
  }
}

// The model slots a model with dims `d` (and a pooler or not) runs, in the order it runs them:
// the embeddings' projection (E != H), then the heads; returns their count (at most
// kMaxModelSlots).
constexpr size_t kMaxModelSlots = 3;
size_t model_dense_slots(const ModelDims& d, bool has_pooler, DenseSlot out[kMaxModelSlots]);

// Whether `name` is the weight of a dense layer ("encoder.layer.<l>.<slot>.weight", or a model
// slot's: "embeddings_project.weight", "pooler.dense.weight", "classifier.weight", ...).
bool is_dense_weight_name(const char* name);

// Writes the Hugging Face name of `id`'s weight tensor ("encoder.layer.3.output.dense.weight")
// into out (at most `size` bytes, NUL-terminated) and returns out.
char* dense_tensor_name(DenseId id, char* out, size_t size);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_BERT_LAYOUT_H_
