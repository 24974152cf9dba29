#include "tokenizer/unigram_file.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edgebert_internal/tokenizer.h"  // utf8_decode
#include "file_io.h"
#include "tokenizer/bpe_file.h"  // tokenizer_config, token_text
#include "tokenizer/tables.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bytes of a pre-token longer than this are segmented in chunks (Tokenizer.max_word_bytes):
// 2,048 bytes is ~680 CJK characters without a space.
constexpr uint32_t kMaxWordBytes = 2048;

void expect(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw std::runtime_error(where + ": " + what);
}

std::string type_of(const json& j) {
  return j.is_object() ? j.value("type", std::string("?")) : j.dump();
}

std::vector<uint8_t> base64_decode(const std::string& text, const std::string& where) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;
    const int v = value(c);
    expect(v >= 0, where, "precompiled_charsmap is not base64");
    bits = (bits << 6) | static_cast<uint32_t>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<uint8_t>(bits >> count));
    }
  }
  return out;
}

// The normalizers the device runs, in the order it runs them: Precompiled, Strip, Replace
// " {2,}" (SpmConverter's Sequence; older converters wrote Precompiled + Replace only).
void read_normalizer(const json& n, const std::string& where, fb::TokenizerT& out) {
  if (n.is_null()) return;
  std::vector<json> steps;
  if (type_of(n) == "Sequence") {
    expect(n.contains("normalizers") && n["normalizers"].is_array(), where,
           "normalizer.normalizers is not a list");
    for (const json& step : n["normalizers"]) steps.push_back(step);
  } else {
    steps.push_back(n);
  }
  int stage = 0;  // 1 Precompiled, 2 Strip, 3 Replace: each at most once, in this order
  const auto at_stage = [&](int s, const std::string& name) {
    expect(s > stage, where,
           "normalizer " + name + " comes after a later step (the device runs Precompiled, "
           "Strip, Replace in that order)");
    stage = s;
  };
  for (const json& step : steps) {
    const std::string type = type_of(step);
    if (type == "Precompiled") {
      at_stage(1, type);
      expect(step.contains("precompiled_charsmap") && step["precompiled_charsmap"].is_string(),
             where, "normalizer Precompiled has no precompiled_charsmap");
      split_charsmap(step["precompiled_charsmap"].get<std::string>(), where, out);
    } else if (type == "Strip") {
      at_stage(2, type);
      out.strip_left = step.value("strip_left", false);
      out.strip_right = step.value("strip_right", false);
    } else if (type == "Replace") {
      at_stage(3, type);
      const json& pattern = step.value("pattern", json::object());
      const bool space_run = pattern.is_object() && pattern.value("Regex", "") == " {2,}";
      expect(space_run, where,
             "normalizer Replace pattern " + pattern.dump() +
                 " is not supported (only {\"Regex\": \" {2,}\"}, SentencePiece's runs of spaces)");
      const std::string content = step.value("content", "");
      expect(!content.empty() && content.size() <= 16 && content.find(' ') == std::string::npos,
             where, "normalizer Replace content " + json(content).dump() +
                        " is not supported (1 to 16 bytes without a space)");
      out.space_run_replacement = content;
    } else {
      throw std::runtime_error(where + ": normalizer " + type +
                               " is not supported (Precompiled, Strip, Replace \" {2,}\")");
    }
  }
}

void read_pre_tokenizer(const json& pre, const std::string& where, fb::TokenizerT& out) {
  expect(type_of(pre) == "Metaspace", where,
         "pre_tokenizer.type " + type_of(pre) + " is not Metaspace");
  const std::string replacement = pre.value("replacement", std::string("\u2581"));
  const auto* bytes = reinterpret_cast<const uint8_t*>(replacement.data());
  size_t pos = 0;
  const uint32_t cp = replacement.empty() ? 0 : utf8_decode(bytes, replacement.size(), &pos);
  expect(!replacement.empty() && pos == replacement.size() && cp != 0xFFFD, where,
         "pre_tokenizer.replacement " + json(replacement).dump() + " is not one character");
  expect(cp != ' ', where, "pre_tokenizer.replacement is a space (not supported)");
  out.metaspace_replacement = cp;
  std::string scheme = pre.value("prepend_scheme", std::string("always"));
  if (pre.contains("add_prefix_space") && pre["add_prefix_space"].is_boolean() &&
      !pre["add_prefix_space"].get<bool>()) {
    scheme = "never";  // tokenizers: add_prefix_space false overrides the scheme
  }
  if (scheme == "always") {
    out.prepend_scheme = fb::PrependScheme::Always;
  } else if (scheme == "first") {
    out.prepend_scheme = fb::PrependScheme::First;
  } else if (scheme == "never") {
    out.prepend_scheme = fb::PrependScheme::Never;
  } else {
    throw std::runtime_error(where + ": pre_tokenizer.prepend_scheme " + json(scheme).dump() +
                             " is not always, first or never");
  }
  out.metaspace_split = pre.value("split", true);
}

// XLM-R's TemplateProcessing: "<s> $A </s>" and "<s> $A </s> </s> $B </s>", all type 0.
void read_post_processor(const json& post, const std::string& where, std::string* cls,
                         std::string* sep) {
  const std::string expected = "TemplateProcessing with single \"<s> $A </s>\" and pair "
                               "\"<s> $A </s> </s> $B </s>\", all of type 0";
  expect(type_of(post) == "TemplateProcessing", where,
         "post_processor.type " + type_of(post) + " is not supported (" + expected + ")");
  const auto pieces = [&](const char* key) {
    std::vector<std::string> out;  // "S:<s>" for a special token, "A" / "B" for a sequence
    expect(post.contains(key) && post[key].is_array(), where,
           std::string("post_processor.") + key + " is not a list");
    for (const json& p : post[key]) {
      const bool special = p.contains("SpecialToken");
      const json& body = special ? p["SpecialToken"] : p.value("Sequence", json::object());
      expect(body.value("type_id", 0) == 0, where,
             std::string("post_processor.") + key + " gives a type id other than 0 (" +
                 expected + ")");
      out.push_back((special ? "S:" : "") + body.value("id", std::string("?")));
    }
    return out;
  };
  const std::vector<std::string> single = pieces("single"), pair = pieces("pair");
  const bool shaped = single.size() == 3 && single[1] == "A" && single[0].rfind("S:", 0) == 0 &&
                      single[2].rfind("S:", 0) == 0 && pair.size() == 6 &&
                      pair[0] == single[0] && pair[1] == "A" && pair[2] == single[2] &&
                      pair[3] == single[2] && pair[4] == "B" && pair[5] == single[2];
  expect(shaped, where, "post_processor is not " + expected);
  *cls = single[0].substr(2);
  *sep = single[2].substr(2);
}

}  // namespace

void split_charsmap(const std::string& base64, const std::string& where, fb::TokenizerT& out) {
  const std::vector<uint8_t> bytes = base64_decode(base64, where);
  expect(bytes.size() >= 4, where, "precompiled_charsmap is shorter than its header");
  const uint32_t trie_bytes = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) |
                              (static_cast<uint32_t>(bytes[3]) << 24);
  expect(trie_bytes % 4 == 0 && trie_bytes >= 4 && 4ull + trie_bytes <= bytes.size(), where,
         "precompiled_charsmap's trie size " + std::to_string(trie_bytes) + " does not fit its " +
             std::to_string(bytes.size()) + " bytes");
  out.charsmap_trie.resize(trie_bytes / 4);
  for (size_t i = 0; i < out.charsmap_trie.size(); ++i) {
    const uint8_t* b = bytes.data() + 4 + 4 * i;
    out.charsmap_trie[i] = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
  out.charsmap_normalized.assign(bytes.begin() + 4 + trie_bytes, bytes.end());
}

bool has_unigram(const fs::path& dir) {
  if (!fs::exists(dir / "tokenizer.json")) return false;
  const json t = read_json_file((dir / "tokenizer.json").string());
  return t.contains("model") && t["model"].is_object() && t["model"].value("type", "") == "Unigram";
}

std::unique_ptr<fb::TokenizerT> read_unigram(const fs::path& dir, size_t vocab_size) {
  const std::string where = (dir / "tokenizer.json").string();
  const json t = read_json_file(where);
  expect(t.contains("model") && t["model"].is_object(), where, "no \"model\"");
  const json& m = t["model"];
  expect(m.value("type", "") == "Unigram", where,
         "model.type " + m.value("type", std::string("?")) + " is not Unigram");
  expect(!m.value("byte_fallback", false), where,
         "model.byte_fallback is set (not supported: unknown characters become <unk>)");
  expect(m.contains("unk_id") && m["unk_id"].is_number_integer(), where,
         "model.unk_id is not set (the device needs <unk> for characters without a piece)");
  expect(m.contains("vocab") && m["vocab"].is_array(), where, "model.vocab is not a list");

  auto tokenizer = std::make_unique<fb::TokenizerT>();
  tokenizer->model = fb::TokenizerModel::Unigram;
  const json& vocab = m["vocab"];
  expect(vocab.size() <= vocab_size, where,
         std::to_string(vocab.size()) + " pieces, beyond the model's vocab_size " +
             std::to_string(vocab_size));
  for (size_t id = 0; id < vocab.size(); ++id) {
    const json& entry = vocab[id];
    expect(entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_number(),
           where, "model.vocab[" + std::to_string(id) + "] is not [piece, score]");
    tokenizer->vocab.push_back(entry[0].get<std::string>());
    tokenizer->unigram_scores.push_back(entry[1].get<double>());
  }
  for (size_t i = vocab.size(); i < vocab_size; ++i) {  // as some checkpoints pad their embeddings
    tokenizer->vocab.push_back("[edgebert_padding_" + std::to_string(i) + "]");
    tokenizer->unigram_scores.push_back(-HUGE_VAL);
  }
  const int64_t unk = m["unk_id"].get<int64_t>();
  expect(unk >= 0 && static_cast<size_t>(unk) < vocab.size(), where,
         "model.unk_id " + std::to_string(unk) + " is not a piece");
  tokenizer->unk_id = static_cast<int32_t>(unk);

  read_normalizer(t.value("normalizer", json()), where, *tokenizer);
  expect(t.contains("pre_tokenizer") && t["pre_tokenizer"].is_object(), where,
         "no pre_tokenizer (Metaspace expected)");
  read_pre_tokenizer(t["pre_tokenizer"], where, *tokenizer);
  std::string cls, sep;
  expect(t.contains("post_processor") && t["post_processor"].is_object(), where,
         "no post_processor (XLM-R's TemplateProcessing expected)");
  read_post_processor(t["post_processor"], where, &cls, &sep);

  std::map<std::string, int32_t> ids;  // later pieces win, as tokenizers' token_to_ids
  for (size_t id = 0; id < vocab.size(); ++id) ids[tokenizer->vocab[id]] = static_cast<int32_t>(id);
  const auto id_of = [&](const std::string& piece) {
    const auto it = ids.find(piece);
    return it == ids.end() ? -1 : it->second;
  };
  tokenizer->cls_id = id_of(cls);
  tokenizer->sep_id = id_of(sep);
  expect(tokenizer->cls_id >= 0 && tokenizer->sep_id >= 0, where,
         "the post-processor's tokens " + cls + " / " + sep + " are not in the vocabulary");
  const json config = tokenizer_config(dir);
  tokenizer->pad_id = id_of(token_text(config, "pad_token", "<pad>"));
  tokenizer->mask_id = id_of(token_text(config, "mask_token", "<mask>"));
  tokenizer->do_lower_case = false;
  tokenizer->strip_accents = false;
  tokenizer->tokenize_chinese_chars = false;
  tokenizer->max_word_bytes = kMaxWordBytes;

  const int32_t specials[] = {tokenizer->unk_id, tokenizer->cls_id, tokenizer->sep_id,
                              tokenizer->pad_id, tokenizer->mask_id};
  std::vector<std::string> normalized_texts;
  if (t.contains("added_tokens") && t["added_tokens"].is_array()) {
    for (const json& a : t["added_tokens"]) {
      const std::string content = a.value("content", "");
      const std::string name = "added token " + json(content).dump();
      expect(a.value("special", false), where, name + " is not special (not supported)");
      expect(!a.value("single_word", false), where, name + " is single_word (not supported)");
      expect(a.contains("id") && a["id"].is_number_integer(), where, name + " has no id");
      const auto id = a["id"].get<int32_t>();
      expect(id >= 0 && static_cast<size_t>(id) < vocab.size() &&
                 tokenizer->vocab[size_t(id)] == content,
             where, name + " is not piece " + std::to_string(id) + " of model.vocab");
      expect(std::find(std::begin(specials), std::end(specials), id) != std::end(specials), where,
             name + " is none of <s>, </s>, <unk>, <pad>, <mask> (not supported)");
      const bool normalized = a.value("normalized", false);
      expect(!(normalized && a.value("rstrip", false)), where,
             name + " is normalized and rstrip (not supported)");
      if (a.value("lstrip", false)) tokenizer->lstrip_ids.push_back(id);
      if (a.value("rstrip", false)) tokenizer->rstrip_ids.push_back(id);
      if (normalized) {
        tokenizer->normalized_special_ids.push_back(id);
        normalized_texts.push_back(content);
      }
    }
  }
  // The device matches normalized specials one character at a time: none may begin another.
  for (const std::string& a : normalized_texts) {
    for (const std::string& b : normalized_texts) {
      expect(&a == &b || b.rfind(a, 0) != 0, where,
             "normalized added tokens " + json(a).dump() + " and " + json(b).dump() +
                 " begin alike (not supported)");
    }
  }
  build_tokenizer_tables(*tokenizer);
  return tokenizer;
}

}  // namespace edgebert::convert
