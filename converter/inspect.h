// `edgebert-convert inspect`: what is inside a .ebm file, as JSON or as text.
#ifndef EDGEBERT_CONVERTER_INSPECT_H_
#define EDGEBERT_CONVERTER_INSPECT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "file_io.h"

namespace edgebert::convert {

// Describes the model: config, task, tokenizer, tensors (dtype, shape, bytes), totals, arena
// bytes at max_seq, provenance, and whether the runtime loader accepts it ("runtime_check").
// Throws std::runtime_error if the bytes are not a structurally valid edgebert FlatBuffer.
nlohmann::json inspect_model(const AlignedBytes& bytes);

// Human-readable rendering of inspect_model's JSON.
std::string inspect_text(const nlohmann::json& report);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_INSPECT_H_
