#include "trainer/finetune_tasks.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "labelled_data.h"

namespace edgebert::convert {
namespace {

// Labels in a stable order: numeric order when every label is an integer, else sorted names.
std::vector<std::string> sorted_names(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  if (numeric) {
    std::sort(names.begin(), names.end(),
              [](const std::string& a, const std::string& b) { return std::stol(a) < std::stol(b); });
  }
  return names;
}

// "a,b" -> {"a", "b"} (spaces around names dropped; "" -> none).
std::vector<std::string> split_label_list(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    std::string name = text.substr(begin, end - begin);
    const size_t first = name.find_first_not_of(' ');
    name = first == std::string::npos ? "" : name.substr(first, name.find_last_not_of(' ') - first + 1);
    if (!name.empty()) out.push_back(name);
    begin = end + 1;
  }
  return out;
}

float parse_number(const std::string& text, const std::string& where) {
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    throw std::runtime_error(where + ": label \"" + text + "\" is not a number (regression)");
  }
  return v;
}

// Sequence-level tasks: every example tokenized as the runtime does ([CLS] a [SEP] (b [SEP]),
// truncated to max_seq), with its target.
std::vector<Sequence> encode_examples(FinetuneTask task, HostSession& session,
                                      const std::vector<Example>& examples,
                                      const std::vector<std::string>& labels,
                                      const std::string& path) {
  std::vector<Sequence> out;
  out.reserve(examples.size());
  for (const Example& e : examples) {
    const std::string where = path + ":" + std::to_string(e.line);
    Sequence s = tokenize_pair(session, e.text, e.has_text_b ? &e.text_b : nullptr, where);
    if (task == FinetuneTask::Regression) {
      s.targets = {parse_number(e.label, where)};
    } else if (task == FinetuneTask::MultiLabel) {
      s.targets.assign(labels.size(), 0.0f);
      for (const std::string& name : split_label_list(e.label)) {
        s.targets[label_index(name, labels, where)] = 1.0f;
      }
    } else {
      s.label = static_cast<int32_t>(label_index(e.label, labels, where));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Example> read_examples(FinetuneTask task, const std::string& path) {
  return read_labelled_file(path, task == FinetuneTask::MultiLabel);
}

// Tokens: each word tokenized on its own (Hugging Face's is_split_into_words; the same pieces as
// the words joined by spaces give, BERT splitting at whitespace first), the word's label on its
// first piece, -1 on the others and on [CLS] / [SEP]; truncated to max_seq.
std::vector<Sequence> encode_sentences(const TextTokenizer& tokenizer,
                                       const std::vector<TaggedSentence>& sentences,
                                       const std::vector<std::string>& labels, uint32_t max_seq,
                                       const std::string& path, size_t* cut_words,
                                       size_t* empty_words) {
  std::vector<Sequence> out;
  for (const TaggedSentence& sentence : sentences) {
    Sequence s;
    s.ids.push_back(tokenizer.cls_id());
    s.token_labels.push_back(-1);
    for (size_t w = 0; w < sentence.words.size(); ++w) {
      const std::string where = path + ":" + std::to_string(sentence.line + w);
      const auto label = static_cast<int32_t>(label_index(sentence.labels[w], labels, where));
      const std::vector<Token> pieces = tokenizer.tokens(sentence.words[w]);
      if (pieces.empty()) ++*empty_words;  // e.g. a control character: no token, as in HF
      if (s.ids.size() + pieces.size() > max_seq - 1) {
        *cut_words += sentence.words.size() - w;
        break;
      }
      for (size_t p = 0; p < pieces.size(); ++p) {
        s.ids.push_back(pieces[p].id);
        s.token_labels.push_back(p == 0 ? label : -1);
      }
    }
    s.ids.push_back(tokenizer.sep_id());
    s.token_labels.push_back(-1);
    s.types.assign(s.ids.size(), 0);
    out.push_back(std::move(s));
  }
  return out;
}

// Question answering windows of one example (run_qa.py's prepare_train_features).
void encode_question(const TextTokenizer& tokenizer, const QaExample& e, uint32_t max_seq,
                     uint32_t doc_stride, const std::string& path, std::vector<Sequence>& out,
                     size_t* answers_outside) {
  const std::vector<Token> question = tokenizer.tokens(e.question);
  const std::vector<Token> context = tokenizer.tokens(e.context);
  const size_t head = question.size() + 2;  // [CLS] question [SEP]
  if (head + 1 + doc_stride + 1 > max_seq) {
    throw std::runtime_error(path + ": question " + e.id + ": its " +
                             std::to_string(question.size()) + " tokens leave no room for the "
                             "context in a window of " + std::to_string(max_seq) +
                             " tokens with a stride of " + std::to_string(doc_stride) +
                             " (raise --max-seq or lower --doc-stride)");
  }
  const size_t room = max_seq - head - 1;
  const bool answered = !e.impossible && !e.answers.empty();
  const size_t answer_begin = answered ? e.answers[0].start : 0;
  const size_t answer_end = answered ? answer_begin + e.answers[0].text.size() : 0;
  for (size_t begin = 0;;) {
    const size_t end = std::min(context.size(), begin + room);
    Sequence s;
    s.ids.push_back(tokenizer.cls_id());
    for (const Token& t : question) s.ids.push_back(t.id);
    s.ids.push_back(tokenizer.sep_id());
    for (size_t i = begin; i < end; ++i) s.ids.push_back(context[i].id);
    s.ids.push_back(tokenizer.sep_id());
    s.types.assign(s.ids.size(), 1);
    std::fill_n(s.types.begin(), head, 0);
    s.span_start = s.span_end = 0;  // [CLS]: no answer in this window
    if (answered && end > begin && context[begin].begin <= answer_begin &&
        context[end - 1].end >= answer_end) {
      size_t first = begin, last = end - 1;
      while (first + 1 < end && context[first + 1].begin <= answer_begin) ++first;
      while (last > begin && context[last - 1].end >= answer_end) --last;
      s.span_start = static_cast<int32_t>(head + first - begin);
      s.span_end = static_cast<int32_t>(head + last - begin);
    } else if (answered) {
      ++*answers_outside;
    }
    out.push_back(std::move(s));
    if (end >= context.size()) break;
    begin += room - doc_stride;
  }
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

}  // namespace

const char* finetune_task_name(FinetuneTask task) {
  switch (task) {
    case FinetuneTask::Classification: return "classification";
    case FinetuneTask::Regression: return "regression";
    case FinetuneTask::MultiLabel: return "multi-label";
    case FinetuneTask::Tokens: return "tokens";
    case FinetuneTask::QuestionAnswering: return "qa";
  }
  return "?";
}

train::Objective finetune_objective(FinetuneTask task) {
  switch (task) {
    case FinetuneTask::Classification: return train::Objective::SingleLabel;
    case FinetuneTask::Regression: return train::Objective::Regression;
    case FinetuneTask::MultiLabel: return train::Objective::MultiLabel;
    case FinetuneTask::Tokens: return train::Objective::Tokens;
    case FinetuneTask::QuestionAnswering: return train::Objective::Spans;
  }
  return train::Objective::SingleLabel;
}

FinetuneTask finetune_task_of(fb::TaskKind kind, fb::ProblemType problem) {
  switch (kind) {
    case fb::TaskKind::TokenClassification: return FinetuneTask::Tokens;
    case fb::TaskKind::QuestionAnswering: return FinetuneTask::QuestionAnswering;
    case fb::TaskKind::Classification:
      return problem == fb::ProblemType::Regression   ? FinetuneTask::Regression
             : problem == fb::ProblemType::MultiLabel ? FinetuneTask::MultiLabel
                                                      : FinetuneTask::Classification;
    default: return FinetuneTask::Classification;
  }
}

bool same_head(FinetuneTask task, fb::TaskKind kind, fb::ProblemType problem) {
  const bool trained = kind == fb::TaskKind::Classification ||
                       kind == fb::TaskKind::TokenClassification ||
                       kind == fb::TaskKind::QuestionAnswering;
  return trained && finetune_task_of(kind, problem) == task;
}

TaskData load_task_data(FinetuneTask task, HostSession& session, const TaskDataOptions& o) {
  TaskData data;
  data.doc_stride = o.doc_stride;
  const bool has_dev = !o.dev_path.empty();
  switch (task) {
    case FinetuneTask::Classification:
    case FinetuneTask::Regression:
    case FinetuneTask::MultiLabel: {
      std::vector<Example> train = read_examples(task, o.train_path);
      if (o.limit > 0 && train.size() > o.limit) train.resize(o.limit);
      if (task != FinetuneTask::Regression) {
        std::vector<std::string> names;
        for (const Example& e : train) {
          if (task == FinetuneTask::Classification) {
            names.push_back(e.label);
          } else {
            for (std::string& n : split_label_list(e.label)) names.push_back(std::move(n));
          }
        }
        data.labels = sorted_names(std::move(names));
        const size_t least = task == FinetuneTask::Classification ? 2 : 1;
        if (data.labels.size() < least) {
          throw std::runtime_error(o.train_path + ": a " + finetune_task_name(task) +
                                   " classifier needs at least " + std::to_string(least) +
                                   " labels, found " + std::to_string(data.labels.size()));
        }
      } else {
        data.labels = {"score"};
      }
      data.train = encode_examples(task, session, train, data.labels, o.train_path);
      if (has_dev) {
        data.dev = encode_examples(task, session, read_examples(task, o.dev_path), data.labels,
                                   o.dev_path);
      }
      break;
    }
    case FinetuneTask::Tokens: {
      const TextTokenizer tokenizer(session.bytes());
      std::vector<TaggedSentence> train = read_conll_file(o.train_path);
      if (o.limit > 0 && train.size() > o.limit) train.resize(o.limit);
      std::vector<std::string> names;
      for (const TaggedSentence& s : train) names.insert(names.end(), s.labels.begin(), s.labels.end());
      data.labels = sorted_names(std::move(names));
      size_t cut = 0, empty = 0;
      data.train = encode_sentences(tokenizer, train, data.labels, o.max_seq, o.train_path, &cut,
                                    &empty);
      data.notes["train_words_cut_by_max_seq"] = cut;
      data.notes["train_words_without_tokens"] = empty;
      if (has_dev) {
        cut = empty = 0;
        data.dev = encode_sentences(tokenizer, read_conll_file(o.dev_path), data.labels, o.max_seq,
                                    o.dev_path, &cut, &empty);
        data.notes["dev_words_cut_by_max_seq"] = cut;
        data.notes["dev_words_without_tokens"] = empty;
      }
      break;
    }
    case FinetuneTask::QuestionAnswering: {
      const TextTokenizer tokenizer(session.bytes());
      std::vector<QaExample> train = read_squad_file(o.train_path);
      if (o.limit > 0 && train.size() > o.limit) train.resize(o.limit);
      size_t outside = 0;
      for (const QaExample& e : train) {
        encode_question(tokenizer, e, o.max_seq, o.doc_stride, o.train_path, data.train, &outside);
        data.impossible |= e.impossible;
      }
      data.notes["train_questions"] = train.size();
      data.notes["train_windows"] = data.train.size();
      data.notes["train_windows_without_the_answer"] = outside;
      if (has_dev) {
        data.dev_questions = read_squad_file(o.dev_path);
        outside = 0;
        for (const QaExample& e : data.dev_questions) {
          encode_question(tokenizer, e, o.max_seq, o.doc_stride, o.dev_path, data.dev, &outside);
          data.impossible |= e.impossible;
        }
        data.notes["dev_questions"] = data.dev_questions.size();
        data.notes["dev_windows"] = data.dev.size();
      }
      break;
    }
  }
  if (data.train.empty()) throw std::runtime_error(o.train_path + ": no examples");
  return data;
}

const char* task_measure_name(FinetuneTask task, const TaskData& data) {
  switch (task) {
    case FinetuneTask::Classification: return "acc";
    case FinetuneTask::Regression: return "pearson";
    case FinetuneTask::MultiLabel: return "micro-f1";
    case FinetuneTask::Tokens: return labels_are_entity_tags(data.labels) ? "f1" : "acc";
    case FinetuneTask::QuestionAnswering: return "f1";
  }
  return "score";
}

EvalResult evaluate_task(FinetuneTask task, train::BertModel<float>& model, const TaskData& data,
                         const std::function<HostSession&()>& deployed, nlohmann::json* details) {
  constexpr size_t kBatch = 64;
  EvalResult r;
  double loss_sum = 0;
  size_t loss_count = 0, correct = 0, counted = 0;
  std::vector<double> predicted, gold;                      // regression
  size_t tp = 0, fp = 0, fn = 0;                            // multi-label
  std::vector<std::vector<std::string>> gold_tags, predicted_tags;  // tokens
  const size_t K = data.labels.size();
  forward_batches(model, data.dev, kBatch, [&](const train::Batch& batch, const std::vector<size_t>&) {
    const train::Metrics& m = model.metrics();
    loss_sum += m.seq_loss * static_cast<double>(m.seq_count);
    loss_count += m.seq_count;
    correct += m.seq_correct;
    counted += m.seq_count;
    if (task == FinetuneTask::Regression) {
      for (size_t b = 0; b < batch.B; ++b) {
        predicted.push_back(model.probs()[b]);
        gold.push_back(batch.targets[b]);
      }
    } else if (task == FinetuneTask::MultiLabel) {
      for (size_t i = 0; i < batch.B * K; ++i) {
        const bool p = model.probs()[i] > 0.5f, y = batch.targets[i] > 0.5f;
        tp += p && y;
        fp += p && !y;
        fn += !p && y;
      }
    } else if (task == FinetuneTask::Tokens) {
      for (size_t b = 0; b < batch.B; ++b) {
        std::vector<std::string> g, p;
        for (size_t t = 0; t < batch.T; ++t) {
          const int32_t label = batch.token_labels[b * batch.T + t];
          if (label < 0) continue;
          const float* probs = model.token_probs() + (b * batch.T + t) * K;
          g.push_back(data.labels[static_cast<size_t>(label)]);
          p.push_back(data.labels[static_cast<size_t>(std::max_element(probs, probs + K) - probs)]);
        }
        gold_tags.push_back(std::move(g));
        predicted_tags.push_back(std::move(p));
      }
    }
  });
  r.loss = loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0;
  const double accuracy = counted > 0 ? static_cast<double>(correct) / static_cast<double>(counted) : 0;
  nlohmann::json d = nlohmann::json::object();
  switch (task) {
    case FinetuneTask::Classification:
      r.seq_accuracy = accuracy;
      break;
    case FinetuneTask::Regression:
      r.seq_accuracy = pearson(predicted, gold);
      d["mse"] = r.loss;
      break;
    case FinetuneTask::MultiLabel: {
      const double precision = tp + fp > 0 ? double(tp) / double(tp + fp) : 0;
      const double recall = tp + fn > 0 ? double(tp) / double(tp + fn) : 0;
      r.seq_accuracy = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
      d["micro_precision"] = precision;
      d["micro_recall"] = recall;
      d["subset_accuracy"] = accuracy;
      break;
    }
    case FinetuneTask::Tokens: {
      d["token_accuracy"] = accuracy;
      if (labels_are_entity_tags(data.labels)) {
        const EntityScores e = entity_scores(gold_tags, predicted_tags);
        d["entity_precision"] = e.precision;
        d["entity_recall"] = e.recall;
        d["entity_f1"] = e.f1;
        d["gold_entities"] = e.gold;
        r.seq_accuracy = e.f1;
      } else {
        r.seq_accuracy = accuracy;
      }
      break;
    }
    case FinetuneTask::QuestionAnswering: {
      HostSession& session = deployed();
      eb_answer_options options = eb_answer_options_default();
      options.max_answer_len = 30;
      options.doc_stride = data.doc_stride;
      options.handle_impossible_answer = data.impossible ? 1 : 0;
      double em = 0, f1 = 0;
      for (const QaExample& e : data.dev_questions) {
        eb_answer answer{};
        size_t count = 0;
        eb_error error;
        if (eb_session_answer(session.session().get(), e.question.data(), e.question.size(),
                              e.context.data(), e.context.size(), &options, &answer, 1, &count,
                              &error) != EB_OK) {
          throw std::runtime_error("dev question " + e.id + ": " + error.message);
        }
        const std::string text =
            count > 0 ? e.context.substr(answer.start, answer.end - answer.start) : "";
        em += squad_exact_match(text, e.answers);
        f1 += squad_f1(text, e.answers);
      }
      const double n = static_cast<double>(std::max<size_t>(data.dev_questions.size(), 1));
      d["exact_match"] = em / n;
      d["f1"] = f1 / n;
      d["window_start_end_accuracy"] = accuracy;
      r.seq_accuracy = f1 / n;
      break;
    }
  }
  r.score = r.seq_accuracy;
  if (details != nullptr) *details = std::move(d);
  return r;
}

}  // namespace edgebert::convert
