#include "inspect.h"

#include <fmt/format.h>

#include <stdexcept>

#include "edgebert/edgebert.h"
#include "edgebert_generated.h"

namespace edgebert::convert {
namespace {

using nlohmann::json;

std::string str(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

std::string lower_name(const char* name) {
  std::string s = name;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The task's name as the CLI and reports spell it ("question_answering", "masked_lm", ...).
std::string task_name(fb::TaskKind kind) {
  switch (kind) {
    case fb::TaskKind::Encoder: return "encoder";
    case fb::TaskKind::Classification: return "classification";
    case fb::TaskKind::Embedding: return "embedding";
    case fb::TaskKind::QuestionAnswering: return "question_answering";
    case fb::TaskKind::TokenClassification: return "token_classification";
    case fb::TaskKind::MaskedLM: return "masked_lm";
  }
  return "unknown";
}

// Hugging Face's problem_type names ("single_label_classification" without the suffix).
std::string problem_name(fb::ProblemType type) {
  switch (type) {
    case fb::ProblemType::SingleLabel: return "single_label";
    case fb::ProblemType::MultiLabel: return "multi_label";
    case fb::ProblemType::Regression: return "regression";
  }
  return "unknown";
}

// Hugging Face's names for the activations (hidden_act), which users know.
std::string activation_name(fb::Activation activation) {
  switch (activation) {
    case fb::Activation::GeluErf: return "gelu";
    case fb::Activation::GeluTanh: return "gelu_tanh";
    case fb::Activation::Relu: return "relu";
    case fb::Activation::Tanh: return "tanh";
  }
  return "unknown(" + std::to_string(static_cast<int>(activation)) + ")";
}

std::string shape_text(const json& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i].get<uint64_t>());
  return text + ")";
}

std::string bytes_text(uint64_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{:.2f} MiB", bytes / 1048576.0);
  if (bytes >= (1u << 10)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{} B", bytes);
}

}  // namespace

json inspect_model(const AlignedBytes& bytes) {
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data())) {
    throw std::runtime_error("not an edgebert model (file identifier \"EBM1\" missing)");
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyModelBuffer(verifier)) {
    throw std::runtime_error("model failed FlatBuffers verification (corrupt or truncated file)");
  }
  const fb::Model* m = fb::GetModel(bytes.data());
  json report;
  report["file_bytes"] = bytes.size();
  report["schema_version"] = m->schema_version();

  eb_model model;
  eb_error error;
  // The runtime's load checks, then the full weight check (eb_model_check_weights).
  eb_status status = eb_model_init(&model, bytes.data(), bytes.size(), &error);
  if (status == EB_OK) status = eb_model_check_weights(&model, &error);
  report["runtime_check"] = {{"status", eb_status_string(status)},
                             {"message", status == EB_OK ? "" : error.message}};

  if (const fb::Config* c = m->config()) {
    report["config"] = {{"num_layers", c->num_layers()},
                        {"hidden", c->hidden()},
                        {"embedding_size", c->embedding_size() != 0 ? c->embedding_size()
                                                                    : c->hidden()},
                        {"num_heads", c->num_heads()},
                        {"head_dim", c->head_dim()},
                        {"intermediate", c->intermediate()},
                        {"vocab_size", c->vocab_size()},
                        {"max_positions", c->max_positions()},
                        {"type_vocab_size", c->type_vocab_size()},
                        {"layer_norm_eps", c->layer_norm_eps()},
                        {"activation", activation_name(c->activation())},
                        {"max_seq", c->max_seq()},
                        {"position_offset", c->position_offset()},
                        {"pooler_activation", activation_name(c->pooler_activation())},
                        {"attention_products", c->attention_products() == fb::DType::Int8
                                                   ? "int8"
                                                   : "fp32"}};
  }
  if (const fb::Task* t = m->task()) {
    json labels = json::array();
    if (t->labels()) {
      for (const auto* label : *t->labels()) labels.push_back(label->str());
    }
    report["task"] = {{"kind", task_name(t->kind())},
                      {"labels", labels},
                      {"pooling", lower_name(fb::EnumNamePooling(t->pooling()))},
                      {"normalize", t->normalize()}};
    if (t->kind() == fb::TaskKind::Classification) {
      report["task"]["problem_type"] = problem_name(t->problem_type());
    }
  }
  if (const fb::Tokenizer* t = m->tokenizer()) {
    report["tokenizer"] = {{"vocab_size", t->vocab() ? t->vocab()->size() : 0},
                           {"do_lower_case", t->do_lower_case()},
                           {"strip_accents", t->strip_accents()},
                           {"tokenize_chinese_chars", t->tokenize_chinese_chars()},
                           {"max_input_chars_per_word", t->max_input_chars_per_word()},
                           {"split_special_tokens", t->split_special_tokens()},
                           {"special_ids",
                            {{"unk", t->unk_id()},
                             {"cls", t->cls_id()},
                             {"sep", t->sep_id()},
                             {"pad", t->pad_id()},
                             {"mask", t->mask_id()}}}};
    // Device lookup structures stored in the model (what text input costs in model bytes).
    const uint64_t hash_bytes = t->vocab_hash() ? t->vocab_hash()->size() * 4ull : 0;
    uint64_t unicode_bytes = 0;
    if (const fb::UnicodeTables* u = t->unicode()) {
      unicode_bytes = 2ull * (u->stage1() ? u->stage1()->size() : 0) +
                      2ull * (u->stage2() ? u->stage2()->size() : 0) +
                      sizeof(fb::UnicodeRecord) * (u->records() ? u->records()->size() : 0) +
                      4ull * (u->strip_data() ? u->strip_data()->size() : 0);
      report["tokenizer"]["unicode_source"] = str(u->source());
      report["tokenizer"]["unicode_records"] = u->records() ? u->records()->size() : 0;
    }
    report["tokenizer"]["table_bytes"] = {{"vocab_hash", hash_bytes}, {"unicode", unicode_bytes}};
    const bool bpe = t->model() == fb::TokenizerModel::ByteLevelBpe;
    const bool unigram = t->model() == fb::TokenizerModel::Unigram;
    report["tokenizer"]["model"] = bpe ? "byte_level_bpe" : unigram ? "unigram" : "wordpiece";
    if (unigram) {
      const char* schemes[] = {"always", "first", "never"};
      report["tokenizer"]["unigram"] = {
          {"precompiled_charsmap", t->charsmap_trie() != nullptr && t->charsmap_trie()->size() > 0},
          {"strip_left", t->strip_left()},
          {"strip_right", t->strip_right()},
          {"space_run_replacement", t->space_run_replacement() ? str(t->space_run_replacement()) : ""},
          {"prepend_scheme", schemes[static_cast<int>(t->prepend_scheme()) % 3]},
          {"max_word_bytes", t->max_word_bytes()}};
      report["tokenizer"]["table_bytes"]["unigram_scores"] =
          t->unigram_scores() ? t->unigram_scores()->size() * 8ull : 0;
      report["tokenizer"]["table_bytes"]["unigram_prefix_bits"] =
          t->unigram_prefix_bits() ? t->unigram_prefix_bits()->size() * 8ull : 0;
      report["tokenizer"]["table_bytes"]["charsmap"] =
          (t->charsmap_trie() ? t->charsmap_trie()->size() * 4ull : 0) +
          (t->charsmap_normalized() ? t->charsmap_normalized()->size() : 0);
    }
    if (bpe) {
      const uint64_t merges = t->bpe_merges() ? t->bpe_merges()->size() : 0;
      report["tokenizer"]["bpe"] = {{"merges", merges},
                                    {"add_prefix_space", t->add_prefix_space()},
                                    {"trim_offsets", t->trim_offsets()},
                                    {"max_word_bytes", t->max_word_bytes()}};
      report["tokenizer"]["table_bytes"]["bpe_merges"] = merges * sizeof(fb::BpeMerge);
      report["tokenizer"]["table_bytes"]["bpe_merge_hash"] =
          t->bpe_merge_hash() ? t->bpe_merge_hash()->size() * 4ull : 0;
    }
  }
  json tensors = json::array();
  uint64_t parameters = 0, weight_bytes = 0;
  if (m->tensors()) {
    for (const fb::Tensor* t : *m->tensors()) {
      json shape = json::array();
      uint64_t count = 1;
      if (t->shape()) {
        for (uint32_t d : *t->shape()) {
          shape.push_back(d);
          count *= d;
        }
      }
      // 4-bit weights: the nibbles and their group multipliers (one byte each).
      const uint64_t multipliers = t->group_multipliers() ? t->group_multipliers()->size() : 0;
      const uint64_t size = (t->data() ? t->data()->size() : 0) + multipliers;
      json tensor = {{"name", str(t->name())},
                     {"dtype", lower_name(fb::EnumNameDType(t->dtype()))},
                     {"shape", shape},
                     {"bytes", size},
                     {"scales", t->scales() ? t->scales()->size() : 0}};
      if (t->dtype() == fb::DType::Int4) {
        tensor["group_size"] = t->group_size();
        tensor["group_multipliers"] = multipliers;
      }
      tensors.push_back(std::move(tensor));
      parameters += count;
      weight_bytes += size;
    }
  }
  report["tensors"] = tensors;
  report["totals"] = {{"tensors", tensors.size()},
                      {"parameters", parameters},
                      {"weight_bytes", weight_bytes}};
  if (status == EB_OK) {
    eb_model_info info;
    eb_model_get_info(&model, &info);
    report["arena"] = {{"max_seq", info.max_seq},
                       {"threads", 1},
                       {"bytes", eb_arena_size(&model, info.max_seq, 1)}};
  }
  if (const fb::MemoryPlan* plan = m->memory_plan()) {
    json buffers = json::array();
    if (plan->buffers()) {
      for (const fb::PlannedBuffer* b : *plan->buffers()) {
        buffers.push_back({{"buffer", fb::EnumNameArenaBuffer(b->buffer())},
                           {"offset", b->offset()},
                           {"size", b->size()},
                           {"first_step", b->first_step()},
                           {"last_step", b->last_step()}});
      }
    }
    uint64_t unshared = 0;
    for (const json& b : buffers) unshared += b["size"].get<uint64_t>();
    report["memory_plan"] = {{"max_seq", plan->max_seq()},
                             {"threads", plan->threads()},
                             {"head_bytes", plan->head_bytes()},
                             {"lower_bound", plan->lower_bound()},
                             {"unshared_bytes", unshared},
                             {"buffers", buffers}};
  }
  if (const fb::Provenance* p = m->provenance()) {
    json metrics = json::array(), extra = json::object();
    if (p->metrics()) {
      for (const auto* metric : *p->metrics()) {
        metrics.push_back({{"name", str(metric->name())},
                           {"dataset", str(metric->dataset())},
                           {"value", metric->value()}});
      }
    }
    if (p->extra()) {
      for (const auto* kv : *p->extra()) extra[str(kv->key())] = str(kv->value());
    }
    report["provenance"] = {{"producer", str(p->producer())},
                            {"source", str(p->source())},
                            {"created_utc", str(p->created_utc())},
                            {"metrics", metrics},
                            {"extra", extra}};
  }
  return report;
}

std::string inspect_text(const json& r) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line(fmt::format("edgebert model, schema version {}, {}", r["schema_version"].get<uint32_t>(),
                   bytes_text(r["file_bytes"].get<uint64_t>())));
  const json& check = r["runtime_check"];
  line(fmt::format("runtime check: {}{}", check["status"].get<std::string>(),
                   check["message"].get<std::string>().empty()
                       ? ""
                       : " (" + check["message"].get<std::string>() + ")"));
  if (r.contains("config")) {
    const json& c = r["config"];
    line("config:");
    line(fmt::format("  layers {}, hidden {}, heads {} x {}, intermediate {}, activation {}",
                     c["num_layers"].get<uint32_t>(), c["hidden"].get<uint32_t>(),
                     c["num_heads"].get<uint32_t>(), c["head_dim"].get<uint32_t>(),
                     c["intermediate"].get<uint32_t>(), c["activation"].get<std::string>()));
    line(fmt::format("  vocab {}, max positions {}, token types {}, layer norm eps {:g}, max_seq {}",
                     c["vocab_size"].get<uint32_t>(), c["max_positions"].get<uint32_t>(),
                     c["type_vocab_size"].get<uint32_t>(), c["layer_norm_eps"].get<float>(),
                     c["max_seq"].get<uint32_t>()));
    line(fmt::format("  attention products {}, first position row {}, pooler activation {}",
                     c["attention_products"].get<std::string>(),
                     c["position_offset"].get<uint32_t>(),
                     c["pooler_activation"].get<std::string>()));
    if (c["embedding_size"] != c["hidden"]) {
      line(fmt::format("  embeddings {} wide, projected to hidden {} (embeddings_project)",
                       c["embedding_size"].get<uint32_t>(), c["hidden"].get<uint32_t>()));
    }
  }
  if (r.contains("task")) {
    const json& t = r["task"];
    std::string labels;
    for (const auto& label : t["labels"]) labels += (labels.empty() ? "" : ", ") + label.get<std::string>();
    const std::string problem =
        t.contains("problem_type") && t["problem_type"] != "single_label"
            ? " (" + t["problem_type"].get<std::string>() + ")"
            : "";
    line(fmt::format("task: {}{}{}; embedding pooling {}{}", t["kind"].get<std::string>(), problem,
                     labels.empty() ? "" : " [" + labels + "]", t["pooling"].get<std::string>(),
                     t["normalize"].get<bool>() ? " + L2 normalize" : ""));
  }
  if (r.contains("tokenizer")) {
    const json& t = r["tokenizer"];
    const json& ids = t["special_ids"];
    if (t.contains("bpe") || t.contains("unigram")) {
      line(fmt::format("tokenizer: {}, {} pieces; <s> {} </s> {} <pad> {} <unk> {} <mask> {}",
                       t.contains("bpe") ? "byte-level BPE" : "SentencePiece Unigram",
                       t["vocab_size"].get<uint32_t>(), ids["cls"].get<int>(),
                       ids["sep"].get<int>(), ids["pad"].get<int>(), ids["unk"].get<int>(),
                       ids["mask"].get<int>()));
    } else {
      line(fmt::format("tokenizer: WordPiece, {} pieces, lowercase {}, strip accents {}, CJK "
                       "split {}; [UNK] {} [CLS] {} [SEP] {} [PAD] {} [MASK] {}",
                       t["vocab_size"].get<uint32_t>(), t["do_lower_case"].get<bool>(),
                       t["strip_accents"].get<bool>(), t["tokenize_chinese_chars"].get<bool>(),
                       ids["unk"].get<int>(), ids["cls"].get<int>(), ids["sep"].get<int>(),
                       ids["pad"].get<int>(), ids["mask"].get<int>()));
    }
    if (t.contains("bpe")) {
      const json& b = t["bpe"];
      line(fmt::format("  byte-level BPE: {} merges, prefix space {}, trim offsets {}, words merged "
                       "whole up to {} bytes; merge tables {} + hash {}",
                       b["merges"].get<uint64_t>(), b["add_prefix_space"].get<bool>(),
                       b["trim_offsets"].get<bool>(), b["max_word_bytes"].get<uint32_t>(),
                       bytes_text(t["table_bytes"]["bpe_merges"].get<uint64_t>()),
                       bytes_text(t["table_bytes"]["bpe_merge_hash"].get<uint64_t>())));
    }
    if (t.contains("unigram")) {
      const json& u = t["unigram"];
      const std::string runs = u["space_run_replacement"].get<std::string>();
      line(fmt::format("  Unigram: precompiled charsmap {} ({}), strip left {} right {}, runs of "
                       "spaces -> {}, Metaspace prepend {}, words segmented whole up to {} "
                       "bytes; scores {}",
                       u["precompiled_charsmap"].get<bool>() ? "yes" : "no",
                       bytes_text(t["table_bytes"]["charsmap"].get<uint64_t>()),
                       u["strip_left"].get<bool>(), u["strip_right"].get<bool>(),
                       runs.empty() ? "kept" : json(runs).dump(),
                       u["prepend_scheme"].get<std::string>(), u["max_word_bytes"].get<uint32_t>(),
                       bytes_text(t["table_bytes"]["unigram_scores"].get<uint64_t>())));
    }
    if (t.contains("unicode_source")) {
      line(fmt::format("  device tables: vocab hash {}, Unicode {} ({} records; {})",
                       bytes_text(t["table_bytes"]["vocab_hash"].get<uint64_t>()),
                       bytes_text(t["table_bytes"]["unicode"].get<uint64_t>()),
                       t["unicode_records"].get<uint32_t>(), t["unicode_source"].get<std::string>()));
    } else {
      line("  device tables: none (token-id input only; re-convert for text input)");
    }
  } else {
    line("tokenizer: none (token-id input only)");
  }
  line("tensors:");
  for (const json& t : r["tensors"]) {
    // int4 g32: 4-bit, multipliers per group of 32 k.
    const std::string dtype =
        t["dtype"].get<std::string>() +
        (t.contains("group_size") ? " g" + std::to_string(t["group_size"].get<uint32_t>()) : "");
    line(fmt::format("  {:<52} {:<8} {:<14} {:>12}", t["name"].get<std::string>(), dtype,
                     shape_text(t["shape"]), bytes_text(t["bytes"].get<uint64_t>())));
  }
  const json& totals = r["totals"];
  line(fmt::format("totals: {} tensors, {} parameters, {} of weights",
                   totals["tensors"].get<size_t>(), totals["parameters"].get<uint64_t>(),
                   bytes_text(totals["weight_bytes"].get<uint64_t>())));
  if (r.contains("memory_plan")) {
    const json& p = r["memory_plan"];
    const auto head = p["head_bytes"].get<uint64_t>(), bound = p["lower_bound"].get<uint64_t>();
    line(fmt::format("memory plan (max_seq {}, {} thread): head {} = {:.1f}% above the lower bound "
                     "{} (every buffer apart: {})",
                     p["max_seq"].get<uint32_t>(), p["threads"].get<uint32_t>(), bytes_text(head),
                     bound ? 100.0 * (double(head) - double(bound)) / double(bound) : 0.0,
                     bytes_text(bound), bytes_text(p["unshared_bytes"].get<uint64_t>())));
    for (const json& b : p["buffers"]) {
      line(fmt::format("  {:<18} offset {:>10}  size {:>10}  steps {}..{}",
                       b["buffer"].get<std::string>(), b["offset"].get<uint64_t>(),
                       b["size"].get<uint64_t>(), b["first_step"].get<uint32_t>(),
                       b["last_step"].get<uint32_t>()));
    }
  }
  if (r.contains("arena")) {
    line(fmt::format("arena: {} for max_seq {} on 1 thread (eb_arena_size)",
                     bytes_text(r["arena"]["bytes"].get<uint64_t>()),
                     r["arena"]["max_seq"].get<uint32_t>()));
  }
  if (r.contains("provenance")) {
    const json& p = r["provenance"];
    line(fmt::format("provenance: {} from {} at {}", p["producer"].get<std::string>(),
                     p["source"].get<std::string>(), p["created_utc"].get<std::string>()));
    for (const json& m : p["metrics"]) {
      line(fmt::format("  {} on {}: {:.4f}", m["name"].get<std::string>(),
                       m["dataset"].get<std::string>(), m["value"].get<double>()));
    }
    for (const auto& [key, value] : p["extra"].items()) {
      line(fmt::format("  {}: {}", key, value.get<std::string>()));
    }
  }
  return out;
}

}  // namespace edgebert::convert
