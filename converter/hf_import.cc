#include "hf_import.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "model_file.h"
#include "safetensors.h"
#include "tokenizer/vocab_file.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& path) {
  try {
    return json::parse(read_text_file(path.string()));
  } catch (const json::exception& e) {
    throw std::runtime_error(path.string() + ": invalid JSON (" + e.what() + ")");
  }
}

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

std::unique_ptr<fb::ConfigT> read_config(const json& c, const fs::path& path) {
  if (c.value("model_type", "bert") != "bert") {
    throw std::runtime_error(path.string() + ": model_type \"" + c.value("model_type", "") +
                             "\" is not supported (bert only)");
  }
  if (c.value("position_embedding_type", "absolute") != "absolute") {
    throw std::runtime_error(path.string() + ": position_embedding_type \"" +
                             c.value("position_embedding_type", "") +
                             "\" is not supported (absolute only)");
  }
  if (c.value("is_decoder", false) || c.value("add_cross_attention", false)) {
    throw std::runtime_error(path.string() + ": decoder / cross-attention BERT is not supported");
  }
  auto config = std::make_unique<fb::ConfigT>();
  config->num_layers = positive(c, "num_hidden_layers", path);
  config->hidden = positive(c, "hidden_size", path);
  config->num_heads = positive(c, "num_attention_heads", path);
  if (config->hidden % config->num_heads != 0) {
    throw std::runtime_error(path.string() + ": hidden_size " + std::to_string(config->hidden) +
                             " is not a multiple of num_attention_heads " +
                             std::to_string(config->num_heads));
  }
  config->head_dim = config->hidden / config->num_heads;
  config->intermediate = positive(c, "intermediate_size", path);
  config->vocab_size = positive(c, "vocab_size", path);
  config->max_positions = positive(c, "max_position_embeddings", path);
  config->type_vocab_size = positive(c, "type_vocab_size", path);
  config->layer_norm_eps = c.value("layer_norm_eps", 1e-12f);
  config->activation = parse_activation(c.value("hidden_act", "gelu"), path);
  config->max_seq = config->max_positions;
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
  if (!fs::exists(vocab_path)) {
    throw std::runtime_error(vocab_path.string() + ": missing (a WordPiece vocab.txt is required)");
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

// Hugging Face name of tensor `name` (ours) in the checkpoint, accepting the old gamma/beta names.
constexpr char kMlmDecoderWeight[] = "cls.predictions.decoder.weight";
constexpr char kMlmDecoderBias[] = "cls.predictions.decoder.bias";

std::string checkpoint_name(const SafetensorsFile& file, const std::string& prefix,
                            const std::string& name) {
  const std::string direct = prefix + name;
  if (file.contains(direct)) return direct;
  const std::string layer_norm = "LayerNorm.";
  const size_t at = name.rfind(layer_norm);
  if (at != std::string::npos) {
    const std::string field = name.substr(at + layer_norm.size());
    const std::string legacy = prefix + name.substr(0, at + layer_norm.size()) +
                               (field == "weight" ? "gamma" : "beta");
    if (file.contains(legacy)) return legacy;
  }
  return direct;
}

void copy_tensor(fb::ModelT& model, const SafetensorsFile& file, const std::string& prefix,
                 const std::string& name, std::vector<uint32_t> shape, bool optional) {
  std::string source = checkpoint_name(file, prefix, name);
  // The MLM output bias is tied to the decoder's: a checkpoint may keep either name.
  if (name == kMlmBiasName && !file.contains(source) && file.contains(kMlmDecoderBias)) {
    source = kMlmDecoderBias;
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
  add_tensor_f32(model, name, std::move(shape), file.read_f32(source));
}

// A masked LM's decoder is read as the word embedding table: a checkpoint that stores a
// decoder weight of its own must hold the same values.
void check_tied_decoder(const SafetensorsFile& file, const std::string& prefix,
                        const std::string& words) {
  if (!file.contains(kMlmDecoderWeight)) return;
  if (file.read_f32(kMlmDecoderWeight) != file.read_f32(prefix + words)) {
    throw std::runtime_error(std::string("model.safetensors: ") + kMlmDecoderWeight +
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

  std::string architecture = "BertModel";
  if (c.contains("architectures") && c["architectures"].is_array() && !c["architectures"].empty()) {
    architecture = c["architectures"][0].get<std::string>();
  }
  // Which head the checkpoint's architecture has, as a task of the model file.
  const std::map<std::string, fb::TaskKind> heads = {
      {"BertModel", fb::TaskKind::Encoder},
      {"BertForSequenceClassification", fb::TaskKind::Classification},
      {"BertForTokenClassification", fb::TaskKind::TokenClassification},
      {"BertForQuestionAnswering", fb::TaskKind::QuestionAnswering},
      {"BertForMaskedLM", fb::TaskKind::MaskedLM},
      {"BertForPreTraining", fb::TaskKind::MaskedLM},  // the MLM head; NSP is left out
  };
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
  model.config = read_config(c, config_path);
  const fb::ConfigT& cfg = *model.config;
  if (options.max_seq) {
    if (*options.max_seq < 1 || *options.max_seq > cfg.max_positions) {
      throw std::runtime_error("--max-seq " + std::to_string(*options.max_seq) +
                               " must be in [1, max_position_embeddings = " +
                               std::to_string(cfg.max_positions) + "]");
    }
    model.config->max_seq = *options.max_seq;
  }
  model.tokenizer = read_tokenizer(model_dir, cfg.vocab_size, options);

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

  // Checkpoints from BertFor* heads prefix the encoder with "bert."; BertModel saves it bare.
  std::string prefix;
  char word[64];
  const std::string words =
      bert_tensor_name(-1, embedding_slot_name(EmbeddingSlot::Word), "weight", word, sizeof word);
  if (file.contains("bert." + words)) {
    prefix = "bert.";
  } else if (!file.contains(words)) {
    throw std::runtime_error(weights_path.string() + ": no " + words +
                             " (with or without the \"bert.\" prefix); is this a BERT checkpoint?");
  }

  // Every tensor of the layout (edgebert_internal/layout.h), with its shape from config.json.
  const ModelDims dims = layout_dims(model);
  char pooler[64];
  const bool has_pooler = file.contains(
      prefix + dense_tensor_name(DenseId{0, DenseSlot::Pooler}, pooler, sizeof pooler));
  if (classifier && !has_pooler) {
    throw std::runtime_error(weights_path.string() + ": classifier checkpoint has no pooler");
  }
  for_each_bert_tensor(dims, [&](const BertTensor& t) {
    char name[96];
    std::vector<uint32_t> shape = {t.rows};
    if (t.cols != 0) shape.push_back(t.cols);
    // The task heads sit beside "bert.", not under it.
    copy_tensor(model, file, t.head ? "" : prefix, t.name(name, sizeof name), std::move(shape),
                t.optional && !has_pooler);
  });
  if (task == fb::TaskKind::MaskedLM) check_tied_decoder(file, prefix, words);

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
    summary->tensor_prefix = prefix;
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
