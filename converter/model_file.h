// Building, checking and writing .ebm files on the host, through the FlatBuffers object API
// (fb::ModelT). Every file the converter writes is first loaded by the device runtime's own
// eb_model_init, so a model the converter produces is a model the runtime accepts.
#ifndef EDGEBERT_CONVERTER_MODEL_FILE_H_
#define EDGEBERT_CONVERTER_MODEL_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "edgebert_generated.h"
#include "edgebert_internal/model.h"
#include "file_io.h"

namespace edgebert::convert {

inline constexpr const char* kProducer = "edgebert-convert 0.1.0";

// An empty model with provenance (producer, creation time); pack_model() sets its schema
// version.
fb::ModelT new_model(const std::string& source);

// The model's dimensions as the runtime's layout counts them (edgebert_internal/layout.h), from
// its config and task: num_labels = the (token) classifier's labels, 0 for other tasks.
ModelDims layout_dims(const fb::ModelT& model);

// Appends an fp32 tensor; `values` must hold product(shape) floats.
void add_tensor_f32(fb::ModelT& model, const std::string& name, std::vector<uint32_t> shape,
                    const std::vector<float>& values);

// Finds a tensor by name (nullptr if absent) and reads fp32 values out of it.
const fb::TensorT* find_tensor(const fb::ModelT& model, const std::string& name);
std::vector<float> tensor_values_f32(const fb::TensorT& tensor);

// The longest sequence the position table holds: max_positions less the rows before the first
// position (RoBERTa's position_offset).
inline uint32_t longest_sequence(const fb::ConfigT& config) {
  return config.max_positions - config.position_offset;
}

// The lowest schema version that holds the model: 4 for a Unigram tokenizer, 3 for the other
// families' positions, pooler activations and byte-level BPE, 2 for the task kinds and problem
// types of schema 2 (lib/schema/edgebert.fbs), else 1, so older runtimes keep reading what they
// can run.
uint32_t schema_version_for(const fb::ModelT& model);

// Serializes (sorting tensors by name for LookupByKey) into 16-byte-aligned bytes, unchecked.
AlignedBytes serialize_model(fb::ModelT& model);

// Plans the arena head for the model's max_seq on one thread with the runtime's planner
// (lib/src/memory_plan.h) and stores the plan in model.memory_plan.
void attach_memory_plan(fb::ModelT& model);

// schema_version_for + attach_memory_plan + serialize_model, then checks the bytes with the runtime loader; throws std::runtime_error with
// the runtime's message if it refuses them.
AlignedBytes pack_model(fb::ModelT& model);

// A deep copy of a model the runtime accepts (pack_model, then unpacked: the object API's tables
// are unique_ptrs).
fb::ModelT clone_model(fb::ModelT& model);

// pack_model + atomic write. Returns the file size.
size_t save_model(fb::ModelT& model, const std::string& path);

// Runs eb_model_init on `bytes`; throws std::runtime_error("what: message") if it fails.
void check_model_bytes(const AlignedBytes& bytes, const std::string& what);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_MODEL_FILE_H_
