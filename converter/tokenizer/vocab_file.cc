#include "tokenizer/vocab_file.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "file_io.h"
#include "tokenizer/tables.h"

namespace edgebert::convert {

std::vector<std::string> read_vocab_file(const std::string& path) {
  std::vector<std::string> vocab;
  std::istringstream lines(read_text_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(line);
  }
  if (vocab.empty()) throw std::runtime_error(path + ": empty vocabulary");
  return vocab;
}

std::unique_ptr<fb::TokenizerT> make_tokenizer(std::vector<std::string> vocab, size_t vocab_size,
                                               const TokenizerOptions& options,
                                               const std::string& where) {
  if (vocab.size() > vocab_size) {
    throw std::runtime_error(where + ": " + std::to_string(vocab.size()) +
                             " entries but the model's vocab_size is " +
                             std::to_string(vocab_size));
  }
  auto tokenizer = std::make_unique<fb::TokenizerT>();
  tokenizer->vocab = std::move(vocab);
  for (size_t i = tokenizer->vocab.size(); i < vocab_size; ++i) {
    tokenizer->vocab.push_back("[edgebert_padding_" + std::to_string(i) + "]");
  }
  tokenizer->do_lower_case = options.lowercase;
  tokenizer->strip_accents = options.strip_accents.value_or(options.lowercase);
  tokenizer->tokenize_chinese_chars = options.tokenize_chinese_chars;
  tokenizer->split_special_tokens = options.split_special_tokens;
  auto id_of = [&](const std::string& token, bool required) -> int32_t {
    const auto it = std::find(tokenizer->vocab.begin(), tokenizer->vocab.end(), token);
    if (it == tokenizer->vocab.end()) {
      if (required) throw std::runtime_error(where + ": special token " + token + " not found");
      return -1;
    }
    return static_cast<int32_t>(it - tokenizer->vocab.begin());
  };
  tokenizer->unk_id = id_of(options.unk, true);
  tokenizer->cls_id = id_of(options.cls, true);
  tokenizer->sep_id = id_of(options.sep, true);
  tokenizer->pad_id = id_of(options.pad, true);
  tokenizer->mask_id = id_of(options.mask, false);
  build_tokenizer_tables(*tokenizer);
  return tokenizer;
}

}  // namespace edgebert::convert
