// SentencePiece Unigram tokenizers (XLMRobertaTokenizerFast: the precompiled charsmap
// normalizer, Metaspace, Unigram, XLM-R's <s> A </s></s> B </s> template) read from a
// checkpoint's tokenizer.json, or from an XLM-R sentencepiece.bpe.model where that is all there
// is (converted as transformers' XLMRobertaConverter does), into the model's Tokenizer table.
#ifndef EDGEBERT_CONVERTER_TOKENIZER_UNIGRAM_FILE_H_
#define EDGEBERT_CONVERTER_TOKENIZER_UNIGRAM_FILE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "edgebert_generated.h"

namespace edgebert::convert {

// Whether `dir` holds a Unigram tokenizer (tokenizer.json with model.type "Unigram", or no
// tokenizer.json and a sentencepiece.bpe.model).
bool has_unigram(const std::filesystem::path& dir);

// The tokenizer of `dir`, padded to `vocab_size` pieces (padding pieces score -inf: never
// chosen); throws std::runtime_error naming the file and field for anything the device
// tokenizer does not do (another normalizer, pre-tokenizer or template, byte fallback,
// non-special added tokens, ...).
std::unique_ptr<fb::TokenizerT> read_unigram(const std::filesystem::path& dir, size_t vocab_size);

// sentencepiece's precompiled_charsmap (base64 in tokenizer.json) split into the Darts double
// array and the replacement strings: u32 little-endian trie size in bytes, the trie, the strings.
void split_charsmap(const std::string& base64, const std::string& where, fb::TokenizerT& out);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZER_UNIGRAM_FILE_H_
