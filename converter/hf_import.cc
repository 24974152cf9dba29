#include "hf_import.h"

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "model_file.h"
#include "safetensors.h"
#include "tokenizer/bpe_file.h"
#include "tokenizer/unigram_file.h"
#include "tokenizer/vocab_file.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) { return read_json_file(path.string()); }

// Where the BERT checkpoint lives and how its output is pooled, for sentence-transformers folders.
struct SentenceTransformersLayout {
  fs::path transformer_dir;
  fb::Pooling pooling = fb::Pooling::Mean;
  bool normalize = false;
};

std::optional<SentenceTransformersLayout> read_sentence_transformers(const fs::path& dir) {
  const fs::path modules_path = dir / "modules.json";
  if (!fs::exists(modules_path)) return std::nullopt;
  SentenceTransformersLayout layout;
  layout.transformer_dir = dir;
  bool have_pooling = false;
  for (const json& module : read_json(modules_path)) {
    const std::string type = module.value("type", "");
    const fs::path path = dir / module.value("path", "");
    if (type == "sentence_transformers.models.Transformer") {
      layout.transformer_dir = path;
    } else if (type == "sentence_transformers.models.Pooling") {
      const json pooling = read_json(path / "config.json");
      const bool mean = pooling.value("pooling_mode_mean_tokens", false);
      const bool cls = pooling.value("pooling_mode_cls_token", false);
      for (const char* other : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
        if (pooling.value(other, false)) {
          throw std::runtime_error((path / "config.json").string() + ": " + other +
                                   " is not supported (mean or CLS pooling only)");
        }
      }
      if (mean == cls) {
        throw std::runtime_error((path / "config.json").string() +
                                 ": exactly one of mean and CLS pooling must be enabled");
      }
      layout.pooling = mean ? fb::Pooling::Mean : fb::Pooling::Cls;
      have_pooling = true;
    } else if (type == "sentence_transformers.models.Normalize") {
      layout.normalize = true;
    } else {
      throw std::runtime_error(modules_path.string() + ": module " + type + " is not supported");
    }
  }
  if (!have_pooling) throw std::runtime_error(modules_path.string() + ": no Pooling module");
  return layout;
}

fb::Activation parse_activation(const std::string& act, const fs::path& config_path) {
  if (act == "gelu" || act == "gelu_python") return fb::Activation::GeluErf;
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast") {
    return fb::Activation::GeluTanh;
  }
  if (act == "relu") return fb::Activation::Relu;
  throw std::runtime_error(config_path.string() + ": hidden_act \"" + act +
                           "\" is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
}

uint32_t positive(const json& config, const char* key, const fs::path& config_path) {
  if (!config.contains(key) || !config[key].is_number_integer() || config[key].get<int64_t>() < 1 ||
      config[key].get<int64_t>() > (int64_t{1} << 30)) {
    throw std::runtime_error(config_path.string() + ": \"" + key +
                             "\" must be a positive integer");
  }
  return config[key].get<uint32_t>();
}

// The encoder families import reads, by config.json model_type: they are BERT's graph with
// other names (DistilBERT), or other position numbering and heads (RoBERTa, XLM-R).
enum class Family { Bert, DistilBert, Roberta, Electra };

struct FamilyInfo {
  Family family;
  const char* model_type;  // config.json model_type
  const char* prefix;      // module of the encoder in checkpoints with a head: "bert."
  const char* name;        // architecture names' stem: "Bert" (BertForMaskedLM, ...)
};
constexpr FamilyInfo kFamilies[] = {
    {Family::Bert, "bert", "bert.", "Bert"},
    {Family::DistilBert, "distilbert", "distilbert.", "DistilBert"},
    {Family::Roberta, "roberta", "roberta.", "Roberta"},
    {Family::Roberta, "xlm-roberta", "roberta.", "XLMRoberta"},
    {Family::Electra, "electra", "electra.", "Electra"},
};

const FamilyInfo& read_family(const json& c, const fs::path& path) {
  const std::string type = c.value("model_type", "bert");
  std::string known;
  for (const FamilyInfo& f : kFamilies) {
    if (type == f.model_type) return f;
    known += (known.empty() ? "" : ", ") + std::string(f.model_type);
  }
  throw std::runtime_error(path.string() + ": model_type \"" + type + "\" is not supported (" +
                           known + ")");
}

std::unique_ptr<fb::ConfigT> read_config(const json& c, const FamilyInfo& family,
                                         const fs::path& path) {
  if (c.value("position_embedding_type", "absolute") != "absolute") {
    throw std::runtime_error(path.string() + ": position_embedding_type \"" +
                             c.value("position_embedding_type", "") +
                             "\" is not supported (absolute only)");
  }
  if (c.value("is_decoder", false) || c.value("add_cross_attention", false)) {
    throw std::runtime_error(path.string() + ": decoder / cross-attention models are not "
                             "supported");
  }
  // DistilBERT's config names the same numbers differently and fixes the rest.
  const bool distil = family.family == Family::DistilBert;
  auto config = std::make_unique<fb::ConfigT>();
  config->num_layers = positive(c, distil ? "n_layers" : "num_hidden_layers", path);
  config->hidden = positive(c, distil ? "dim" : "hidden_size", path);
  const char* heads_key = distil ? "n_heads" : "num_attention_heads";
  config->num_heads = positive(c, heads_key, path);
  if (config->hidden % config->num_heads != 0) {
    throw std::runtime_error(path.string() + ": hidden size " + std::to_string(config->hidden) +
                             " is not a multiple of " + heads_key + " " +
                             std::to_string(config->num_heads));
  }
  config->head_dim = config->hidden / config->num_heads;
  config->intermediate = positive(c, distil ? "hidden_dim" : "intermediate_size", path);
  config->vocab_size = positive(c, "vocab_size", path);
  config->max_positions = positive(c, "max_position_embeddings", path);
  // DistilBERT has no token types: one all-zero row stands in (import adds it).
  config->type_vocab_size = distil ? 1 : positive(c, "type_vocab_size", path);
  config->layer_norm_eps = distil ? 1e-12f : c.value("layer_norm_eps", 1e-12f);
  config->activation = parse_activation(c.value(distil ? "activation" : "hidden_act", "gelu"),
                                        path);
  if (family.family == Family::Roberta) {
    // create_position_ids_from_input_ids: a sequence without padding reads rows
    // padding_idx + 1, padding_idx + 2, ...
    if (!c.contains("pad_token_id") || !c["pad_token_id"].is_number_integer() ||
        c["pad_token_id"].get<int64_t>() < 0 ||
        c["pad_token_id"].get<int64_t>() + 1 >= config->max_positions) {
      throw std::runtime_error(path.string() + ": pad_token_id must be an integer in [0, "
                               "max_position_embeddings - 1) (RoBERTa numbers positions from "
                               "pad_token_id + 1)");
    }
    config->position_offset = c["pad_token_id"].get<uint32_t>() + 1;
  }
  // ELECTRA small: embeddings of embedding_size, mapped to hidden by embeddings_project.
  if (family.family == Family::Electra && c.contains("embedding_size")) {
    const uint32_t e = positive(c, "embedding_size", path);
    if (e != config->hidden) config->embedding_size = e;
  }
  config->max_seq = longest_sequence(*config);
  return config;
}

// config.problem_type of a sequence classifier; null: Hugging Face's own inference (one label:
// regression, else single-label).
fb::ProblemType read_problem_type(const json& c, size_t labels, const fs::path& path) {
  if (!c.contains("problem_type") || c["problem_type"].is_null()) {
    return labels == 1 ? fb::ProblemType::Regression : fb::ProblemType::SingleLabel;
  }
  const std::string type = c["problem_type"].is_string() ? c["problem_type"].get<std::string>() : "";
  if (type == "single_label_classification") return fb::ProblemType::SingleLabel;
  if (type == "multi_label_classification") return fb::ProblemType::MultiLabel;
  if (type == "regression") return fb::ProblemType::Regression;
  throw std::runtime_error(path.string() + ": problem_type " + c["problem_type"].dump() +
                           " is unknown (single_label_classification, "
                           "multi_label_classification or regression)");
}

// Class names in id order from id2label ({"0": "negative", ...}); default LABEL_i names.
// At least `least` of them (2 for softmax heads; 1 for a regression or cross-encoder score).
std::vector<std::string> read_labels(const json& c, const fs::path& path, size_t least) {
  std::map<int64_t, std::string> by_id;
  if (c.contains("id2label") && c["id2label"].is_object()) {
    for (const auto& [key, value] : c["id2label"].items()) {
      by_id[std::stoll(key)] = value.get<std::string>();
    }
  }
  size_t count = by_id.size();
  if (c.contains("num_labels")) count = c["num_labels"].get<size_t>();
  if (count < least) {
    throw std::runtime_error(path.string() + ": " + std::to_string(count) + " label(s); this head "
                             "needs at least " + std::to_string(least));
  }
  std::vector<std::string> labels(count);
  for (size_t i = 0; i < count; ++i) {
    const auto it = by_id.find(static_cast<int64_t>(i));
    labels[i] = it != by_id.end() ? it->second : "LABEL_" + std::to_string(i);
  }
  return labels;
}

std::unique_ptr<fb::TokenizerT> read_tokenizer(const fs::path& dir, uint32_t vocab_size,
                                               const ImportOptions& options) {
  const fs::path vocab_path = dir / "vocab.txt";
  if (!fs::exists(vocab_path) && has_byte_level_bpe(dir)) {
    return read_byte_level_bpe(dir, vocab_size);  // RoBERTa's (tokenizer.json or vocab.json)
  }
  if (!fs::exists(vocab_path) && has_unigram(dir)) {
    return read_unigram(dir, vocab_size);  // XLM-R's (tokenizer.json)
  }
  if (!fs::exists(vocab_path)) {
    // What the checkpoint has instead: RoBERTa's byte-level BPE, XLM-R's Unigram, ...
    std::string found;
    if (fs::exists(dir / "tokenizer.json")) {
      const json t = read_json(dir / "tokenizer.json");
      if (t.contains("model") && t["model"].is_object() && t["model"].contains("type")) {
        found = "; tokenizer.json holds a " + t["model"]["type"].dump() + " tokenizer";
      }
    } else if (fs::exists(dir / "spiece.model")) {
      found = "; this folder has only spiece.model (ALBERT's or T5's SentencePiece, not "
              "supported)";
    }
    throw std::runtime_error(vocab_path.string() + ": missing (the device tokenizers are "
                             "WordPiece from vocab.txt, byte-level BPE and SentencePiece "
                             "Unigram from tokenizer.json" +
                             found + "); import with --no-tokenizer to run the model on token "
                             "ids");
  }
  json tc = json::object();
  if (fs::exists(dir / "tokenizer_config.json")) tc = read_json(dir / "tokenizer_config.json");
  TokenizerOptions tokenizer;
  tokenizer.lowercase = options.lowercase.value_or(tc.value("do_lower_case", true));
  if (tc.contains("strip_accents") && !tc["strip_accents"].is_null()) {
    tokenizer.strip_accents = tc["strip_accents"].get<bool>();
  }
  tokenizer.tokenize_chinese_chars = tc.value("tokenize_chinese_chars", true);
  tokenizer.split_special_tokens = tc.value("split_special_tokens", false);
  for (auto [key, name] : {std::pair{"unk_token", &tokenizer.unk}, {"cls_token", &tokenizer.cls},
                           {"sep_token", &tokenizer.sep}, {"pad_token", &tokenizer.pad},
                           {"mask_token", &tokenizer.mask}}) {
    if (tc.contains(key) && tc[key].is_string()) *name = tc[key].get<std::string>();
  }
  return make_tokenizer(read_vocab_file(vocab_path.string()), vocab_size, tokenizer,
                        vocab_path.string());
}

// A family's name for a part of BERT's layout (BertTensor::base) and whether it sits beside
// the encoder's module (a head: no "bert." prefix) rather than in it.
struct Rename {
  const char* base;
  const char* theirs;
  bool head;
};
constexpr Rename kDistilBertNames[] = {
    {"attention.self.query", "attention.q_lin", false},
    {"attention.self.key", "attention.k_lin", false},
    {"attention.self.value", "attention.v_lin", false},
    {"attention.output.dense", "attention.out_lin", false},
    {"attention.output.LayerNorm", "sa_layer_norm", false},
    {"intermediate.dense", "ffn.lin1", false},
    {"output.dense", "ffn.lin2", false},
    {"output.LayerNorm", "output_layer_norm", false},
    // DistilBertForSequenceClassification: ReLU(pre_classifier(hidden[0])), then classifier.
    {"pooler.dense", "pre_classifier", true},
    {"cls.predictions.transform.dense", "vocab_transform", true},
    {"cls.predictions.transform.LayerNorm", "vocab_layer_norm", true},
    {kMlmBiasName, "vocab_projector.bias", true},
};
// RobertaClassificationHead: out_proj(tanh(dense(hidden[0]))), BERT's pooler + classifier;
// ElectraClassificationHead the same with GELU.
constexpr Rename kRobertaClassifierNames[] = {
    {"pooler.dense", "classifier.dense", true},
    {"classifier", "classifier.out_proj", true},
};
constexpr Rename kRobertaMlmNames[] = {
    {"cls.predictions.transform.dense", "lm_head.dense", true},
    {"cls.predictions.transform.LayerNorm", "lm_head.layer_norm", true},
    {kMlmBiasName, "lm_head.bias", true},
};

// How one checkpoint names the layout's tensors.
struct CheckpointNames {
  Family family;
  fb::TaskKind task;
  std::string prefix;  // "bert.", "distilbert.", "roberta." or "" (a bare encoder)

  template <size_t N>
  static const Rename* find(const Rename (&table)[N], const char* base) {
    for (const Rename& r : table) {
      if (std::strcmp(r.base, base) == 0) return &r;
    }
    return nullptr;
  }
  const Rename* rename(const char* base) const {
    switch (family) {
      case Family::Bert: return nullptr;
      case Family::DistilBert: return find(kDistilBertNames, base);
      case Family::Roberta:
        if (task == fb::TaskKind::Classification) return find(kRobertaClassifierNames, base);
        if (task == fb::TaskKind::MaskedLM) return find(kRobertaMlmNames, base);
        return nullptr;
      case Family::Electra:
        if (task == fb::TaskKind::Classification) return find(kRobertaClassifierNames, base);
        return nullptr;
    }
    return nullptr;
  }
  // The checkpoint's name of `t` ("distilbert.transformer.layer.0.attention.q_lin.weight").
  std::string of(const BertTensor& t) const {
    const Rename* r = rename(t.base);
    const bool head = r != nullptr ? r->head : t.head;
    std::string name = head ? "" : prefix;
    if (t.layer >= 0) {
      name += (family == Family::DistilBert ? "transformer.layer." : "encoder.layer.") +
              std::to_string(t.layer) + ".";
    }
    name += r != nullptr ? r->theirs : t.base;
    if (t.kind == TensorKind::Vector) return name;
    const bool weight = t.kind != TensorKind::NormBias && t.kind != TensorKind::DenseBias;
    return name + (weight ? ".weight" : ".bias");
  }
  // The masked LM's decoder (tied to the word embeddings) and the bias it may carry instead.
  const char* decoder_weight() const {
    return family == Family::DistilBert ? "vocab_projector.weight"
           : family == Family::Roberta  ? "lm_head.decoder.weight"
                                        : "cls.predictions.decoder.weight";
  }
  const char* decoder_bias() const {
    return family == Family::Roberta ? "lm_head.decoder.bias" : "cls.predictions.decoder.bias";
  }
};

// `source` as stored, accepting the old gamma/beta names of LayerNorms.
std::string stored_name(const SafetensorsFile& file, const std::string& source) {
  if (file.contains(source)) return source;
  const std::string layer_norm = "LayerNorm.";
  const size_t at = source.rfind(layer_norm);
  if (at != std::string::npos) {
    const std::string field = source.substr(at + layer_norm.size());
    const std::string legacy =
        source.substr(0, at + layer_norm.size()) + (field == "weight" ? "gamma" : "beta");
    if (file.contains(legacy)) return legacy;
  }
  return source;
}

void copy_tensor(fb::ModelT& model, const SafetensorsFile& file, const CheckpointNames& names,
                 const BertTensor& t, std::vector<uint32_t> shape, bool optional) {
  char ours[96];
  t.name(ours, sizeof ours);
  std::string source = stored_name(file, names.of(t));
  // The MLM output bias is tied to the decoder's: a checkpoint may keep either name.
  if (t.kind == TensorKind::Vector && !file.contains(source) &&
      file.contains(names.decoder_bias())) {
    source = names.decoder_bias();
  }
  if (!file.contains(source)) {
    if (optional) return;
    throw std::runtime_error("model.safetensors: missing tensor " + source);
  }
  const SafetensorsEntry& entry = file.entry(source);
  const std::vector<uint64_t> want(shape.begin(), shape.end());
  if (entry.shape != want) {
    std::string have, expect;
    for (uint64_t d : entry.shape) have += (have.empty() ? "" : ",") + std::to_string(d);
    for (uint64_t d : want) expect += (expect.empty() ? "" : ",") + std::to_string(d);
    throw std::runtime_error("model.safetensors: tensor " + source + " has shape (" + have +
                             "), config.json implies (" + expect + ")");
  }
  add_tensor_f32(model, ours, std::move(shape), file.read_f32(source));
}

// A masked LM's decoder is read as the word embedding table: a checkpoint that stores a
// decoder weight of its own must hold the same values.
void check_tied_decoder(const SafetensorsFile& file, const CheckpointNames& names,
                        const std::string& words) {
  if (!file.contains(names.decoder_weight())) return;
  if (file.read_f32(names.decoder_weight()) != file.read_f32(words)) {
    throw std::runtime_error(std::string("model.safetensors: ") + names.decoder_weight() +
                             " differs from the word embeddings; untied decoders are not "
                             "supported (import with --encoder-only to drop the head)");
  }
}

fb::ModelT import_checkpoint(const ImportOptions& options, ImportSummary* summary) {
  const fs::path dir(options.dir);
  if (!fs::is_directory(dir)) throw std::runtime_error(options.dir + ": not a directory");
  const auto sentence = read_sentence_transformers(dir);
  const fs::path model_dir = sentence ? sentence->transformer_dir : dir;
  const fs::path config_path = model_dir / "config.json";
  if (!fs::exists(config_path)) throw std::runtime_error(config_path.string() + ": missing");
  const json c = read_json(config_path);
  const FamilyInfo& family = read_family(c, config_path);

  const std::string stem = family.name;
  std::string architecture = stem + "Model";
  if (c.contains("architectures") && c["architectures"].is_array() && !c["architectures"].empty()) {
    architecture = c["architectures"][0].get<std::string>();
  }
  // Which head the checkpoint's architecture has, as a task of the model file.
  std::map<std::string, fb::TaskKind> heads = {
      {stem + "Model", fb::TaskKind::Encoder},
      {stem + "ForSequenceClassification", fb::TaskKind::Classification},
      {stem + "ForTokenClassification", fb::TaskKind::TokenClassification},
      {stem + "ForQuestionAnswering", fb::TaskKind::QuestionAnswering},
      {stem + "ForMaskedLM", fb::TaskKind::MaskedLM},
  };
  // ELECTRA's masked LM is its generator (an embedding-sized head): not this graph's.
  if (family.family == Family::Electra) heads.erase(stem + "ForMaskedLM");
  if (family.family == Family::Bert) {
    heads["BertForPreTraining"] = fb::TaskKind::MaskedLM;  // the MLM head; NSP is left out
  }
  const auto head = heads.find(architecture);
  if (head == heads.end()) {
    std::string known;
    for (const auto& [name, task] : heads) known += (known.empty() ? "" : ", ") + name;
    throw std::runtime_error(config_path.string() + ": architecture " + architecture +
                             " is not supported (" + known + ")");
  }
  fb::TaskKind task = head->second;
  // A sentence-transformers folder is an embedder whatever pretraining head its transformer kept.
  if (options.encoder_only || (sentence && task == fb::TaskKind::MaskedLM)) {
    task = fb::TaskKind::Encoder;
  }
  if (task == fb::TaskKind::MaskedLM && !c.value("tie_word_embeddings", true)) {
    throw std::runtime_error(config_path.string() + ": tie_word_embeddings is false; the masked "
                             "LM head is read with its decoder tied to the word embeddings "
                             "(import with --encoder-only to drop the head)");
  }
  const bool classifier = task == fb::TaskKind::Classification;

  const fs::path weights_path = model_dir / "model.safetensors";
  if (!fs::exists(weights_path)) {
    if (fs::exists(model_dir / "model.safetensors.index.json")) {
      throw std::runtime_error(weights_path.string() +
                               ": sharded checkpoints are not supported; save with "
                               "save_pretrained(..., max_shard_size=\"10GB\")");
    }
    throw std::runtime_error(weights_path.string() +
                             ": missing (pytorch_model.bin is not read; save the model with "
                             "save_pretrained(..., safe_serialization=True))");
  }
  const SafetensorsFile file(weights_path.string());

  std::string layout = sentence ? "sentence-transformers" : architecture;
  fb::ModelT model = new_model("hf:" + layout + ":" + fs::absolute(dir).lexically_normal().string());
  model.config = read_config(c, family, config_path);
  const fb::ConfigT& cfg = *model.config;
  // The heads' activations: DistilBERT's classifier has ReLU; RoBERTa's masked LM head applies
  // GELU whatever hidden_act says, which the graph runs as the model's activation.
  // (For DistilBERT always: a classifier the trainer puts on a DistilBertModel is its head too.)
  // ElectraClassificationHead applies get_activation("gelu"), exact GELU, whatever hidden_act.
  if (family.family == Family::DistilBert) model.config->pooler_activation = fb::Activation::Relu;
  if (family.family == Family::Electra) model.config->pooler_activation = fb::Activation::GeluErf;
  if (family.family == Family::Roberta && task == fb::TaskKind::MaskedLM &&
      cfg.activation != fb::Activation::GeluErf) {
    throw std::runtime_error(config_path.string() + ": RobertaLMHead applies gelu but hidden_act "
                             "is not gelu; the masked LM head runs the model's activation "
                             "(import with --encoder-only to drop the head)");
  }
  const uint32_t longest = longest_sequence(cfg);
  if (options.max_seq) {
    if (*options.max_seq < 1 || *options.max_seq > longest) {
      throw std::runtime_error("--max-seq " + std::to_string(*options.max_seq) + " must be in [1, " +
                               std::to_string(longest) + "] (max_position_embeddings " +
                               std::to_string(cfg.max_positions) +
                               (cfg.position_offset ? " less the first position row " +
                                                          std::to_string(cfg.position_offset)
                                                    : std::string()) +
                               ")");
    }
    model.config->max_seq = *options.max_seq;
  }
  if (!options.no_tokenizer) model.tokenizer = read_tokenizer(model_dir, cfg.vocab_size, options);

  model.task = std::make_unique<fb::TaskT>();
  model.task->kind = task;
  if (task == fb::TaskKind::Classification) {
    model.task->labels = read_labels(c, config_path, 1);
    model.task->problem_type = read_problem_type(c, model.task->labels.size(), config_path);
  } else if (task == fb::TaskKind::TokenClassification) {
    model.task->labels = read_labels(c, config_path, 2);
  } else if (task == fb::TaskKind::Encoder && sentence) {
    model.task->kind = fb::TaskKind::Embedding;
  }
  model.task->pooling = options.pooling.value_or(sentence ? sentence->pooling : fb::Pooling::Mean);
  model.task->normalize = options.normalize.value_or(sentence && sentence->normalize);

  // Checkpoints with a head put the encoder under "bert." ("distilbert.", "roberta."); the bare
  // encoder (BertModel) saves it unprefixed.
  CheckpointNames names{family.family, task, ""};
  char word[64];
  const std::string words =
      bert_tensor_name(-1, embedding_slot_name(EmbeddingSlot::Word), "weight", word, sizeof word);
  if (file.contains(family.prefix + words)) {
    names.prefix = family.prefix;
  } else if (!file.contains(words)) {
    throw std::runtime_error(weights_path.string() + ": no " + words + " (with or without the \"" +
                             family.prefix + "\" prefix); is this a " + family.model_type +
                             " checkpoint?");
  }

  // Every tensor of the layout (edgebert_internal/layout.h), with its shape from config.json.
  const ModelDims dims = layout_dims(model);
  std::string pooler_source;
  for_each_bert_tensor(dims, [&](const BertTensor& t) {
    if (t.kind == TensorKind::DenseWeight && t.slot == DenseSlot::Pooler) pooler_source = names.of(t);
  });
  const bool has_pooler = file.contains(pooler_source);
  if (classifier && !has_pooler) {
    throw std::runtime_error(weights_path.string() + ": classifier checkpoint has no " +
                             pooler_source);
  }
  for_each_bert_tensor(dims, [&](const BertTensor& t) {
    std::vector<uint32_t> shape = {t.rows};
    if (t.cols != 0) shape.push_back(t.cols);
    if (family.family == Family::DistilBert && t.kind == TensorKind::Embedding &&
        t.embedding == EmbeddingSlot::TokenType) {
      char name[96];
      add_tensor_f32(model, t.name(name, sizeof name), std::move(shape),
                     std::vector<float>(size_t{t.rows} * t.cols, 0.0f));
      return;
    }
    copy_tensor(model, file, names, t, std::move(shape), t.optional && !has_pooler);
  });
  if (task == fb::TaskKind::MaskedLM) check_tied_decoder(file, names, names.prefix + words);

  auto add_extra = [&](const std::string& key, const std::string& value) {
    auto kv = std::make_unique<fb::KeyValueT>();
    kv->key = key;
    kv->value = value;
    model.provenance->extra.push_back(std::move(kv));
  };
  add_extra("hf.architecture", architecture);
  if (c.contains("transformers_version")) {
    add_extra("hf.transformers_version", c["transformers_version"].get<std::string>());
  }
  if (c.contains("_name_or_path") && c["_name_or_path"].is_string()) {
    add_extra("hf.name_or_path", c["_name_or_path"].get<std::string>());
  }
  std::sort(model.provenance->extra.begin(), model.provenance->extra.end(),
            [](const auto& a, const auto& b) { return a->key < b->key; });
  if (summary != nullptr) {
    summary->layout = layout;
    summary->tensor_prefix = names.prefix;
    summary->tensors = model.tensors.size();
  }
  return model;
}

}  // namespace

fb::ModelT import_hf(const ImportOptions& options, ImportSummary* summary) {
  try {
    return import_checkpoint(options, summary);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong JSON type somewhere in config/tokenizer/modules files.
    throw std::runtime_error(options.dir + ": unexpected JSON content (" + e.what() + ")");
  }
}

}  // namespace edgebert::convert
