// Fuzzes the TSV/CSV reader of labelled examples (eval, finetune): any bytes give examples or a
// std::runtime_error naming file:line; examples keep the reader's promises.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "labelled_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<edgebert::convert::Example> examples;
  try {
    examples = edgebert::convert::parse_labelled_text(text, "fuzz.tsv");
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind("fuzz.tsv", 0) != 0) std::abort();  // must name the file
    return 0;
  }
  if (examples.empty()) std::abort();
  size_t previous_line = 0;
  const std::vector<std::string> names = {"negative", "positive"};
  for (const auto& e : examples) {
    if (e.label.empty() || e.line <= previous_line) std::abort();
    previous_line = e.line;
    try {
      edgebert::convert::label_index(e.label, names, "fuzz.tsv:" + std::to_string(e.line));
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}
