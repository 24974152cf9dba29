#include "tokenizer/tables.h"

#include <utf8proc.h>

#include <map>
#include <stdexcept>

#include "edgebert_internal/tokenizer.h"  // fnv1a, the runtime's vocab_hash key function

namespace edgebert::convert {
namespace {

struct CodePointRange {
  uint32_t first, last;  // inclusive; first > last is the empty range
};
#include "tokenizer/hf_unicode_compat.inc"

template <size_t N>
bool in_ranges(const CodePointRange (&ranges)[N], uint32_t c) {
  for (const CodePointRange& r : ranges) {
    if (r.first <= c && c <= r.last) return true;
  }
  return false;
}

constexpr uint32_t kHangulFirst = 0xAC00, kHangulLast = 0xD7A3;

// Rust's char::is_whitespace (the Unicode White_Space property), which tokenizers uses.
bool is_white_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// tokenizers' is_chinese_char. Its Extension E range starts at 0x2B920, not 0x2B820 as in the
// Python BertTokenizer; we follow the fast tokenizer.
bool is_cjk(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_other(uint32_t c) {  // general category C* except Cn, as the reference sees it
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  const bool other = cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
                     cat == UTF8PROC_CATEGORY_CO || cat == UTF8PROC_CATEGORY_CS;
  return (other && !in_ranges(kLegacyNotControl, c)) || in_ranges(kLegacyControl, c);
}

bool is_punctuation(uint32_t c) {  // ASCII symbols or general category P*, as the reference sees it
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126)) {
    return true;
  }
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  const bool p = cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
  return (p && !in_ranges(kLegacyNotPunctuation, c)) || in_ranges(kLegacyPunctuation, c);
}

bool is_nonspacing_mark(uint32_t c) {
  const bool mn = utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_MN;
  return (mn && !in_ranges(kLegacyNotNonspacingMark, c)) || in_ranges(kLegacyNonspacingMark, c);
}

// NFD(c) without nonspacing marks. Hangul syllables are left to the runtime, which decomposes
// them algorithmically (Unicode 3.12), so 11,172 records need not be stored.
std::vector<uint32_t> strip_mapping(uint32_t c) {
  if (c >= kHangulFirst && c <= kHangulLast) return {c};
  if (in_ranges(kLegacyNoDecomposition, c)) return {c};
  utf8proc_int32_t decomposed[32];
  int last_boundclass = 0;
  const utf8proc_ssize_t n = utf8proc_decompose_char(
      static_cast<utf8proc_int32_t>(c), decomposed, 32, UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n < 0 || n > 32) throw std::runtime_error("utf8proc_decompose_char failed");
  std::vector<uint32_t> out;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const auto d = static_cast<uint32_t>(decomposed[i]);
    if (!is_nonspacing_mark(d)) out.push_back(d);
  }
  return out;
}

bool is_surrogate(uint32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

// utf8proc's grapheme boundary class as the schema's GraphemeBreak (Unicode 15: the emoji
// classes of Unicode 9 are Extend and Extended_Pictographic).
fb::GraphemeBreak grapheme_break(uint32_t c) {
  using G = fb::GraphemeBreak;
  switch (utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->boundclass) {
    case UTF8PROC_BOUNDCLASS_CR: return G::CR;
    case UTF8PROC_BOUNDCLASS_LF: return G::LF;
    case UTF8PROC_BOUNDCLASS_CONTROL: return G::Control;
    case UTF8PROC_BOUNDCLASS_EXTEND:
    case UTF8PROC_BOUNDCLASS_E_MODIFIER: return G::Extend;
    case UTF8PROC_BOUNDCLASS_ZWJ: return G::ZWJ;
    case UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR: return G::RegionalIndicator;
    case UTF8PROC_BOUNDCLASS_PREPEND: return G::Prepend;
    case UTF8PROC_BOUNDCLASS_SPACINGMARK: return G::SpacingMark;
    case UTF8PROC_BOUNDCLASS_L: return G::L;
    case UTF8PROC_BOUNDCLASS_V: return G::V;
    case UTF8PROC_BOUNDCLASS_T: return G::T;
    case UTF8PROC_BOUNDCLASS_LV: return G::LV;
    case UTF8PROC_BOUNDCLASS_LVT: return G::LVT;
    case UTF8PROC_BOUNDCLASS_E_BASE:
    case UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ:
    case UTF8PROC_BOUNDCLASS_E_BASE_GAZ:
    case UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC: return G::ExtendedPictographic;
    default: return G::Other;
  }
}

}  // namespace

uint8_t unicode_flags(uint32_t c) {
  using F = fb::UnicodeFlag;
  uint8_t flags = 0;
  const bool newline_or_tab = c == '\t' || c == '\n' || c == '\r';
  if (c == 0 || c == 0xFFFD || (!newline_or_tab && is_other(c))) {
    flags |= static_cast<uint8_t>(F::Remove);
  }
  if (is_white_space(c)) flags |= static_cast<uint8_t>(F::Space);
  if (is_cjk(c)) flags |= static_cast<uint8_t>(F::Cjk);
  if (is_punctuation(c)) flags |= static_cast<uint8_t>(F::Punctuation);
  if (c == 0x130) flags |= static_cast<uint8_t>(F::LowerSpecial);
  return flags;
}

uint8_t unicode_classes(uint32_t c) {
  using C = fb::UnicodeClass;
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  uint8_t classes = 0;
  if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
    classes |= static_cast<uint8_t>(C::Letter);
  }
  if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) {
    classes |= static_cast<uint8_t>(C::Number);
  }
  return classes;
}

namespace {

// One record per distinct behaviour, two-stage table over all code points.
// with_classes: fill UnicodeRecord.classes (byte-level BPE's pre-tokenizer reads them);
// with_graphemes: fill UnicodeRecord.grapheme (Unigram's precompiled normalizer reads them);
// WordPiece tables leave both 0 and stay as small as before.
fb::UnicodeTablesT build_unicode_tables(bool with_classes, bool with_graphemes) {
  fb::UnicodeTablesT table;
  const int shift = table.block_shift;
  const uint32_t block = 1u << shift;
  std::map<std::tuple<uint8_t, uint8_t, uint8_t, uint8_t, int32_t, uint32_t>, uint16_t>
      record_index;
  std::map<std::vector<uint16_t>, uint16_t> block_index;
  auto record_for = [&](uint32_t c) -> uint16_t {
    uint8_t flags = is_surrogate(c) ? static_cast<uint8_t>(fb::UnicodeFlag::Remove)
                                    : unicode_flags(c);
    uint8_t strip_length = 0;
    uint32_t strip_offset = 0;
    int32_t lower_delta = 0;
    if (!is_surrogate(c)) {
      const std::vector<uint32_t> strip = strip_mapping(c);
      if (!(strip.size() == 1 && strip[0] == c)) {
        flags |= static_cast<uint8_t>(fb::UnicodeFlag::HasStrip);
        strip_length = static_cast<uint8_t>(strip.size());
        strip_offset = static_cast<uint32_t>(table.strip_data.size());
        table.strip_data.insert(table.strip_data.end(), strip.begin(), strip.end());
      }
      lower_delta = utf8proc_tolower(static_cast<utf8proc_int32_t>(c)) - static_cast<int32_t>(c);
    }
    const uint8_t classes = is_surrogate(c) || !with_classes ? 0 : unicode_classes(c);
    const auto grapheme = static_cast<uint8_t>(
        is_surrogate(c) || !with_graphemes ? fb::GraphemeBreak::Other : grapheme_break(c));
    const auto key =
        std::make_tuple(flags, strip_length, classes, grapheme, lower_delta, strip_offset);
    const auto it = record_index.find(key);
    if (it != record_index.end()) return it->second;
    if (table.records.size() >= 0xFFFF) throw std::runtime_error("too many Unicode records");
    table.records.emplace_back(flags, strip_length, classes, grapheme, lower_delta, strip_offset);
    return record_index[key] = static_cast<uint16_t>(table.records.size() - 1);
  };
  for (uint32_t start = 0; start < 0x110000; start += block) {
    std::vector<uint16_t> entries(block);
    for (uint32_t i = 0; i < block; ++i) entries[i] = record_for(start + i);
    auto it = block_index.find(entries);
    if (it == block_index.end()) {
      const auto index = static_cast<uint16_t>(table.stage2.size() >> shift);
      table.stage2.insert(table.stage2.end(), entries.begin(), entries.end());
      it = block_index.emplace(entries, index).first;
    }
    table.stage1.push_back(it->second);
  }
  table.source = std::string("utf8proc ") + utf8proc_version() + " (Unicode " +
                    utf8proc_unicode_version() +
                    ") with Hugging Face tokenizers 0.19 category compatibility";
  return table;
}

}  // namespace

void build_tokenizer_tables(fb::TokenizerT& tokenizer) {
  // ---- vocabulary hash: linear probing, load factor <= 1/2; later duplicates win, like HF ----
  size_t capacity = 16;
  while (capacity < 2 * tokenizer.vocab.size()) capacity *= 2;
  tokenizer.vocab_hash.assign(capacity, -1);
  tokenizer.max_piece_chars = 0;
  for (size_t id = 0; id < tokenizer.vocab.size(); ++id) {
    const std::string& piece = tokenizer.vocab[id];
    size_t slot = fnv1a(piece.data(), piece.size()) & (capacity - 1);
    while (tokenizer.vocab_hash[slot] >= 0 &&
           tokenizer.vocab[static_cast<size_t>(tokenizer.vocab_hash[slot])] != piece) {
      slot = (slot + 1) & (capacity - 1);
    }
    tokenizer.vocab_hash[slot] = static_cast<int32_t>(id);
    const bool wordpiece = tokenizer.model == fb::TokenizerModel::WordPiece;
    const size_t prefix = wordpiece && piece.rfind("##", 0) == 0 ? 2 : 0;
    uint32_t chars = 0;
    for (size_t i = prefix; i < piece.size(); ++i) chars += (piece[i] & 0xC0) != 0x80;
    if (chars > tokenizer.max_piece_chars) tokenizer.max_piece_chars = chars;
  }

  // The Unicode tables depend on nothing but the Unicode data: built once per process (they take
  // most of an import's time), copied into each tokenizer.
  static const fb::UnicodeTablesT wordpiece = build_unicode_tables(false, false);
  static const fb::UnicodeTablesT byte_level = build_unicode_tables(true, false);
  static const fb::UnicodeTablesT unigram = build_unicode_tables(false, true);
  const fb::UnicodeTablesT& tables = tokenizer.model == fb::TokenizerModel::ByteLevelBpe ? byte_level
                                     : tokenizer.model == fb::TokenizerModel::Unigram   ? unigram
                                                                                        : wordpiece;
  tokenizer.unicode = std::make_unique<fb::UnicodeTablesT>(tables);
}

}  // namespace edgebert::convert
