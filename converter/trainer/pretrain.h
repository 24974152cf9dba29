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

namespace edgebert::convert {

struct PretrainOptions {
  std::vector<std::string> corpus;
  std::string vocab, output;
  bool lowercase = true;
  uint32_t layers = 4, hidden = 256, heads = 4, intermediate = 1024, max_seq = 128;
  size_t batch = 32, steps = 10000;
  double warmup_ratio = 0.02, lr = 5e-4, weight_decay = 0.01, clip = 1.0, dropout = 0.1;
  uint64_t seed = 42;
  size_t holdout_every = 50;  // every Nth paragraph is held out for evaluation
  size_t eval_batches = 16;   // held-out batches (of --batch pairs) per evaluation
  size_t eval_every = 1000, checkpoint_every = 500;
  std::string resume, checkpoint, log_prefix;
  size_t stop_after = 0;
  bool quiet = false;
};

nlohmann::json pretrain(const PretrainOptions& options);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_PRETRAIN_H_
