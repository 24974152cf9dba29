// Byte-level BPE tokenizers (RobertaTokenizerFast: GPT-2's byte-level pre-tokenizer, BPE merges,
// RoBERTa's post-processor) read from a checkpoint's tokenizer.json, or from vocab.json +
// merges.txt where that is all there is, into the model's Tokenizer table.
#ifndef EDGEBERT_CONVERTER_TOKENIZER_BPE_FILE_H_
#define EDGEBERT_CONVERTER_TOKENIZER_BPE_FILE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edgebert_generated.h"

namespace edgebert::convert {

// Whether `dir` holds a byte-level BPE tokenizer (tokenizer.json with model.type "BPE", or
// vocab.json + merges.txt).
bool has_byte_level_bpe(const std::filesystem::path& dir);

// The tokenizer of `dir`, padded to `vocab_size` pieces; throws std::runtime_error naming the
// file and field for anything the device tokenizer does not do (a normalizer, another
// pre-tokenizer, BPE dropout, continuing-subword prefixes, non-special added tokens, ...).
std::unique_ptr<fb::TokenizerT> read_byte_level_bpe(const std::filesystem::path& dir,
                                                    size_t vocab_size);

// The tokenizer readers' refusal: throws std::runtime_error("where: what") unless `ok`.
void expect(bool ok, const std::string& where, const std::string& what);

// One entry of tokenizer.json's added_tokens as the device tokenizers take it (special, not
// single_word, with an id); throws naming `where` otherwise.
struct AddedToken {
  std::string content;
  int32_t id;
  bool lstrip, rstrip, normalized;
};
AddedToken read_added_token(const nlohmann::json& entry, const std::string& where);
// Throws naming `where` unless `id` is one of `t`'s five special ids (the only added tokens the
// device matches in text).
void expect_special_id(const fb::TokenizerT& t, const AddedToken& added, const std::string& where);

// A Hugging Face tokenizer folder's tokenizer_config.json, or {} when there is none.
nlohmann::json tokenizer_config(const std::filesystem::path& dir);
// A special token's text in tokenizer_config.json (a string, or an AddedToken object), or
// `fallback`.
std::string token_text(const nlohmann::json& config, const char* key, const std::string& fallback);

// GPT-2's bytes_to_unicode: the code point that stands for byte b in byte-level pieces.
uint32_t byte_level_char(uint8_t b);

// Fills bpe_merge_hash from bpe_merges (and the shared tables: vocab_hash, unicode).
void build_bpe_tables(fb::TokenizerT& tokenizer);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZER_BPE_FILE_H_
