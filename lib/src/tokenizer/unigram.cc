// SentencePiece Unigram: XLMRobertaTokenizerFast (Hugging Face tokenizers 0.19) semantics.
//
// Pipeline for one text:
//   0. special tokens matched in the raw text (all but those marked normalized), as for BPE;
//   1. each part between them is normalized, every normalized character aligned to a span of
//      the text exactly as tokenizers' NormalizedString aligns it (quirks included):
//      a. the precompiled charsmap (spm_precompiled): an extended grapheme cluster shorter than
//         6 bytes is looked up whole, else each of its code points alone; a lookup gives the
//         replacement of the shortest key that prefixes what is looked up;
//      b. Strip: White_Space removed at the part's start and/or end;
//      c. Replace: each run of 2+ spaces becomes space_run_replacement;
//   2. the special tokens marked normalized (XLM-R's <mask>) matched in the normalized text,
//      lstrip taking the White_Space before them;
//   3. Metaspace on each part between those: spaces become the replacement (▁), which goes
//      first when the part does not start with it (prepend scheme), and each ▁ starts a
//      pre-token;
//   4. each pre-token: the segmentation with the highest sum of piece scores (Viterbi, as
//      tokenizers' encode_optimized: ties keep the first found), a character without a
//      one-character piece scoring as <unk> (lowest score - 10), consecutive <unk>s fused into
//      one token; a pre-token longer than max_word_bytes is segmented in chunks of at most that
//      many bytes, cut at characters, where Hugging Face segments it whole.
// A token spans the text from its first normalized character's alignment begin to its last's
// end. Invalid UTF-8 reads as U+FFFD per maximal subpart (utf8.h), as Python would decode it.
#include <cmath>
#include <cstring>

#include "tokenizer.h"
#include "utf8.h"

namespace edgebert {
namespace {

using GB = fb::GraphemeBreak;

GB grapheme_class(const TokenizerTables& t, uint32_t cp) {
  const uint8_t g = unicode_record(t, cp).grapheme();
  return g <= static_cast<uint8_t>(GB::MAX) ? static_cast<GB>(g) : GB::Other;
}

bool is_control(GB g) { return g == GB::CR || g == GB::LF || g == GB::Control; }

bool is_white_space(const TokenizerTables& t, uint32_t cp) {
  return has(unicode_record(t, cp), fb::UnicodeFlag::Space);
}

// sentencepiece's Darts double array walked as spm_precompiled's common_prefix_search does:
// the replacement of the shortest key that prefixes key[0, n) (a NUL byte ends the key), as
// [*begin, *end) in charsmap_normalized. False when no key does (or the walk leaves the array).
bool charsmap_lookup(const TokenizerTables& t, const uint8_t* key, size_t n, uint32_t* begin,
                     uint32_t* end) {
  const uint32_t* a = t.charsmap_trie;
  const auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
  const auto label = [](uint32_t u) { return u & ((1u << 31) | 0xFFu); };
  size_t node = offset(a[0]);
  for (size_t i = 0; i < n && key[i] != 0; ++i) {
    node ^= key[i];
    if (node >= t.charsmap_trie_size || label(a[node]) != key[i]) return false;
    const uint32_t unit = a[node];
    node ^= offset(unit);
    if ((unit >> 8) & 1) {  // a key ends here: its value is the replacement's offset
      if (node >= t.charsmap_trie_size) return false;
      const uint32_t value = a[node] & ((1u << 31) - 1);
      if (value > t.charsmap_normalized_size) return false;
      uint32_t e = value;
      while (e < t.charsmap_normalized_size && t.charsmap_normalized[e] != 0) ++e;
      *begin = value;
      *end = e;
      return true;
    }
  }
  return false;
}

// A normalized character and the span [begin, end) of the text it is aligned to.
struct NChar {
  uint32_t cp, begin, end;
};

// Step 1a over the part [begin, end) of the text. tokenizers builds (character, change) pairs
// (change 0: replaces the next original character, 1: inserted, -k: replaces the next 1 + k)
// and aligns them in order with a cursor over the original characters: an inserted character
// takes the alignment of the character before the cursor ((0, 0) at the part's start), the
// others that of the character at the cursor. A replacement that vanishes adds its change to
// the pair before it, so one pair is held back until the next is known.
// Sink: void normalized(const NChar&); bool stop().
template <typename Sink>
class CharsmapStep {
 public:
  CharsmapStep(const TokenizerTables& t, const uint8_t* text, size_t begin, size_t end, Sink& sink)
      : t_(t), text_(text), begin_(begin), end_(end), cursor_(begin), before_(begin), sink_(sink) {}

  void run() {
    for (size_t pos = begin_; pos < end_ && !sink_.stop();) {
      if (t_.charsmap_trie != nullptr) {
        const size_t g = grapheme_end(t_, text_, end_, pos);
        if (replace(pos, g, true)) {
          pos = g;
          continue;
        }
        size_t first = pos;
        utf8_decode(text_, end_, &first);
        if (first == g) {  // one code point: looked up already
          size_t p = pos;
          push(utf8_decode(text_, end_, &p), 0);
          pos = g;
          continue;
        }
        while (pos < g) {
          size_t next = pos;
          const uint32_t cp = utf8_decode(text_, end_, &next);
          if (!replace(pos, next, false)) push(cp, 0);
          pos = next;
        }
      } else {
        push(utf8_decode(text_, end_, &pos), 0);
      }
    }
    if (held_) align();
  }

 private:
  // tokenizers' Precompiled::normalize for the characters [a, b): false if the charsmap has
  // nothing for them (or, for a whole cluster, it is 6 bytes or more).
  bool replace(size_t a, size_t b, bool cluster) {
    uint8_t key[4 * 6];
    size_t n = 0, old_count = 0;
    for (size_t p = a; p < b; ++old_count) {
      const uint32_t cp = utf8_decode(text_, b, &p);
      if (n + 4 > sizeof(key)) return false;  // a cluster of 6 bytes or more
      n += utf8_encode(cp, reinterpret_cast<char*>(key + n));
    }
    if (cluster && n >= 6) return false;
    uint32_t vb, ve;
    if (!charsmap_lookup(t_, key, n, &vb, &ve)) return false;
    // (charsmap_normalized is checked to be UTF-8 at model init)
    const size_t new_count =
        utf8_code_points(reinterpret_cast<const char*>(t_.charsmap_normalized) + vb, ve - vb);
    const int64_t diff = static_cast<int64_t>(new_count) - static_cast<int64_t>(old_count);
    if (new_count == 0) {  // removed: the last pair so far absorbs the change (none: lost)
      if (held_) held_change_ += diff;
      return true;
    }
    size_t k = 0;
    for (size_t p = vb; p < ve; ++k) {
      const uint32_t cp = utf8_decode(t_.charsmap_normalized, ve, &p);
      int64_t change = diff > 0 && k >= old_count ? 1 : 0;  // the last diff ones are inserted
      if (diff < 0 && k + 1 == new_count) change += diff;   // the last one absorbs the removal
      push(cp, change);
    }
    return true;
  }

  void push(uint32_t cp, int64_t change) {
    if (held_) align();
    held_ = true;
    held_cp_ = cp;
    held_change_ = change;
  }

  void advance() {  // the cursor passes one original character
    before_ = cursor_;
    size_t p = cursor_;
    utf8_decode(text_, end_, &p);
    cursor_ = p;
  }

  void align() {
    held_ = false;
    NChar n{held_cp_, 0, 0};
    if (held_change_ > 0) {
      n.begin = static_cast<uint32_t>(before_);
      n.end = static_cast<uint32_t>(cursor_);
    } else {
      n.begin = n.end = static_cast<uint32_t>(cursor_);
      if (cursor_ < end_) {
        advance();
        n.end = static_cast<uint32_t>(cursor_);
      }
      for (int64_t k = 0; k < -held_change_ && cursor_ < end_; ++k) advance();
    }
    sink_.normalized(n);
  }

  const TokenizerTables& t_;
  const uint8_t* text_;
  size_t begin_, end_;
  size_t cursor_;  // next original character
  size_t before_;  // start of the character before the cursor (the cursor at the part's start)
  Sink& sink_;
  bool held_ = false;
  uint32_t held_cp_ = 0;
  int64_t held_change_ = 0;
};

// Pass one of a part when the Strip normalizer strips its end: how many normalized characters
// come before its trailing White_Space.
struct KeptCount {
  const TokenizerTables& t;
  size_t count = 0, kept = 0;
  bool stop() const { return false; }
  void normalized(const NChar& n) {
    ++count;
    if (!is_white_space(t, n.cp)) kept = count;
  }
};

// Steps 3 and 4: Metaspace, then Unigram on each pre-token, into the window.
class UnigramWords {
 public:
  UnigramWords(const TokenizerTables& t, const TokenizerScratch& s, TokenWindow& out)
      : t_(t), s_(s), out_(out) {}

  bool stop() const { return out_.stop(); }

  // A part of the text between special tokens starts; `origin`: where it starts in the text
  // (the First prepend scheme asks whether it is 0), kUnknownOrigin: at its first character.
  static constexpr uint32_t kUnknownOrigin = UINT32_MAX;
  void begin_part(uint32_t origin) {
    first_ = true;
    origin_ = origin;
  }
  void end_part() { flush_word(); }
  void special(const Token& token) {
    flush_word();
    out_.emit(token);
  }

  void push(const NChar& n) {
    const uint32_t r = t_.metaspace_replacement;
    const uint32_t cp = n.cp == ' ' ? r : n.cp;
    if (first_) {
      first_ = false;
      const uint32_t origin = origin_ == kUnknownOrigin ? n.begin : origin_;
      const bool prepend = t_.prepend_scheme == fb::PrependScheme::Always ||
                           (t_.prepend_scheme == fb::PrependScheme::First && origin == 0);
      if (cp != r && prepend) add(r, n.begin, n.end);  // tokenizers' prepend: the first's span
    }
    add(cp, n.begin, n.end);
  }

 private:
  void add(uint32_t cp, uint32_t begin, uint32_t end) {
    if (cp == t_.metaspace_replacement && t_.metaspace_split) flush_word();
    char utf8[4];
    const size_t n = utf8_encode(cp, utf8);
    if (length_ + n > t_.max_word_chars) {  // max_word_bytes: segment what we have
      viterbi();
      length_ = 0;
      ++chunk_;
    }
    for (size_t i = 0; i < n; ++i, ++length_) {
      s_.word_utf8[length_] = utf8[i];
      s_.word_begin[length_] = begin;
      s_.word_end[length_] = end;
    }
  }

  void flush_word() {
    if (length_ > 0) viterbi();
    length_ = 0;
    chunk_ = 0;
  }

  size_t char_size(size_t at) const {
    size_t p = at;
    utf8_decode(reinterpret_cast<const uint8_t*>(s_.word_utf8), length_, &p);
    return p - at;
  }

  // Best path over the bytes [0, length_) of the pre-token: unigram_* [e] is the best path
  // that ends at byte e, found by trying every piece of up to max_piece_chars characters at
  // every character start, in order of start and then length.
  void viterbi() {
    const size_t n = length_;
    double* score = s_.unigram_score;
    int32_t* from = s_.unigram_from;
    int32_t* id = s_.unigram_id;
    score[0] = 0;
    for (size_t i = 1; i <= n; ++i) from[i] = -1;
    const auto offer = [&](size_t start, size_t end, int32_t piece, double piece_score) {
      const double candidate = piece_score + score[start];
      if (from[end] < 0 || candidate > score[end]) {
        score[end] = candidate;
        from[end] = static_cast<int32_t>(start);
        id[end] = piece;
      }
    };
    for (size_t start = 0; start < n;) {
      const size_t first = char_size(start);
      bool single = false;  // a piece of exactly the first character
      size_t end = start;
      uint32_t hash = kFnvOffsetBasis;  // of [start, end), extended a character at a time
      for (uint32_t chars = 0; chars < t_.max_piece_chars && end < n; ++chars) {
        const size_t size = char_size(end);
        hash = fnv1a(s_.word_utf8 + end, size, hash);
        end += size;
        if (t_.unigram_prefix_bits != nullptr) {  // no piece starts with [start, end): stop
          const uint32_t bit = hash & t_.prefix_bit_mask;
          if (((t_.unigram_prefix_bits[bit >> 6] >> (bit & 63)) & 1) == 0) break;
        }
        const int32_t piece = vocab_lookup_hashed(t_, s_.word_utf8 + start, end - start, hash);
        if (piece < 0 || !(t_.unigram_scores[piece] > -HUGE_VAL)) continue;  // -inf: padding
        offer(start, end, piece, t_.unigram_scores[piece]);
        single = single || end - start == first;
      }
      if (!single) offer(start, start + first, t_.unk_id, t_.unk_score);
      start += first;
    }
    // Back from the end: tokens in reverse into `pieces`, runs of <unk> nodes fused.
    Token* tokens = s_.pieces;
    size_t count = 0;
    bool last_unk = false;
    for (size_t e = n; e > 0;) {
      const auto start = static_cast<uint32_t>(from[e]);
      const bool unk = id[e] == t_.unk_id;
      if (unk && last_unk) {
        tokens[count - 1].begin = start;  // byte positions in the pre-token for now
      } else {
        tokens[count++] = Token{id[e], start, static_cast<uint32_t>(e), false};
      }
      last_unk = unk;
      e = start;
    }
    for (size_t k = count; k-- > 0;) {
      Token token = tokens[k];
      if (token.id == t_.unk_id) {  // a fused run is looked up as a piece, as tokenizers does
        const int32_t piece =
            vocab_lookup(t_, s_.word_utf8 + token.begin, token.end - token.begin, false);
        token.id = piece >= 0 ? piece : t_.unk_id;
      }
      token.word_start = k + 1 == count && chunk_ == 0;
      token.begin = s_.word_begin[token.begin];
      token.end = s_.word_end[token.end - 1];
      out_.emit(token);
    }
  }

  const TokenizerTables& t_;
  const TokenizerScratch& s_;
  TokenWindow& out_;
  size_t length_ = 0;  // bytes of the pre-token (chunk) so far
  size_t chunk_ = 0;   // chunks of the pre-token segmented before this one
  bool first_ = true;
  uint32_t origin_ = kUnknownOrigin;
};

// Steps 1b, 1c and 2 for one part: the sink of the CharsmapStep.
class NormalizedPart {
 public:
  // `kept`: normalized characters before the part's trailing White_Space (strip_right), or
  // SIZE_MAX.
  NormalizedPart(const TokenizerTables& t, UnigramWords& words, size_t kept)
      : t_(t), words_(words), kept_(kept) {
    for (size_t i = 0; i < t.normalized_special_count; ++i) {
      lstrip_any_ = lstrip_any_ || (t.normalized_special_strip[i] & kStripLeft) != 0;
    }
  }

  bool stop() const { return words_.stop(); }

  void normalized(const NChar& n) {
    if (index_++ >= kept_) return;  // Strip: the end
    if (leading_ && t_.strip_left && is_white_space(t_, n.cp)) return;  // Strip: the start
    leading_ = false;
    if (t_.space_run_replacement != nullptr && n.cp == ' ') {  // Replace " {2,}"
      if (spaces_++ == 0) first_space_ = n;
      last_space_ = n;
      return;
    }
    flush_spaces();
    replaced(n);
  }

  void finish() {
    flush_spaces();
    resolve(true);
    for (size_t i = 0; i < queued_; ++i) words_.push(queue_[i]);
    queued_ = 0;
  }

 private:
  void flush_spaces() {
    if (spaces_ == 1) replaced(first_space_);
    if (spaces_ >= 2) {
      const flatbuffers::String* r = t_.space_run_replacement;
      const auto* bytes = reinterpret_cast<const uint8_t*>(r->data());
      for (size_t p = 0; p < r->size();) {
        replaced(NChar{utf8_decode(bytes, r->size(), &p), last_space_.begin, last_space_.end});
      }
    }
    spaces_ = 0;
  }

  // Step 2 over a queue of normalized characters not yet passed on: those that may still
  // begin a normalized special, and the White_Space before them an lstrip special would take.
  // A queue full of such White_Space passes its oldest on (a run of more than kQueue of them
  // before an lstrip special keeps the older ones out of the special's span).
  static constexpr size_t kQueue = 64;

  void replaced(const NChar& n) {
    if (t_.normalized_special_count == 0) {
      words_.push(n);
      return;
    }
    if (queued_ == kQueue) pass(1);
    queue_[queued_++] = n;
    resolve(false);
  }

  // 2: a normalized special is queue_[j, j + its length) (*which, its length in *length);
  // 1: queue_[j, queued_) is a proper prefix of one and more may come (not `final`); 0: neither.
  int special_at(size_t j, bool final, size_t* which, size_t* length) const {
    int state = 0;
    for (size_t i = 0; i < t_.normalized_special_count; ++i) {
      const flatbuffers::String* s = t_.normalized_special_text[i];
      const auto* bytes = reinterpret_cast<const uint8_t*>(s->data());
      size_t p = 0, k = j;
      bool mismatch = false;
      while (p < s->size() && k < queued_ && !mismatch) {
        mismatch = utf8_decode(bytes, s->size(), &p) != queue_[k++].cp;
      }
      if (mismatch) continue;
      if (p == s->size()) {
        *which = i;
        *length = k - j;
        return 2;
      }
      if (!final) state = 1;  // the queue ran out first
    }
    return state;
  }

  void resolve(bool final) {
    for (;;) {
      size_t j = 0, which = 0, length = 0;
      int state = 0;
      for (; j < queued_ && (state = special_at(j, final, &which, &length)) == 0; ++j) {
      }
      if (state != 2) {  // pass on what cannot begin a special nor be taken by one
        size_t keep = j;
        if (lstrip_any_ && !final) {
          while (keep > 0 && is_white_space(t_, queue_[keep - 1].cp)) --keep;
        }
        pass(keep);
        return;
      }
      size_t start = j;
      if (t_.normalized_special_strip[which] & kStripLeft) {
        while (start > 0 && is_white_space(t_, queue_[start - 1].cp)) --start;
      }
      pass(start);
      words_.end_part();
      words_.special(Token{t_.normalized_special_id[which], queue_[0].begin,
                           queue_[j - start + length - 1].end, true});
      drop(j - start + length);
      words_.begin_part(UnigramWords::kUnknownOrigin);
    }
  }

  void pass(size_t n) {  // queue_[0, n) goes on to Metaspace
    for (size_t i = 0; i < n; ++i) words_.push(queue_[i]);
    drop(n);
  }
  void drop(size_t n) {
    std::memmove(queue_, queue_ + n, (queued_ - n) * sizeof(NChar));
    queued_ -= n;
  }

  const TokenizerTables& t_;
  UnigramWords& words_;
  size_t kept_;
  size_t index_ = 0;
  bool leading_ = true;
  bool lstrip_any_ = false;
  size_t spaces_ = 0;
  NChar first_space_{}, last_space_{};
  NChar queue_[kQueue];
  size_t queued_ = 0;
};

void normalize_part(const TokenizerTables& t, const uint8_t* text, size_t begin, size_t end,
                    UnigramWords& words) {
  size_t kept = SIZE_MAX;
  if (t.strip_right) {
    KeptCount count{t};
    CharsmapStep<KeptCount>(t, text, begin, end, count).run();
    kept = count.kept;
  }
  words.begin_part(static_cast<uint32_t>(begin));
  NormalizedPart part(t, words, kept);
  CharsmapStep<NormalizedPart>(t, text, begin, end, part).run();
  part.finish();
  words.end_part();
}

}  // namespace

size_t grapheme_end(const TokenizerTables& t, const uint8_t* text, size_t size, size_t pos) {
  GB prev = grapheme_class(t, utf8_decode(text, size, &pos));
  size_t regional = prev == GB::RegionalIndicator ? 1 : 0;  // in a row, up to prev
  bool pictographic = prev == GB::ExtendedPictographic;     // prev ends ExtPict Extend*
  bool joined = false;                                      // prev: ZWJ after ExtPict Extend*
  while (pos < size) {
    size_t next = pos;
    const GB cur = grapheme_class(t, utf8_decode(text, size, &next));
    bool join;
    if (prev == GB::CR && cur == GB::LF) {
      join = true;  // GB3
    } else if (is_control(prev) || is_control(cur)) {
      join = false;  // GB4, GB5
    } else if (prev == GB::L &&
               (cur == GB::L || cur == GB::V || cur == GB::LV || cur == GB::LVT)) {
      join = true;  // GB6
    } else if ((prev == GB::LV || prev == GB::V) && (cur == GB::V || cur == GB::T)) {
      join = true;  // GB7
    } else if ((prev == GB::LVT || prev == GB::T) && cur == GB::T) {
      join = true;  // GB8
    } else if (cur == GB::Extend || cur == GB::ZWJ || cur == GB::SpacingMark) {
      join = true;  // GB9, GB9a
    } else if (prev == GB::Prepend) {
      join = true;  // GB9b
    } else if (joined && cur == GB::ExtendedPictographic) {
      join = true;  // GB11
    } else if (prev == GB::RegionalIndicator && cur == GB::RegionalIndicator) {
      join = regional % 2 == 1;  // GB12, GB13
    } else {
      join = false;  // GB999
    }
    if (!join) return pos;
    joined = cur == GB::ZWJ && pictographic;
    pictographic = cur == GB::ExtendedPictographic || (pictographic && cur == GB::Extend);
    regional = cur == GB::RegionalIndicator ? regional + 1 : 0;
    prev = cur;
    pos = next;
  }
  return pos;
}

size_t unigram_tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                             const uint8_t* text, size_t size, Token* out, size_t capacity,
                             bool count_all, size_t skip) {
  TokenWindow window(out, capacity, count_all, skip);
  UnigramWords words(t, scratch, window);
  for (size_t pos = 0; pos < size && !window.stop();) {
    const SpecialMatch m = find_special(t, text, size, pos);
    if (m.begin > pos) normalize_part(t, text, pos, m.begin, words);
    if (m.index < 0 || window.stop()) break;
    words.special(Token{t.special_id[m.index], static_cast<uint32_t>(m.begin),
                        static_cast<uint32_t>(m.end), true});
    pos = m.end;
  }
  return window.result();
}

}  // namespace edgebert
