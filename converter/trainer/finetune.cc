#include "trainer/finetune.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "hf_import.h"
#include "host_session.h"
#include "labelled_data.h"
#include "model_file.h"
#include "trainer/model_io.h"
#include "trainer/training_data.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;

// Labels in a stable order: numeric order when every label is an integer, else sorted names.
std::vector<std::string> label_names(const std::vector<Example>& examples) {
  std::vector<std::string> names;
  for (const Example& e : examples) {
    if (std::find(names.begin(), names.end(), e.label) == names.end()) names.push_back(e.label);
  }
  const bool numeric = std::all_of(names.begin(), names.end(), [](const std::string& s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  std::sort(names.begin(), names.end(), [numeric](const std::string& a, const std::string& b) {
    return numeric ? std::stol(a) < std::stol(b) : a < b;
  });
  return names;
}

std::vector<Sequence> encode_examples(HostSession& session, const std::vector<Example>& examples,
                                      const std::vector<std::string>& labels,
                                      const std::string& path) {
  std::vector<Sequence> out;
  out.reserve(examples.size());
  for (const Example& e : examples) {
    const std::string where = path + ":" + std::to_string(e.line);
    Sequence s = tokenize_pair(session, e.text, e.has_text_b ? &e.text_b : nullptr, where);
    s.label = static_cast<int32_t>(label_index(e.label, labels, where));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

nlohmann::json finetune(const FinetuneOptions& o) {
  // The starting model: an .ebm (ours) or a Hugging Face folder.
  fb::ModelT base;
  if (fs::is_directory(o.init)) {
    ImportOptions import;
    import.dir = o.init;
    base = import_hf(import);
    // A checkpoint with another task's head (question answering, tagging, masked LM): its
    // encoder only; a classifier's own head is kept to continue from.
    const fb::TaskKind task = base.task ? base.task->kind : fb::TaskKind::Encoder;
    if (task != fb::TaskKind::Classification && task != fb::TaskKind::Encoder &&
        task != fb::TaskKind::Embedding) {
      import.encoder_only = true;
      base = import_hf(import);
    }
  } else {
    const AlignedBytes bytes = read_file_aligned(o.init);
    check_model_bytes(bytes, o.init);
    fb::GetModel(bytes.data())->UnPackTo(&base);
  }
  const TrainingOptions& t = o.training;
  create_output_dirs(t);
  if (!base.tokenizer) throw std::runtime_error(o.init + ": the model has no tokenizer");
  base.config->max_seq = std::min<uint32_t>(o.max_seq, base.config->max_positions);

  std::vector<Example> train_examples = read_labelled_file(o.train_path);
  if (o.limit > 0 && train_examples.size() > o.limit) train_examples.resize(o.limit);
  if (train_examples.empty()) throw std::runtime_error(o.train_path + ": no examples");
  const std::vector<std::string> labels = label_names(train_examples);
  if (labels.size() < 2) {
    throw std::runtime_error(o.train_path + ": a classifier needs at least two labels, found " +
                             std::to_string(labels.size()));
  }

  std::vector<std::string> stored_names = labels;
  if (!o.label_names.empty()) {
    if (o.label_names.size() != labels.size()) {
      std::string found;
      for (const std::string& l : labels) found += (found.empty() ? "" : ", ") + l;
      throw std::runtime_error("--label-names gives " + std::to_string(o.label_names.size()) +
                               " names for the " + std::to_string(labels.size()) +
                               " labels of the data (" + found + ")");
    }
    stored_names = o.label_names;
  }

  // Tokenize with the device tokenizer stored in the model (the same one inference will use).
  HostSession session(pack_model(base), o.init, base.config->max_seq);
  const std::vector<Sequence> train_set =
      encode_examples(session, train_examples, labels, o.train_path);
  std::vector<Sequence> dev_set;
  if (!o.dev_path.empty()) {
    dev_set = encode_examples(session, read_labelled_file(o.dev_path), labels, o.dev_path);
  }

  const train::BertShape shape = trainer_shape(base, labels.size(), false);
  train::BertModel<float> model(shape);
  init_bert_weights(model, t.seed);
  const std::vector<std::string> fresh = load_weights(model, base);
  for (const std::string& name : fresh) {
    // A checkpoint without a head (BertModel) is fine: the pooler and classifier start fresh.
    const std::string classifier = std::string(dense_slot_name(DenseSlot::Classifier)) + ".";
    const std::string pooler = std::string(dense_slot_name(DenseSlot::Pooler)) + ".";
    if (name.rfind(classifier, 0) != 0 && name.rfind(pooler, 0) != 0) {
      throw std::runtime_error(o.init + ": tensor " + name + " is missing");
    }
  }
  if (!t.quiet && !fresh.empty()) {
    std::string list;
    for (const std::string& n : fresh) list += (list.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "newly initialised: %s\n", list.c_str());
  }

  const size_t steps_per_epoch = (train_set.size() + o.batch - 1) / o.batch;
  LoopConfig config = make_loop_config(
      t, "finetune", o.steps > 0 ? o.steps : static_cast<size_t>(std::ceil(o.epochs * steps_per_epoch)));
  if (t.eval_every == 0) config.eval_every = steps_per_epoch;

  std::vector<size_t> lengths;
  for (const Sequence& seq : train_set) lengths.push_back(seq.ids.size());
  EpochSampler sampler(std::move(lengths), o.batch, t.seed);
  LoopHooks hooks;
  hooks.batch_for_step = [&](size_t step) {
    return make_batch(train_set, sampler.batch_indices(step));
  };
  hooks.evaluate = [&](train::BertModel<float>& m) {
    EvalResult r;
    if (dev_set.empty()) {  // nothing to measure: never "best"; the final model is written
      r.score = -1;
      return r;
    }
    const EvalTotals totals = evaluate_sequences(m, dev_set, 64);
    r.loss = totals.loss;
    r.seq_accuracy = totals.seq_accuracy;
    r.score = totals.seq_accuracy;
    return r;
  };
  size_t written_step = 0;
  hooks.on_best = [&](const train::BertModel<float>& m, const EvalResult&, size_t step) {
    store_weights(m, base, stored_names);
    save_model(base, t.output);
    written_step = step;
  };

  const LoopOutcome outcome = run_training(model, config, hooks);
  if (!outcome.interrupted && dev_set.empty()) {
    store_weights(model, base, stored_names);
    save_model(base, t.output);
    written_step = outcome.steps_done;
  }

  nlohmann::json report = loop_report(outcome, config, t.output);
  report["train_examples"] = train_set.size();
  report["dev_examples"] = dev_set.size();
  report["labels"] = stored_names;
  if (!dev_set.empty()) {
    report["best_dev_accuracy"] = outcome.best_score;
    report["best_step"] = outcome.best_step;
  }
  report["written_at_step"] = written_step;
  return report;
}

}  // namespace edgebert::convert
