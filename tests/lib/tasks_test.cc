// The task calls against Hugging Face's pipelines: answers, entities, fill-mask tokens and
// cross-encoder scores of random checkpoints with the real uncased vocabulary
// (tests/fixtures/tasks, made by tests/fixtures/make_task_fixtures.py) and of their RoBERTa
// twins with a byte-level BPE tokenizer (tests/fixtures/tasks_roberta, --family roberta), on
// every provider; int8 models within stated agreement; and every refusal.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "quantize.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

using nlohmann::json;

// The fixture folders: BERT heads with WordPiece, RoBERTa heads with byte-level BPE.
const char* const kFamilies[] = {"tasks", "tasks_roberta"};

const json& tasks_reference(const std::string& family = "tasks") {
  static std::map<std::string, json> references;
  json& reference = references[family];
  if (reference.is_null()) {
    reference = json::parse(convert::read_text_file(fixture_path(family + "/reference.json")));
  }
  return reference;
}

// tests/fixtures/<family>/<name> imported (and quantized with 8-bit weights when int8).
convert::AlignedBytes packed_task(const std::string& name, bool int8 = false,
                                  const std::string& family = "tasks") {
  convert::ImportOptions options;
  options.dir = fixture_path(family + "/" + name);
  fb::ModelT model = convert::import_hf(options);
  if (int8) convert::quantize_model(model);
  return convert::pack_model(model);
}

// A model and a session on it at max_seq with the given provider.
struct TaskSession {
  convert::AlignedBytes bytes;
  Model model;
  std::vector<uint8_t> arena;
  Session session;

  TaskSession(const convert::AlignedBytes& packed, uint32_t max_seq,
              eb_provider provider = EB_PROVIDER_AUTO)
      : bytes(packed.size()) {
    std::memcpy(bytes.data(), packed.data(), packed.size());
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    eb_session_options options = eb_session_options_default();
    options.max_seq = max_seq;
    options.provider = provider;
    arena.resize(model.arena_size(options));
    REQUIRE(arena.size() > 0);
    eb_error error;
    REQUIRE_MESSAGE(session.init(model, arena.data(), arena.size(), options, &error) == EB_OK,
                    error.message);
  }
};

// The providers a fp32 model runs on in this build.
std::vector<eb_provider> fp32_providers() {
  std::vector<eb_provider> providers = {EB_PROVIDER_NATIVE};
  if (eb_provider_available(EB_PROVIDER_XNNPACK)) providers.push_back(EB_PROVIDER_XNNPACK);
  return providers;
}

// The pipelines' offsets are Python string (code point) indices; ours are bytes.
uint32_t char_index(const std::string& text, uint32_t byte) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < byte && i < text.size(); ++i) {
    n += (static_cast<uint8_t>(text[i]) & 0xC0) != 0x80;
  }
  return n;
}

bool close(double a, double b, double tolerance = 1e-4) { return std::fabs(a - b) <= tolerance; }

// ---- question answering ----

struct AnswerRun {
  std::vector<eb_answer> answers;
  eb_status status;
  std::string error;
};

AnswerRun answer(Session& session, const json& c) {
  eb_answer_options o = eb_answer_options_default();
  o.top_k = c["top_k"];
  o.max_answer_len = c["max_answer_len"];
  o.handle_impossible_answer = c["handle_impossible_answer"].get<bool>() ? 1 : 0;
  if (!c["doc_stride"].is_null()) o.doc_stride = c["doc_stride"];
  const std::string question = c["question"], context = c["context"];
  AnswerRun run{std::vector<eb_answer>(o.top_k), EB_OK, ""};
  size_t count = 0;
  eb_error error;
  run.status = session.answer(question, context, run.answers.data(), run.answers.size(), &count,
                              o, &error);
  run.answers.resize(run.status == EB_OK ? count : 0);
  if (run.status != EB_OK) run.error = error.message;
  return run;
}

// Whether our answers are the pipeline's: the same spans in the same order, scores to 1e-4.
bool same_answers(const json& c, const std::vector<eb_answer>& ours, std::string* why) {
  const json& want = c["answers"];
  const std::string context = c["context"];
  if (ours.size() != want.size()) {
    *why = std::to_string(ours.size()) + " answers, want " + std::to_string(want.size());
    return false;
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    const uint32_t start = char_index(context, ours[i].start), end = char_index(context, ours[i].end);
    if (start != want[i]["start"] || end != want[i]["end"] ||
        !close(ours[i].score, want[i]["score"])) {
      *why = "answer " + std::to_string(i) + ": [" + std::to_string(start) + ", " +
             std::to_string(end) + ") score " + std::to_string(ours[i].score) + ", want " +
             want[i].dump();
      return false;
    }
  }
  return true;
}

TEST_CASE("Tasks: the imported heads say their task; schema 2 only where needed") {
  struct Expect {
    const char* name;
    eb_task_kind task;
    uint32_t labels;
    eb_problem_type problem;
  } const expected[] = {
      {"qa", EB_TASK_QUESTION_ANSWERING, 0, EB_PROBLEM_SINGLE_LABEL},
      {"tagger", EB_TASK_TOKEN_CLASSIFICATION, 6, EB_PROBLEM_SINGLE_LABEL},
      {"mlm", EB_TASK_MASKED_LM, 0, EB_PROBLEM_SINGLE_LABEL},
      {"reranker", EB_TASK_CLASSIFICATION, 1, EB_PROBLEM_REGRESSION},
  };
  for (const std::string family : kFamilies)
  for (const Expect& e : expected) {
    CAPTURE(family);
    CAPTURE(e.name);
    const convert::AlignedBytes bytes = packed_task(e.name, false, family);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    eb_model_info info;
    eb_model_get_info(model.get(), &info);
    CHECK(info.task == e.task);
    CHECK(info.num_labels == e.labels);
    CHECK(info.problem_type == e.problem);
    CHECK(info.schema_version == (family == "tasks" ? 2u : 3u));  // RoBERTa's positions: 3
    CHECK(info.has_pooler == (e.task == EB_TASK_CLASSIFICATION ? 1 : 0));
  }
  const convert::AlignedBytes tagger = packed_task("tagger");
  Model model;
  REQUIRE(model.init(tagger.data(), tagger.size()) == EB_OK);
  CHECK(std::string(eb_model_label(model.get(), 1)) == "B-PER");
  // A plain classifier stays a schema 1 file that older runtimes read.
  const convert::AlignedBytes classifier = packed_fixture("classifier");
  REQUIRE(model.init(classifier.data(), classifier.size()) == EB_OK);
  eb_model_info info;
  eb_model_get_info(model.get(), &info);
  CHECK(info.schema_version == 1);
}

TEST_CASE("Tasks: token logits of the QA and tagging heads match transformers to 1e-4") {
  for (const std::string family : kFamilies)
  for (const eb_provider provider : fp32_providers()) {
    CAPTURE(family);
    CAPTURE(provider);
    const convert::AlignedBytes qa = packed_task("qa", false, family),
                                tagger = packed_task("tagger", false, family);
    TaskSession q(qa, 128, provider), t(tagger, 128, provider);
    for (const json& c : tasks_reference(family)["logits"]) {
      const std::vector<int32_t> ids = c["ids"];
      const std::vector<float> want_qa = c["qa"], want_tags = c["tagger"];
      REQUIRE(q.session.run(ids.data(), ids.size()) == EB_OK);
      const OutputView logits = q.session.output(EB_OUTPUT_TOKEN_LOGITS);
      REQUIRE(logits.size == 2 * ids.size());
      std::vector<float> ours(2 * ids.size());  // ours (S, 2); transformers' start row, end row
      for (size_t i = 0; i < ids.size(); ++i) {
        ours[i] = logits.data[2 * i];
        ours[ids.size() + i] = logits.data[2 * i + 1];
      }
      CHECK(max_abs_diff(ours.data(), ours.size(), want_qa) < 1e-4);
      REQUIRE(t.session.run(ids.data(), ids.size()) == EB_OK);
      const OutputView tags = t.session.output(EB_OUTPUT_TOKEN_LOGITS);
      CHECK(max_abs_diff(tags.data, tags.size, want_tags) < 1e-4);
      CHECK(t.session.output(EB_OUTPUT_PROBABILITIES).size == tags.size);
    }
  }
}

TEST_CASE("Tasks: answers are the question-answering pipeline's (windows, strides, top-k, no answer)") {
  for (const std::string family : kFamilies)
  for (const eb_provider provider : fp32_providers()) {
    CAPTURE(family);
    CAPTURE(provider);
    const convert::AlignedBytes qa = packed_task("qa", false, family);
    std::map<uint32_t, std::unique_ptr<TaskSession>> sessions;  // by max_seq
    size_t same = 0, windows = 0;
    const json& cases = tasks_reference(family)["answer"];
    for (const json& c : cases) {
      const uint32_t max_seq = c["max_seq"];
      auto& s = sessions[max_seq];
      if (!s) s = std::make_unique<TaskSession>(qa, max_seq, provider);
      const AnswerRun run = answer(s->session, c);
      REQUIRE_MESSAGE(run.status == EB_OK, run.error);
      std::string why;
      if (same_answers(c, run.answers, &why)) {
        ++same;
      } else {
        INFO((c["question"].get<std::string>() + " | max_seq " + std::to_string(max_seq) + ": " + why));
        CHECK(false);
      }
      windows += c["context"].get<std::string>().size() > 600;
    }
    CHECK(same == cases.size());
    CHECK(windows > 100);  // long contexts, read in several windows, are a good part of the set
  }
}

// ---- token classification ----

eb_aggregation aggregation_of(const std::string& name) {
  if (name == "simple") return EB_AGGREGATION_SIMPLE;
  if (name == "first") return EB_AGGREGATION_FIRST;
  if (name == "average") return EB_AGGREGATION_AVERAGE;
  if (name == "max") return EB_AGGREGATION_MAX;
  return EB_AGGREGATION_NONE;
}

TEST_CASE("Tasks: entities are the token-classification pipeline's, every aggregation strategy") {
  for (const std::string family : kFamilies)
  for (const eb_provider provider : fp32_providers()) {
    CAPTURE(family);
    CAPTURE(provider);
    const convert::AlignedBytes tagger = packed_task("tagger", false, family);
    std::map<uint32_t, std::unique_ptr<TaskSession>> sessions;
    size_t same = 0, entities_seen = 0;
    const json& cases = tasks_reference(family)["tag"];
    for (const json& c : cases) {
      const uint32_t max_seq = c["max_seq"];
      auto& s = sessions[max_seq];
      if (!s) s = std::make_unique<TaskSession>(tagger, max_seq, provider);
      const std::string text = c["text"];
      eb_tag_options o = eb_tag_options_default();
      o.aggregation = aggregation_of(c["aggregation"]);
      std::vector<eb_entity> entities(max_seq);
      size_t count = 0;
      REQUIRE(s->session.tag(text, entities.data(), entities.size(), &count, o) == EB_OK);
      const json& want = c["entities"];
      bool ok = count == want.size();
      std::string why = ok ? "" : std::to_string(count) + " entities, want " + std::to_string(want.size());
      for (size_t i = 0; ok && i < count; ++i) {
        const eb_entity& e = entities[i];
        const json& w = want[i];
        ok = w["label"] == e.label && w["start"] == char_index(text, e.start) &&
             w["end"] == char_index(text, e.end) && close(e.score, w["score"]) &&
             (!w.contains("index") || w["index"] == e.first_token);
        if (!ok) {
          why = "entity " + std::to_string(i) + ": " + e.label + " [" +
                std::to_string(char_index(text, e.start)) + ", " +
                std::to_string(char_index(text, e.end)) + ") " + std::to_string(e.score) +
                ", want " + w.dump();
        }
      }
      entities_seen += count;
      if (ok) {
        ++same;
      } else {
        INFO((c["aggregation"].get<std::string>() + " | " + text + ": " + why));
        CHECK(false);
      }
    }
    CHECK(same == cases.size());
    CHECK(entities_seen > 2000);
  }
}

// ---- fill-mask ----

TEST_CASE("Tasks: fill-mask tokens and probabilities are the pipeline's") {
  for (const std::string family : kFamilies)
  for (const eb_provider provider : fp32_providers()) {
    CAPTURE(family);
    CAPTURE(provider);
    const convert::AlignedBytes mlm = packed_task("mlm", false, family);
    TaskSession s(mlm, 128, provider);
    size_t same = 0, two_masks = 0;
    const json& cases = tasks_reference(family)["fill_mask"];
    for (const json& c : cases) {
      const std::string text = c["text"];
      const uint32_t top_k = c["top_k"];
      const json& want = c["masks"];
      std::vector<eb_token_score> out(2 * top_k);
      size_t count = 0;
      REQUIRE(s.session.fill_mask(text, top_k, out.data(), out.size(), &count) == EB_OK);
      bool ok = count == want.size() * top_k;
      for (size_t m = 0; ok && m < want.size(); ++m) {
        for (size_t k = 0; ok && k < top_k; ++k) {
          const eb_token_score& t = out[m * top_k + k];
          ok = want[m][k]["token"] == t.token && close(t.probability, want[m][k]["probability"]);
        }
      }
      two_masks += want.size() == 2;
      if (ok) {
        ++same;
      } else {
        INFO(text);
        CHECK(false);
      }
    }
    CHECK(same == cases.size());
    CHECK(two_masks > 100);
  }
}

// ---- cross-encoder scores ----

TEST_CASE("Tasks: cross-encoder scores are transformers' logits, probabilities their sigmoid") {
  for (const std::string family : kFamilies)
  for (const eb_provider provider : fp32_providers()) {
    CAPTURE(family);
    CAPTURE(provider);
    const convert::AlignedBytes reranker = packed_task("reranker", false, family);
    TaskSession s(reranker, 128, provider);
    const json& cases = tasks_reference(family)["score"];
    // One call with every passage of a query group, as a reranker calls it.
    for (size_t i = 0; i < cases.size(); i += 4) {
      const std::string query = cases[i]["query"];
      std::vector<std::string> texts;
      std::vector<const char*> passages;
      std::vector<size_t> bytes;
      for (size_t j = i; j < i + 4 && j < cases.size(); ++j) {
        texts.push_back(cases[j]["passage"]);
      }
      for (const std::string& t : texts) passages.push_back(t.data()), bytes.push_back(t.size());
      // Each case has its own query: score them one by one, and the first group together too.
      for (size_t j = 0; j < texts.size(); ++j) {
        const std::string q = cases[i + j]["query"];
        float logit = 0, probability = 0;
        REQUIRE(s.session.score(q, &passages[j], &bytes[j], 1, &logit, &probability) == EB_OK);
        const double want = cases[i + j]["logit"];
        CHECK(close(logit, want));
        CHECK(close(probability, 1.0 / (1.0 + std::exp(-want)), 1e-5));
      }
      std::vector<float> logits(texts.size());
      REQUIRE(s.session.score(query, passages.data(), bytes.data(), texts.size(), logits.data()) ==
              EB_OK);
      CHECK(close(logits[0], cases[i]["logit"]));
    }
  }
}

// ---- int8 ----

TEST_CASE("Tasks: int8 models agree with the pipelines within the stated bounds") {
  // Random heads are harsh on int8 (no trained margins): the bounds say how often int8 gives the
  // same top answer / token / label as fp32's pipeline, measured on these fixtures.
  for (const std::string family : kFamilies) {
  CAPTURE(family);
  SUBCASE("answers") {
    TaskSession s(packed_task("qa", true, family), 128);
    size_t same = 0, total = 0;
    for (const json& c : tasks_reference(family)["answer"]) {
      if (c["max_seq"] != 128) continue;
      const AnswerRun run = answer(s.session, c);
      REQUIRE(run.status == EB_OK);
      ++total;
      const std::string context = c["context"];
      same += !run.answers.empty() &&
              char_index(context, run.answers[0].start) == c["answers"][0]["start"] &&
              char_index(context, run.answers[0].end) == c["answers"][0]["end"];
    }
    MESSAGE("int8 QA: top answer as fp32 in " << same << " of " << total);
    CHECK(same >= total * 80 / 100);
  }
  SUBCASE("fill-mask") {
    TaskSession s(packed_task("mlm", true, family), 128);
    size_t same = 0, total = 0;
    for (const json& c : tasks_reference(family)["fill_mask"]) {
      std::vector<eb_token_score> out(2 * c["top_k"].get<size_t>());
      size_t count = 0;
      REQUIRE(s.session.fill_mask(c["text"].get<std::string>(), c["top_k"], out.data(), out.size(),
                                  &count) == EB_OK);
      ++total;
      same += out[0].token == c["masks"][0][0]["token"];
    }
    MESSAGE("int8 fill-mask: top token as fp32 in " << same << " of " << total);
    CHECK(same >= total * 80 / 100);
  }
  SUBCASE("scores") {
    TaskSession s(packed_task("reranker", true, family), 128);
    double worst = 0;
    for (const json& c : tasks_reference(family)["score"]) {
      const std::string passage = c["passage"];
      const char* p = passage.data();
      const size_t bytes = passage.size();
      float logit = 0;
      REQUIRE(s.session.score(c["query"].get<std::string>(), &p, &bytes, 1, &logit) == EB_OK);
      worst = std::max(worst, std::fabs(logit - c["logit"].get<double>()));
    }
    MESSAGE("int8 cross-encoder: worst logit error " << worst);
    CHECK(worst < 0.2);
  }
  }
}

// ---- refusals ----

TEST_CASE("Tasks: bad calls are refused with the reason") {
  TaskSession qa(packed_task("qa"), 48), tagger(packed_task("tagger"), 32),
      mlm(packed_task("mlm"), 32), reranker(packed_task("reranker"), 32);
  eb_error error;
  eb_answer answers[4];
  eb_entity entities[8];
  eb_token_score tokens[8];
  size_t count = 7;
  const std::string question = "who?", context = "nobody knows who did it.";
  SUBCASE("a call of another task") {
    CHECK(tagger.session.answer(question, context, answers, 4, &count,
                                eb_answer_options_default(), &error) == EB_ERROR_UNSUPPORTED);
    CHECK(std::string(error.message).find("answer needs a QuestionAnswering model") != std::string::npos);
    CHECK(count == 0);
    CHECK(qa.session.tag("text", entities, 8, &count, eb_tag_options_default(), &error) ==
          EB_ERROR_UNSUPPORTED);
    CHECK(qa.session.fill_mask("text", 1, tokens, 8, &count, &error) == EB_ERROR_UNSUPPORTED);
    const char* p = "x";
    const size_t n = 1;
    float logit;
    CHECK(qa.session.score("q", &p, &n, 1, &logit, nullptr, &error) == EB_ERROR_UNSUPPORTED);
  }
  SUBCASE("question answering") {
    CHECK(qa.session.answer("", context, answers, 4, &count, eb_answer_options_default(),
                            &error) == EB_ERROR_INVALID_INPUT);
    CHECK(std::string(error.message) == "the question is empty");
    eb_answer_options o = eb_answer_options_default();
    o.top_k = 0;
    CHECK(qa.session.answer(question, context, answers, 4, &count, o, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
    // A question that fills the window, and a stride the window cannot move by.
    const std::string long_question(200, 'a');
    std::string words;
    for (int i = 0; i < 60; ++i) words += "who is it ";
    CHECK(qa.session.answer(words, context + context, answers, 4, &count,
                            eb_answer_options_default(), &error) == EB_ERROR_INVALID_INPUT);
    CHECK(std::string(error.message).find("leaves no room for the context") != std::string::npos);
    o = eb_answer_options_default();
    o.doc_stride = 46;
    std::string long_context;
    for (int i = 0; i < 20; ++i) long_context += context + " ";
    CHECK(qa.session.answer(question, long_context, answers, 4, &count, o, &error) ==
          EB_ERROR_INVALID_INPUT);
    CHECK(std::string(error.message).find("doc_stride 46 must be less than") != std::string::npos);
    o.doc_stride = 49;
    CHECK(qa.session.answer(question, long_context, answers, 4, &count, o, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
    // Capacity 1 for top_k 3: the best one written, the count says 3 exist.
    o = eb_answer_options_default();
    o.top_k = 3;
    REQUIRE(qa.session.answer(question, long_context, answers, 1, &count, o, &error) == EB_OK);
    CHECK(count == 3);
    eb_answer all[3];
    REQUIRE(qa.session.answer(question, long_context, all, 3, &count, o, &error) == EB_OK);
    CHECK(all[0].start == answers[0].start);
    CHECK(all[0].score >= all[1].score);
    CHECK(eb_session_answer(qa.session.get(), question.data(), question.size(), context.data(),
                            context.size(), nullptr, nullptr, 4, &count, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
  }
  SUBCASE("fill-mask") {
    CHECK(mlm.session.fill_mask("no mask here", 3, tokens, 8, &count, &error) ==
          EB_ERROR_INVALID_INPUT);
    CHECK(std::string(error.message) == "no mask token ([MASK]) in the first 32 tokens");
    CHECK(mlm.session.fill_mask("a [MASK] b", 0, tokens, 8, &count, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
    CHECK(mlm.session.fill_mask("a [MASK] b", 30523, tokens, 8, &count, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
    // Three masks, room for two masks' top-3: two written, count 9.
    REQUIRE(mlm.session.fill_mask("[MASK] a [MASK] b [MASK]", 3, tokens, 8, &count, &error) ==
            EB_OK);
    CHECK(count == 9);
    CHECK(eb_session_mask_count(mlm.session.get()) == 3);
    CHECK(tokens[0].position == 1);
    CHECK(tokens[3].position == 3);
    CHECK(tokens[0].probability >= tokens[1].probability);
    size_t vocab = 0;
    CHECK(eb_session_mask_logits(mlm.session.get(), 2, &vocab) != nullptr);
    CHECK(vocab == 30522);
    CHECK(eb_session_mask_logits(mlm.session.get(), 3, &vocab) == nullptr);
    CHECK(vocab == 0);
  }
  SUBCASE("tagging") {
    eb_tag_options o = eb_tag_options_default();
    const int unknown = 9;  // what a C caller could pass
    std::memcpy(&o.aggregation, &unknown, sizeof unknown);
    CHECK(tagger.session.tag("text", entities, 8, &count, o, &error) == EB_ERROR_INVALID_ARGUMENT);
    // Everything kept (no ignored label), capacity 2 of more: the count says how many.
    o = eb_tag_options_default();
    o.ignore_label = nullptr;
    REQUIRE(tagger.session.tag("one two three four five", entities, 2, &count, o, &error) ==
            EB_OK);
    CHECK(count == 5);
    CHECK(entities[1].start == 4);
    CHECK(entities[1].end == 7);
    // A typed special token is a token like any other to the pipeline (its special_tokens_mask
    // marks only the tokens the tokenizer adds; the fixture's "[CLS] the film [SEP] ..." cases).
    REQUIRE(tagger.session.tag("one [SEP] two", entities, 8, &count, o, &error) == EB_OK);
    CHECK(count == 3);
  }
  SUBCASE("scores") {
    const char* passages[2] = {"first", nullptr};
    const size_t bytes[2] = {5, 3};
    float logits[2];
    CHECK(reranker.session.score("q", passages, bytes, 2, logits, nullptr, &error) ==
          EB_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(error.message) == "passage 1 is NULL but its length is 3");
    TaskSession classifier(packed_fixture("classifier"), 32);
    CHECK(classifier.session.score("q", passages, bytes, 1, logits, nullptr, &error) ==
          EB_ERROR_UNSUPPORTED);
  }
}

TEST_CASE("Tasks: a multi-label classifier's probabilities are sigmoids") {
  convert::ImportOptions options;
  options.dir = fixture_path("tiny_bert/classifier");
  fb::ModelT model = convert::import_hf(options);
  model.task->problem_type = fb::ProblemType::MultiLabel;
  TaskSession s(convert::pack_model(model), 64);
  const json& c = reference()["cases"][4];
  const std::vector<int32_t> ids = c["input_ids"], types = c["token_type_ids"],
                             mask = c["attention_mask"];
  REQUIRE(s.session.run(ids.data(), ids.size(), types.data(), mask.data()) == EB_OK);
  const OutputView logits = s.session.output(EB_OUTPUT_LOGITS);
  const OutputView probabilities = s.session.output(EB_OUTPUT_PROBABILITIES);
  REQUIRE(probabilities.size == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(close(probabilities.data[i], 1.0 / (1.0 + std::exp(-logits.data[i])), 1e-6));
  }
  eb_model_info info;
  eb_model_get_info(s.model.get(), &info);
  CHECK(info.problem_type == EB_PROBLEM_MULTI_LABEL);
  CHECK(info.schema_version == 2);
}

}  // namespace
}  // namespace edgebert::test
