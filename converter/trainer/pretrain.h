// `edgebert-convert pretrain`: a BERT of any shape trained from scratch with masked LM + next
// sentence prediction on text files (see trainer/pretrain_data.h), on a vocabulary from
// `edgebert-convert vocab` or any vocab.txt. Writes an fp32 encoder .ebm (with its tokenizer) that
// `finetune --init` starts from, plus a checkpoint and the CSV/SVG log; reports MLM and NSP
// accuracy on held-out paragraphs before and after.
#ifndef EDGEBERT_CONVERTER_TRAINER_PRETRAIN_H_
#define EDGEBERT_CONVERTER_TRAINER_PRETRAIN_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trainer/loop.h"
#include "trainer/pretrain_data.h"

namespace edgebert::convert {

struct PretrainOptions {
  std::vector<std::string> corpus;
  std::string vocab;
  bool lowercase = true;
  uint32_t layers = 4, hidden = 256, heads = 4, intermediate = 1024, max_seq = 128;
  size_t batch = 32, steps = 10000;
  size_t holdout_every = 50;  // every Nth paragraph is held out for evaluation
  size_t eval_batches = 16;   // held-out batches (of --batch pairs) per evaluation
  PairRecipe pairs;           // sentence packing, whole-word masking (pretrain_data.h)
  TrainingOptions training{5e-4, 0.02, 1000};
};

nlohmann::json pretrain(const PretrainOptions& options);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_PRETRAIN_H_
