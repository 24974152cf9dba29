// Training data for the trainer: tokenized sequences, seeded epoch shuffling, padded batches,
// evaluation over a set, and the pretraining example generator (BERT's MLM + NSP recipe).
#ifndef EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_
#define EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host_session.h"
#include "trainer/bert_model.h"

namespace edgebert::convert {

// One input: [CLS] a [SEP] (b [SEP]) ids with token types, and its label.
struct Sequence {
  std::vector<int32_t> ids, types;
  int32_t label = -1;
};

// Tokenizes text (and text_b) with the model's device tokenizer, truncated to the session's
// max_seq; throws "where: message" on error.
Sequence tokenize_pair(HostSession& session, const std::string& text, const std::string* text_b,
                       const std::string& where);

// Pads sequences[indices] to the longest of them (id 0, mask 0) into a batch.
train::Batch make_batch(const std::vector<Sequence>& sequences,
                        const std::vector<size_t>& indices);

// Batches of a shuffled order that is a function of (seed, epoch) only: batch_indices(step)
// needs no state, so a resumed run sees the same batches. Length grouping (as Hugging Face's
// group_by_length): the shuffled examples are cut into chunks of 64 batches, each chunk sorted by
// length and cut into batches, and the batches shuffled again, so a batch holds similar lengths
// and dynamic padding wastes little. One short batch per epoch when the count does not divide.
class EpochSampler {
 public:
  EpochSampler(std::vector<size_t> lengths, size_t batch, uint64_t seed);
  size_t steps_per_epoch() const { return steps_per_epoch_; }
  std::vector<size_t> batch_indices(size_t step);

 private:
  std::vector<size_t> lengths_;
  size_t batch_, steps_per_epoch_;
  uint64_t seed_;
  size_t cached_epoch_ = static_cast<size_t>(-1);
  std::vector<std::vector<size_t>> batches_;  // of the cached epoch
};

struct EvalTotals {
  double loss = 0, seq_accuracy = 0;
  size_t examples = 0;
};

// Mean loss and accuracy of `model` (dropout off) over labelled sequences, in batches of
// similar length.
EvalTotals evaluate_sequences(train::BertModel<float>& model, const std::vector<Sequence>& set,
                              size_t batch);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_
