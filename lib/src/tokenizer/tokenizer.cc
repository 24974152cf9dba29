#include "tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../error.h"
#include "utf8.h"

namespace edgebert {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kHangulFirst = 0xAC00, kHangulCount = 11172;
constexpr uint32_t kJamoL = 0x1100, kJamoV = 0x1161, kJamoT = 0x11A7, kJamoVCount = 21,
                   kJamoTCount = 28;

size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }

// Lays out (or measures, when base is null) a sequence of arrays at 16-byte boundaries.
class Carver {
 public:
  explicit Carver(void* base) : base_(static_cast<uint8_t*>(base)) {}
  template <typename T>
  T* take(size_t count) {
    T* p = base_ == nullptr ? nullptr : reinterpret_cast<T*>(base_ + offset_);
    offset_ += align16(count * sizeof(T));
    return p;
  }
  size_t bytes() const { return offset_; }

 private:
  uint8_t* base_;
  size_t offset_ = 0;
};

TokenizerScratch carve_scratch(Carver& c, uint32_t max_word_chars, uint32_t max_seq,
                               fb::TokenizerModel model) {
  const size_t W = size_t{max_word_chars} + 1;
  TokenizerScratch s;
  const size_t B = model == fb::TokenizerModel::ByteLevelBpe ? W : 0;
  const size_t U = model == fb::TokenizerModel::Unigram ? W : 0;
  s.bpe_ids = c.take<int32_t>(B);
  s.bpe_start = c.take<uint32_t>(B);
  s.bpe_begin = c.take<uint32_t>(B);
  s.bpe_end = c.take<uint32_t>(B);
  s.bpe_next = c.take<int32_t>(B);
  s.bpe_rank = c.take<int32_t>(B);
  s.unigram_score = c.take<double>(U);
  s.unigram_from = c.take<int32_t>(U);
  s.unigram_id = c.take<int32_t>(U);
  s.word_chars = c.take<uint32_t>(W);
  s.word_begin = c.take<uint32_t>(W);
  s.word_end = c.take<uint32_t>(W);
  s.word_byte = c.take<uint32_t>(W + 1);
  s.word_utf8 = c.take<char>(4 * W);
  s.pieces = c.take<Token>(W);
  s.first = c.take<Token>(max_seq);
  s.second = c.take<Token>(max_seq);
  return s;
}

Encoding carve_encoding(Carver& c, uint32_t max_seq) {
  Encoding e;
  e.ids = c.take<int32_t>(max_seq);
  e.type_ids = c.take<int32_t>(max_seq);
  e.mask = c.take<int32_t>(max_seq);
  e.offsets = c.take<uint32_t>(2 * size_t{max_seq});
  e.sequence = c.take<int8_t>(max_seq);
  e.word_start = c.take<uint8_t>(max_seq);
  e.count = 0;
  return e;
}

// Builds one word at a time and turns it into WordPiece tokens.
class WordBuilder {
 public:
  WordBuilder(const TokenizerTables& t, const TokenizerScratch& s, TokenWindow& out)
      : t_(t), s_(s), out_(out) {}

  // WordSink (see scan_words): stop once the window is full unless counting everything.
  bool stop() const { return out_.stop(); }
  void special(int32_t id, uint32_t begin, uint32_t end) { emit(Token{id, begin, end, true}); }

  void append(uint32_t cp, uint32_t begin, uint32_t end) {
    if (length_ == 0) word_begin_ = begin;
    word_end_ = end;
    if (length_ > t_.max_word_chars) return;  // already too long: [UNK], only the span grows
    s_.word_chars[length_] = cp;
    s_.word_begin[length_] = begin;
    s_.word_end[length_] = end;
    ++length_;
  }

  // Ends the current word and emits its tokens.
  void flush() {
    if (length_ == 0) return;
    if (length_ > t_.max_word_chars) {
      emit(Token{t_.unk_id, word_begin_, word_end_, true});
    } else {
      wordpiece();
    }
    length_ = 0;
  }


 private:
  void emit(const Token& token) { out_.emit(token); }

  void wordpiece() {
    uint32_t bytes = 0;
    for (uint32_t i = 0; i < length_; ++i) {
      s_.word_byte[i] = bytes;
      bytes += static_cast<uint32_t>(utf8_encode(s_.word_chars[i], s_.word_utf8 + bytes));
    }
    s_.word_byte[length_] = bytes;
    size_t pieces = 0;
    for (uint32_t start = 0; start < length_;) {
      uint32_t end = length_ - start > t_.max_piece_chars ? start + t_.max_piece_chars : length_;
      int32_t id = -1;
      for (; end > start; --end) {
        id = vocab_lookup(t_, s_.word_utf8 + s_.word_byte[start],
                          s_.word_byte[end] - s_.word_byte[start], start > 0);
        if (id >= 0) break;
      }
      if (id < 0) {  // some rest of the word matches nothing: the whole word is [UNK]
        emit(Token{t_.unk_id, word_begin_, word_end_, true});
        return;
      }
      s_.pieces[pieces] = Token{id, s_.word_begin[start], s_.word_end[end - 1], pieces == 0};
      ++pieces;
      start = end;
    }
    for (size_t i = 0; i < pieces; ++i) emit(s_.pieces[i]);
  }

  const TokenizerTables& t_;
  const TokenizerScratch& s_;
  TokenWindow& out_;
  uint32_t length_ = 0;
  uint32_t word_begin_ = 0, word_end_ = 0;
};

}  // namespace

eb_status tokenizer_tables_init(const fb::Tokenizer* tokenizer, uint32_t vocab_size,
                                TokenizerTables* t, eb_error* error) {
  const auto fail_tables = [error](const char* what) {
    return fail(error, EB_ERROR_INVALID_MODEL, "tokenizer tables: %s", what);
  };
  if (tokenizer == nullptr || tokenizer->vocab() == nullptr) return fail_tables("no vocabulary");
  const auto* hash = tokenizer->vocab_hash();
  const fb::UnicodeTables* u = tokenizer->unicode();
  if (hash == nullptr || u == nullptr) return fail_tables("missing (re-convert the model)");
  const uint32_t slots = hash->size();
  if (slots <= vocab_size || (slots & (slots - 1)) != 0) {
    return fail_tables("vocab_hash size must be a power of 2 above the vocabulary size");
  }
  const bool check_contents = t == nullptr;  // model init; sessions trust a checked model
  for (uint32_t i = 0; check_contents && i < slots; ++i) {
    const int32_t id = hash->Get(i);
    if (id < -1 || id >= static_cast<int64_t>(vocab_size)) return fail_tables("vocab_hash id");
  }
  const uint32_t shift = u->block_shift();
  if (shift < 4 || shift > 12) return fail_tables("block_shift outside [4, 12]");
  const uint32_t block = 1u << shift;
  const auto *stage1 = u->stage1(), *stage2 = u->stage2();
  const auto* records = u->records();
  const auto* strip = u->strip_data();
  if (stage1 == nullptr || stage2 == nullptr || records == nullptr || strip == nullptr ||
      stage1->size() != (kMaxCodePoint + 1) >> shift || stage2->size() == 0 ||
      stage2->size() % block != 0) {
    return fail_tables("stage sizes");
  }
  if (check_contents) {
    const uint32_t blocks = stage2->size() >> shift;
    for (uint32_t i = 0; i < stage1->size(); ++i) {
      if (stage1->Get(i) >= blocks) return fail_tables("stage1 index");
    }
    for (uint32_t i = 0; i < stage2->size(); ++i) {
      if (stage2->Get(i) >= records->size()) return fail_tables("stage2 index");
    }
    for (const fb::UnicodeRecord* r : *records) {
      if (r->strip_length() > kMaxStripLength ||
          uint64_t{r->strip_offset()} + r->strip_length() > strip->size()) {
        return fail_tables("strip mapping range");
      }
    }
    for (uint32_t cp : *strip) {
      if (cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) return fail_tables("strip data");
    }
  }
  const int32_t specials[3] = {tokenizer->unk_id(), tokenizer->cls_id(), tokenizer->sep_id()};
  for (int32_t id : specials) {
    if (id < 0) return fail_tables("[UNK], [CLS] and [SEP] ids are required");
  }
  const bool bpe = tokenizer->model() == fb::TokenizerModel::ByteLevelBpe;
  const bool unigram = tokenizer->model() == fb::TokenizerModel::Unigram;
  if (!bpe && !unigram && tokenizer->model() != fb::TokenizerModel::WordPiece) {
    return fail(error, EB_ERROR_UNSUPPORTED, "tokenizer model %d is unknown (newer model format?)",
                static_cast<int>(tokenizer->model()));
  }
  if (tokenizer->max_input_chars_per_word() < 1 ||
      tokenizer->max_input_chars_per_word() > kMaxWordCharsLimit) {
    return fail_tables("max_input_chars_per_word outside [1, 4096]");
  }
  if (tokenizer->max_piece_chars() < 1) return fail_tables("max_piece_chars");
  const auto* byte_ids = tokenizer->bpe_byte_ids();
  const auto* merges = tokenizer->bpe_merges();
  const auto* merge_hash = tokenizer->bpe_merge_hash();
  if ((bpe || unigram) &&
      (tokenizer->max_word_bytes() < 4 || tokenizer->max_word_bytes() > kMaxWordCharsLimit)) {
    return fail_tables("max_word_bytes outside [4, 4096]");
  }
  const auto* scores = tokenizer->unigram_scores();
  const auto* trie = tokenizer->charsmap_trie();
  const auto* normalized = tokenizer->charsmap_normalized();
  if (unigram) {
    if (scores == nullptr || scores->size() != vocab_size) {
      return fail_tables("Unigram scores (one per piece) required");
    }
    if ((trie == nullptr || trie->size() == 0) != (normalized == nullptr || normalized->size() == 0)) {
      return fail_tables("charsmap trie and normalized strings come together");
    }
    if (check_contents && normalized != nullptr && normalized->size() > 0) {
      // Its replacements are UTF-8 (tokenizers refuses the charsmap otherwise); the trie's
      // indices are checked as it is walked.
      for (size_t pos = 0; pos < normalized->size();) {
        const size_t at = pos;
        if (utf8_decode(normalized->data(), normalized->size(), &pos) == 0xFFFD &&
            !(pos - at == 3 && std::memcmp(normalized->data() + at, "\xEF\xBF\xBD", 3) == 0)) {
          return fail_tables("charsmap replacements are not UTF-8");
        }
      }
    }
    const auto* bits = tokenizer->unigram_prefix_bits();
    if (bits != nullptr && bits->size() > 0 &&
        ((bits->size() & (bits->size() - 1)) != 0 || bits->size() > (1u << 24))) {
      return fail_tables("Unigram prefix bits: a power of 2 words");
    }
    const uint32_t r = tokenizer->metaspace_replacement();
    if (r == 0 || r > kMaxCodePoint || (r >= 0xD800 && r <= 0xDFFF)) {
      return fail_tables("metaspace replacement is not a character");
    }
    if (tokenizer->prepend_scheme() < fb::PrependScheme::MIN ||
        tokenizer->prepend_scheme() > fb::PrependScheme::MAX) {
      return fail_tables("prepend scheme");
    }
    const auto* content = tokenizer->space_run_replacement();
    if (content != nullptr && content->size() > kMaxSpaceRunReplacement) {
      return fail_tables("space run replacement longer than 16 bytes");
    }
  }
  if (bpe) {
    if (byte_ids == nullptr || byte_ids->size() != 256 || merges == nullptr ||
        merge_hash == nullptr || merge_hash->size() <= merges->size() ||
        (merge_hash->size() & (merge_hash->size() - 1)) != 0) {
      return fail_tables("BPE byte ids (256), merges and merge hash (a power of 2 above the "
                         "merges) required");
    }
    const auto in_vocab = [vocab_size](int32_t id) {
      return id >= 0 && static_cast<uint32_t>(id) < vocab_size;
    };
    for (uint32_t i = 0; check_contents && i < 256; ++i) {
      if (!in_vocab(byte_ids->Get(i))) return fail_tables("BPE byte id");
    }
    for (uint32_t i = 0; check_contents && i < merges->size(); ++i) {
      const fb::BpeMerge* m = merges->Get(i);
      if (!in_vocab(m->left()) || !in_vocab(m->right()) || !in_vocab(m->merged())) {
        return fail_tables("BPE merge id");
      }
    }
    for (uint32_t i = 0; check_contents && i < merge_hash->size(); ++i) {
      const int32_t m = merge_hash->Get(i);
      if (m < -1 || m >= static_cast<int64_t>(merges->size())) return fail_tables("BPE merge hash");
    }
  }
  if (t != nullptr) {
    t->vocab = tokenizer->vocab();
    t->vocab_hash = hash->data();
    t->hash_mask = slots - 1;
    t->stage1 = stage1->data();
    t->stage2 = stage2->data();
    t->records = reinterpret_cast<const fb::UnicodeRecord*>(records->Data());  // inline structs
    t->strip_data = strip->data();
    t->block_shift = shift;
    t->max_word_chars =
        bpe || unigram ? tokenizer->max_word_bytes() : tokenizer->max_input_chars_per_word();
    t->model = tokenizer->model();
    t->unigram_scores = unigram ? scores->data() : nullptr;
    const auto* prefix_bits = tokenizer->unigram_prefix_bits();
    const bool filter = unigram && prefix_bits != nullptr && prefix_bits->size() > 0;
    t->unigram_prefix_bits = filter ? prefix_bits->data() : nullptr;
    t->prefix_bit_mask = filter ? 64 * prefix_bits->size() - 1 : 0;
    if (unigram) {  // tokenizers' min_score over the pieces (padding pieces are -inf: skipped)
      double lowest = 0;
      bool any = false;
      for (uint32_t i = 0; i < vocab_size; ++i) {
        const double v = scores->Get(i);
        if (v > -HUGE_VAL && (!any || v < lowest)) lowest = v;
        any = any || v > -HUGE_VAL;
      }
      t->unk_score = lowest - 10.0;
    }
    const bool charsmap = unigram && trie != nullptr && trie->size() > 0;
    t->charsmap_trie = charsmap ? trie->data() : nullptr;
    t->charsmap_trie_size = charsmap ? trie->size() : 0;
    t->charsmap_normalized = charsmap ? normalized->data() : nullptr;
    t->charsmap_normalized_size = charsmap ? normalized->size() : 0;
    t->strip_left = unigram && tokenizer->strip_left();
    t->strip_right = unigram && tokenizer->strip_right();
    t->space_run_replacement = unigram ? tokenizer->space_run_replacement() : nullptr;
    t->metaspace_replacement = tokenizer->metaspace_replacement();
    t->prepend_scheme = tokenizer->prepend_scheme();
    t->metaspace_split = tokenizer->metaspace_split();
    t->bpe_byte_ids = bpe ? byte_ids->data() : nullptr;
    t->bpe_merges = bpe ? reinterpret_cast<const fb::BpeMerge*>(merges->Data()) : nullptr;
    t->bpe_merge_hash = bpe ? merge_hash->data() : nullptr;
    t->bpe_hash_mask = bpe ? merge_hash->size() - 1 : 0;
    t->add_prefix_space = tokenizer->add_prefix_space();
    t->trim_offsets = tokenizer->trim_offsets();
    t->max_piece_chars = tokenizer->max_piece_chars();
    t->unk_id = tokenizer->unk_id();
    t->cls_id = tokenizer->cls_id();
    t->sep_id = tokenizer->sep_id();
    // RobertaProcessing and XLM-R's template make every token type 0; the session also sets 0
    // for a model with one token type.
    t->second_type = bpe || unigram ? 0 : 1;
    t->lowercase = tokenizer->do_lower_case();
    t->strip_accents = tokenizer->strip_accents();
    t->split_cjk = tokenizer->tokenize_chinese_chars();
    t->special_count = 0;
    t->normalized_special_count = 0;
    if (!tokenizer->split_special_tokens()) {
      const int32_t ids[5] = {tokenizer->pad_id(), tokenizer->unk_id(), tokenizer->cls_id(),
                              tokenizer->sep_id(), tokenizer->mask_id()};
      for (int32_t id : ids) {
        const flatbuffers::String* text =
            id >= 0 ? tokenizer->vocab()->Get(static_cast<uint32_t>(id)) : nullptr;
        if (text == nullptr || text->size() == 0) continue;
        uint8_t strip = 0;
        for (const auto* list : {tokenizer->lstrip_ids(), tokenizer->rstrip_ids()}) {
          const uint8_t bit = list == tokenizer->lstrip_ids() ? kStripLeft : kStripRight;
          for (uint32_t k = 0; list != nullptr && k < list->size(); ++k) {
            if (list->Get(k) == id) strip |= bit;
          }
        }
        bool normalized_match = false;
        const auto* normalized_ids = tokenizer->normalized_special_ids();
        for (uint32_t k = 0; unigram && normalized_ids != nullptr && k < normalized_ids->size(); ++k) {
          normalized_match = normalized_match || normalized_ids->Get(k) == id;
        }
        if (normalized_match) {
          t->normalized_special_text[t->normalized_special_count] = text;
          t->normalized_special_strip[t->normalized_special_count] = strip;
          t->normalized_special_id[t->normalized_special_count++] = id;
          continue;
        }
        t->special_text[t->special_count] = text;
        t->special_strip[t->special_count] = strip;
        t->special_id[t->special_count++] = id;
      }
    }
  }
  return EB_OK;
}

size_t tokenizer_scratch_bytes(uint32_t max_word_chars, uint32_t max_seq,
                               fb::TokenizerModel model) {
  Carver measure(nullptr);
  carve_scratch(measure, max_word_chars, max_seq, model);
  return measure.bytes();
}

TokenizerScratch tokenizer_scratch_at(void* base, uint32_t max_word_chars, uint32_t max_seq,
                                      fb::TokenizerModel model) {
  Carver carver(base);
  return carve_scratch(carver, max_word_chars, max_seq, model);
}

size_t encoding_bytes(uint32_t max_seq) {
  Carver measure(nullptr);
  carve_encoding(measure, max_seq);
  return measure.bytes();
}

Encoding encoding_at(void* base, uint32_t max_seq) {
  Carver carver(base);
  return carve_encoding(carver, max_seq);
}

size_t normalize_code_point(const TokenizerTables& t, uint32_t cp, uint32_t* out) {
  uint32_t stripped[kMaxStripLength];
  size_t n = 0;
  if (t.strip_accents && cp - kHangulFirst < kHangulCount) {  // Hangul syllable -> L V (T)
    const uint32_t index = cp - kHangulFirst;
    stripped[n++] = kJamoL + index / (kJamoVCount * kJamoTCount);
    stripped[n++] = kJamoV + (index % (kJamoVCount * kJamoTCount)) / kJamoTCount;
    if (index % kJamoTCount != 0) stripped[n++] = kJamoT + index % kJamoTCount;
  } else if (t.strip_accents && has(unicode_record(t, cp), fb::UnicodeFlag::HasStrip)) {
    const fb::UnicodeRecord& r = unicode_record(t, cp);
    for (uint32_t i = 0; i < r.strip_length(); ++i) stripped[n++] = t.strip_data[r.strip_offset() + i];
  } else {
    stripped[n++] = cp;
  }
  if (!t.lowercase) {
    for (size_t i = 0; i < n; ++i) out[i] = stripped[i];
    return n;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    const fb::UnicodeRecord& r = unicode_record(t, stripped[i]);
    if (has(r, fb::UnicodeFlag::LowerSpecial)) {  // U+0130 -> "i" U+0307
      out[m++] = 'i';
      out[m++] = 0x307;
      continue;
    }
    const uint32_t lower = stripped[i] + static_cast<uint32_t>(r.lower_delta());
    out[m++] = lower <= kMaxCodePoint ? lower : stripped[i];
  }
  return m;
}

namespace {

// vocab_hash probed from `hash` (fnv1a of the piece's bytes) for "##" (when `continuation`) +
// bytes.
int32_t probe_vocab(const TokenizerTables& t, const char* bytes, size_t size, bool continuation,
                    uint32_t hash) {
  const size_t prefix = continuation ? 2 : 0;
  uint32_t slot = hash & t.hash_mask;
  for (uint32_t probe = 0; probe <= t.hash_mask; ++probe) {
    const int32_t id = t.vocab_hash[slot];
    if (id < 0) return -1;
    const flatbuffers::String* piece = t.vocab->Get(static_cast<uint32_t>(id));
    if (piece->size() == size + prefix && (prefix == 0 || std::memcmp(piece->data(), "##", 2) == 0) &&
        std::memcmp(piece->data() + prefix, bytes, size) == 0) {
      return id;
    }
    slot = (slot + 1) & t.hash_mask;
  }
  return -1;
}

}  // namespace

int32_t vocab_lookup(const TokenizerTables& t, const char* bytes, size_t size,
                     bool continuation) {
  return probe_vocab(t, bytes, size, continuation,
                     fnv1a(bytes, size, continuation ? fnv1a("##", 2) : kFnvOffsetBasis));
}

int32_t vocab_lookup_hashed(const TokenizerTables& t, const char* bytes, size_t size,
                            uint32_t hash) {
  return probe_vocab(t, bytes, size, false, hash);
}

size_t char_before(const uint8_t* text, size_t end, uint32_t* cp) {
  size_t start = end - 1;  // at most 3 continuation bytes before the lead byte
  while (start > 0 && end - start < 4 && (text[start] & 0xC0) == 0x80) --start;
  size_t pos = start;
  *cp = utf8_decode(text, end, &pos);
  if (pos == end) return start;
  pos = end - 1;
  *cp = utf8_decode(text, end, &pos);
  return end - 1;
}

bool space_before(const TokenizerTables& t, const uint8_t* text, size_t end, uint32_t* length) {
  uint32_t cp;
  *length = static_cast<uint32_t>(end - char_before(text, end, &cp));
  return has(unicode_record(t, cp), fb::UnicodeFlag::Space);
}

bool space_at(const TokenizerTables& t, const uint8_t* text, size_t size, size_t at,
              uint32_t* length) {
  size_t pos = at;
  const uint32_t cp = utf8_decode(text, size, &pos);
  *length = static_cast<uint32_t>(pos - at);
  return has(unicode_record(t, cp), fb::UnicodeFlag::Space);
}

SpecialMatch find_special(const TokenizerTables& t, const uint8_t* text, size_t size, size_t pos) {
  for (size_t at = pos; at < size; ++at) {
    const int i = match_special_index(t, text + at, size - at);
    if (i < 0) continue;
    SpecialMatch m{i, at, at + t.special_text[i]->size()};
    uint32_t n;
    if (t.special_strip[i] & kStripLeft) {
      while (m.begin > pos && space_before(t, text, m.begin, &n)) m.begin -= n;
    }
    if (t.special_strip[i] & kStripRight) {
      while (m.end < size && space_at(t, text, size, m.end, &n)) m.end += n;
    }
    return m;
  }
  return SpecialMatch{-1, size, size};
}

size_t tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                     const uint8_t* text, size_t size, Token* out, size_t capacity,
                     bool count_all, size_t skip) {
  if (t.model == fb::TokenizerModel::ByteLevelBpe) {
    return bpe_tokenize_text(t, scratch, text, size, out, capacity, count_all, skip);
  }
  if (t.model == fb::TokenizerModel::Unigram) {
    return unigram_tokenize_text(t, scratch, text, size, out, capacity, count_all, skip);
  }
  TokenWindow window(out, capacity, count_all, skip);
  WordBuilder word(t, scratch, window);
  scan_words(t, text, size, word);
  if (!word.stop()) word.flush();
  return window.result();
}

void assemble(const TokenizerTables& t, const Token* first, size_t n1, const Token* second,
              size_t n2, bool pair, Encoding* out) {
  size_t k = 0;
  auto put = [&](int32_t id, int32_t type, int8_t sequence, uint32_t begin, uint32_t end,
                 bool word_start) {
    out->ids[k] = id;
    out->type_ids[k] = type;
    out->mask[k] = 1;
    out->offsets[2 * k] = begin;
    out->offsets[2 * k + 1] = end;
    out->sequence[k] = sequence;
    out->word_start[k] = word_start ? 1 : 0;
    ++k;
  };
  // RobertaProcessing and XLM-R's template: </s></s> between the texts.
  put(t.cls_id, 0, -1, 0, 0, true);
  for (size_t i = 0; i < n1; ++i) put(first[i].id, 0, 0, first[i].begin, first[i].end, first[i].word_start);
  put(t.sep_id, 0, -1, 0, 0, true);
  if (pair) {
    if (double_separator(t)) put(t.sep_id, 0, -1, 0, 0, true);
    for (size_t i = 0; i < n2; ++i) {
      put(second[i].id, t.second_type, 1, second[i].begin, second[i].end, second[i].word_start);
    }
    put(t.sep_id, t.second_type, -1, 0, 0, true);
  }
  out->count = k;
}

void encode(const TokenizerTables& t, const TokenizerScratch& scratch, const uint8_t* text,
            size_t size, const uint8_t* text_b, size_t size_b, uint32_t max_seq, Encoding* out) {
  const bool pair = text_b != nullptr;
  // Room left by the special tokens (4 in a BPE or Unigram pair: <s> A </s></s> B </s>).
  const size_t target = max_seq - (pair ? pair_special_tokens(t) : 2);
  size_t n1 = tokenize_text(t, scratch, text, size, scratch.first, max_seq, pair);
  size_t n2 = pair ? tokenize_text(t, scratch, text_b, size_b, scratch.second, max_seq, true) : 0;
  if (!pair) {
    n1 = std::min(n1, target);
  } else if (n1 + n2 > target) {
    // tokenizers 0.19 TruncationStrategy::LongestFirst, with s <= l the shorter/longer lengths.
    const bool swapped = n1 > n2;
    size_t s = swapped ? n2 : n1, l = swapped ? n1 : n2;
    l = s > target ? s : std::max(s, target - s);
    if (s + l > target) {
      s = target / 2;
      l = s + target % 2;
    }
    n1 = swapped ? l : s;
    n2 = swapped ? s : l;
  }
  assemble(t, scratch.first, n1, scratch.second, n2, pair, out);
}

}  // namespace edgebert
