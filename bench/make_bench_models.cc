// Writes the benchmark models: BERT-base (12/768), MiniLM-L6 (6/384) and BERT-Mini (4/256)
// shapes with seeded random weights, the bert-base-uncased tokenizer (from the test fixtures),
// max_seq 384 (question answering's window), as fp32, int8 (per-channel, dynamic), int8w7 (the
// same with 7-bit weights) and int8static (per-tensor, calibrated: the XNNPACK provider's int8)
// .ebm files:
//   build/bench/edgebert_make_bench_models OUT_DIR [NAME...]
// NAME (e.g. bert-mini-int8) writes only those files (scripts/bench_on_device.sh copies a few).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_shapes.h"
#include "calibrate.h"
#include "labelled_data.h"
#include "model_file.h"
#include "quantize.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"

namespace convert = edgebert::convert;

int main(int argc, char** argv) {
  const char* const kinds[] = {"fp32", "int8", "int8w7", "int8static"};
  std::vector<std::string> names;  // every file this program can write
  for (const edgebert::bench::NamedShape& s : edgebert::bench::kBenchShapes) {
    for (const char* kind : kinds) names.push_back(std::string(s.file_name) + "-" + kind);
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fprintf(stderr,
                 "usage: %s OUT_DIR [NAME...]\nwrites OUT_DIR/NAME.ebm for every NAME (default "
                 "all):", argv[0]);
    for (const std::string& n : names) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, "\n");
    return argc < 2 ? 2 : 0;
  }
  const std::vector<std::string> wanted(argv + 2, argv + argc);
  for (const std::string& w : wanted) {
    if (std::find(names.begin(), names.end(), w) == names.end()) {
      std::fprintf(stderr, "error: no model named %s (see --help)\n", w.c_str());
      return 2;
    }
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  const auto vocab =
      convert::read_vocab_file(std::string(EB_FIXTURES_DIR) + "/tokenizer/uncased-vocab.txt");
  try {
    const std::vector<convert::Example> calibration_texts =
        convert::read_labelled_file(std::string(EB_FIXTURES_DIR) + "/sst2_dev_sample.tsv");
    for (const edgebert::bench::NamedShape& s : edgebert::bench::kBenchShapes) {
      for (const char* kind : kinds) {
        const std::string k = kind, name = std::string(s.file_name) + "-" + k;
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) {
          continue;
        }
        edgebert::fb::ModelT model = convert::random_bert(s.shape, 42);
        model.config->max_seq = 384;
        model.tokenizer = convert::make_tokenizer(vocab, vocab.size(), {}, "uncased-vocab.txt");
        if (k == "int8") convert::quantize_model(model);
        if (k == "int8w7") convert::quantize_model(model, 7);  // the fast AVX2 GEMM's weights
        if (k == "int8static") {  // for the XNNPACK provider, calibrated on the SST-2 sample
          const convert::Calibration calibration =
              convert::calibrate(convert::pack_model(model), calibration_texts, 64);
          convert::quantize_model(model, 8, &calibration);
        }
        const std::string path = (out / (name + ".ebm")).string();
        const size_t bytes = convert::save_model(model, path);
        std::printf("%s: %zu bytes\n", path.c_str(), bytes);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
