// Arena bytes of the converter's memory plan vs the lower bound (the most bytes live at once) and
// vs giving every buffer its own bytes, for BERT-shaped models with text input, one thread.
//   build/bench/edgebert_memory_report [--markdown]
#include <cstdio>
#include <cstring>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "bench_shapes.h"
#include "model_file.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"

namespace convert = edgebert::convert;

int main(int argc, char** argv) {
  const bool markdown = argc > 1 && std::strcmp(argv[1], "--markdown") == 0;

  // A tokenizer makes the plan include text input (encoding + tokenizer scratch).
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (size_t i = vocab.size(); i < 30522; ++i) vocab.push_back("w" + std::to_string(i));
  std::printf(markdown ? "| model | max_seq | plan (head) | lower bound | above bound | every buffer apart | eb_arena_size |\n|---|---:|---:|---:|---:|---:|---:|\n"
                       : "%-18s %7s %12s %12s %8s %14s %14s\n",
              "model", "max_seq", "plan", "bound", "above", "apart", "arena");
  for (const edgebert::bench::NamedShape& s : edgebert::bench::kBenchShapes) {
    for (uint32_t max_seq : {128u, 512u}) {
      edgebert::fb::ModelT spec = convert::random_bert(s.shape, 1);
      spec.config->max_seq = max_seq;
      spec.tokenizer = convert::make_tokenizer(vocab, vocab.size(), {}, "vocab");
      const auto bytes = convert::pack_model(spec);
      const auto* plan = edgebert::fb::GetModel(bytes.data())->memory_plan();
      uint64_t apart = 0;
      for (const auto* b : *plan->buffers()) apart += b->size();
      edgebert::Model model;
      if (model.init(bytes.data(), bytes.size()) != EB_OK) return 1;
      const double above = 100.0 * (double(plan->head_bytes()) - double(plan->lower_bound())) /
                           double(plan->lower_bound());
      std::printf(markdown ? "| %s | %u | %llu | %llu | %.2f%% | %llu | %zu |\n"
                           : "%-18s %7u %12llu %12llu %7.2f%% %14llu %14zu\n",
                  s.title, max_seq, static_cast<unsigned long long>(plan->head_bytes()),
                  static_cast<unsigned long long>(plan->lower_bound()), above,
                  static_cast<unsigned long long>(apart), model.arena_size());
    }
  }
  return 0;
}
