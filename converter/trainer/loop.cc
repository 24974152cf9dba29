#include "trainer/loop.h"

#include <fmt/format.h>
#include <omp.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "file_io.h"
#include "progress.h"
#include "svg.h"

namespace edgebert::convert {
namespace {

using nlohmann::json;

constexpr char kCheckpointMagic[8] = {'E', 'B', 'C', 'K', 'P', 'T', '0', '1'};

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_sigint(int) { g_interrupted = 1; }

json shape_json(const train::BertShape& s) {
  json j = {{"vocab", s.vocab},     {"max_positions", s.max_positions},
            {"type_vocab", s.type_vocab}, {"hidden", s.hidden},
            {"heads", s.heads},     {"layers", s.layers},
            {"intermediate", s.intermediate}, {"labels", s.labels},
            {"pretraining_heads", s.pretraining_heads}};
  // Only where it differs from hidden, so checkpoints of the usual shapes read as before.
  if (train::attention_width(s) != s.hidden) j["attention"] = train::attention_width(s);
  if (train::embedding_width(s) != s.hidden) j["embedding"] = train::embedding_width(s);
  return j;
}

json row_json(const LogRow& r) {
  json j = {{"step", r.step}, {"lr", r.lr}, {"train_loss", r.train_loss},
            {"train_mlm_acc", r.train_mlm_acc}, {"train_seq_acc", r.train_seq_acc},
            {"grad_norm", r.grad_norm}, {"tokens_per_s", r.tokens_per_s},
            {"evaluated", r.evaluated}};
  if (r.evaluated) {
    j["eval"] = {{"loss", r.eval.loss}, {"mlm_acc", r.eval.mlm_accuracy},
                 {"seq_acc", r.eval.seq_accuracy}, {"score", r.eval.score}};
  }
  return j;
}

LogRow row_from_json(const json& j) {
  LogRow r;
  r.step = j.at("step");
  r.lr = j.at("lr");
  r.train_loss = j.at("train_loss");
  r.train_mlm_acc = j.at("train_mlm_acc");
  r.train_seq_acc = j.at("train_seq_acc");
  r.grad_norm = j.at("grad_norm");
  r.tokens_per_s = j.at("tokens_per_s");
  r.evaluated = j.at("evaluated");
  if (r.evaluated) {
    const json& e = j.at("eval");
    r.eval.loss = e.at("loss");
    r.eval.mlm_accuracy = e.at("mlm_acc");
    r.eval.seq_accuracy = e.at("seq_acc");
    r.eval.score = e.at("score");
  }
  return r;
}

struct TrainingState {
  size_t step = 0;
  double best_score = -1;
  size_t best_step = 0;
  std::vector<LogRow> log;
};

void append_floats(std::string& out, const std::vector<float>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Static per-tensor ranges in a checkpoint header: by parameter index, [input scale, input zero
// point, output scale, output zero point] per tensor (floats round-trip through JSON's doubles).
json static_ranges_json(const train::BertModel<float>& model) {
  json out = json::object();
  const train::StaticRanges& ranges = model.static_ranges();
  for (size_t p = 0; p < ranges.size(); ++p) {
    if (ranges[p].empty()) continue;
    json& list = out[std::to_string(p)] = json::array();
    for (const train::StaticDense& d : ranges[p]) {
      list.push_back({d.input_scale, d.input_zero_point, d.output_scale, d.output_zero_point});
    }
  }
  return out;
}
train::StaticRanges static_ranges_from_json(const json& j, const std::string& path) {
  train::StaticRanges ranges;
  try {
    for (const auto& [key, list] : j.items()) {
      const size_t p = std::stoul(key);
      if (p >= ranges.size()) throw std::out_of_range("parameter " + key);
      for (const json& d : list) {
        ranges[p].push_back(
            {d.at(0).get<float>(), d.at(2).get<float>(), d.at(1).get<int>(), d.at(3).get<int>()});
      }
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": bad static_ranges in the checkpoint header (" + e.what() +
                             ")");
  }
  return ranges;
}

// Checkpoint: magic, uint64 JSON length, JSON (state, shape, counts), then the parameters and
// the AdamW first and second moments as raw little-endian floats.
void save_checkpoint(const std::string& path, const train::BertModel<float>& model,
                     train::AdamW<float>& adam, const LoopConfig& config,
                     const TrainingState& state) {
  json header = {{"format", "edgebert-checkpoint"}, {"version", 1},
                 {"step", state.step}, {"total_steps", config.steps},
                 {"seed", config.seed}, {"shape", shape_json(model.shape())},
                 {"parameters", model.params().size()}, {"best_score", state.best_score},
                 {"best_step", state.best_step}, {"log", json::array()}};
  for (const LogRow& r : state.log) header["log"].push_back(row_json(r));
  if (model.static_quantization()) header["static_ranges"] = static_ranges_json(model);
  const std::string text = header.dump();
  std::string bytes(kCheckpointMagic, sizeof(kCheckpointMagic));
  const uint64_t length = text.size();
  bytes.append(reinterpret_cast<const char*>(&length), sizeof(length));
  bytes += text;
  append_floats(bytes, model.params());
  append_floats(bytes, adam.m());
  append_floats(bytes, adam.v());
  write_file_atomic(path, bytes.data(), bytes.size());
}

// expect_static_ranges: the run calibrates static ranges (LoopHooks::recalibrate), so its
// checkpoints carry them.
TrainingState load_checkpoint(const std::string& path, train::BertModel<float>& model,
                              train::AdamW<float>& adam, const LoopConfig& config,
                              bool expect_static_ranges) {
  const AlignedBytes bytes = read_file_aligned(path);
  const size_t n = model.params().size();
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kCheckpointMagic, 8) != 0) {
    throw std::runtime_error(path + ": not an edgebert checkpoint");
  }
  uint64_t length = 0;
  std::memcpy(&length, bytes.data() + 8, sizeof(length));
  if (length > bytes.size() - 16 || bytes.size() - 16 - length != 3 * n * sizeof(float)) {
    throw std::runtime_error(path + ": truncated or not made for this model (" +
                             std::to_string(bytes.size()) + " bytes)");
  }
  json header;
  try {
    header = json::parse(bytes.data() + 16, bytes.data() + 16 + length);
  } catch (const json::exception& e) {
    throw std::runtime_error(path + ": bad checkpoint header (" + e.what() + ")");
  }
  if (header.value("shape", json()) != shape_json(model.shape())) {
    throw std::runtime_error(path + ": the checkpoint's model shape " +
                             header.value("shape", json()).dump() + " differs from this run's " +
                             shape_json(model.shape()).dump());
  }
  if (header.value("total_steps", size_t{0}) != config.steps ||
      header.value("seed", uint64_t{0}) != config.seed) {
    throw std::runtime_error(path + ": the checkpoint was made with other --steps/--epochs or "
                                    "--seed; resume with the same settings");
  }
  const float* data = reinterpret_cast<const float*>(bytes.data() + 16 + length);
  std::memcpy(model.params().data(), data, n * sizeof(float));
  std::memcpy(adam.m().data(), data + n, n * sizeof(float));
  std::memcpy(adam.v().data(), data + 2 * n, n * sizeof(float));
  TrainingState state;
  state.step = header.at("step");
  state.best_score = header.at("best_score");
  state.best_step = header.at("best_step");
  for (const json& r : header.at("log")) state.log.push_back(row_from_json(r));
  if (header.contains("static_ranges") != expect_static_ranges) {
    throw std::runtime_error(path + ": the checkpoint was made " +
                             (header.contains("static_ranges") ? "with" : "without") +
                             " --qat-per-tensor; resume with the same settings");
  }
  if (header.contains("static_ranges")) {
    model.set_static_ranges(static_ranges_from_json(header["static_ranges"], path));
  }
  return state;
}

}  // namespace

void create_output_dirs(const TrainingOptions& o) {
  for (const std::string& path : {o.output, o.checkpoint, o.log_prefix}) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!path.empty() && !parent.empty()) std::filesystem::create_directories(parent);
  }
}

LoopConfig make_loop_config(const TrainingOptions& o, const std::string& what, size_t steps) {
  LoopConfig config;
  config.what = what;
  config.steps = steps;
  config.warmup = static_cast<size_t>(o.warmup_ratio * steps);
  config.lr = o.lr;
  config.clip = o.clip;
  config.adam.weight_decay = o.weight_decay;
  // The classifier site exists only in classification models (BertModel ignores it otherwise).
  config.dropout.hidden = config.dropout.attention = config.dropout.classifier = o.dropout;
  config.seed = o.seed;
  config.eval_every = o.eval_every;
  config.checkpoint_every = o.checkpoint_every;
  config.checkpoint_path = o.checkpoint.empty() ? o.output + ".ckpt" : o.checkpoint;
  config.resume_path = o.resume;
  std::string stem = o.output;
  if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".ebm") == 0) stem.resize(stem.size() - 4);
  config.log_prefix = o.log_prefix.empty() ? stem + ".log" : o.log_prefix;
  config.stop_after = o.stop_after;
  config.quiet = o.quiet;
  return config;
}

void add_qat_report(const TrainingOptions& t, nlohmann::json& report) {
  report["qat"] = t.qat;
  if (!t.qat) return;
  report["qat_weight_bits"] = t.qat_weight_bits;
  if (t.qat_weight_bits == 4 || t.qat_embedding_bits == 4) {
    report["qat_group_size"] = t.qat_group_size;
  }
  report["qat_embedding_bits"] = t.qat_embedding_bits;
  report["qat_per_tensor"] = t.qat_per_tensor;
  report["qat_attention"] = t.qat_int8_attention ? "int8" : "fp32";
  if (t.qat_per_tensor) {
    report["qat_calib_samples"] = t.qat_calib_samples;
    report["qat_calib_percentile"] = t.qat_calib_percentile;
  }
}

nlohmann::json loop_report(const LoopOutcome& outcome, const LoopConfig& config,
                           const std::string& output) {
  return {{"steps", outcome.steps_done},       {"total_steps", config.steps},
          {"interrupted", outcome.interrupted}, {"seconds", outcome.seconds},
          {"tokens_per_s", outcome.tokens_per_s}, {"threads", omp_get_max_threads()},
          {"output", output},                   {"checkpoint", config.checkpoint_path},
          {"log", config.log_prefix + ".csv"}};
}

void write_log_files(const std::vector<LogRow>& log, const std::string& prefix,
                     const std::string& title, const std::string& measure) {
  if (prefix.empty()) return;
  auto cell = [](double v) { return v < 0 ? std::string() : fmt::format("{:.6g}", v); };
  std::string csv =
      "step,lr,train_loss,train_mlm_acc,train_seq_acc,grad_norm,tokens_per_s,eval_loss,"
      "eval_mlm_acc,eval_seq_acc\n";
  ChartSeries loss{"train loss", "#1f77b4", {}}, eval_loss{"eval loss", "#d62728", {}};
  // The training batches' accuracy is the measure only for classifiers (and NSP in pretraining).
  const bool train_measure = measure == "acc" || measure.rfind("NSP", 0) == 0;
  ChartSeries train_seq{"train " + (train_measure ? measure : std::string("acc")), "#1f77b4", {}};
  ChartSeries eval_seq{"eval " + measure, "#d62728", {}};
  ChartSeries train_mlm{"train MLM acc", "#2ca02c", {}}, eval_mlm{"eval MLM acc", "#9467bd", {}};
  ChartSeries lr{"learning rate", "#ff7f0e", {}, false};
  const LogRow* best = nullptr;  // the evaluation keep-the-best chose (the first of equals)
  for (const LogRow& r : log) {
    const double x = static_cast<double>(r.step);
    csv += fmt::format("{},{:.6g},{},{},{},{:.6g},{:.1f},{},{},{}\n", r.step, r.lr,
                       cell(r.train_loss), cell(r.train_mlm_acc), cell(r.train_seq_acc), r.grad_norm,
                       r.tokens_per_s, r.evaluated ? cell(r.eval.loss) : "",
                       r.evaluated ? cell(r.eval.mlm_accuracy) : "",
                       r.evaluated ? cell(r.eval.seq_accuracy) : "");
    if (r.train_loss >= 0) loss.points.push_back({x, r.train_loss});
    lr.points.push_back({x, r.lr});
    if (r.train_seq_acc >= 0) train_seq.points.push_back({x, r.train_seq_acc});
    if (r.train_mlm_acc >= 0) train_mlm.points.push_back({x, r.train_mlm_acc});
    if (r.evaluated) {
      eval_loss.points.push_back({x, r.eval.loss});
      if (r.eval.seq_accuracy >= 0) eval_seq.points.push_back({x, r.eval.seq_accuracy});
      if (r.eval.mlm_accuracy >= 0) eval_mlm.points.push_back({x, r.eval.mlm_accuracy});
      if (r.eval.score >= 0 && (best == nullptr || r.eval.score > best->eval.score)) best = &r;
    }
  }
  ChartPoint best_point;
  if (best != nullptr) {
    // On the series keep-the-best ranks by (pretraining: MLM accuracy).
    const bool seq = best->eval.seq_accuracy >= 0 && best->eval.score == best->eval.seq_accuracy;
    best_point.x = static_cast<double>(best->step);
    best_point.y = seq ? best->eval.seq_accuracy : best->eval.mlm_accuracy;
    best_point.label = fmt::format("best {} {:.4g} at step {}", seq ? measure : "MLM acc",
                                   best_point.y, best->step);
  }
  Svg svg(860, 900, title);
  svg.text(64, 24, title, Svg::Font(16, "#111", "start", "bold"));
  line_chart(svg, 0, 40, 860, 280, "loss", "step", {loss, eval_loss});
  line_chart(svg, 0, 330, 860, 280, train_measure ? "accuracy" : "accuracy and dev " + measure,
             "step", {train_seq, eval_seq, train_mlm, eval_mlm},
             best != nullptr ? &best_point : nullptr);
  line_chart(svg, 0, 620, 860, 280, "learning rate", "step", {lr});
  const std::string picture = svg.str();
  write_file_atomic(prefix + ".csv", csv.data(), csv.size());
  write_file_atomic(prefix + ".svg", picture.data(), picture.size());
}

LoopOutcome run_training(train::BertModel<float>& model, const LoopConfig& config,
                         const LoopHooks& hooks) {
  if (config.checkpoint_path.empty()) throw std::runtime_error("no checkpoint path");
  train::AdamW<float> adam(config.adam, model.params().size());
  TrainingState state;
  if (!config.resume_path.empty()) {
    state = load_checkpoint(config.resume_path, model, adam, config, bool(hooks.recalibrate));
    if (!config.quiet) {
      std::fprintf(stderr, "resuming from %s at step %zu of %zu\n", config.resume_path.c_str(),
                   state.step, config.steps);
    }
  }

  g_interrupted = 0;
  struct sigaction action {}, previous{};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  struct RestoreSignal {
    struct sigaction* previous;
    ~RestoreSignal() { sigaction(SIGINT, previous, nullptr); }
  } restore{&previous};

  // At most once per step: the evaluation at the start reuses the first step's calibration.
  size_t calibrated_at = SIZE_MAX;
  auto recalibrate = [&](size_t step) {
    if (!hooks.recalibrate || calibrated_at == step) return;
    model.set_dropout(train::DropoutConfig{});
    hooks.recalibrate(model);
    calibrated_at = step;
  };
  if (state.step == 0) recalibrate(0);
  auto evaluate = [&](size_t step) {
    recalibrate(step);
    train::DropoutConfig off;
    model.set_dropout(off);
    const EvalResult result = hooks.evaluate(model);
    if (result.score > state.best_score) {
      state.best_score = result.score;
      state.best_step = step;
      if (hooks.on_best) hooks.on_best(model, result, step);
    }
    return result;
  };

  if (config.eval_at_start && state.step == 0 && state.log.empty()) {
    LogRow row;
    row.evaluated = true;
    row.train_loss = -1;
    row.eval = evaluate(0);
    state.log.push_back(row);
  }

  std::unique_ptr<ProgressBar> bar;
  if (!config.quiet) bar = std::make_unique<ProgressBar>(config.what, config.steps, "steps",
                                                         state.step);
  LoopOutcome outcome;
  const auto start = std::chrono::steady_clock::now();
  size_t tokens_total = 0;
  // Sums over the steps of the current log row.
  double sum_loss = 0, sum_norm = 0;
  size_t rows_steps = 0, mlm_correct = 0, mlm_count = 0, seq_correct = 0, seq_count = 0;
  size_t row_tokens = 0;
  auto row_start = start;
  std::string detail;

  while (state.step < config.steps) {
    const size_t step = state.step;
    const train::Batch batch = hooks.batch_for_step(step);
    train::DropoutConfig dropout = config.dropout;
    dropout.stream = train::mix64(config.seed ^ train::mix64(step));
    model.set_dropout(dropout);
    model.forward(batch);
    const train::Metrics metrics = model.metrics();
    if (!std::isfinite(metrics.loss)) {
      throw std::runtime_error(fmt::format(
          "the loss became {} at step {}: lower --lr or raise --warmup", metrics.loss, step));
    }
    model.zero_grad();
    model.backward(batch);
    const double norm = train::clip_grad_norm(model.grads(), config.clip);
    const double lr = train::linear_schedule(config.lr, step, config.warmup, config.steps);
    adam.update(model, lr, step + 1);
    state.step = step + 1;

    size_t tokens = 0;
    for (int32_t m : batch.mask) tokens += m != 0 ? 1 : 0;
    tokens_total += tokens;
    row_tokens += tokens;
    sum_loss += metrics.loss;
    sum_norm += norm;
    ++rows_steps;
    mlm_correct += metrics.mlm_correct;
    mlm_count += metrics.mlm_count;
    seq_correct += metrics.seq_correct;
    seq_count += metrics.seq_count;

    const bool last = state.step == config.steps;
    const bool eval_now = last || (config.eval_every > 0 && state.step % config.eval_every == 0);
    const bool log_now = eval_now || state.step % std::max<size_t>(1, config.log_every) == 0;
    if (log_now) {
      const auto now = std::chrono::steady_clock::now();
      LogRow row;
      row.step = state.step;
      row.lr = lr;
      row.train_loss = sum_loss / rows_steps;
      row.grad_norm = sum_norm / rows_steps;
      row.train_mlm_acc = mlm_count > 0 ? double(mlm_correct) / mlm_count : -1;
      row.train_seq_acc = seq_count > 0 ? double(seq_correct) / seq_count : -1;
      row.tokens_per_s = row_tokens / std::chrono::duration<double>(now - row_start).count();
      if (eval_now) {
        row.evaluated = true;
        row.eval = evaluate(state.step);
      }
      state.log.push_back(row);
      detail = fmt::format("loss {:.4f} lr {:.2e} {:.0f} tok/s", row.train_loss, lr,
                           row.tokens_per_s);
      if (row.evaluated) {
        detail += fmt::format(" | eval loss {:.4f}", row.eval.loss);
        if (row.eval.seq_accuracy >= 0) {
          detail += fmt::format(" {} {:.4f}", config.eval_measure, row.eval.seq_accuracy);
        }
        if (row.eval.mlm_accuracy >= 0) detail += fmt::format(" mlm {:.4f}", row.eval.mlm_accuracy);
      }
      write_log_files(state.log, config.log_prefix, config.what, config.eval_measure);
      sum_loss = sum_norm = 0;
      rows_steps = mlm_correct = mlm_count = seq_correct = seq_count = row_tokens = 0;
      row_start = std::chrono::steady_clock::now();
    }
    if (bar) bar->update(state.step, detail);

    const bool stop = g_interrupted != 0 || (config.stop_after > 0 && state.step >= config.stop_after);
    const bool periodic = config.checkpoint_every > 0 && state.step % config.checkpoint_every == 0;
    if (stop || periodic || last) save_checkpoint(config.checkpoint_path, model, adam, config, state);
    if (stop && !last) {
      outcome.interrupted = true;
      if (bar) bar->finish(detail);
      if (!config.quiet) {
        std::fprintf(stderr, "%s at step %zu: checkpoint saved to %s; resume with --resume %s\n",
                     g_interrupted ? "interrupted" : "stopped", state.step,
                     config.checkpoint_path.c_str(), config.checkpoint_path.c_str());
      }
      break;
    }
  }
  if (bar) bar->finish(detail);
  outcome.steps_done = state.step;
  outcome.best_score = state.best_score;
  outcome.best_step = state.best_step;
  outcome.log = state.log;
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.tokens_per_s = outcome.seconds > 0 ? tokens_total / outcome.seconds : 0;
  return outcome;
}

}  // namespace edgebert::convert
