// safetensors reader: dtype conversion and refusal of malformed headers.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "safetensors.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

namespace fs = std::filesystem;

// Writes a safetensors file with the given JSON header and raw data section.
std::string write_safetensors(const std::string& name, const std::string& header,
                              const std::string& data) {
  const fs::path path = fs::temp_directory_path() / (name + std::to_string(::getpid()));
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = char((header.size() >> (8 * i)) & 0xff);
  std::ofstream(path, std::ios::binary) << bytes << header << data;
  return path.string();
}

std::string error_of(const std::string& path) {
  try {
    convert::SafetensorsFile file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("Safetensors: F16, BF16 and F32 convert to fp32") {
  // 1.0, -2.0, 0.5 in each type (little-endian).
  const std::string f16("\x00\x3c\x00\xc0\x00\x38", 6);
  const std::string bf16("\x80\x3f\x00\xc0\x00\x3f", 6);
  const std::string f32("\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\x00\x3f", 12);
  const std::string path = write_safetensors(
      "eb_st_types",
      R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},)"
      R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[6,12]},)"
      R"("c":{"dtype":"F32","shape":[1,3],"data_offsets":[12,24]},"__metadata__":{"format":"pt"}})",
      f16 + bf16 + f32);
  convert::SafetensorsFile file(path);
  const std::vector<float> expected = {1.0f, -2.0f, 0.5f};
  CHECK(file.read_f32("a") == expected);
  CHECK(file.read_f32("b") == expected);
  CHECK(file.read_f32("c") == expected);
  CHECK(file.entry("c").shape == std::vector<uint64_t>{1, 3});
  CHECK_THROWS_WITH_AS(file.read_f32("d"), doctest::Contains("no tensor named d"), std::runtime_error);
  fs::remove(path);
}

TEST_CASE("Safetensors: malformed files are refused with the reason") {
  CHECK(error_of(write_safetensors("eb_st_json", "{not json", "")).find("not valid JSON") !=
        std::string::npos);
  CHECK(error_of(write_safetensors(
                     "eb_st_range", R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                     std::string(8, '\0')))
            .find("outside the data section") != std::string::npos);
  CHECK(error_of(write_safetensors(
                     "eb_st_size", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})",
                     std::string(16, '\0')))
            .find("does not match dtype and shape") != std::string::npos);
  CHECK(error_of(write_safetensors("eb_st_dtype",
                                   R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})",
                                   std::string(1, '\0')))
            .find("unknown dtype Q4") != std::string::npos);
  CHECK(error_of(write_safetensors("eb_st_fields", R"({"a":{"dtype":"F32"}})", ""))
            .find("malformed header entry") != std::string::npos);
  // Header length pointing past the end of the file.
  const fs::path path = fs::temp_directory_path() / "eb_st_short";
  std::ofstream(path, std::ios::binary) << std::string("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10);
  CHECK(error_of(path.string()).find("exceeds the file") != std::string::npos);
}

}  // namespace
}  // namespace edgebert::test
