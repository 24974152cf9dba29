// Byte-level BPE: RobertaTokenizerFast (Hugging Face tokenizers 0.19) semantics.
//
// Pipeline for one text:
//   0. special tokens' exact strings become those tokens (leftmost-longest); one marked lstrip
//      (RoBERTa's <mask>) also takes the whitespace before it, rstrip the whitespace after;
//   1. each part between them: a space goes first if add_prefix_space and the part does not
//      start with one (it stands for the part's first character in the offsets);
//   2. GPT-2's pre-tokenizer splits the part as the regex
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//      does (written out below, over the model's Unicode classes);
//   3. each pre-token's bytes start as one symbol each (bpe_byte_ids) and the adjacent pair of
//      lowest merge rank merges, leftmost first, until no pair has a merge; a pre-token longer
//      than max_word_bytes is merged in chunks of at most that many bytes, cut at characters;
//   4. offsets: a token spans the characters its bytes came from; with trim_offsets its leading
//      and trailing spaces are left out, as tokenizers' process_offsets does it.
// Invalid UTF-8 bytes (which Python strings cannot hold) are characters of their own with class
// "other" and go through BPE as the bytes they are.
#include <cstring>

#include "tokenizer.h"
#include "utf8.h"

namespace edgebert {
namespace {

constexpr int32_t kNoMerge = INT32_MAX;

enum class CharClass : uint8_t { Letter, Number, Space, Other };

struct Char {
  uint32_t cp;
  uint32_t size;  // bytes (1 for the prefix space)
  CharClass cls;
};

// One part of the text between special tokens, [begin, end), with the prefix space in front
// when there is one. Positions are "virtual": with the space, position 0 is the space and
// position v > 0 is byte begin + v - 1.
struct Part {
  const TokenizerTables& t;
  const uint8_t* text;
  size_t begin, end;
  bool space;

  size_t size() const { return end - begin + (space ? 1 : 0); }
  size_t byte_of(size_t v) const { return begin + v - (space ? 1 : 0); }
  uint8_t byte(size_t v) const { return space && v == 0 ? ' ' : text[byte_of(v)]; }

  Char at(size_t v) const {
    if (space && v == 0) return Char{' ', 1, CharClass::Space};
    size_t pos = byte_of(v);
    const uint32_t cp = utf8_decode(text, end, &pos);
    const fb::UnicodeRecord& r = unicode_record(t, cp);
    CharClass cls = CharClass::Other;
    if (has(r, fb::UnicodeFlag::Space)) {
      cls = CharClass::Space;
    } else if (r.classes() & static_cast<uint8_t>(fb::UnicodeClass::Letter)) {
      cls = CharClass::Letter;
    } else if (r.classes() & static_cast<uint8_t>(fb::UnicodeClass::Number)) {
      cls = CharClass::Number;
    }
    return Char{cp, static_cast<uint32_t>(pos - byte_of(v)), cls};
  }

  // Byte span [begin, end) in the text of the character at v (the prefix space: the first
  // character's, as tokenizers aligns it).
  void span(size_t v, uint32_t* b, uint32_t* e) const {
    const size_t first = space && v == 0 ? 1 : v;
    size_t pos = byte_of(first);
    utf8_decode(text, end, &pos);
    *b = static_cast<uint32_t>(byte_of(first));
    *e = static_cast<uint32_t>(pos);
  }

  // End of the run of characters of class `cls` from v.
  size_t run(size_t v, CharClass cls) const {
    while (v < size()) {
      const Char c = at(v);
      if (c.cls != cls) break;
      v += c.size;
    }
    return v;
  }

  // End of the pre-token that starts at v (< size()): the GPT-2 regex, alternative by
  // alternative, leftmost first.
  size_t pretoken_end(size_t v) const {
    const Char c = at(v);
    const size_t n = size();
    if (c.cp == '\'') {  // 's 't 're 've 'm 'll 'd
      static const char* const kContractions[] = {"s", "t", "re", "ve", "m", "ll", "d"};
      for (const char* suffix : kContractions) {
        const size_t length = std::strlen(suffix);
        size_t k = 0;
        while (k < length && v + 1 + k < n && byte(v + 1 + k) == static_cast<uint8_t>(suffix[k])) {
          ++k;
        }
        if (k == length) return v + 1 + length;
      }
    }
    if (c.cp == ' ' && v + 1 < n) {  // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+" with the space
      const Char next = at(v + 1);
      if (next.cls != CharClass::Space) return run(v + 1, next.cls);
    }
    if (c.cls != CharClass::Space) return run(v, c.cls);
    // \s+(?!\S): the whitespace run, less its last character when a non-space follows;
    // \s+ when that leaves nothing.
    const size_t e = run(v, CharClass::Space);
    if (e == n) return e;
    size_t last = v, w = v;
    while (w < e) {
      last = w;
      w += at(w).size;
    }
    return last > v ? last : e;
  }
};

// Merge rank of (left, right) and the merged id, or kNoMerge.
int32_t merge_rank(const TokenizerTables& t, int32_t left, int32_t right, int32_t* merged) {
  uint32_t slot = bpe_pair_hash(left, right) & t.bpe_hash_mask;
  for (uint32_t probe = 0; probe <= t.bpe_hash_mask; ++probe) {
    const int32_t m = t.bpe_merge_hash[slot];
    if (m < 0) return kNoMerge;
    const fb::BpeMerge& merge = t.bpe_merges[m];
    if (merge.left() == left && merge.right() == right) {
      *merged = merge.merged();
      return m;
    }
    slot = (slot + 1) & t.bpe_hash_mask;
  }
  return kNoMerge;
}

// The position `n` characters after `pos` (at most `size`), and `n` characters before it (-1
// when fewer than n precede it).
size_t chars_after(const uint8_t* text, size_t size, size_t pos, size_t n) {
  for (; n > 0 && pos < size; --n) utf8_decode(text, size, &pos);
  return pos;
}
int64_t chars_before(const uint8_t* text, size_t pos, size_t n) {
  uint32_t cp;
  for (; n > 0; --n) {
    if (pos == 0) return -1;
    pos = char_before(text, pos, &cp);
  }
  return static_cast<int64_t>(pos);
}

class Bpe {
 public:
  Bpe(const TokenizerTables& t, const TokenizerScratch& s, TokenWindow& out, const uint8_t* text,
      size_t size)
      : t_(t), s_(s), out_(out), text_(text), size_(size) {}

  // Tokens of pre-token [v0, v1) of `part`, in chunks of at most max_word_bytes.
  void pretoken(const Part& part, size_t v0, size_t v1) {
    for (bool first_chunk = true; v0 < v1 && !out_.stop(); first_chunk = false) {
      size_t e = v0;
      while (e < v1) {
        const uint32_t size = part.at(e).size;
        if (e + size - v0 > t_.max_word_chars && e > v0) break;
        e += size;
      }
      merge(part, v0, e, first_chunk);
      v0 = e;
    }
  }

 private:
  void merge(const Part& part, size_t v0, size_t v1, bool first_chunk) {
    int32_t n = 0;
    for (size_t v = v0; v < v1;) {
      uint32_t b, e;
      part.span(v, &b, &e);
      const uint32_t size = part.at(v).size;
      for (uint32_t k = 0; k < size; ++k, ++n) {
        s_.bpe_ids[n] = t_.bpe_byte_ids[part.byte(v + k)];
        s_.bpe_start[n] = static_cast<uint32_t>(v + k);
        s_.bpe_begin[n] = b;
        s_.bpe_end[n] = e;
        s_.bpe_next[n] = n + 1;
      }
      v += size;
    }
    s_.bpe_next[n - 1] = -1;
    int32_t merged_id = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t j = s_.bpe_next[i];
      s_.bpe_rank[i] = j < 0 ? kNoMerge : merge_rank(t_, s_.bpe_ids[i], s_.bpe_ids[j], &merged_id);
    }
    for (;;) {  // the lowest rank, leftmost among equals; its neighbours' pairs change
      int32_t best = -1, best_prev = -1;
      for (int32_t i = 0, prev = -1; i >= 0; prev = i, i = s_.bpe_next[i]) {
        if (s_.bpe_rank[i] != kNoMerge && (best < 0 || s_.bpe_rank[i] < s_.bpe_rank[best])) {
          best = i;
          best_prev = prev;
        }
      }
      if (best < 0) break;
      const int32_t j = s_.bpe_next[best];
      merge_rank(t_, s_.bpe_ids[best], s_.bpe_ids[j], &merged_id);
      s_.bpe_ids[best] = merged_id;
      s_.bpe_end[best] = s_.bpe_end[j];
      s_.bpe_next[best] = s_.bpe_next[j];
      const int32_t after = s_.bpe_next[best];
      s_.bpe_rank[best] =
          after < 0 ? kNoMerge : merge_rank(t_, merged_id, s_.bpe_ids[after], &merged_id);
      if (best_prev >= 0) {
        s_.bpe_rank[best_prev] = merge_rank(t_, s_.bpe_ids[best_prev], s_.bpe_ids[best], &merged_id);
      }
    }
    for (int32_t i = 0; i >= 0; i = s_.bpe_next[i]) {
      const int32_t j = s_.bpe_next[i];
      const size_t first = s_.bpe_start[i], last = j < 0 ? v1 : s_.bpe_start[j];
      // Spaces at either end of the token's bytes (only ' ' maps to a byte-level space).
      size_t leading = 0, trailing = 0;
      while (first + leading < last && part.byte(first + leading) == ' ') ++leading;
      while (last - trailing > first && part.byte(last - 1 - trailing) == ' ') ++trailing;
      // A pre-token is a word (its chunks too): its first piece starts it.
      emit(Token{s_.bpe_ids[i], s_.bpe_begin[i], s_.bpe_end[i], i == 0 && first_chunk},
           leading, trailing);
    }
  }

 public:
  // Emits `token`, its offsets trimmed as tokenizers' process_offsets does: it moves them by
  // the counts of the token's leading and trailing spaces in characters of the text (tokenizers
  // trims character offsets), so the prefix space, which spans the first character, trims to
  // nothing.
  void emit(Token token, size_t leading, size_t trailing) {
    if (t_.trim_offsets && (leading > 0 || trailing > 0)) {
      if (leading > 0) {
        const bool first = out_.count() == 0 || token.begin == 0;
        if (!(first && t_.add_prefix_space && leading == 1)) {
          const size_t b = chars_after(text_, size_, token.begin, leading);
          token.begin = static_cast<uint32_t>(b < token.end ? b : token.end);
        }
      }
      const int64_t e = trailing > 0 ? chars_before(text_, token.end, trailing) : -1;
      if (e >= 0) token.end = static_cast<uint32_t>(e) > token.begin ? static_cast<uint32_t>(e) : token.begin;
    }
    out_.emit(token);
  }

 private:
  const TokenizerTables& t_;
  const TokenizerScratch& s_;
  TokenWindow& out_;
  const uint8_t* text_;
  size_t size_;
};

}  // namespace

size_t bpe_tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                         const uint8_t* text, size_t size, Token* out, size_t capacity,
                         bool count_all, size_t skip) {
  TokenWindow window(out, capacity, count_all, skip);
  Bpe bpe(t, scratch, window, text, size);
  size_t pos = 0;  // end of the last special token (lstrip stops there)
  while (pos < size && !window.stop()) {
    const SpecialMatch m = find_special(t, text, size, pos);
    const int special = m.index;
    const size_t match_begin = m.begin, match_end = m.end;
    if (match_begin > pos) {  // the part before it
      const bool space = t.add_prefix_space && text[pos] != ' ';
      const Part part{t, text, pos, match_begin, space};
      for (size_t v = 0; v < part.size() && !window.stop();) {
        const size_t e = part.pretoken_end(v);
        bpe.pretoken(part, v, e);
        v = e;
      }
    }
    if (special < 0 || window.stop()) break;
    // The special token's text is what it matched, stripped whitespace included.
    size_t leading = 0, trailing = 0, lead_bytes = 0, trail_bytes = 0;
    uint32_t n;
    while (match_begin + lead_bytes < match_end &&
           space_at(t, text, match_end, match_begin + lead_bytes, &n)) {
      lead_bytes += n;
      ++leading;
    }
    while (match_end - trail_bytes > match_begin + lead_bytes &&
           space_before(t, text, match_end - trail_bytes, &n)) {
      trail_bytes += n;
      ++trailing;
    }
    bpe.emit(Token{t.special_id[special], static_cast<uint32_t>(match_begin),
                   static_cast<uint32_t>(match_end), true},
             leading, trailing);
    pos = match_end;
  }
  return window.result();
}

}  // namespace edgebert
