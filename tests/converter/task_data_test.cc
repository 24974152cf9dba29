// The task data readers (CoNLL, SQuAD JSON) and the task measures (SQuAD exact match / F1,
// conlleval entity F1): formats as users have them, errors that say where.
#include "task_data.h"

#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace edgebert::convert {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("CoNLL: word<TAB>label and CoNLL-2003 columns, -DOCSTART-, blank lines, CRLF") {
  const auto s = parse_conll_text(
      "-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\n"
      "Peter\tB-PER\r\nBlackburn\tI-PER\r\n",
      "x.conll");
  REQUIRE(s.size() == 2);
  CHECK(s[0].words == std::vector<std::string>{"EU", "rejects"});
  CHECK(s[0].labels == std::vector<std::string>{"B-ORG", "O"});
  CHECK(s[0].line == 3);
  CHECK(s[1].words == std::vector<std::string>{"Peter", "Blackburn"});
  CHECK(s[1].labels == std::vector<std::string>{"B-PER", "I-PER"});
  CHECK(s[1].line == 7);
  CHECK(error_of([] { parse_conll_text("a\tO\nlonely\n", "y.conll"); })
            .find("y.conll:2: expected a word and its label") == 0);
  CHECK(error_of([] { parse_conll_text("\n\n", "z.conll"); }) == "z.conll: no sentences");
}

TEST_CASE("SQuAD: code-point answer_start -> byte offsets, v2.0 impossible, errors name the path") {
  // "é", "ï" and "à" are two bytes each: character 19 ("P") is byte 22.
  const std::string json = R"({"data": [{"paragraphs": [{"context": "Le café naïf est à Paris.",
      "qas": [{"id": "a", "question": "Où?", "answers": [{"text": "Paris", "answer_start": 19}]},
              {"id": "b", "question": "Qui?", "answers": [], "is_impossible": true}]}]}]})";
  const auto e = parse_squad_text(json, "s.json");
  REQUIRE(e.size() == 2);
  CHECK(e[0].answers.size() == 1);
  CHECK(e[0].answers[0].start == 22);  // bytes: é, ï and à are two each, before "Paris"
  CHECK(e[0].context.substr(22, 5) == "Paris");
  CHECK(e[1].impossible);
  CHECK(e[1].answers.empty());
  CHECK(error_of([] { parse_squad_text("{\"data\": [{}]}", "s.json"); }) ==
        "s.json: data[0]: missing \"paragraphs\"");
  CHECK(error_of([] {
          parse_squad_text(R"({"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "q",
            "question": "x", "answers": [{"text": "b", "answer_start": 0}]}]}]}]})", "s.json");
        }) == "s.json: data[0].paragraphs[0].qas[0] (id q).answers[0]: \"b\" is not at character 0 "
              "of the context");
  CHECK(error_of([] {
          parse_squad_text(R"({"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "q",
            "question": "x", "answers": []}]}]}]})", "s.json");
        }).find("no answers (and not is_impossible)") != std::string::npos);
  CHECK(error_of([] { parse_squad_text("not json", "s.json"); }).find("s.json: not JSON") == 0);
}

TEST_CASE("SQuAD measures: normalization (case, punctuation, articles, spaces), best over golds") {
  const std::vector<QaAnswer> golds = {{"The Eiffel Tower", 0}, {"Eiffel tower!", 0}};
  CHECK(squad_exact_match("eiffel  Tower", golds) == 1.0);
  CHECK(squad_exact_match("Eiffel", golds) == 0.0);
  // "eiffel" vs "eiffel tower": precision 1, recall 1/2 -> F1 2/3
  CHECK(squad_f1("Eiffel", golds) == doctest::Approx(2.0 / 3.0));
  CHECK(squad_f1("the tower in Paris", golds) == doctest::Approx(2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5)));
  CHECK(squad_exact_match("", {}) == 1.0);  // impossible question, empty answer
  CHECK(squad_f1("Paris", {}) == 0.0);
}

TEST_CASE("Entity F1 chunks IOB / IOBES as conlleval (and seqeval's default mode) do") {
  using Tags = std::vector<std::vector<std::string>>;
  // I- after O starts a chunk; a type change ends one; E-/S- close.
  const Tags gold = {{"B-PER", "I-PER", "O", "B-LOC"}, {"I-ORG", "I-ORG", "B-MISC", "I-LOC"}};
  const Tags pred = {{"B-PER", "I-PER", "O", "B-ORG"}, {"B-ORG", "I-ORG", "B-MISC", "O"}};
  const EntityScores s = entity_scores(gold, pred);
  // gold chunks: PER[0,2) LOC[3,4) | ORG[0,2) MISC[2,3) LOC[3,4); predicted: PER ORG | ORG MISC
  CHECK(s.gold == 5);
  CHECK(s.predicted == 4);
  CHECK(s.correct == 3);
  CHECK(s.precision == doctest::Approx(0.75));
  CHECK(s.recall == doctest::Approx(0.6));
  CHECK(s.f1 == doctest::Approx(2 * 0.75 * 0.6 / 1.35));
  const EntityScores iobes = entity_scores({{"S-PER", "B-LOC", "E-LOC", "S-LOC"}},
                                           {{"S-PER", "B-LOC", "E-LOC", "B-LOC"}});
  CHECK(iobes.gold == 3);
  CHECK(iobes.correct == 3);  // the trailing B-LOC is the chunk [3, 4) too
  CHECK(labels_are_entity_tags({"O", "B-PER"}));
  CHECK_FALSE(labels_are_entity_tags({"NOUN", "VERB"}));
}

}  // namespace
}  // namespace edgebert::convert
