// Lookup structures the device tokenizer reads from the model, built here on the host so the
// device builds nothing: the vocabulary hash table and the per-code-point Unicode tables
// (clean-text, whitespace, CJK, punctuation, accent stripping, lowercasing).
//
// Unicode data comes from utf8proc (Debian's libutf8proc, Unicode 15), adjusted by
// hf_unicode_compat.inc where Hugging Face tokenizers still use older category tables, so the
// device tokenizes exactly like BertTokenizerFast.
#ifndef EDGEBERT_CONVERTER_TOKENIZER_TABLES_H_
#define EDGEBERT_CONVERTER_TOKENIZER_TABLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "edgebert_generated.h"

namespace edgebert::convert {

// Behaviour flags (fb::UnicodeFlag bits) of one code point, before table compression.
uint8_t unicode_flags(uint32_t code_point);
// General-category classes (fb::UnicodeClass bits) of one code point.
uint8_t unicode_classes(uint32_t code_point);

// Fills vocab_hash, max_piece_chars and unicode from tokenizer.vocab and the options.
void build_tokenizer_tables(fb::TokenizerT& tokenizer);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZER_TABLES_H_
