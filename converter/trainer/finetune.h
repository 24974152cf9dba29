// `edgebert-convert finetune`: a task head (trainer/finetune_tasks.h: sequence classification,
// regression, multi-label, token classification, question answering) trained on the user's data
// on top of an fp32 model — our own pretraining output (.ebm) or a Hugging Face checkpoint
// folder imported on the fly — with dev evaluation every N steps, keep-the-best by the task's
// measure, and the best (or final) model written as an fp32 .ebm with its task and labels.
#ifndef EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_
#define EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "trainer/finetune_tasks.h"
#include "trainer/loop.h"

namespace edgebert::convert {

struct FinetuneOptions {
  std::string init;        // .ebm file or Hugging Face checkpoint folder
  std::optional<FinetuneTask> task;  // none: what --init was trained for, else classification
  std::string train_path;  // the task's data (finetune_tasks.h)
  std::string dev_path;    // "" = no evaluation (the final model is written)
  uint32_t doc_stride = 0;  // question answering windows; 0 = min(max_seq / 2, 128)
  uint32_t max_seq = 128;
  size_t batch = 32;
  double epochs = 3;       // used when steps == 0
  size_t steps = 0;
  size_t limit = 0;        // use only the first N training examples (0 = all)
  std::vector<std::string> label_names;  // names stored in the model for the sorted labels
  TrainingOptions training{5e-5, 0.1, 0};  // eval_every 0: once per epoch
};

// Runs the fine-tuning; returns a report (task, examples, steps, best dev measure and its
// details, time, tokens/s).
nlohmann::json finetune(const FinetuneOptions& options);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_FINETUNE_H_
