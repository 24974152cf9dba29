#include "trainer/distill.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <utility>

#include "edgebert/edgebert.h"
#include "edgebert_internal/layout.h"
#include "file_io.h"
#include "host_session.h"
#include "labelled_data.h"
#include "model_file.h"
#include "progress.h"
#include "random_model.h"
#include "trainer/finetune_tasks.h"
#include "trainer/model_io.h"
#include "trainer/prune.h"
#include "trainer/training_data.h"

namespace edgebert::convert {
namespace {

namespace fs = std::filesystem;

// One input of the teacher: a labelled example's texts or an unlabeled line.
struct TeacherInput {
  std::string text, text_b;
  bool has_text_b = false;
  std::string where;  // file:line
};

// FNV-1a over what the teacher's logits depend on: its file, max_seq and every input.
uint64_t cache_key(const AlignedBytes& teacher, uint32_t max_seq,
                   const std::vector<TeacherInput>& inputs) {
  uint64_t h = 1469598103934665603ull;
  const auto add = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  add(teacher.data(), teacher.size());
  add(&max_seq, sizeof max_seq);
  for (const TeacherInput& in : inputs) {
    add(in.text.data(), in.text.size());
    const char separator = in.has_text_b ? '\x1f' : '\x1e';
    add(&separator, 1);
    add(in.text_b.data(), in.text_b.size());
    add("\x1d", 1);
  }
  return h;
}

// The cache file: "EBTEACH1", key, count, K (uint64 each), then count x K float logits.
constexpr char kCacheMagic[8] = {'E', 'B', 'T', 'E', 'A', 'C', 'H', '1'};

bool read_cache(const std::string& path, uint64_t key, size_t count, size_t* k,
                std::vector<float>* logits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char magic[8];
  uint64_t header[3];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kCacheMagic, sizeof magic) != 0 ||
      !in.read(reinterpret_cast<char*>(header), sizeof header)) {
    return false;
  }
  if (header[0] != key || header[1] != count || header[2] == 0 || header[2] > 4096) return false;
  logits->resize(count * header[2]);
  if (!in.read(reinterpret_cast<char*>(logits->data()),
               static_cast<std::streamsize>(logits->size() * sizeof(float)))) {
    return false;
  }
  *k = header[2];
  return true;
}

void write_cache(const std::string& path, uint64_t key, size_t count, size_t k,
                 const std::vector<float>& logits) {
  std::vector<uint8_t> bytes(sizeof kCacheMagic + 3 * sizeof(uint64_t) + logits.size() * 4);
  const uint64_t header[3] = {key, count, k};
  std::memcpy(bytes.data(), kCacheMagic, sizeof kCacheMagic);
  std::memcpy(bytes.data() + sizeof kCacheMagic, header, sizeof header);
  std::memcpy(bytes.data() + sizeof kCacheMagic + sizeof header, logits.data(),
              logits.size() * sizeof(float));
  write_file_atomic(path, bytes.data(), bytes.size());
}

// The teacher's logits (inputs x K) through the device runtime.
std::vector<float> run_teacher(HostSession& teacher, const std::vector<TeacherInput>& inputs,
                               size_t* k, bool quiet) {
  std::vector<float> logits;
  std::unique_ptr<ProgressBar> bar;
  if (!quiet) bar = std::make_unique<ProgressBar>("teacher", inputs.size(), "texts");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TeacherInput& in = inputs[i];
    eb_error error;
    if (eb_session_run_text(teacher.session().get(), in.text.data(), in.text.size(),
                            in.has_text_b ? in.text_b.data() : nullptr,
                            in.has_text_b ? in.text_b.size() : 0, &error) != EB_OK) {
      throw std::runtime_error("teacher on " + in.where + ": " + error.message);
    }
    size_t count = 0;
    const float* out = eb_session_output(teacher.session().get(), EB_OUTPUT_LOGITS, &count);
    if (out == nullptr || count < 2) {
      throw std::runtime_error("the teacher gives no classification logits (needs a classifier "
                               "with at least 2 labels)");
    }
    if (i == 0) *k = count;
    logits.insert(logits.end(), out, out + count);
    if (bar && (i % 256 == 0 || i + 1 == inputs.size())) bar->update(i + 1);
  }
  if (bar) bar->finish();
  return logits;
}

// Unlabeled texts: one per non-empty line.
std::vector<TeacherInput> read_unlabeled(const std::vector<std::string>& paths, size_t limit) {
  std::vector<TeacherInput> out;
  for (const std::string& path : paths) {
    const std::string text = read_text_file(path);
    size_t line = 0, begin = 0;
    while (begin <= text.size() && (limit == 0 || out.size() < limit)) {
      size_t end = text.find('\n', begin);
      if (end == std::string::npos) end = text.size();
      ++line;
      std::string s = text.substr(begin, end - begin);
      if (!s.empty() && s.back() == '\r') s.pop_back();
      if (s.find_first_not_of(" \t") != std::string::npos) {
        out.push_back({s, "", false, path + ":" + std::to_string(line)});
      }
      begin = end + 1;
    }
  }
  return out;
}

size_t argmax(const float* x, size_t k) {
  return static_cast<size_t>(std::max_element(x, x + k) - x);
}

}  // namespace

nlohmann::json distill(const DistillOptions& o) {
  if (!(o.temperature > 0.0f)) throw std::runtime_error("--temperature must be > 0");
  if (!(o.hard_weight >= 0.0f && o.hard_weight <= 1.0f)) {
    throw std::runtime_error("--alpha (the hard labels' weight) must be in [0, 1]");
  }
  const TrainingOptions& t = o.training;
  create_output_dirs(t);

  // The teacher, as the runtime will run it.
  fb::ModelT teacher = read_start_model(o.teacher);
  if (!teacher.task || teacher.task->kind != fb::TaskKind::Classification ||
      teacher.task->problem_type != fb::ProblemType::SingleLabel) {
    throw std::runtime_error(o.teacher + ": the teacher must be a single-label classifier (task " +
                             std::string(teacher.task ? fb::EnumNameTaskKind(teacher.task->kind)
                                                      : "none") +
                             ")");
  }
  if (!teacher.tokenizer) throw std::runtime_error(o.teacher + ": the teacher has no tokenizer");
  const uint32_t teacher_seq = std::min(o.max_seq, longest_sequence(*teacher.config));
  AlignedBytes teacher_bytes =
      fs::is_directory(o.teacher) ? pack_model(teacher) : read_file_aligned(o.teacher);

  // The student's starting model.
  nlohmann::json init;
  fb::ModelT base;
  bool random_start = false;
  if (!o.student.empty()) {
    base = read_start_model(o.student);
    drop_head_tensors(base);
    if (!base.tokenizer) throw std::runtime_error(o.student + ": the student has no tokenizer");
    init["from"] = o.student;
  } else {
    const fb::ConfigT& tc = *teacher.config;
    fb::ModelT source =
        o.prune_from.empty() ? clone_model(teacher) : read_start_model(o.prune_from);
    // --heads 0: heads of the source's size when pruned from it (attention width = hidden).
    const uint32_t source_head = std::max<uint32_t>(1, source.config->head_dim);
    const uint32_t pruned_heads = o.heads != 0 ? o.heads : o.hidden / source_head;
    const StudentShape student_shape{o.layers, o.hidden, pruned_heads, o.intermediate,
                                     o.from_layers};
    const std::string why =
        why_not_prunable(source, student_shape, o.prune_from.empty() ? "the teacher" : "the model");
    if ((!o.prune_from.empty() || !o.from_layers.empty()) && !why.empty()) {
      throw std::runtime_error(
          (o.prune_from.empty() ? "--from-layers: " : "--prune-from " + o.prune_from + ": ") + why);
    }
    if (!o.prune_from.empty() && !source.tokenizer) {
      throw std::runtime_error("--prune-from " + o.prune_from + ": the model has no tokenizer");
    }
    if (why.empty()) {
      // The teacher (or --prune-from) truncated (layers evenly spaced or --from-layers) and,
      // where narrower, pruned.
      init["from"] = o.prune_from.empty() ? "teacher" : o.prune_from;
      base = prune_model(std::move(source), student_shape, &init);
    } else {
      // A new shape: BERT's random initialisation, the teacher's tokenizer and vocabulary.
      // --heads 0: heads of 64, as BERT's.
      const uint32_t heads = o.heads != 0 ? o.heads : std::max<uint32_t>(1, o.hidden / 64);
      if (o.hidden % heads != 0) {
        throw std::runtime_error("--hidden must be a multiple of --heads (a random student; " +
                                 why + ")");
      }
      BertShape shape;
      shape.num_layers = o.layers;
      shape.hidden = o.hidden;
      shape.num_heads = heads;
      shape.head_dim = o.hidden / heads;
      shape.intermediate = o.intermediate;
      shape.vocab_size = tc.vocab_size;
      shape.max_positions = tc.max_positions;
      shape.type_vocab_size = tc.type_vocab_size;
      shape.num_labels = 0;
      fb::ModelT fresh = random_bert(shape, t.seed);
      fresh.tokenizer = std::move(source.tokenizer);  // source: the teacher's copy here
      base = std::move(fresh);
      random_start = true;
      init["from"] = "random";
      init["why"] = why;
    }
  }
  // Headless until the trainer writes the classifier (store_weights sets the task).
  if (!base.task) base.task = std::make_unique<fb::TaskT>();
  base.task->kind = fb::TaskKind::Encoder;
  base.task->labels.clear();
  base.task->problem_type = fb::ProblemType::SingleLabel;
  base.config->max_seq = std::min<uint32_t>(o.max_seq, longest_sequence(*base.config));
  if (!base.provenance) base.provenance = std::make_unique<fb::ProvenanceT>();
  base.provenance->source = "distill:" + o.teacher;

  // Data, tokenized by the student's tokenizer; the teacher reads the same texts with its own.
  TaskData data;
  std::vector<TeacherInput> inputs;
  size_t labelled = 0, unlabeled = 0;
  {
    HostSession student(pack_model(base), "the student", base.config->max_seq);
    TaskDataOptions d;
    d.train_path = o.train_path;
    d.dev_path = o.dev_path;
    d.limit = o.limit;
    d.max_seq = base.config->max_seq;
    data = load_task_data(FinetuneTask::Classification, student, d);
    std::vector<Example> train = read_labelled_file(o.train_path);
    if (o.limit > 0 && train.size() > o.limit) train.resize(o.limit);
    if (train.size() != data.train.size()) {
      throw std::runtime_error(o.train_path + ": read twice with different results");
    }
    for (const Example& e : train) {
      inputs.push_back({e.text, e.text_b, e.has_text_b, o.train_path + ":" + std::to_string(e.line)});
    }
    labelled = train.size();
    for (TeacherInput& in : read_unlabeled(o.unlabeled, o.unlabeled_limit)) {
      Sequence s = tokenize_pair(student, in.text, nullptr, in.where);
      data.train.push_back(std::move(s));  // label -1: the soft term only
      inputs.push_back(std::move(in));
    }
    unlabeled = inputs.size() - labelled;
    if (!o.dev_path.empty()) {
      for (const Example& e : read_labelled_file(o.dev_path)) {
        inputs.push_back({e.text, e.text_b, e.has_text_b, o.dev_path + ":" + std::to_string(e.line)});
      }
    }
  }
  if (random_start) base.tensors.clear();  // every weight from the trainer's initialisation

  // The teacher's logits: from the cache when it holds exactly these.
  const std::string cache_path = !o.teacher_cache.empty() ? o.teacher_cache : t.output + ".teacher";
  const uint64_t key = cache_key(teacher_bytes, teacher_seq, inputs);
  size_t K = 0;
  std::vector<float> logits;
  const bool hit = read_cache(cache_path, key, inputs.size(), &K, &logits);
  double teacher_seconds = 0;
  if (!hit) {
    HostSession session(std::move(teacher_bytes), o.teacher, teacher_seq);
    const auto start = std::chrono::steady_clock::now();
    logits = run_teacher(session, inputs, &K, t.quiet);
    teacher_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_cache(cache_path, key, inputs.size(), K, logits);
  }
  if (data.labels.size() != K) {
    throw std::runtime_error(fmt::format("{}: {} labels, but the teacher {} has {} outputs",
                                         o.train_path, data.labels.size(), o.teacher, K));
  }
  size_t right = 0;
  for (size_t i = 0; i < data.train.size(); ++i) {
    const float* z = logits.data() + i * K;
    data.train[i].teacher_logits.assign(z, z + K);
    if (i < labelled && argmax(z, K) == static_cast<size_t>(data.train[i].label)) ++right;
  }
  const double teacher_train_acc = labelled > 0 ? double(right) / double(labelled) : 0.0;
  double teacher_dev_acc = -1;
  if (!data.dev.empty()) {
    size_t dev_right = 0;
    for (size_t i = 0; i < data.dev.size(); ++i) {
      const float* z = logits.data() + (labelled + unlabeled + i) * K;
      dev_right += argmax(z, K) == static_cast<size_t>(data.dev[i].label) ? 1 : 0;
    }
    teacher_dev_acc = double(dev_right) / double(data.dev.size());
  }
  if (!t.quiet) {
    std::fprintf(stderr,
                 "teacher: %s, %zu outputs; logits of %zu texts %s %s; accuracy on the "
                 "training labels %.4f%s\n",
                 o.teacher.c_str(), K, inputs.size(), hit ? "read from" : "cached in",
                 cache_path.c_str(), teacher_train_acc,
                 teacher_dev_acc >= 0 ? fmt::format(", dev {:.4f}", teacher_dev_acc).c_str() : "");
  }
  if (labelled > 0 && teacher_train_acc < 1.0 / double(K) + 0.1) {
    std::fprintf(stderr,
                 "warning: the teacher agrees with the training labels only %.1f%% of the time: "
                 "the sorted labels (%s, ...) may not be the teacher's outputs in order\n",
                 100 * teacher_train_acc, data.labels[0].c_str());
  }

  // The student.
  const std::vector<std::string> names =
      teacher.task->labels.size() == K ? teacher.task->labels : data.labels;
  train::BertShape shape = trainer_shape(base, K, false);
  shape.objective = train::Objective::SingleLabel;
  train::BertModel<float> model(shape);
  model.set_fake_quantization(t.qat, t.qat_weight_bits, t.qat_group_size, t.qat_embedding_bits,
                              t.qat_int8_attention);
  init_bert_weights(model, t.seed);
  const std::vector<std::string> fresh = load_weights(model, base);
  if (!random_start) {
    for (const std::string& name : fresh) {
      const std::string pooler = std::string(dense_slot_name(DenseSlot::Pooler)) + ".";
      if (!is_head_tensor(name) && name.rfind(pooler, 0) != 0) {
        throw std::runtime_error(init["from"].get<std::string>() + ": tensor " + name +
                                 " is missing");
      }
    }
  }

  const size_t steps_per_epoch = (data.train.size() + o.batch - 1) / o.batch;
  LoopConfig config = make_loop_config(
      t, "distill",
      o.steps > 0 ? o.steps : static_cast<size_t>(std::ceil(o.epochs * steps_per_epoch)));
  if (t.eval_every == 0) config.eval_every = steps_per_epoch;
  config.eval_measure = task_measure_name(FinetuneTask::Classification, data);

  std::vector<size_t> lengths;
  for (const Sequence& seq : data.train) lengths.push_back(seq.ids.size());
  EpochSampler sampler(std::move(lengths), o.batch, t.seed);
  LoopHooks hooks;
  hooks.batch_for_step = [&](size_t step) {
    train::Batch batch = make_batch(data.train, sampler.batch_indices(step));
    batch.soft_temperature = o.temperature;
    batch.hard_weight = o.hard_weight;
    return batch;
  };
  const bool has_dev = !data.dev.empty();
  nlohmann::json last_details, best_details;
  if (t.qat_per_tensor) {  // as finetune's
    hooks.recalibrate = static_recalibration(base, names, read_labelled_file(o.train_path),
                                             t.qat_calib_samples, t.qat_calib_percentile);
  }
  hooks.evaluate = [&](train::BertModel<float>& m) {
    EvalResult r;
    if (!has_dev) {
      r.score = -1;
      return r;
    }
    const auto unused = []() -> HostSession& {
      throw std::logic_error("classification is evaluated by the trainer");
    };
    return evaluate_task(FinetuneTask::Classification, m, data, unused, &last_details);
  };
  size_t written_step = 0;
  hooks.on_best = [&](const train::BertModel<float>& m, const EvalResult&, size_t step) {
    store_weights(m, base, names);
    save_model(base, t.output);
    written_step = step;
    best_details = last_details;
  };
  const LoopOutcome outcome = run_training(model, config, hooks);
  if (!outcome.interrupted && !has_dev) {
    store_weights(model, base, names);
    save_model(base, t.output);
    written_step = outcome.steps_done;
  }

  nlohmann::json report = loop_report(outcome, config, t.output);
  report["teacher"] = o.teacher;
  add_qat_report(t, report);
  report["teacher_cache"] = cache_path;
  report["teacher_cache_hit"] = hit;
  report["teacher_seconds"] = teacher_seconds;
  report["teacher_train_accuracy"] = teacher_train_acc;
  if (teacher_dev_acc >= 0) report["teacher_dev_accuracy"] = teacher_dev_acc;
  report["student"] = {{"layers", shape.layers},
                       {"hidden", shape.hidden},
                       {"heads", shape.heads},
                       {"intermediate", shape.intermediate},
                       {"init", init}};
  report["temperature"] = o.temperature;
  report["alpha"] = o.hard_weight;
  report["labelled_examples"] = labelled;
  report["unlabeled_examples"] = unlabeled;
  report["dev_examples"] = data.dev.size();
  report["labels"] = names;
  if (has_dev) {
    report["best_dev_accuracy"] = outcome.best_score;
    report["best_step"] = outcome.best_step;
  }
  report["written_at_step"] = written_step;
  return report;
}

}  // namespace edgebert::convert
