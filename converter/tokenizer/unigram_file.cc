#include "tokenizer/unigram_file.h"

#include <cstring>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "edgebert_internal/tokenizer.h"  // utf8_decode
#include "file_io.h"
#include "tokenizer/bpe_file.h"  // expect, read_added_token, tokenizer_config, token_text
#include "tokenizer/tables.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bytes of a pre-token longer than this are segmented in chunks (Tokenizer.max_word_bytes):
// 2,048 bytes is ~680 CJK characters without a space.
constexpr uint32_t kMaxWordBytes = 2048;

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

// The protobuf wire format, as far as sentencepiece's ModelProto needs it: a cursor over one
// message's fields.
class ProtoReader {
 public:
  ProtoReader(const uint8_t* data, size_t size, std::string where)
      : p_(data), end_(data + size), where_(std::move(where)) {}

  // The next field's number and wire type; false at the end of the message.
  bool next(uint32_t* field, uint32_t* wire) {
    if (p_ == end_) return false;
    const uint64_t key = varint();
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    return true;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      expect(p_ < end_, where_, "truncated (a varint runs past the end)");
      const uint8_t b = *p_++;
      v |= uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw std::runtime_error(where_ + ": a varint longer than 10 bytes");
  }
  // A length-delimited field's bytes.
  std::pair<const uint8_t*, size_t> bytes() {
    const uint64_t n = varint();
    expect(n <= static_cast<uint64_t>(end_ - p_), where_, "truncated (a field runs past the end)");
    const uint8_t* at = p_;
    p_ += n;
    return {at, static_cast<size_t>(n)};
  }
  float fixed32_float() {
    expect(end_ - p_ >= 4, where_, "truncated (a float runs past the end)");
    uint32_t bits = p_[0] | (p_[1] << 8) | (p_[2] << 16) | (static_cast<uint32_t>(p_[3]) << 24);
    p_ += 4;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  void skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); return;
      case 1: expect(end_ - p_ >= 8, where_, "truncated"); p_ += 8; return;
      case 2: bytes(); return;
      case 5: expect(end_ - p_ >= 4, where_, "truncated"); p_ += 4; return;
      default: throw std::runtime_error(where_ + ": wire type " + std::to_string(wire) +
                                        " is not protobuf's (not a SentencePiece model?)");
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  std::string where_;
};

struct SentencePieceModel {
  struct Piece {
    std::string text;
    float score = 0;
  };
  std::vector<Piece> pieces;
  int32_t model_type = 1;  // TrainerSpec.model_type: 1 Unigram, 2 BPE, 3 word, 4 char
  bool byte_fallback = false;
  std::vector<uint8_t> charsmap;  // NormalizerSpec.precompiled_charsmap
  bool add_dummy_prefix = true;
};

// sentencepiece_model.proto: ModelProto { repeated SentencePiece pieces = 1 {piece = 1,
// score = 2}; TrainerSpec trainer_spec = 2 {model_type = 3, byte_fallback = 35};
// NormalizerSpec normalizer_spec = 3 {precompiled_charsmap = 2, add_dummy_prefix = 3} }.
SentencePieceModel read_sentencepiece_model(const fs::path& path) {
  const std::string where = path.string();
  const std::string data = read_text_file(where);
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  SentencePieceModel m;
  ProtoReader model(bytes, data.size(), where);
  uint32_t field, wire;
  while (model.next(&field, &wire)) {
    if (wire != 2 || field < 1 || field > 3) {
      model.skip(wire);
      continue;
    }
    const auto [at, size] = model.bytes();
    ProtoReader sub(at, size, where);
    uint32_t f, w;
    if (field == 1) {
      SentencePieceModel::Piece piece;
      while (sub.next(&f, &w)) {
        if (f == 1 && w == 2) {
          const auto [text, n] = sub.bytes();
          piece.text.assign(reinterpret_cast<const char*>(text), n);
        } else if (f == 2 && w == 5) {
          piece.score = sub.fixed32_float();
        } else {
          sub.skip(w);
        }
      }
      m.pieces.push_back(std::move(piece));
    } else if (field == 2) {
      while (sub.next(&f, &w)) {
        if (f == 3 && w == 0) {
          m.model_type = static_cast<int32_t>(sub.varint());
        } else if (f == 35 && w == 0) {
          m.byte_fallback = sub.varint() != 0;
        } else {
          sub.skip(w);
        }
      }
    } else {
      while (sub.next(&f, &w)) {
        if (f == 2 && w == 2) {
          const auto [chars, n] = sub.bytes();
          m.charsmap.assign(chars, chars + n);
        } else if (f == 3 && w == 0) {
          m.add_dummy_prefix = sub.varint() != 0;
        } else {
          sub.skip(w);
        }
      }
    }
  }
  expect(m.pieces.size() > 3, where, "fewer than 4 pieces (not a SentencePiece model?)");
  return m;
}

std::string base64_encode(const std::vector<uint8_t>& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t{bytes[i]} << 16) |
                       (i + 1 < bytes.size() ? uint32_t{bytes[i + 1]} << 8 : 0) |
                       (i + 2 < bytes.size() ? uint32_t{bytes[i + 2]} : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// The tokenizer.json transformers' XLMRobertaConverter (4.40) writes for an XLM-R
// sentencepiece.bpe.model: fairseq's ids (<s> <pad> </s> <unk>, the model's pieces after its own
// <unk> <s> </s>, then <mask>), the Precompiled + Strip + Replace normalizer, Metaspace, XLM-R's
// template, <mask> matched after normalization and taking the space before it.
json xlm_roberta_tokenizer_json(const fs::path& dir) {
  const fs::path path = dir / "sentencepiece.bpe.model";
  const std::string where = path.string();
  const json config = tokenizer_config(dir);
  const std::string cls = config.value("tokenizer_class", std::string());
  expect(cls == "XLMRobertaTokenizer" || cls == "XLMRobertaTokenizerFast",
         (dir / "tokenizer_config.json").string(),
         "tokenizer_class " + json(cls).dump() + " is not XLMRobertaTokenizer (only XLM-R's "
         "SentencePiece models are read without a tokenizer.json)");
  const SentencePieceModel m = read_sentencepiece_model(path);
  expect(m.model_type == 1, where, "trainer_spec.model_type " + std::to_string(m.model_type) +
                                       " is not Unigram (1)");
  expect(!m.byte_fallback, where, "trainer_spec.byte_fallback is set (not supported)");
  const std::string bos = token_text(config, "bos_token", "<s>"),
                    pad = token_text(config, "pad_token", "<pad>"),
                    eos = token_text(config, "eos_token", "</s>"),
                    unk = token_text(config, "unk_token", "<unk>"),
                    mask = token_text(config, "mask_token", "<mask>");
  json vocab = json::array({json::array({bos, 0.0}), json::array({pad, 0.0}),
                            json::array({eos, 0.0}), json::array({unk, 0.0})});
  for (size_t i = 3; i < m.pieces.size(); ++i) {
    vocab.push_back(json::array({m.pieces[i].text, static_cast<double>(m.pieces[i].score)}));
  }
  vocab.push_back(json::array({mask, 0.0}));
  json t;
  t["model"] = {{"type", "Unigram"}, {"unk_id", 3}, {"vocab", vocab}, {"byte_fallback", false}};
  json steps = json::array();
  if (!m.charsmap.empty()) {
    steps.push_back({{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(m.charsmap)}});
  }
  steps.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
  steps.push_back({{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", "\u2581"}});
  t["normalizer"] = {{"type", "Sequence"}, {"normalizers", steps}};
  t["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"},
                        {"prepend_scheme", m.add_dummy_prefix ? "always" : "never"}, {"split", true}};
  const auto special = [](const std::string& id) { return json{{"SpecialToken", {{"id", id}, {"type_id", 0}}}}; };
  const auto sequence = [](const char* id) { return json{{"Sequence", {{"id", id}, {"type_id", 0}}}}; };
  t["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", {special(bos), sequence("A"), special(eos)}},
                         {"pair", {special(bos), sequence("A"), special(eos), special(eos),
                                   sequence("B"), special(eos)}}};
  const size_t mask_id = vocab.size() - 1;
  t["added_tokens"] = json::array();
  const std::pair<size_t, std::string> specials[] = {{0, bos}, {1, pad}, {2, eos}, {3, unk}};
  for (const auto& [id, content] : specials) {
    t["added_tokens"].push_back({{"id", id}, {"content", content}, {"special", true},
                                 {"lstrip", false}, {"rstrip", false}, {"normalized", false}});
  }
  t["added_tokens"].push_back({{"id", mask_id}, {"content", mask}, {"special", true},
                               {"lstrip", true}, {"rstrip", false}, {"normalized", true}});
  return t;
}

// Tokenizer.unigram_prefix_bits: every prefix of every piece that ends at a character, at
// 8 bits per prefix (a clear bit for ~88% of the strings that prefix no piece).
void build_prefix_bits(fb::TokenizerT& t) {
  std::vector<uint32_t> hashes;
  for (size_t id = 0; id < t.vocab.size(); ++id) {
    if (!(t.unigram_scores[id] > -HUGE_VAL)) continue;  // padding: never looked up
    const std::string& piece = t.vocab[id];
    uint32_t hash = kFnvOffsetBasis;
    for (size_t i = 0; i < piece.size(); ++i) {
      hash = fnv1a(piece.data() + i, 1, hash);
      if (i + 1 == piece.size() || (piece[i + 1] & 0xC0) != 0x80) hashes.push_back(hash);
    }
  }
  size_t words = 1;
  while (64 * words < 8 * hashes.size()) words *= 2;
  t.unigram_prefix_bits.assign(words, 0);
  for (uint32_t h : hashes) {
    const uint32_t bit = h & static_cast<uint32_t>(64 * words - 1);
    t.unigram_prefix_bits[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
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
  if (!fs::exists(dir / "tokenizer.json")) return fs::exists(dir / "sentencepiece.bpe.model");
  const json t = read_json_file((dir / "tokenizer.json").string());
  return t.contains("model") && t["model"].is_object() && t["model"].value("type", "") == "Unigram";
}

std::unique_ptr<fb::TokenizerT> read_unigram(const fs::path& dir, size_t vocab_size) {
  const bool fast = fs::exists(dir / "tokenizer.json");
  const std::string where = (dir / (fast ? "tokenizer.json" : "sentencepiece.bpe.model")).string();
  const json t = fast ? read_json_file(where) : xlm_roberta_tokenizer_json(dir);
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

  std::vector<std::string> normalized_texts;
  if (t.contains("added_tokens") && t["added_tokens"].is_array()) {
    for (const json& entry : t["added_tokens"]) {
      const AddedToken a = read_added_token(entry, where);
      const std::string name = "added token " + json(a.content).dump();
      expect(a.id >= 0 && static_cast<size_t>(a.id) < vocab.size() &&
                 tokenizer->vocab[size_t(a.id)] == a.content,
             where, name + " is not piece " + std::to_string(a.id) + " of model.vocab");
      expect_special_id(*tokenizer, a, where);
      expect(!(a.normalized && a.rstrip), where, name + " is normalized and rstrip (not supported)");
      if (a.lstrip) tokenizer->lstrip_ids.push_back(a.id);
      if (a.rstrip) tokenizer->rstrip_ids.push_back(a.id);
      if (a.normalized) {
        tokenizer->normalized_special_ids.push_back(a.id);
        normalized_texts.push_back(a.content);
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
  build_prefix_bits(*tokenizer);
  return tokenizer;
}

}  // namespace edgebert::convert
