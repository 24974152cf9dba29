// `edgebert-convert tokenize`: what the device tokenizer makes of a text, through the C API.
#ifndef EDGEBERT_CONVERTER_TOKENIZE_COMMAND_H_
#define EDGEBERT_CONVERTER_TOKENIZE_COMMAND_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "file_io.h"

namespace edgebert::convert {

// {"max_seq", "ids", "tokens", "type_ids", "offsets", "sequence"}; throws std::runtime_error with
// the runtime's message on failure. max_seq 0 = the model's.
nlohmann::json tokenize_report(AlignedBytes model_bytes, const std::string& text,
                               const std::optional<std::string>& text_b, uint32_t max_seq);

// One line per token: index, id, piece, byte begin, end, type id, sequence.
std::string tokenize_text_table(const nlohmann::json& report);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZE_COMMAND_H_
