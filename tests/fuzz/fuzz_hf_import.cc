// Fuzzes the Hugging Face importer: the input is a checkpoint folder written as
//   config.json bytes  SEP  model.safetensors bytes  SEP  tokenizer bytes   (SEP = kSeparator)
// (a missing part = a missing file); the tokenizer part is tokenizer.json (byte-level BPE,
// Unigram) when it starts with '{', sentencepiece.bpe.model (XLM-R's, with a tokenizer_config.json
// naming XLMRobertaTokenizer) when it starts with 0x0A (a protobuf ModelProto's first piece),
// else vocab.txt (WordPiece). Seeds cover BERT, DistilBERT, RoBERTa, XLM-R and ELECTRA small. The safetensors bytes are also parsed from memory and every
// tensor read. import_hf must throw std::runtime_error with a message or return a model; a model
// it returns must pack into a file the runtime loads. Any other exception, crash or sanitizer
// report is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hf_import.h"
#include "model_file.h"
#include "safetensors.h"

namespace fs = std::filesystem;
namespace convert = edgebert::convert;

namespace {

constexpr std::string_view kSeparator = "\n#=====#\n";
fs::path* folder = nullptr;

void write_part(const char* name, std::string_view bytes, bool present) {
  const fs::path path = *folder / name;
  if (!present) {
    fs::remove(path);
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char pattern[] = "/tmp/edgebert-fuzz-hf-XXXXXX";
  if (mkdtemp(pattern) == nullptr) std::abort();
  folder = new fs::path(pattern);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  bool present[3] = {false, false, false};
  size_t start = 0;
  for (int i = 0; i < 3 && start <= input.size(); ++i) {
    const size_t end = i < 2 ? input.find(kSeparator, start) : std::string_view::npos;
    parts[i] = input.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    present[i] = true;
    if (end == std::string_view::npos) break;
    start = end + kSeparator.size();
  }

  // The safetensors reader on its own, from memory.
  convert::AlignedBytes tensors(parts[1].size());
  if (!parts[1].empty()) std::memcpy(tensors.data(), parts[1].data(), parts[1].size());
  try {
    const convert::SafetensorsFile file("fuzz.safetensors", std::move(tensors));
    for (const auto& [name, entry] : file.entries()) {
      try {
        file.read_f32(name);
      } catch (const std::runtime_error&) {
        // integer dtypes etc. are refused by read_f32 with a message
      }
    }
  } catch (const std::runtime_error&) {
  }

  // The whole importer over a folder.
  write_part("config.json", parts[0], present[0]);
  write_part("model.safetensors", parts[1], present[1]);
  const bool json_tokenizer = !parts[2].empty() && parts[2][0] == '{';
  const bool sentencepiece = !parts[2].empty() && parts[2][0] == '\x0A';
  write_part("vocab.txt", parts[2], present[2] && !json_tokenizer && !sentencepiece);
  write_part("tokenizer.json", parts[2], present[2] && json_tokenizer);
  write_part("sentencepiece.bpe.model", parts[2], present[2] && sentencepiece);
  write_part("tokenizer_config.json", "{\"tokenizer_class\": \"XLMRobertaTokenizer\"}",
             present[2] && sentencepiece);
  convert::ImportOptions options;
  options.dir = folder->string();
  edgebert::fb::ModelT model;
  try {
    model = convert::import_hf(options);
  } catch (const std::runtime_error&) {
    return 0;
  }
  // pack_model plans memory and checks the bytes with the runtime loader: an imported model
  // the runtime refuses throws here, and that is a bug of the importer's checks.
  try {
    const convert::AlignedBytes packed = convert::pack_model(model);
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "imported model does not pack: %s\n", e.what());
    std::abort();
  }
  return 0;
}
