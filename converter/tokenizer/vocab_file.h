// vocab.txt (one WordPiece piece per line, id = line number) -> the model's tokenizer, with the
// device lookup tables built.
#ifndef EDGEBERT_CONVERTER_TOKENIZER_VOCAB_FILE_H_
#define EDGEBERT_CONVERTER_TOKENIZER_VOCAB_FILE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgebert_generated.h"

namespace edgebert::convert {

struct TokenizerOptions {
  bool lowercase = true;
  std::optional<bool> strip_accents;  // default: follows lowercase (Hugging Face's None)
  bool tokenize_chinese_chars = true;
  bool split_special_tokens = false;  // false: "[CLS]" etc. in text become special tokens (HF)
  std::string unk = "[UNK]", cls = "[CLS]", sep = "[SEP]", pad = "[PAD]", mask = "[MASK]";
};

std::vector<std::string> read_vocab_file(const std::string& path);

// Tokenizer over `vocab` (padded with placeholder pieces up to `vocab_size` if that is larger,
// as some checkpoints pad their embedding table). Throws std::runtime_error naming `where` if a
// required special token ([UNK], [CLS], [SEP], [PAD]) is missing.
std::unique_ptr<fb::TokenizerT> make_tokenizer(std::vector<std::string> vocab, size_t vocab_size,
                                               const TokenizerOptions& options,
                                               const std::string& where);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZER_VOCAB_FILE_H_
