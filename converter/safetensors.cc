#include "safetensors.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

namespace edgebert::convert {
namespace {

size_t dtype_bytes(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL") return 1;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);  // zero or subnormal
  } else if (exponent == 31) {
    value = mantissa == 0 ? INFINITY : NAN;
  } else {
    value = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  }
  return sign ? -value : value;
}

float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path)
    : SafetensorsFile(path, read_file_aligned(path)) {}

SafetensorsFile::SafetensorsFile(const std::string& path, AlignedBytes bytes)
    : path_(path), bytes_(std::move(bytes)) {
  const uint64_t file_size = bytes_.size();
  if (file_size < 8) throw std::runtime_error(path + ": too short for a safetensors file");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes_.data()[i];
  if (header_size > file_size - 8) {
    throw std::runtime_error(path + ": header length " + std::to_string(header_size) +
                             " exceeds the file (truncated or not safetensors)");
  }
  data_start_ = 8 + header_size;
  const uint64_t data_size = file_size - data_start_;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes_.data() + 8, bytes_.data() + 8 + header_size);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object()) throw std::runtime_error(path + ": header is not a JSON object");
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = path + ": tensor " + name;
    try {
      SafetensorsEntry entry;
      entry.dtype = info.at("dtype").get<std::string>();
      entry.shape = info.at("shape").get<std::vector<uint64_t>>();
      const auto offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2) throw std::runtime_error("data_offsets must have 2 entries");
      entry.begin = offsets[0];
      entry.end = offsets[1];
      if (entry.begin > entry.end || entry.end > data_size) {
        throw std::runtime_error("data_offsets [" + std::to_string(entry.begin) + ", " +
                                 std::to_string(entry.end) + "] outside the data section of " +
                                 std::to_string(data_size) + " bytes");
      }
      const size_t element = dtype_bytes(entry.dtype);
      if (element == 0) throw std::runtime_error("unknown dtype " + entry.dtype);
      uint64_t count = 1;
      for (uint64_t d : entry.shape) {
        if (d != 0 && count > UINT64_MAX / d) throw std::runtime_error("shape overflows");
        count *= d;
      }
      if (count > UINT64_MAX / element || count * element != entry.end - entry.begin) {
        throw std::runtime_error("byte size does not match dtype and shape");
      }
      entries_.emplace(name, std::move(entry));
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error(where + ": malformed header entry (" + e.what() + ")");
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
  }
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) throw std::runtime_error(path_ + ": no tensor named " + name);
  return it->second;
}

std::vector<float> SafetensorsFile::read_f32(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  const uint8_t* p = bytes_.data() + data_start_ + e.begin;
  const size_t count = (e.end - e.begin) / dtype_bytes(e.dtype);
  std::vector<float> values(count);
  if (e.dtype == "F32") {
    std::memcpy(values.data(), p, count * 4);  // safetensors is little-endian, as are our hosts
  } else if (e.dtype == "F64") {
    for (size_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      values[i] = static_cast<float>(d);
    }
  } else if (e.dtype == "F16" || e.dtype == "BF16") {
    for (size_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      values[i] = e.dtype == "F16" ? half_to_float(h) : bfloat16_to_float(h);
    }
  } else {
    throw std::runtime_error(path_ + ": tensor " + name + " has dtype " + e.dtype +
                             ", expected a floating-point type");
  }
  return values;
}

}  // namespace edgebert::convert
