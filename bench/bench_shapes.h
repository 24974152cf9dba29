// The model shapes every benchmark and report uses (bench/peers.py mirrors them for the peers).
#ifndef EDGEBERT_BENCH_BENCH_SHAPES_H_
#define EDGEBERT_BENCH_BENCH_SHAPES_H_

#include "random_model.h"

namespace edgebert::bench {

struct NamedShape {
  const char* file_name;  // bench-models/<file_name>-{fp32,int8}.ebm
  const char* title;
  convert::BertShape shape;
};

// layers, hidden, heads, head_dim, intermediate, vocab, max positions, token types, embedding
// width (0: hidden), labels
inline constexpr NamedShape kBenchShapes[] = {
    {"bert-base", "BERT-base 12/768", {12, 768, 12, 64, 3072, 30522, 512, 2, 0, 2}},
    {"minilm-l6", "MiniLM-L6 6/384", {6, 384, 12, 32, 1536, 30522, 512, 2, 0, 2}},
    {"bert-mini", "BERT-Mini 4/256", {4, 256, 4, 64, 1024, 30522, 512, 2, 0, 2}},
};

}  // namespace edgebert::bench

#endif  // EDGEBERT_BENCH_BENCH_SHAPES_H_
