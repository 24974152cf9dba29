// A BERT of any shape with seeded random weights, for benchmarks and tests (and the starting point
// pretraining will use). Weights: N(0, 0.02) like BERT's initializer, LayerNorm gamma 1, beta 0.
#ifndef EDGEBERT_CONVERTER_RANDOM_MODEL_H_
#define EDGEBERT_CONVERTER_RANDOM_MODEL_H_

#include <cstdint>

#include "edgebert_generated.h"

namespace edgebert::convert {

struct BertShape {
  uint32_t num_layers = 2;
  uint32_t hidden = 128;
  uint32_t num_heads = 2;
  uint32_t head_dim = 64;
  uint32_t intermediate = 512;
  uint32_t vocab_size = 30522;
  uint32_t max_positions = 512;
  uint32_t type_vocab_size = 2;
  uint32_t embedding_size = 0;  // 0: hidden; else ELECTRA small's narrower embeddings and
                                // embeddings_project
  uint32_t num_labels = 2;  // 0: encoder only
  // The head: Classification (pooler + classifier of num_labels outputs; 1 output is a
  // regression / cross-encoder score; 0 labels: an encoder with pooler), TokenClassification
  // (num_labels >= 2), QuestionAnswering, MaskedLM (needs a tokenizer with a mask token before
  // packing), Encoder, Embedding.
  fb::TaskKind task = fb::TaskKind::Classification;
};

// A model of that shape and head with N(0, 0.02) weights. No tokenizer (token-id input).
fb::ModelT random_bert(const BertShape& shape, uint64_t seed);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_RANDOM_MODEL_H_
