// A distillation student that starts as its teacher made smaller (structured pruning, as
// Minitron prunes before it distils): the student's layers picked evenly from the teacher's, and
// where the student is narrower, the teacher's most important hidden channels, attention heads
// and feed-forward neurons kept (their weights copied, every other one dropped). Importance is
// read from the weights, without data:
//   - hidden channel c: sum over the kept LayerNorms (embeddings, and per kept layer attention
//     output and output) of gamma_c^2 + beta_c^2, the mean square of that LayerNorm's output
//     channel c when its normalised input has unit variance (every layer reads the residual
//     stream through one of them);
//   - head h of a layer: ||V_h||_F x ||O_:,h||_F, its value rows and attention-output columns
//     over the kept channels (what its context can add to the stream);
//   - feed-forward neuron j of a layer: ||W_in[j, :]|| x ||W_out[:, j]|| over the kept channels.
// Kept indices stay in the teacher's order. The LayerNorms then normalise over the kept
// channels only, so a student narrower than its teacher starts close to it, not equal: the
// distillation that follows recovers the rest. A student of the teacher's widths is the
// teacher truncated (DistilBERT's start), bit for bit.
#ifndef EDGEBERT_CONVERTER_TRAINER_PRUNE_H_
#define EDGEBERT_CONVERTER_TRAINER_PRUNE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgebert_generated.h"

namespace edgebert::convert {

struct StudentShape {
  uint32_t layers = 0, hidden = 0, heads = 0, intermediate = 0;
  // The source layers student layers 0, 1, ... start from, increasing; empty = evenly spaced
  // (student layer j = source layer j x L_source / layers).
  std::vector<uint32_t> from_layers;
};

// "" when `source` (named `what` in the reasons) can start a student of `shape`: fp32 weights,
// BERT's tensors only, no factorised embeddings, and the shape no larger than the teacher in any
// dimension; else why not. The student keeps the teacher's head size, so its attention width is
// heads x the teacher's head_dim, which may differ from its hidden size (the runtime and trainer
// run that).
std::string why_not_prunable(const fb::ModelT& source, const StudentShape& shape,
                             const std::string& what = "the teacher");

// The teacher (a copy, consumed) with its encoder and pooler shrunk to `shape` and its task head
// tensors dropped; tokenizer, task and the rest of the model stay. `report` (may be null) gets
// the teacher layers picked and, when narrower, the widths kept of the teacher's. Throws when
// why_not_prunable is not "".
fb::ModelT prune_model(fb::ModelT teacher, const StudentShape& shape, nlohmann::json* report);

// The indices of the `keep` largest scores, in ascending index order (ties: the lower index).
std::vector<uint32_t> top_indices(const std::vector<double>& scores, size_t keep);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_PRUNE_H_
