// `edgebert-convert distill`: a small student classifier trained on a fine-tuned teacher's soft
// labels (knowledge distillation, Hinton et al. 2015, as DistilBERT trains its student):
//   loss = hard_weight x CE(labels) + (1 - hard_weight) x T^2 x KL(softmax(teacher / T) ||
//          softmax(student / T))
// over the labelled training data and, as augmentation, over unlabeled text the teacher labels
// (soft term only). The teacher is any classifier the runtime runs (.ebm fp32 or int8, or a
// Hugging Face folder); its logits are computed once, by the device runtime, and cached in a
// file keyed by the teacher's bytes, max_seq and the texts, so a second run (another student,
// another temperature) reads them back.
//
// The student: --student S.ebm (or folder) to start from (its encoder; a fresh classifier of the
// teacher's outputs), or a new shape (--layers --hidden --heads --intermediate) with the
// teacher's tokenizer; when the teacher is fp32 and the shape no larger than it in any
// dimension, it starts as the teacher made smaller (trainer/prune.h): layers picked
// evenly (student layer j = teacher layer j x L_teacher / L_student, DistilBERT's
// every-other-layer for half the depth) and, where narrower, the teacher's most important hidden
// channels, heads and feed-forward neurons kept (--prune-from: from another model instead, e.g.
// a larger student distilled before, pruning in steps); else BERT's random initialisation.
//
// Labels: the sorted training labels map to the teacher's outputs in order (as `finetune`
// stores them); the report gives the teacher's accuracy on the labelled data under that mapping
// as the check, and a warning when it is near chance.
#ifndef EDGEBERT_CONVERTER_TRAINER_DISTILL_H_
#define EDGEBERT_CONVERTER_TRAINER_DISTILL_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trainer/loop.h"

namespace edgebert::convert {

struct DistillOptions {
  std::string teacher;  // classifier: .ebm or Hugging Face folder
  std::string student;  // "" = a new student of the shape below
  std::string prune_from;  // a new student pruned from this fp32 model; "" = the teacher
  // heads 0: hidden / the head size (the teacher's, or --prune-from's, when pruned; else 64).
  uint32_t layers = 4, hidden = 256, heads = 0, intermediate = 1024;
  std::vector<uint32_t> from_layers;   // teacher (or prune_from) layers to start from; {} = evenly
  std::string train_path, dev_path;    // label, text[, text_b]; dev "" = none
  std::vector<std::string> unlabeled;  // text files, one text per non-empty line
  std::string teacher_cache;           // "" = <output>.teacher
  float temperature = 2.0f;
  float hard_weight = 0.5f;  // alpha: the hard labels' share of the loss
  uint32_t max_seq = 128;
  size_t batch = 32;
  double epochs = 3;  // used when steps == 0
  size_t steps = 0;
  size_t limit = 0;           // first N labelled training examples (0 = all)
  size_t unlabeled_limit = 0;  // first N unlabeled texts (0 = all)
  TrainingOptions training{1e-4, 0.1, 0};
};

// Runs the distillation; returns a report (student shape and initialisation, examples, teacher
// accuracy on train and dev, cache hit, steps, best dev accuracy, time).
nlohmann::json distill(const DistillOptions& options);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_DISTILL_H_
