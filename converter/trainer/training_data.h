// Training data for the trainer: tokenized sequences, seeded epoch shuffling, padded batches,
// evaluation over a set, and the pretraining example generator (BERT's MLM + NSP recipe).
#ifndef EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_
#define EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "edgebert_internal/tokenizer.h"
#include "host_session.h"
#include "trainer/bert_model.h"

namespace edgebert::convert {

// One input: [CLS] a [SEP] (b [SEP]) ids with token types, and what it is trained towards (the
// objective's field; the others stay empty or -1).
struct Sequence {
  std::vector<int32_t> ids, types;
  int32_t label = -1;                  // single-label class
  std::vector<float> targets;          // regression value, or multi-hot labels
  std::vector<int32_t> token_labels;   // per token, -1 = none (Tokens)
  int32_t span_start = -1, span_end = -1;  // answer tokens (Spans); -1 = no span
  std::vector<float> teacher_logits;   // distillation: a teacher's logits for this input
};

// The device tokenizer of a model over whole texts with no length limit (a question answering
// context read in windows, the words of a tagged sentence one by one): the runtime's own
// tokenize_text over the model's tables, so training sees the tokens inference will.
class TextTokenizer {
 public:
  explicit TextTokenizer(const AlignedBytes& model_bytes);  // a model eb_model_init accepted
  // Tokens of `text` without special tokens, byte offsets into it.
  std::vector<Token> tokens(const std::string& text) const;
  int32_t cls_id() const { return tables_.cls_id; }
  int32_t sep_id() const { return tables_.sep_id; }

 private:
  TokenizerTables tables_{};
  std::vector<uint64_t> scratch_memory_;
  TokenizerScratch scratch_{};
};

// Tokenizes text (and text_b) with the model's device tokenizer, truncated to the session's
// max_seq; throws "where: message" on error.
Sequence tokenize_pair(HostSession& session, const std::string& text, const std::string* text_b,
                       const std::string& where);

// Pads sequences[indices] to the longest of them (id 0, mask 0, token label -1) into a batch,
// with every objective's targets; the teacher logits become the batch's soft_logits when the
// sequences have them (all or none of them: a mix throws).
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

// Runs `model` over `set` in batches of similar length (the order evaluate_sequences uses); after
// each forward pass visit(batch, indices) reads the model's outputs, row b being set[indices[b]].
void forward_batches(train::BertModel<float>& model, const std::vector<Sequence>& set,
                     size_t batch,
                     const std::function<void(const train::Batch&, const std::vector<size_t>&)>& visit);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_TRAINING_DATA_H_
