// `edgebert-convert pack`: a model as a C array for firmware (the model linked as const bytes,
// the arena a static array of the exact planned size), or re-planned for another max_seq.
#ifndef EDGEBERT_CONVERTER_PACK_COMMAND_H_
#define EDGEBERT_CONVERTER_PACK_COMMAND_H_

#include <cstdint>
#include <string>

#include "file_io.h"

namespace edgebert::convert {

// Re-plans `model` for max_seq (0 = keep) and returns the new bytes.
AlignedBytes repack_model(const AlignedBytes& model, uint32_t max_seq);

// Writes `<stem>.c` (alignas(16) const unsigned char NAME[] = {...}; const size_t NAME_size) and
// `<stem>.h` (declarations and NAME_ARENA_BYTES, the exact eb_arena_size at the model's max_seq
// on one thread, in upper case). `c_path` must end in ".c"; `name` must be a C identifier.
void write_c_array(const AlignedBytes& model, const std::string& c_path, const std::string& name);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_PACK_COMMAND_H_
