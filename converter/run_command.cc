#include "run_command.h"

#include <fmt/format.h>

#include <stdexcept>

#include "edgebert/edgebert.h"
#include "file_io.h"
#include "host_session.h"

namespace edgebert::convert {
namespace {

[[noreturn]] void fail(const eb_error& error) { throw std::runtime_error(error.message); }

std::string slice(const std::string& text, uint32_t start, uint32_t end) {
  return text.substr(start, end - start);
}

// Options that only some tasks take: refuse them elsewhere rather than ignore them.
void refuse(bool given, const char* option, const char* task) {
  if (given) throw std::runtime_error(std::string(option) + " does not apply to a " + task + " model");
}

}  // namespace

nlohmann::json run_report(const RunOptions& o) {
  HostSession loaded(read_file_aligned(o.model), o.model, o.max_seq, o.kernels, EB_PROVIDER_AUTO,
                     o.passages.empty() && !o.stride ? 1 : o.batch);
  const eb_model* model = loaded.model().get();
  eb_session* s = loaded.session().get();
  const eb_model_info info = loaded.model().info();
  if (!info.has_tokenizer) throw std::runtime_error(o.model + ": the model has no tokenizer");
  eb_error error;
  nlohmann::json report;
  const bool qa = info.task == EB_TASK_QUESTION_ANSWERING;
  refuse(o.context.has_value() && !qa, "--context", "non-question-answering");
  refuse(!o.passages.empty() && info.task != EB_TASK_CLASSIFICATION, "--passage", "non-classifier");
  const bool windows = o.stride.has_value();
  refuse(windows && (info.task == EB_TASK_QUESTION_ANSWERING || info.task == EB_TASK_MASKED_LM ||
                     info.task == EB_TASK_TOKEN_CLASSIFICATION),
         "--stride", "question answering (use --doc-stride), tagging or masked LM");
  refuse(windows && (o.pair.has_value() || !o.passages.empty()), "--stride with a pair",
         "classification");
  report["task"] = eb_task_name(info.task);
  switch (info.task) {
    case EB_TASK_CLASSIFICATION: {
      if (!o.passages.empty() || info.num_labels == 1) {  // a cross-encoder's scores
        std::vector<std::string> passages = o.passages;
        std::string query = o.text;
        if (passages.empty()) {  // one score of the text (pair)
          passages.push_back(o.pair.value_or(""));
          if (!o.pair) throw std::runtime_error("a one-output model scores pairs: give --pair or --passage");
        }
        refuse(o.pair.has_value() && !o.passages.empty(), "--pair with --passage", "scoring");
        if (info.num_labels != 1) throw std::runtime_error("--passage needs a one-output model (a cross-encoder)");
        std::vector<const char*> data;
        std::vector<size_t> bytes;
        for (const std::string& p : passages) data.push_back(p.data()), bytes.push_back(p.size());
        std::vector<float> logits(passages.size()), probabilities(passages.size());
        if (eb_session_score(s, query.data(), query.size(), data.data(), bytes.data(),
                             passages.size(), logits.data(), probabilities.data(), &error) != EB_OK) {
          fail(error);
        }
        report["scores"] = nlohmann::json::array();
        for (size_t i = 0; i < passages.size(); ++i) {
          report["scores"].push_back({{"passage", passages[i]}, {"logit", logits[i]},
                                      {"probability", probabilities[i]}});
        }
        break;
      }
      eb_classification result;
      size_t read = 1;
      const eb_status status =
          windows ? eb_session_classify_long(s, o.text.data(), o.text.size(), *o.stride, &result,
                                             &read, &error)
                  : eb_session_classify_text(s, o.text.data(), o.text.size(),
                                             o.pair ? o.pair->data() : nullptr,
                                             o.pair ? o.pair->size() : 0, &result, &error);
      if (status != EB_OK) fail(error);
      if (windows) report["windows"] = read;
      report["label"] = result.label_name;
      report["label_index"] = result.label;
      report["probabilities"] = nlohmann::json::object();
      for (size_t i = 0; i < result.num_labels; ++i) {
        report["probabilities"][eb_model_label(model, static_cast<uint32_t>(i))] =
            result.probabilities[i];
      }
      break;
    }
    case EB_TASK_QUESTION_ANSWERING: {
      if (!o.context) throw std::runtime_error("question answering needs --context (the text to read)");
      eb_answer_options a = eb_answer_options_default();
      a.top_k = o.top_k == 0 ? 1 : o.top_k;
      a.max_answer_len = o.max_answer_len;
      if (o.doc_stride) a.doc_stride = *o.doc_stride;
      a.handle_impossible_answer = o.impossible ? 1 : 0;
      std::vector<eb_answer> answers(a.top_k);
      size_t count = 0;
      if (eb_session_answer(s, o.text.data(), o.text.size(), o.context->data(), o.context->size(),
                            &a, answers.data(), answers.size(), &count, &error) != EB_OK) {
        fail(error);
      }
      report["answers"] = nlohmann::json::array();
      for (size_t i = 0; i < count && i < answers.size(); ++i) {
        report["answers"].push_back({{"answer", slice(*o.context, answers[i].start, answers[i].end)},
                                     {"score", answers[i].score},
                                     {"start", answers[i].start},
                                     {"end", answers[i].end}});
      }
      break;
    }
    case EB_TASK_TOKEN_CLASSIFICATION: {
      eb_tag_options t = eb_tag_options_default();
      if (eb_aggregation_from_name(o.aggregation.c_str(), &t.aggregation, &error) != EB_OK) {
        throw std::runtime_error(std::string("--aggregation: ") + error.message);
      }
      std::vector<eb_entity> entities(info.max_seq);
      size_t count = 0;
      if (eb_session_tag(s, o.text.data(), o.text.size(), &t, entities.data(), entities.size(),
                         &count, &error) != EB_OK) {
        fail(error);
      }
      report["aggregation"] = o.aggregation;
      report["entities"] = nlohmann::json::array();
      for (size_t i = 0; i < count && i < entities.size(); ++i) {
        const eb_entity& e = entities[i];
        report["entities"].push_back({{"label", e.label},
                                      {"score", e.score},
                                      {"start", e.start},
                                      {"end", e.end},
                                      {"text", slice(o.text, e.start, e.end)}});
      }
      break;
    }
    case EB_TASK_MASKED_LM: {
      const uint32_t top_k = o.top_k == 0 ? 5 : o.top_k;
      std::vector<eb_token_score> out(size_t{top_k} * info.max_seq);
      size_t count = 0;
      if (eb_session_fill_mask(s, o.text.data(), o.text.size(), top_k, out.data(), out.size(),
                               &count, &error) != EB_OK) {
        fail(error);
      }
      report["masks"] = nlohmann::json::array();
      for (size_t m = 0; m * top_k < count; ++m) {
        nlohmann::json row = nlohmann::json::array();
        for (size_t k = 0; k < top_k; ++k) {
          const eb_token_score& t = out[m * top_k + k];
          row.push_back({{"token", eb_model_token(model, t.token)},
                         {"id", t.token},
                         {"probability", t.probability}});
        }
        report["masks"].push_back(row);
      }
      break;
    }
    case EB_TASK_ENCODER:
    case EB_TASK_EMBEDDING: {
      refuse(o.pair.has_value(), "--pair", "sentence embedding");
      const float* embedding = nullptr;
      size_t dimension = 0, read = 1;
      const eb_status status =
          windows ? eb_session_embed_long(s, o.text.data(), o.text.size(), *o.stride, &embedding,
                                          &dimension, &read, &error)
                  : eb_session_embed_text(s, o.text.data(), o.text.size(), &embedding, &dimension,
                                          &error);
      if (status != EB_OK) fail(error);
      if (windows) report["windows"] = read;
      report["embedding"] = std::vector<float>(embedding, embedding + dimension);
      break;
    }
  }
  eb_tokens tokens;
  eb_session_tokens(s, &tokens);
  report["tokens"] = tokens.count;
  report["kernels"] = eb_session_kernels(s);
  return report;
}

std::string run_text(const nlohmann::json& r) {
  std::string out;
  const std::string task = r["task"];
  if (r.contains("scores")) {
    for (const auto& e : r["scores"]) {
      out += fmt::format("{:>10.4f}  {:.4f}  {}\n", e["logit"].get<float>(),
                         e["probability"].get<float>(), e["passage"].get<std::string>());
    }
  } else if (task == "classification") {
    out += fmt::format("{}\n", r["label"].get<std::string>());
    for (const auto& [name, p] : r["probabilities"].items()) {
      out += fmt::format("  {:<20} {:.4f}\n", name, p.get<float>());
    }
  } else if (task == "question_answering") {
    if (r["answers"].empty()) out += "(no answer)\n";
    for (const auto& a : r["answers"]) {
      out += fmt::format("{:.4f}  [{}, {})  {}\n", a["score"].get<float>(), a["start"].get<uint32_t>(),
                         a["end"].get<uint32_t>(), a["answer"].get<std::string>());
    }
  } else if (task == "token_classification") {
    if (r["entities"].empty()) out += "(no entities)\n";
    for (const auto& e : r["entities"]) {
      out += fmt::format("{:<12} {:.4f}  [{}, {})  {}\n", e["label"].get<std::string>(),
                         e["score"].get<float>(), e["start"].get<uint32_t>(),
                         e["end"].get<uint32_t>(), e["text"].get<std::string>());
    }
  } else if (task == "masked_lm") {
    size_t m = 0;
    for (const auto& row : r["masks"]) {
      out += fmt::format("mask {}:\n", m++);
      for (const auto& t : row) {
        out += fmt::format("  {:<16} {:.4f}\n", t["token"].get<std::string>(),
                           t["probability"].get<float>());
      }
    }
  } else {
    const auto& e = r["embedding"];
    out += fmt::format("embedding ({} values):", e.size());
    for (size_t i = 0; i < e.size() && i < 8; ++i) out += fmt::format(" {:.4f}", e[i].get<float>());
    out += e.size() > 8 ? " ...\n" : "\n";
  }
  return out;
}

}  // namespace edgebert::convert
