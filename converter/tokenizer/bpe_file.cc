#include "tokenizer/bpe_file.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edgebert_internal/tokenizer.h"  // bpe_pair_hash, utf8_encode
#include "file_io.h"
#include "tokenizer/tables.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string utf8(uint32_t cp) {
  char out[4];
  return std::string(out, utf8_encode(cp, out));
}

// Bytes of a pre-token longer than this are merged in chunks (Tokenizer.max_word_bytes).
constexpr uint32_t kMaxWordBytes = 1024;

struct Source {
  std::map<std::string, int32_t> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
  bool add_prefix_space = false, trim_offsets = true;
  std::string cls = "<s>", sep = "</s>";
  std::map<std::string, AddedToken> added;  // by content
};

// "a b" or ["a", "b"] (tokenizers >= 0.20 writes pairs).
std::pair<std::string, std::string> parse_merge(const json& m, const std::string& where) {
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    return {m[0].get<std::string>(), m[1].get<std::string>()};
  }
  if (m.is_string()) {
    const std::string s = m.get<std::string>();
    const size_t space = s.find(' ');
    if (space != std::string::npos && space > 0 && space + 1 < s.size() &&
        s.find(' ', space + 1) == std::string::npos) {
      return {s.substr(0, space), s.substr(space + 1)};
    }
  }
  throw std::runtime_error(where + ": merge " + m.dump() + " is not two pieces");
}

Source read_tokenizer_json(const fs::path& path) {
  const std::string where = path.string();
  const json t = read_json_file(path.string());
  Source s;
  expect(t.contains("model") && t["model"].is_object(), where, "no \"model\"");
  const json& m = t["model"];
  expect(m.value("type", "") == "BPE", where, "model.type " + m.value("type", std::string("?")) +
                                                  " is not BPE");
  expect(!m.contains("dropout") || m["dropout"].is_null(), where,
         "model.dropout is set (BPE dropout is for training, not supported)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    expect(!m.contains(key) || m[key].is_null() || m[key] == "", where,
           std::string("model.") + key + " " + (m.contains(key) ? m[key].dump() : "") +
               " is not supported (byte-level BPE without affixes only)");
  }
  for (const char* key : {"byte_fallback", "ignore_merges", "fuse_unk"}) {
    expect(!m.value(key, false), where, std::string("model.") + key + " is not supported");
  }
  expect(m.contains("vocab") && m["vocab"].is_object(), where, "model.vocab is not an object");
  for (const auto& [piece, id] : m["vocab"].items()) {
    expect(id.is_number_integer() && id.get<int64_t>() >= 0, where,
           "model.vocab[" + json(piece).dump() + "] is not a token id");
    s.vocab[piece] = id.get<int32_t>();
  }
  expect(m.contains("merges") && m["merges"].is_array(), where, "model.merges is not a list");
  for (const json& merge : m["merges"]) s.merges.push_back(parse_merge(merge, where));

  if (t.contains("normalizer") && !t["normalizer"].is_null()) {
    const json& n = t["normalizer"];
    throw std::runtime_error(where + ": normalizer " +
                             (n.is_object() ? n.value("type", std::string("?")) : n.dump()) +
                             " is not supported (byte-level BPE without a normalizer, as RoBERTa)");
  }
  expect(t.contains("pre_tokenizer") && t["pre_tokenizer"].is_object(), where,
         "no pre_tokenizer (ByteLevel expected)");
  const json& pre = t["pre_tokenizer"];
  expect(pre.value("type", "") == "ByteLevel", where,
         "pre_tokenizer.type " + pre.value("type", std::string("?")) + " is not ByteLevel");
  expect(pre.value("use_regex", true), where,
         "pre_tokenizer.use_regex false is not supported (GPT-2's split only)");
  s.add_prefix_space = pre.value("add_prefix_space", true);
  s.trim_offsets = pre.value("trim_offsets", true);
  if (t.contains("post_processor") && !t["post_processor"].is_null()) {
    const json& post = t["post_processor"];
    expect(post.value("type", "") == "RobertaProcessing", where,
           "post_processor.type " + post.value("type", std::string("?")) +
               " is not supported (RobertaProcessing: <s> A </s></s> B </s>)");
    s.trim_offsets = post.value("trim_offsets", true);
    expect(post.value("add_prefix_space", s.add_prefix_space) == s.add_prefix_space, where,
           "post_processor.add_prefix_space differs from pre_tokenizer.add_prefix_space");
    for (auto [key, out] : {std::pair{"cls", &s.cls}, {"sep", &s.sep}}) {
      if (post.contains(key) && post[key].is_array() && !post[key].empty() &&
          post[key][0].is_string()) {
        *out = post[key][0].get<std::string>();
      }
    }
  } else {
    throw std::runtime_error(where + ": no post_processor (RobertaProcessing expected)");
  }
  if (t.contains("added_tokens") && t["added_tokens"].is_array()) {
    for (const json& a : t["added_tokens"]) {
      const AddedToken added = read_added_token(a, where);
      s.added[added.content] = added;
      s.vocab[added.content] = added.id;
    }
  }
  return s;
}

// The slow tokenizer's files: vocab.json + merges.txt ("#version" header line), RoBERTa's
// defaults (no prefix space, trimmed offsets, <mask> taking the space before it).
Source read_vocab_and_merges(const fs::path& dir) {
  const std::string vocab_where = (dir / "vocab.json").string();
  Source s;
  const json vocab = read_json_file((dir / "vocab.json").string());
  expect(vocab.is_object(), vocab_where, "not an object of piece -> id");
  for (const auto& [piece, id] : vocab.items()) {
    expect(id.is_number_integer() && id.get<int64_t>() >= 0, vocab_where,
           json(piece).dump() + " is not a token id");
    s.vocab[piece] = id.get<int32_t>();
  }
  const std::string merges_where = (dir / "merges.txt").string();
  const std::string text = read_text_file(merges_where);
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    s.merges.push_back(parse_merge(json(line), merges_where + ":" + std::to_string(line_no)));
  }
  const json config = tokenizer_config(dir);
  s.add_prefix_space = config.value("add_prefix_space", false);
  s.trim_offsets = config.value("trim_offsets", true);
  s.cls = token_text(config, "cls_token", token_text(config, "bos_token", "<s>"));
  s.sep = token_text(config, "sep_token", token_text(config, "eos_token", "</s>"));
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "cls_token",
                          "pad_token", "mask_token"}) {
    const std::string content = token_text(config, key, "");
    if (content.empty() || !s.vocab.count(content)) continue;
    const bool lstrip = std::string(key) == "mask_token" ||
                        (config.contains(key) && config[key].is_object() &&
                         config[key].value("lstrip", false));
    s.added[content] = AddedToken{content, s.vocab[content], lstrip, false, false};
  }
  return s;
}

}  // namespace

void expect(bool ok, const std::string& where, const std::string& what) {
  if (!ok) throw std::runtime_error(where + ": " + what);
}

AddedToken read_added_token(const json& a, const std::string& where) {
  const std::string content = a.value("content", "");
  const std::string name = "added token " + json(content).dump();
  expect(a.value("special", false), where, name + " is not special (not supported)");
  expect(!a.value("single_word", false), where, name + " is single_word (not supported)");
  expect(a.contains("id") && a["id"].is_number_integer(), where, name + " has no id");
  return AddedToken{content, a["id"].get<int32_t>(), a.value("lstrip", false),
                    a.value("rstrip", false), a.value("normalized", false)};
}

void expect_special_id(const fb::TokenizerT& t, const AddedToken& added, const std::string& where) {
  const int32_t specials[] = {t.unk_id, t.cls_id, t.sep_id, t.pad_id, t.mask_id};
  expect(std::find(std::begin(specials), std::end(specials), added.id) != std::end(specials),
         where, "added token " + json(added.content).dump() +
                    " is none of <s>, </s>, <unk>, <pad>, <mask> (not supported)");
}

// tokenizer_config.json of `dir`, or {} when there is none.
json tokenizer_config(const fs::path& dir) {
  const fs::path path = dir / "tokenizer_config.json";
  return fs::exists(path) ? read_json_file(path.string()) : json::object();
}

// A special token's text in tokenizer_config.json: a string, or an AddedToken object.
std::string token_text(const json& config, const char* key, const std::string& fallback) {
  if (!config.contains(key)) return fallback;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return fallback;
}

uint32_t byte_level_char(uint8_t b) {
  // Printable Latin-1 bytes stand for themselves; the others, in byte order, for 256 + n.
  const auto printable = [](uint32_t c) {
    return (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
  };
  if (printable(b)) return b;
  uint32_t n = 0;
  for (uint32_t c = 0; c < b; ++c) n += !printable(c);
  return 256 + n;
}

bool has_byte_level_bpe(const fs::path& dir) {
  if (fs::exists(dir / "tokenizer.json")) {
    const json t = read_json_file((dir / "tokenizer.json").string());
    return t.contains("model") && t["model"].is_object() && t["model"].value("type", "") == "BPE";
  }
  return fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt");
}

void build_bpe_tables(fb::TokenizerT& tokenizer) {
  size_t capacity = 16;
  while (capacity < 2 * tokenizer.bpe_merges.size()) capacity *= 2;
  tokenizer.bpe_merge_hash.assign(capacity, -1);
  for (size_t i = 0; i < tokenizer.bpe_merges.size(); ++i) {
    const fb::BpeMerge& m = tokenizer.bpe_merges[i];
    size_t slot = bpe_pair_hash(m.left(), m.right()) & (capacity - 1);
    // A pair listed twice keeps its last rank, as tokenizers' merge map does.
    while (tokenizer.bpe_merge_hash[slot] >= 0) {
      const fb::BpeMerge& other = tokenizer.bpe_merges[size_t(tokenizer.bpe_merge_hash[slot])];
      if (other.left() == m.left() && other.right() == m.right()) break;
      slot = (slot + 1) & (capacity - 1);
    }
    tokenizer.bpe_merge_hash[slot] = static_cast<int32_t>(i);
  }
  build_tokenizer_tables(tokenizer);
}

std::unique_ptr<fb::TokenizerT> read_byte_level_bpe(const fs::path& dir, size_t vocab_size) {
  const bool fast = fs::exists(dir / "tokenizer.json");
  const std::string where = (dir / (fast ? "tokenizer.json" : "vocab.json")).string();
  const Source s = fast ? read_tokenizer_json(dir / "tokenizer.json") : read_vocab_and_merges(dir);

  auto tokenizer = std::make_unique<fb::TokenizerT>();
  tokenizer->model = fb::TokenizerModel::ByteLevelBpe;
  tokenizer->vocab.assign(vocab_size, "");
  std::vector<bool> filled(vocab_size, false);
  for (const auto& [piece, id] : s.vocab) {
    if (static_cast<size_t>(id) >= vocab_size) {
      throw std::runtime_error(where + ": token " + json(piece).dump() + " has id " +
                               std::to_string(id) + ", beyond the model's vocab_size " +
                               std::to_string(vocab_size));
    }
    tokenizer->vocab[size_t(id)] = piece;
    filled[size_t(id)] = true;
  }
  for (size_t i = 0; i < vocab_size; ++i) {  // as some checkpoints pad their embedding table
    if (!filled[i]) tokenizer->vocab[i] = "[edgebert_padding_" + std::to_string(i) + "]";
  }
  auto id_of = [&](const std::string& piece) -> int32_t {
    const auto it = s.vocab.find(piece);
    return it == s.vocab.end() ? -1 : it->second;
  };
  for (int b = 0; b < 256; ++b) {
    const int32_t id = id_of(utf8(byte_level_char(static_cast<uint8_t>(b))));
    if (id < 0) {
      throw std::runtime_error(where + ": no piece for byte " + std::to_string(b) + " (" +
                               json(utf8(byte_level_char(uint8_t(b)))).dump() +
                               "); a byte-level BPE vocabulary holds all 256");
    }
    tokenizer->bpe_byte_ids.push_back(id);
  }
  for (const auto& [left, right] : s.merges) {
    const int32_t l = id_of(left), r = id_of(right), merged = id_of(left + right);
    if (l < 0 || r < 0 || merged < 0) {
      throw std::runtime_error(where + ": merge \"" + left + " " + right + "\" names a piece " +
                               "that is not in the vocabulary");
    }
    tokenizer->bpe_merges.emplace_back(l, r, merged);
  }
  tokenizer->cls_id = id_of(s.cls);
  tokenizer->sep_id = id_of(s.sep);
  if (tokenizer->cls_id < 0 || tokenizer->sep_id < 0) {
    throw std::runtime_error(where + ": the post-processor's tokens " + s.cls + " / " + s.sep +
                             " are not in the vocabulary");
  }
  const json config = tokenizer_config(dir);
  tokenizer->unk_id = id_of(token_text(config, "unk_token", "<unk>"));
  tokenizer->pad_id = id_of(token_text(config, "pad_token", "<pad>"));
  tokenizer->mask_id = id_of(token_text(config, "mask_token", "<mask>"));
  if (tokenizer->unk_id < 0) tokenizer->unk_id = tokenizer->sep_id;  // never produced
  tokenizer->do_lower_case = false;
  tokenizer->strip_accents = false;
  tokenizer->tokenize_chinese_chars = false;
  tokenizer->add_prefix_space = s.add_prefix_space;
  tokenizer->trim_offsets = s.trim_offsets;
  tokenizer->max_word_bytes = kMaxWordBytes;
  // Only the special tokens the device matches in text may strip: those are the five ids.
  for (const auto& [content, a] : s.added) {
    expect_special_id(*tokenizer, a, where);
    if (a.lstrip) tokenizer->lstrip_ids.push_back(a.id);
    if (a.rstrip) tokenizer->rstrip_ids.push_back(a.id);
  }
  build_bpe_tables(*tokenizer);
  return tokenizer;
}

}  // namespace edgebert::convert
