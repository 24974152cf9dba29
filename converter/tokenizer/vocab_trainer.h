// `edgebert-convert vocab`: learns a WordPiece vocabulary from text files.
//
// Algorithm (what Hugging Face tokenizers' WordPieceTrainer does, which is BPE with a "##"
// continuation prefix):
//   1. Split every line of the corpus into words with the device tokenizer's own pipeline
//      (scan_words: clean text, CJK split, accent stripping, lowercasing, punctuation split), so
//      training sees exactly the words the device will see; count each distinct word.
//   2. Alphabet: the characters of those words, the `limit_alphabet` most frequent kept; a word's
//      first character is a piece "c", a later one a continuation "##c". Words with a dropped
//      character are left out (they become [UNK] on the device).
//   3. Repeatedly merge the most frequent adjacent pair of pieces, weighted by word counts
//      ("a" + "##b" -> "ab", "##a" + "##b" -> "##ab"; ties: smaller piece ids first, so runs are
//      deterministic), until the vocabulary has `vocab_size` entries or no pair occurs
//      `min_frequency` times. Pair counts are updated incrementally; a max-heap with lazy
//      invalidation picks the next merge.
//   4. vocab.txt order: special tokens, then the alphabet (code point order, initial pieces
//      before continuations), then merged pieces in merge order.
#ifndef EDGEBERT_CONVERTER_TOKENIZER_VOCAB_TRAINER_H_
#define EDGEBERT_CONVERTER_TOKENIZER_VOCAB_TRAINER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "tokenizer/vocab_file.h"

namespace edgebert::convert {

struct VocabTrainerOptions {
  std::vector<std::string> corpus_files;  // UTF-8 text, one text per line
  size_t vocab_size = 30522;
  size_t min_frequency = 2;
  size_t limit_alphabet = 1000;
  TokenizerOptions normalization;  // lowercase / strip_accents / CJK split, as the model will use
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  bool progress = true;            // progress bars on stderr
};

struct VocabTrainerReport {
  size_t lines = 0, words = 0, distinct_words = 0, alphabet = 0, merges = 0;
  size_t skipped_words = 0;  // distinct words with a character outside the alphabet
  double seconds = 0;
};

// Returns the vocabulary (vocab.txt lines); throws std::runtime_error for unreadable files or a
// vocab_size smaller than the special tokens.
std::vector<std::string> train_wordpiece_vocab(const VocabTrainerOptions& options,
                                               VocabTrainerReport* report = nullptr);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TOKENIZER_VOCAB_TRAINER_H_
