// Reader for Hugging Face .safetensors files: an 8-byte little-endian header length, a JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then raw data.
// Every offset and size is checked against the file before use.
#ifndef EDGEBERT_CONVERTER_SAFETENSORS_H_
#define EDGEBERT_CONVERTER_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "file_io.h"

namespace edgebert::convert {

struct SafetensorsEntry {
  std::string dtype;            // "F32", "F16", "BF16", "F64", "I64", ...
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

class SafetensorsFile {
 public:
  // Reads and validates the file; throws std::runtime_error ("path: what is wrong").
  explicit SafetensorsFile(const std::string& path);
  // Same, from bytes already in memory; `name` stands for the path in messages.
  SafetensorsFile(const std::string& name, AlignedBytes bytes);

  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry& entry(const std::string& name) const;

  // Values of a floating-point tensor (F32, F16, BF16, F64) converted to fp32, row-major.
  std::vector<float> read_f32(const std::string& name) const;

 private:
  std::string path_;
  AlignedBytes bytes_;
  uint64_t data_start_ = 0;
  std::map<std::string, SafetensorsEntry> entries_;
};

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_SAFETENSORS_H_
