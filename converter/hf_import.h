// Import of Hugging Face BERT checkpoints (config.json + model.safetensors + vocab.txt):
// BertModel, BertForSequenceClassification (softmax, multi-label, or one output: regression /
// cross-encoder), BertForTokenClassification, BertForQuestionAnswering, BertForMaskedLM and
// BertForPreTraining (the MLM head, decoder tied to the word embeddings), and
// sentence-transformers folders (modules.json, 1_Pooling, optional Normalize).
#ifndef EDGEBERT_CONVERTER_HF_IMPORT_H_
#define EDGEBERT_CONVERTER_HF_IMPORT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "edgebert_generated.h"

namespace edgebert::convert {

struct ImportOptions {
  std::string dir;                      // checkpoint folder
  std::optional<uint32_t> max_seq;      // default: max_position_embeddings
  std::optional<fb::Pooling> pooling;   // default: sentence-transformers' or Mean
  std::optional<bool> normalize;        // default: sentence-transformers' Normalize module or off
  std::optional<bool> lowercase;        // default: tokenizer_config.json do_lower_case or true
  bool encoder_only = false;            // drop the checkpoint's head: an Encoder model
};

// What was found, for the CLI to report.
struct ImportSummary {
  std::string layout;        // "BertForSequenceClassification", "BertModel", "sentence-transformers"
  std::string tensor_prefix; // "bert." or ""
  size_t tensors = 0;
};

// Builds the model; throws std::runtime_error with a message naming the file and the problem,
// including every unsupported configuration (relative positions, decoders, regression heads...).
fb::ModelT import_hf(const ImportOptions& options, ImportSummary* summary = nullptr);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_HF_IMPORT_H_
