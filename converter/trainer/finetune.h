// `edgebert-convert finetune`: a classification head trained on TSV/CSV data (label, text
// [, text_b]) on top of an fp32 model — our own pretraining output (.ebm) or a Hugging Face
// checkpoint folder imported on the fly — with dev evaluation every N steps, keep-the-best, and
// the best (or final) model written as an fp32 .ebm with its label names.
#ifndef EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_
#define EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trainer/loop.h"

namespace edgebert::convert {

struct FinetuneOptions {
  std::string init;        // .ebm file or Hugging Face checkpoint folder
  std::string train_path;  // labelled TSV/CSV
  std::string dev_path;    // "" = no evaluation (the final model is written)
  std::string output;      // .ebm
  uint32_t max_seq = 128;
  size_t batch = 32;
  double epochs = 3;       // used when steps == 0
  size_t steps = 0;
  double warmup_ratio = 0.1;
  double lr = 5e-5, weight_decay = 0.01, clip = 1.0, dropout = 0.1;
  uint64_t seed = 42;
  size_t eval_every = 0;   // 0: once per epoch
  size_t checkpoint_every = 500;
  std::string resume;      // checkpoint to resume from
  std::string checkpoint;  // default: <output>.ckpt
  std::string log_prefix;  // default: <output without .ebm>.log -> .csv/.svg
  size_t stop_after = 0;   // testing: stop with a checkpoint after this step
  size_t limit = 0;        // use only the first N training examples (0 = all)
  std::vector<std::string> label_names;  // names stored in the model for the sorted labels
  bool quiet = false;
};

// Runs the fine-tuning; returns a report (examples, steps, best dev accuracy, time, tokens/s).
nlohmann::json finetune(const FinetuneOptions& options);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_
