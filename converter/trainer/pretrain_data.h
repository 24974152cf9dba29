// Pretraining data, as in the BERT paper: corpus files -> paragraphs -> sentences -> token ids;
// then, per step, sentence pairs [CLS] A [SEP] B [SEP] (B the true next sentence of A's paragraph
// half of the time, else a random sentence of another paragraph) with BERT's masking: 15% of the
// non-special tokens chosen, of those 80% -> [MASK], 10% -> a random token, 10% unchanged.
#ifndef EDGEBERT_CONVERTER_TRAINER_PRETRAIN_DATA_H_
#define EDGEBERT_CONVERTER_TRAINER_PRETRAIN_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host_session.h"
#include "trainer/bert_model.h"

namespace edgebert::convert {

// Paragraphs of a text file: runs of non-blank lines joined by spaces (one line per paragraph,
// as WikiText, works too); WikiText headings (" = Title = ") dropped and its escapes undone
// ("@-@" -> "-", "<unk>" -> "[UNK]").
std::vector<std::string> read_paragraphs(const std::string& path);

// Sentences of a paragraph: split after . ! ? (and closing quotes/brackets) followed by a space
// and an upper-case letter, digit or opening quote, except after common abbreviations (Mr.,
// Mrs., Dr., St., ...) and single-letter initials.
std::vector<std::string> split_sentences(const std::string& paragraph);

struct TokenizedCorpus {
  // Sentences as WordPiece ids without specials, grouped by paragraph.
  std::vector<std::vector<std::vector<int32_t>>> paragraphs;
  size_t sentences = 0, tokens = 0;
};

// Reads, splits and tokenizes corpus files (with a progress bar unless quiet). Paragraphs whose
// index % holdout_every == holdout_every - 1 go to *held_out (holdout_every 0: none).
TokenizedCorpus tokenize_corpus(HostSession& session, const std::vector<std::string>& files,
                                size_t holdout_every, TokenizedCorpus* held_out, bool quiet);

struct SpecialIds {
  int32_t cls = 0, sep = 0, mask = 0, pad = 0;
  int32_t vocab = 0;  // random replacements are drawn from [0, vocab), specials excluded
  std::vector<int32_t> specials;
  // By id: 1 for a piece that continues a word ("##ing"); whole-word masking needs it.
  std::vector<uint8_t> continues_word;
};

// How pairs are made and masked.
//   pack = false: A is one sentence, B the next one of its paragraph or a random sentence.
//   pack = true (BERT's create_pretraining_data): from a random sentence, consecutive sentences
//     of its paragraph are gathered until they fill max_seq - 3 tokens (a random shorter target
//     with probability short_seq_prob), cut at a random sentence boundary into A and B; B is
//     replaced, half of the time (always when only one sentence was gathered), by consecutive
//     sentences of another paragraph filling the rest; the longer side is then trimmed at a
//     random end until the pair fits.
//   whole_word: the 15% are drawn as whole words (a piece and the "##" pieces after it, never
//     more than the 15% budget), each piece then 80/10/10 as usual (BERT's --do_whole_word_mask).
struct PairRecipe {
  bool pack = false;
  bool whole_word = false;
  double short_seq_prob = 0.1;
};

// BERT's pair + masking recipe for one batch; a pure function of (corpus, seed, step), so a
// resumed run regenerates the same batches, and each epoch's pairs get fresh masks. Needs at
// least two paragraphs, one of them with two sentences. NSP label: 0 = B follows A, 1 = B is
// random (Hugging Face's convention).
train::Batch pretraining_batch(const TokenizedCorpus& corpus, const SpecialIds& ids,
                               size_t batch, size_t max_seq, uint64_t seed, uint64_t step,
                               const PairRecipe& recipe = {});

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_PRETRAIN_DATA_H_
