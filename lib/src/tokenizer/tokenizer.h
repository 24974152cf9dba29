// The device tokenizer: BertTokenizerFast, RobertaTokenizerFast or XLMRobertaTokenizerFast
// (Hugging Face tokenizers 0.19) semantics, from the lookup tables the converter stored in the
// model, in fixed buffers from the arena. WordPiece below; byte-level BPE in bpe.cc and
// SentencePiece Unigram in unigram.cc (their pipelines are described there).
//
// Pipeline per code point of the UTF-8 input (decoded as in utf8.h):
//   0. the special tokens' exact strings ("[CLS]", "[MASK]", ...) become those tokens, unless
//      the model says split_special_tokens (Hugging Face's added-token matching);
//   1. clean text: drop NUL, U+FFFD (hence invalid UTF-8) and control/format characters;
//      whitespace separates words;
//   2. CJK ideographs become words of their own;
//   3. accent stripping (NFD, drop nonspacing marks; Hangul decomposed algorithmically), then
//      lowercasing, as the model's options say;
//   4. punctuation (after normalization) becomes a word of its own;
//   5. each word: more than max_input_chars_per_word code points -> [UNK]; else greedy
//      longest-match WordPiece with "##" continuations; a word with an unmatched rest -> [UNK].
// Offsets are byte spans [begin, end) of the input each token came from.
#ifndef EDGEBERT_SRC_TOKENIZER_TOKENIZER_H_
#define EDGEBERT_SRC_TOKENIZER_TOKENIZER_H_

#include <cstddef>
#include <cstdint>

#include <cstring>

#include "edgebert/edgebert.h"
#include "edgebert_generated.h"
#include "utf8.h"

namespace edgebert {

struct Token {
  int32_t id;
  uint32_t begin, end;  // byte span in the source text
  bool word_start;      // first token of a word (Hugging Face's word_ids change here): a word's
                        // first WordPiece, a BPE pre-token's first piece, a special token
};

// Typed pointers into the model's tokenizer tables, checked once by tokenizer_tables_init.
struct TokenizerTables {
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* vocab;
  const int32_t* vocab_hash;
  uint32_t hash_mask;
  const uint16_t* stage1;
  const uint16_t* stage2;
  const fb::UnicodeRecord* records;
  const uint32_t* strip_data;
  uint32_t block_shift;
  uint32_t max_word_chars;   // max_input_chars_per_word
  uint32_t max_piece_chars;
  int32_t unk_id, cls_id, sep_id;
  // Token type of a pair's second segment: 1, or 0 for byte-level BPE (RobertaProcessing) and
  // for a model with one token type (DistilBERT: its tokenizer returns no token types and the
  // model reads zeros).
  int32_t second_type;
  bool lowercase, strip_accents, split_cjk;
  // Special tokens matched verbatim in raw text (empty when split_special_tokens), and whether
  // each also takes the whitespace before it (kStripLeft) and after it (kStripRight).
  const flatbuffers::String* special_text[5];
  int32_t special_id[5];
  uint8_t special_strip[5];
  size_t special_count;
  fb::TokenizerModel model;
  // Byte-level BPE (Tokenizer.model ByteLevelBpe); max_word_chars is then max_word_bytes.
  const int32_t* bpe_byte_ids;       // (256)
  const fb::BpeMerge* bpe_merges;    // in rank order
  const int32_t* bpe_merge_hash;
  uint32_t bpe_hash_mask;
  bool add_prefix_space, trim_offsets;
  // SentencePiece Unigram (Tokenizer.model Unigram); max_word_chars is then max_word_bytes.
  // Specials marked normalized (XLM-R's <mask>) are matched in the normalized text: they are
  // in normalized_special_* and not in special_*.
  const double* unigram_scores;
  const uint64_t* unigram_prefix_bits;  // null: no prefix filter
  uint32_t prefix_bit_mask;
  double unk_score;                     // lowest piece score - 10 (tokenizers' kUnkPenalty)
  const uint32_t* charsmap_trie;        // null: no precompiled normalizer
  uint32_t charsmap_trie_size;
  const uint8_t* charsmap_normalized;
  uint32_t charsmap_normalized_size;
  bool strip_left, strip_right;
  const flatbuffers::String* space_run_replacement;  // null: runs of spaces stay
  uint32_t metaspace_replacement;
  fb::PrependScheme prepend_scheme;
  bool metaspace_split;
  const flatbuffers::String* normalized_special_text[5];
  int32_t normalized_special_id[5];
  uint8_t normalized_special_strip[5];
  size_t normalized_special_count;
};
constexpr uint8_t kStripLeft = 1, kStripRight = 2;

// Longest expansion of one code point by normalization (strip mapping, then lowercase x2).
constexpr uint32_t kMaxStripLength = 8;
constexpr uint32_t kMaxNormalizedLength = 2 * kMaxStripLength;
constexpr uint32_t kMaxWordCharsLimit = 4096;
// Longest Tokenizer.space_run_replacement (Unigram), in bytes.
constexpr uint32_t kMaxSpaceRunReplacement = 16;

// With `tables` NULL (model init): checks every table of `tokenizer` (sizes, and every index
// and range in them). Otherwise (session init): fills `tables` from a tokenizer that passed that
// check, re-checking only sizes; the model bytes must not have changed in between (eb_model_init).
eb_status tokenizer_tables_init(const fb::Tokenizer* tokenizer, uint32_t vocab_size,
                                TokenizerTables* tables, eb_error* error);

// Working memory of one tokenizer, carved from the arena. W = max_word_chars + 1 (WordPiece) or
// max_word_bytes + 1 (BPE: the bpe_* arrays, one entry per symbol of the word being merged;
// Unigram: the unigram_* arrays, one entry per byte position of the pre-token, and word_utf8,
// word_begin, word_end per byte; both null for the other models).
struct TokenizerScratch {
  int32_t* bpe_ids;      // (W) symbol ids
  uint32_t* bpe_start;   // (W) first byte of each symbol in the word
  uint32_t* bpe_begin;   // (W) byte span in the text of each symbol's first and last character
  uint32_t* bpe_end;     // (W)
  int32_t* bpe_next;     // (W) next live symbol, -1 at the end
  int32_t* bpe_rank;     // (W) rank of the merge of the symbol with its next, or kNoMerge
  double* unigram_score; // (W) best path score ending at each byte position
  int32_t* unigram_from; // (W) where that path's last piece starts, -1: no path yet
  int32_t* unigram_id;   // (W) that piece's id
  uint32_t* word_chars;  // (W) normalized code points of the word being built
  uint32_t* word_begin;  // (W) byte span of each one's source character
  uint32_t* word_end;    // (W)
  uint32_t* word_byte;   // (W + 1) start of each character in word_utf8
  char* word_utf8;       // (4 W) UTF-8 of the word
  Token* pieces;         // (W) WordPiece output of the word
  Token* first;          // (max_seq) tokens of text
  Token* second;         // (max_seq) tokens of text_b
};

// Bytes of scratch for `max_word_chars` and `max_seq`, and the carving of it from `base`.
size_t tokenizer_scratch_bytes(uint32_t max_word_chars, uint32_t max_seq,
                               fb::TokenizerModel model);
TokenizerScratch tokenizer_scratch_at(void* base, uint32_t max_word_chars, uint32_t max_seq,
                                      fb::TokenizerModel model);

// The record of one code point.
inline const fb::UnicodeRecord& unicode_record(const TokenizerTables& t, uint32_t cp) {
  const uint32_t block = t.stage1[cp >> t.block_shift];
  return t.records[t.stage2[(block << t.block_shift) + (cp & ((1u << t.block_shift) - 1))]];
}

// FNV-1a 32-bit hash: the vocab_hash key function (the converter builds the table with it).
constexpr uint32_t kFnvOffsetBasis = 2166136261u;
inline uint32_t fnv1a(const char* data, size_t size, uint32_t hash = kFnvOffsetBasis) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<uint8_t>(data[i]);
    hash *= 16777619u;
  }
  return hash;
}

inline bool has(const fb::UnicodeRecord& r, fb::UnicodeFlag flag) {
  return (r.flags() & static_cast<uint8_t>(flag)) != 0;
}

// Index in t.special_* of the longest special token whose exact text starts `text` (size > 0),
// or -1 (Hugging Face matches added tokens leftmost-longest).
inline int match_special_index(const TokenizerTables& t, const uint8_t* text, size_t size) {
  int best = -1;
  for (size_t i = 0; i < t.special_count; ++i) {
    const flatbuffers::String* s = t.special_text[i];
    if (s->size() <= size && static_cast<uint8_t>(s->data()[0]) == text[0] &&
        std::memcmp(s->data(), text, s->size()) == 0 &&
        (best < 0 || s->size() > t.special_text[best]->size())) {
      best = static_cast<int>(i);
    }
  }
  return best;
}

// Start of the character that ends at `end` (> 0), decoded into *cp: back to the lead byte of a
// well-formed character, else the last byte alone (an ill-formed one: U+FFFD).
size_t char_before(const uint8_t* text, size_t end, uint32_t* cp);
// Whether the character that ends at `end` (> 0) / starts at `at` (< size) is White_Space; its
// size in bytes in *length.
bool space_before(const TokenizerTables& t, const uint8_t* text, size_t end, uint32_t* length);
bool space_at(const TokenizerTables& t, const uint8_t* text, size_t size, size_t at,
              uint32_t* length);

// The first special token matched in raw text at or after `pos` (byte-level BPE and Unigram):
// its index in t.special_* (-1: none, and begin = end = size) and the span it takes, [begin,
// end): its text, with the White_Space before it when it is lstrip (back to pos at most) and
// after it when it is rstrip, as tokenizers' added-vocabulary split does it.
struct SpecialMatch {
  int index;
  size_t begin, end;
};
SpecialMatch find_special(const TokenizerTables& t, const uint8_t* text, size_t size, size_t pos);

// Id of the special token whose exact text starts `text` (size > 0), or -1.
inline int32_t match_special(const TokenizerTables& t, const uint8_t* text, size_t size) {
  const int i = match_special_index(t, text, size);
  return i < 0 ? -1 : t.special_id[i];
}

// Slot of a BPE merge's (left, right) pair in Tokenizer.bpe_merge_hash (the converter builds
// the table with it): a 64-bit mix of the two ids, folded.
inline uint32_t bpe_pair_hash(int32_t left, int32_t right) {
  uint64_t h = (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
               static_cast<uint32_t>(right);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

// Accent stripping and lowercasing of one code point, as the options say, into out
// (kMaxNormalizedLength room). Returns the number of code points (0 if it vanishes).
size_t normalize_code_point(const TokenizerTables& t, uint32_t cp, uint32_t* out);

// Steps 0-4 of the pipeline: splits `text` into normalized words and calls the sink, which
// decides what a word becomes (WordPiece tokens on the device; counts in the vocabulary trainer,
// so both see exactly the same words). A WordSink has:
//   bool stop();                                 // true: stop reading the text
//   void append(uint32_t cp, uint32_t begin, uint32_t end);  // next char of the current word
//   void flush();                                // the current word (if any) ends here
//   void special(int32_t id, uint32_t begin, uint32_t end);  // a special token matched in text
// The caller flushes after the last call if it wants the final word.
template <typename WordSink>
void scan_words(const TokenizerTables& t, const uint8_t* text, size_t size, WordSink& sink) {
  uint32_t normalized[kMaxNormalizedLength];
  size_t pos = 0;
  while (pos < size && !sink.stop()) {
    const auto begin = static_cast<uint32_t>(pos);
    const int32_t special = match_special(t, text + pos, size - pos);
    if (special >= 0) {
      const size_t length = t.vocab->Get(static_cast<uint32_t>(special))->size();
      sink.flush();
      sink.special(special, begin, static_cast<uint32_t>(pos + length));
      pos += length;
      continue;
    }
    const uint32_t cp = utf8_decode(text, size, &pos);
    const auto end = static_cast<uint32_t>(pos);
    const fb::UnicodeRecord& r = unicode_record(t, cp);
    if (has(r, fb::UnicodeFlag::Remove)) continue;  // does not separate words
    if (has(r, fb::UnicodeFlag::Space)) {
      sink.flush();
      continue;
    }
    const size_t n = normalize_code_point(t, cp, normalized);
    if (t.split_cjk && has(r, fb::UnicodeFlag::Cjk)) {
      sink.flush();
      for (size_t i = 0; i < n; ++i) sink.append(normalized[i], begin, end);
      sink.flush();
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      const fb::UnicodeRecord& nr = unicode_record(t, normalized[i]);
      if (has(nr, fb::UnicodeFlag::Space)) {
        sink.flush();
      } else if (has(nr, fb::UnicodeFlag::Punctuation)) {
        sink.flush();
        sink.append(normalized[i], begin, end);
        sink.flush();
      } else {
        sink.append(normalized[i], begin, end);
      }
    }
  }
}

// The window of a text's tokens that tokenize_text stores: tokens [skip, skip + capacity) go to
// `out`, all are counted; with count_all false the text is read only until the window is full.
class TokenWindow {
 public:
  TokenWindow(Token* out, size_t capacity, bool count_all, size_t skip)
      : out_(out), capacity_(capacity), count_all_(count_all), skip_(skip) {}
  bool stop() const { return !count_all_ && count_ >= skip_ + capacity_; }
  size_t count() const { return count_; }  // tokens so far, past the window included
  void emit(const Token& token) {
    if (count_ >= skip_ && count_ - skip_ < capacity_) out_[count_ - skip_] = token;
    ++count_;
  }
  // tokenize_text's result: the full count (count_all), else the tokens stored.
  size_t result() const {
    if (count_all_) return count_;
    const size_t n = count_ > skip_ ? count_ - skip_ : 0;
    return n < capacity_ ? n : capacity_;
  }

 private:
  Token* out_;
  size_t capacity_;
  bool count_all_;
  size_t skip_;
  size_t count_ = 0;
};

// Vocabulary id of a piece (UTF-8 bytes, "##" prepended when `continuation`), or -1.
int32_t vocab_lookup(const TokenizerTables& t, const char* bytes, size_t size, bool continuation);
// The same for a piece without "##" whose fnv1a hash the caller has (extended byte by byte).
int32_t vocab_lookup_hashed(const TokenizerTables& t, const char* bytes, size_t size,
                            uint32_t hash);

// Tokens of `text` without special tokens; tokens [skip, skip + capacity) are stored in `out`
// (a window of a long text: question answering reads its context window by window). Returns
// the number of tokens stored: with `count_all` false it stops once the window is full (work
// bounded by skip + capacity, not by the text); with `count_all` true it reads the whole text
// and returns the full count instead (what pair truncation and windows need).
size_t tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                     const uint8_t* text, size_t size, Token* out, size_t capacity,
                     bool count_all, size_t skip = 0);
// tokenize_text for byte-level BPE tables (bpe.cc); tokenize_text calls it for them.
size_t bpe_tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                         const uint8_t* text, size_t size, Token* out, size_t capacity,
                         bool count_all, size_t skip);
// tokenize_text for Unigram tables (unigram.cc); tokenize_text calls it for them.
size_t unigram_tokenize_text(const TokenizerTables& t, const TokenizerScratch& scratch,
                             const uint8_t* text, size_t size, Token* out, size_t capacity,
                             bool count_all, size_t skip);

// End of the extended grapheme cluster (UAX #29, from the records' GraphemeBreak) that starts
// at text[pos] (pos < size).
size_t grapheme_end(const TokenizerTables& t, const uint8_t* text, size_t size, size_t pos);

// Model input: [CLS] text [SEP] or [CLS] text [SEP] text_b [SEP] (BPE and Unigram: <s> text </s>
// and <s> text </s></s> text_b </s>, all of token type 0), truncated to max_seq tokens:
// a single text keeps its first max_seq - 2 tokens; a pair is truncated longest-first as
// tokenizers 0.19 does it (the shorter text is kept whole if the longer one can absorb the cut,
// else both get half of the room and the longer one the odd token).
struct Encoding {
  int32_t* ids;        // (max_seq)
  int32_t* type_ids;   // (max_seq)
  int32_t* mask;       // (max_seq), all 1
  uint32_t* offsets;   // (max_seq, 2) byte [begin, end) in its text; specials [0, 0]
  int8_t* sequence;    // (max_seq) 0 = text, 1 = text_b, -1 = special token
  uint8_t* word_start; // (max_seq) 1 where a word begins (Token.word_start), specials 1
  size_t count;
};
size_t encoding_bytes(uint32_t max_seq);
Encoding encoding_at(void* base, uint32_t max_seq);

// text_b may be NULL (single text). max_seq >= 2 (single) or >= 3 (pair), checked by the caller.
void encode(const TokenizerTables& t, const TokenizerScratch& scratch, const uint8_t* text,
            size_t size, const uint8_t* text_b, size_t size_b, uint32_t max_seq, Encoding* out);

// Whether a pair is <s> A </s></s> B </s> (RoBERTa's and XLM-R's post-processors), not
// [CLS] A [SEP] B [SEP].
inline bool double_separator(const TokenizerTables& t) {
  return t.model != fb::TokenizerModel::WordPiece;
}
// Special tokens around a pair: 3 ([CLS] A [SEP] B [SEP]) or 4 (<s> A </s></s> B </s>).
inline size_t pair_special_tokens(const TokenizerTables& t) { return double_separator(t) ? 4 : 3; }

// out <- [CLS] first[0, n1) [SEP] (second[0, n2) [SEP] when `pair`), no truncation (the caller
// made the parts fit the encoding's max_seq).
void assemble(const TokenizerTables& t, const Token* first, size_t n1, const Token* second,
              size_t n2, bool pair, Encoding* out);


}  // namespace edgebert

#endif  // EDGEBERT_SRC_TOKENIZER_TOKENIZER_H_
