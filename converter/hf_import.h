// Import of Hugging Face checkpoints (config.json + model.safetensors + a tokenizer) of BERT,
// DistilBERT, RoBERTa, XLM-RoBERTa and ELECTRA: <Family>Model, <Family>ForSequenceClassification
// (softmax, multi-label, or one output: regression / cross-encoder), ForTokenClassification,
// ForQuestionAnswering, ForMaskedLM (decoder tied to the word embeddings; not ELECTRA's
// generator) and BertForPreTraining (its MLM head), and sentence-transformers folders
// (modules.json, 1_Pooling, optional Normalize) over any of them. DistilBERT's missing token
// types become one zero row, RoBERTa's positions start at pad_token_id + 1
// (Config.position_offset), the classification heads' activations are Config.pooler_activation
// (tanh, DistilBERT's ReLU, ELECTRA's GELU). Tokenizers: WordPiece (vocab.txt) or byte-level BPE
// (tokenizer.json, or vocab.json + merges.txt).
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
  bool no_tokenizer = false;            // leave the tokenizer out: the model runs on token ids
};

// What was found, for the CLI to report.
struct ImportSummary {
  std::string layout;        // "BertForSequenceClassification", "BertModel", "sentence-transformers"
  std::string tensor_prefix; // "bert.", "distilbert.", "roberta." or ""
  size_t tensors = 0;
};

// Builds the model; throws std::runtime_error with a message naming the file and the problem,
// including every unsupported configuration (relative positions, decoders, regression heads...).
fb::ModelT import_hf(const ImportOptions& options, ImportSummary* summary = nullptr);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_HF_IMPORT_H_
