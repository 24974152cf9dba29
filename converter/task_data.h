// Training and evaluation data of the tasks beyond sequence classification, as users have it:
//   - token classification, CoNLL style: one word per line with its label in the last column
//     (word<TAB>label; CoNLL-2003's "word POS chunk NER" with spaces works too), a blank line
//     between sentences, "-DOCSTART-" lines skipped;
//   - extractive question answering, SQuAD JSON (v1.1, and v2.0 with is_impossible): the
//     answers' character offsets (Python code points) turned into byte offsets of the context
//     and checked against the answer text.
// Bad input is an error naming file:line (CoNLL) or the JSON path and question id (SQuAD),
// never skipped silently.
#ifndef EDGEBERT_CONVERTER_TASK_DATA_H_
#define EDGEBERT_CONVERTER_TASK_DATA_H_

#include <cstddef>
#include <string>
#include <vector>

namespace edgebert::convert {

struct TaggedSentence {
  std::vector<std::string> words, labels;  // one label per word
  size_t line = 0;                         // 1-based line of the first word
};

std::vector<TaggedSentence> read_conll_file(const std::string& path);
// Same, from the file's contents; `name` stands for the path in messages.
std::vector<TaggedSentence> parse_conll_text(const std::string& text, const std::string& name);

struct QaAnswer {
  std::string text;
  size_t start = 0;  // byte offset in the context (the file's answer_start is in code points)
};

struct QaExample {
  std::string id, question, context;
  std::vector<QaAnswer> answers;  // training uses the first; evaluation scores against all
  bool impossible = false;        // SQuAD 2.0: no answer in the context
};

std::vector<QaExample> read_squad_file(const std::string& path);
std::vector<QaExample> parse_squad_text(const std::string& text, const std::string& name);

// SQuAD's official scores of one prediction against the gold answers (the best over them):
// exact match and token F1 after lowercasing and removing punctuation, articles (a, an, the) and
// extra whitespace. No gold answers (impossible): 1 if the prediction is empty, else 0.
double squad_exact_match(const std::string& prediction, const std::vector<QaAnswer>& golds);
double squad_f1(const std::string& prediction, const std::vector<QaAnswer>& golds);

// Entity-level precision / recall / F1 of predicted against gold label sequences, the way
// seqeval (conlleval) chunks IOB / IOBES labels: a chunk starts at B- / S-, at an I- / E- after
// O or after another type; a label without a prefix counts as I- of itself; "O" is outside.
struct EntityScores {
  double precision = 0, recall = 0, f1 = 0;
  size_t gold = 0, predicted = 0, correct = 0;
};
EntityScores entity_scores(const std::vector<std::vector<std::string>>& gold,
                           const std::vector<std::vector<std::string>>& predicted);

// Whether labels look like entity tags (some start with B-, I-, E- or S-): then entity F1 is the
// measure of a tagger, else token accuracy.
bool labels_are_entity_tags(const std::vector<std::string>& labels);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TASK_DATA_H_
