#include "trainer/finetune.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "host_session.h"
#include "model_file.h"
#include "quantize.h"
#include "trainer/model_io.h"
#include "trainer/finetune_tasks.h"
#include "trainer/training_data.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;

// The starting model (an .ebm of ours or a Hugging Face folder) with the head it has only when
// that head is the one to train (same task, same number of outputs); else its encoder.
fb::ModelT load_start(const FinetuneOptions& o, std::optional<FinetuneTask>* task) {
  fb::ModelT base = read_start_model(o.init);
  const fb::TaskKind kind = base.task ? base.task->kind : fb::TaskKind::Encoder;
  const fb::ProblemType problem = base.task ? base.task->problem_type : fb::ProblemType::SingleLabel;
  if (!task->has_value()) *task = finetune_task_of(kind, problem);
  if (!same_head(**task, kind, problem)) {
    if (fs::is_directory(o.init) && kind != fb::TaskKind::Classification &&
        kind != fb::TaskKind::Encoder && kind != fb::TaskKind::Embedding) {
      // another task's head (masked LM, ...): the encoder only
      base = read_start_model(o.init, /*encoder_only=*/true);
    }
    drop_head_tensors(base);
  }
  return base;
}

}  // namespace

nlohmann::json finetune(const FinetuneOptions& o) {
  std::optional<FinetuneTask> chosen = o.task;
  fb::ModelT base = load_start(o, &chosen);
  const FinetuneTask task = *chosen;
  const TrainingOptions& t = o.training;
  if (t.qat_per_tensor && task != FinetuneTask::Classification &&
      task != FinetuneTask::Regression && task != FinetuneTask::MultiLabel) {
    throw std::runtime_error(
        "--qat-per-tensor: static int8 is calibrated on labelled TSV/CSV texts (`quantize "
        "--per-tensor --calib`), which " +
        std::string(finetune_task_name(task)) + " data is not; train it with --qat (dynamic int8)");
  }
  create_output_dirs(t);
  if (!base.tokenizer) throw std::runtime_error(o.init + ": the model has no tokenizer");
  base.config->max_seq = std::min<uint32_t>(o.max_seq, longest_sequence(*base.config));

  // Tokenize with the device tokenizer stored in the model (the same one inference will use).
  TaskData data;
  {
    HostSession session(pack_model(base), o.init, base.config->max_seq);
    TaskDataOptions d;
    d.train_path = o.train_path;
    d.dev_path = o.dev_path;
    d.limit = o.limit;
    d.max_seq = base.config->max_seq;
    d.doc_stride = o.doc_stride != 0 ? o.doc_stride : std::min<uint32_t>(d.max_seq / 2, 128);
    data = load_task_data(task, session, d);
  }

  std::vector<std::string> stored_names = data.labels;
  if (!o.label_names.empty()) {
    if (task == FinetuneTask::QuestionAnswering) {
      throw std::runtime_error("--label-names: a question answering model has no labels");
    }
    if (o.label_names.size() != data.labels.size()) {
      std::string found;
      for (const std::string& l : data.labels) found += (found.empty() ? "" : ", ") + l;
      throw std::runtime_error("--label-names gives " + std::to_string(o.label_names.size()) +
                               " names for the " + std::to_string(data.labels.size()) +
                               " labels of the data (" + found + ")");
    }
    stored_names = o.label_names;
  }

  // A head with another number of outputs than the data's starts fresh.
  const size_t outputs = task == FinetuneTask::QuestionAnswering ? 2 : data.labels.size();
  bool other_outputs = false;
  for (const DenseSlot head : {DenseSlot::Classifier, DenseSlot::QaOutputs}) {
    const fb::TensorT* weight =
        find_tensor(base, std::string(dense_slot_name(head)) + ".weight");
    other_outputs |= weight != nullptr && !weight->shape.empty() && weight->shape[0] != outputs;
  }
  if (other_outputs) drop_head_tensors(base);

  train::BertShape shape = trainer_shape(base, outputs, false);
  shape.objective = finetune_objective(task);
  train::BertModel<float> model(shape);
  model.set_fake_quantization(t.qat, t.qat_weight_bits, t.qat_group_size, t.qat_embedding_bits,
                              t.qat_int8_attention);
  init_bert_weights(model, t.seed);
  const std::vector<std::string> fresh = load_weights(model, base);
  for (const std::string& name : fresh) {
    // A checkpoint without a head (BertModel) is fine: the pooler and the head start fresh.
    const std::string pooler = std::string(dense_slot_name(DenseSlot::Pooler)) + ".";
    if (!is_head_tensor(name) && name.rfind(pooler, 0) != 0) {
      throw std::runtime_error(o.init + ": tensor " + name + " is missing");
    }
  }
  if (!t.quiet && !fresh.empty()) {
    std::string list;
    for (const std::string& n : fresh) list += (list.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "newly initialised: %s\n", list.c_str());
  }

  const size_t steps_per_epoch = (data.train.size() + o.batch - 1) / o.batch;
  LoopConfig config = make_loop_config(
      t, "finetune", o.steps > 0 ? o.steps : static_cast<size_t>(std::ceil(o.epochs * steps_per_epoch)));
  if (t.eval_every == 0) config.eval_every = steps_per_epoch;
  const char* measure = task_measure_name(task, data);
  config.eval_measure = measure;

  std::vector<size_t> lengths;
  for (const Sequence& seq : data.train) lengths.push_back(seq.ids.size());
  EpochSampler sampler(std::move(lengths), o.batch, t.seed);
  LoopHooks hooks;
  hooks.batch_for_step = [&](size_t step) {
    return make_batch(data.train, sampler.batch_indices(step));
  };
  // --qat-per-tensor: the activation ranges of the model as it is (what `quantize --per-tensor
  // --calib TRAIN` computes from the written model).
  if (t.qat_per_tensor) {
    hooks.recalibrate = static_recalibration(base, stored_names, read_labelled_file(o.train_path),
                                             t.qat_calib_samples, t.qat_calib_percentile);
  }
  const bool has_dev = !data.dev.empty();
  nlohmann::json last_details, best_details;
  std::unique_ptr<HostSession> deployed;
  hooks.evaluate = [&](train::BertModel<float>& m) {
    EvalResult r;
    if (!has_dev) {  // nothing to measure: never "best"; the final model is written
      r.score = -1;
      return r;
    }
    // Question answering is scored by the runtime on the model as it would be written (and,
    // training with --qat, quantized: the int8 model the training sees).
    const auto session = [&]() -> HostSession& {
      store_weights(m, base, stored_names);
      AlignedBytes bytes = pack_model(base);
      if (t.qat) {  // (question answering: never per tensor)
        fb::ModelT quantized;
        fb::GetModel(bytes.data())->UnPackTo(&quantized);
        quantize_model(quantized, t.qat_weight_bits, nullptr,
                       t.qat_int8_attention ? fb::DType::Int8 : fb::DType::Float32,
                       t.qat_group_size, t.qat_embedding_bits);
        bytes = pack_model(quantized);
      }
      deployed = std::make_unique<HostSession>(std::move(bytes), "the model in training",
                                               base.config->max_seq);
      return *deployed;
    };
    r = evaluate_task(task, m, data, session, &last_details);
    deployed.reset();
    return r;
  };
  size_t written_step = 0;
  hooks.on_best = [&](const train::BertModel<float>& m, const EvalResult&, size_t step) {
    store_weights(m, base, stored_names);
    save_model(base, t.output);
    written_step = step;
    best_details = last_details;
  };

  const LoopOutcome outcome = run_training(model, config, hooks);
  if (!outcome.interrupted && !has_dev) {
    store_weights(model, base, stored_names);
    save_model(base, t.output);
    written_step = outcome.steps_done;
  }

  nlohmann::json report = loop_report(outcome, config, t.output);
  report["task"] = finetune_task_name(task);
  add_qat_report(t, report);
  report["train_examples"] = data.train.size();
  report["dev_examples"] = data.dev.size();
  if (task != FinetuneTask::QuestionAnswering) report["labels"] = stored_names;
  report["data"] = data.notes;
  if (has_dev) {
    report["dev_measure"] = measure;
    report["best_dev_score"] = outcome.best_score;
    if (task == FinetuneTask::Classification) report["best_dev_accuracy"] = outcome.best_score;
    report["best_dev_details"] = best_details;
    report["best_step"] = outcome.best_step;
  }
  report["written_at_step"] = written_step;
  return report;
}

}  // namespace edgebert::convert
