// ModelView: the verified, zero-copy view of a .ebm FlatBuffer that lives inside the caller's
// eb_model storage, plus the typed weight pointers a session resolves from it.
//
// Loading rules (TFLite Micro style): everything that can be wrong with a file is checked here,
// once, at init — identifier, FlatBuffers Verifier, schema version, config ranges, presence, dtype,
// shape, byte size and alignment of every tensor the graph reads. Inference then trusts the model.
#ifndef EDGEBERT_SRC_MODEL_H_
#define EDGEBERT_SRC_MODEL_H_

#include <cstddef>
#include <cstdint>

#include "edgebert/edgebert.h"
#include "edgebert_generated.h"

namespace edgebert {

// Shape of the encoder, copied out of the FlatBuffer at init.
struct ModelDims {
  uint32_t num_layers;
  uint32_t hidden;        // H
  uint32_t embedding;     // E: width of the embedding tables and their LayerNorm (= H unless
                          // config.embedding_size; then embeddings_project maps E to H)
  uint32_t num_heads;
  uint32_t head_dim;
  uint32_t attention;     // A = num_heads * head_dim
  uint32_t intermediate;  // I
  uint32_t vocab_size;
  uint32_t max_positions;
  uint32_t type_vocab_size;
  uint32_t max_seq;
  uint32_t num_labels;    // classifier rows (sequence or token classification), else 0
  float layer_norm_eps;
  fb::Activation activation;
  uint32_t position_offset;          // position row of the first token (RoBERTa: 2)
  fb::Activation pooler_activation;  // tanh (BERT), ReLU (DistilBERT), GELU (ELECTRA)
  fb::TaskKind task;      // which head the model has (graph/bert_layout.h)
};

struct ModelView {
  uint64_t magic;  // kModelMagic once init succeeded
  const uint8_t* bytes;
  size_t size;
  const fb::Model* root;
  ModelDims dims;
  fb::TaskKind task;              // = dims.task
  fb::ProblemType problem_type;   // Classification: softmax, sigmoid or raw logits
  fb::Pooling pooling;
  bool normalize;
  int32_t mask_id;                // tokenizer.mask_id, or -1 (no tokenizer); MaskedLM needs one
  bool has_pooler;
  uint32_t tokenizer_word_chars;  // max_input_chars_per_word (BPE, Unigram: max_word_bytes);
                                  // 0 = no tokenizer tables (ids only)
  fb::TokenizerModel tokenizer_model;
  bool int8;                      // some dense weights are int8: the kernel path runs the model
  bool all_dense_static;          // every dense layer is fp32 or static int8: XNNPACK can
                                  // run every dense layer (fp32 ones as f32, int8 ones as qs8)
  bool int8_attention;            // int8 and config.attention_products == Int8: the native
                                  // kernels run attention's products in int8 (qd8_attention.h)
};

constexpr uint64_t kModelMagic = 0x4542'4d4f'4445'4c31ull;  // "EBMODEL1"

static_assert(sizeof(ModelView) <= sizeof(eb_model), "ModelView must fit in eb_model storage");
static_assert(alignof(ModelView) <= alignof(eb_model), "ModelView alignment");

inline const ModelView* as_view(const eb_model* model) {
  return reinterpret_cast<const ModelView*>(model);
}

// Verifies `data` and fills `view`. On failure the view's magic stays 0.
eb_status model_view_init(ModelView* view, const void* data, size_t size, eb_error* error);

inline bool model_view_ready(const ModelView* view) {
  return view != nullptr && view->magic == kModelMagic;
}

// ---- fp32 weights, resolved from named tensors ----

// A dense layer: fp32 `weight`, or int8 `packed` (K4N16, see kernels/packing.h) with one scale per
// output channel; exactly one of the two is set (both null: the layer is absent).
struct DenseWeights {
  const float* weight;    // (out, in) row-major, or nullptr
  const int8_t* packed;   // K4N16 int8 (or K8N16I4 4-bit: group_size), or nullptr
  const float* scales;    // (out) with packed
  const float* bias;      // (out)
  // (out) sum of each channel's int8 weights, or nullptr; checked at load, not needed by the
  // kernels any more (7-bit files keep them for runtimes whose avx2 kernel subtracted 128 * sums).
  const int32_t* row_sums;
  int max_abs;              // int8 weights lie in [-max_abs, max_abs] (checked at load)
  // Static int8 (XNNPACK qs8): one weight scale for the tensor and calibrated affine activation
  // quantization, x = (q - zero_point) * scale; `static_int8` false if the tensor has none.
  bool static_int8;
  float input_scale, output_scale;
  int8_t input_zero_point, output_zero_point;
  // 4-bit weights (K8N16I4, packing.h) when group_size != 0: `packed` holds the nibbles, these
  // the per (channel, group) multipliers in [1, 15] (checked at load with scan_weights).
  const uint8_t* group_multipliers;
  uint32_t group_size;
  bool present() const { return weight != nullptr || packed != nullptr; }
};

// An embedding table: fp32 rows, or int8 rows with one scale per row, or 4-bit rows with one
// scale per row and multipliers per group of group_size (packing.h int4_row_value).
struct EmbeddingTable {
  const float* values;      // (rows, E), or nullptr
  const int8_t* quantized;  // (rows, E), or nullptr
  const float* scales;      // (rows) with quantized or nibbles
  const uint8_t* nibbles = nullptr;            // (rows, int4_row_bytes(E)), or nullptr
  const uint8_t* group_multipliers = nullptr;  // (rows, int4_row_groups(E, group_size))
  uint32_t group_size = 0;
};

struct LayerNormWeights {
  const float* gamma;  // (width)
  const float* beta;   // (width)
  uint32_t width;      // H, or E for the embeddings' LayerNorm
};

struct LayerWeights {
  DenseWeights query, key, value;  // H -> A each
  DenseWeights attention_output;   // A -> H
  LayerNormWeights attention_norm;
  DenseWeights intermediate;       // H -> I
  DenseWeights output;             // I -> H
  LayerNormWeights output_norm;
};

struct ModelWeights {
  EmbeddingTable word_embeddings;      // (vocab_size, E)
  EmbeddingTable position_embeddings;  // (max_positions, E)
  const float* token_type_embeddings;  // (type_vocab_size, E)
  LayerNormWeights embedding_norm;     // (E)
  DenseWeights embeddings_project;     // E -> H; null unless E != H
  LayerWeights* layers;                // (num_layers), storage owned by the caller of resolve
  DenseWeights pooler;                 // H -> H; null if the model has no pooler
  DenseWeights classifier;             // H -> num_labels; null if not a (token) classifier
  DenseWeights qa_outputs;             // H -> 2; question answering only
  DenseWeights mlm_transform;          // H -> H; masked LM only
  LayerNormWeights mlm_norm;           // masked LM only
  const float* mlm_bias;               // (vocab_size) masked LM only
  size_t int8_tensors;                 // int8 tensors found (0: an fp32 model)
  size_t dynamic_int8_dense;           // int8 dense weights without static quantization
};

// Finds and checks every tensor the forward pass reads and records them in `weights`; the
// per-layer entries only when `weights->layers` points at num_layers entries. The checks are
// structural (presence, dtype, shape, byte size, alignment, scales): what memory safety needs.
// scan_weights also reads every int8 dense weight against its max_abs and row_sums claims
// (eb_model_check_weights; a pass over the whole file, so model init does not do it).
eb_status resolve_weights(const ModelView& view, ModelWeights* weights, bool scan_weights,
                          eb_error* error);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_MODEL_H_
