// Fuzzes the finetune task readers: the CoNLL reader (first byte even) and the SQuAD JSON reader
// (odd) on the rest of the bytes. Any bytes give data or a std::runtime_error naming the file;
// what they give keeps the readers' promises (a label per word; each answer's bytes are at its
// offset in the context), and the task measures hold their identities on it (a tagging scored
// against itself finds every entity; an answer scored against itself is an exact match).
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "task_data.h"

namespace {

using namespace edgebert::convert;

// out = parse(); false if it threw the readers' error, which must name `file` (else abort).
template <typename T, typename Parse>
bool parsed(T* out, const Parse& parse, const std::string& file) {
  try {
    *out = parse();
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind(file, 0) != 0) std::abort();
    return false;
  }
  return true;
}

void check_conll(const std::string& text) {
  std::vector<TaggedSentence> sentences;
  if (!parsed(&sentences, [&] { return parse_conll_text(text, "fuzz.conll"); }, "fuzz.conll")) {
    return;
  }
  std::vector<std::vector<std::string>> labels;
  for (const TaggedSentence& s : sentences) {
    if (s.words.empty() || s.words.size() != s.labels.size() || s.line == 0) std::abort();
    for (const std::string& w : s.words) {
      if (w.empty()) std::abort();
    }
    labels.push_back(s.labels);
  }
  const EntityScores same = entity_scores(labels, labels);
  if (same.correct != same.gold || same.gold != same.predicted) std::abort();
  if (same.gold > 0 && same.f1 != 1.0) std::abort();
}

void check_squad(const std::string& text) {
  std::vector<QaExample> examples;
  if (!parsed(&examples, [&] { return parse_squad_text(text, "fuzz.json"); }, "fuzz.json")) return;
  for (const QaExample& e : examples) {
    if (e.question.empty() || e.context.empty()) std::abort();
    if (e.impossible != e.answers.empty()) std::abort();
    for (const QaAnswer& a : e.answers) {
      if (a.start > e.context.size() || e.context.compare(a.start, a.text.size(), a.text) != 0) {
        std::abort();
      }
      if (squad_exact_match(a.text, e.answers) != 1.0 || squad_f1(a.text, e.answers) != 1.0) {
        std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_conll(text);
  } else {
    check_squad(text);
  }
  return 0;
}
