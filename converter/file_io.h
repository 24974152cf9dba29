// Whole-file reads into aligned memory and crash-safe writes for the converter.
#ifndef EDGEBERT_CONVERTER_FILE_IO_H_
#define EDGEBERT_CONVERTER_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace edgebert::convert {

// Bytes of a file in memory aligned to EB_MODEL_ALIGNMENT (models are read in place).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t size);
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

// Reads a whole file; throws std::runtime_error naming the path on failure.
// Throws std::runtime_error naming `path` unless it is an existing regular file (a directory, a
// device or a pipe gets a plain sentence instead of a failed read).
void require_regular_file(const std::string& path);
AlignedBytes read_file_aligned(const std::string& path);
std::string read_text_file(const std::string& path);
// A JSON file; throws std::runtime_error "<path>: invalid JSON (...)" when it does not parse.
nlohmann::json read_json_file(const std::string& path);

// Writes `size` bytes to `path` atomically: a temporary file in the same directory, fsync, rename.
// A crash or a full disk leaves the old file (if any) untouched; throws std::runtime_error.
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_FILE_IO_H_
