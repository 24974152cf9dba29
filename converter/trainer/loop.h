// The training loop shared by `pretrain` and `finetune`: schedule, AdamW, clipping, dropout
// streams, periodic evaluation with keep-the-best, progress bar, CSV + SVG log, checkpoints
// (periodic, final, and on Ctrl-C) and exact resume.
//
// Reproducibility: everything a step uses is a function of (seed, step) — the batch (the caller's
// batch_for_step), the dropout masks (stream mix64(seed ^ step)) — and the checkpoint holds the
// weights, AdamW moments, step and log, so a resumed run ends bit-identical to an uninterrupted one.
#ifndef EDGEBERT_CONVERTER_TRAINER_LOOP_H_
#define EDGEBERT_CONVERTER_TRAINER_LOOP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trainer/bert_model.h"
#include "trainer/optimizer.h"

namespace edgebert::convert {

struct LoopConfig {
  std::string what = "training";  // progress bar label
  size_t steps = 1000, warmup = 100;
  double lr = 5e-5, clip = 1.0;
  train::AdamWConfig adam;
  train::DropoutConfig dropout;  // probabilities; the stream is set per step
  uint64_t seed = 42;
  size_t eval_every = 0;        // 0: evaluate at the end only
  std::string eval_measure = "acc";  // what EvalResult.seq_accuracy holds (progress, log)
  bool eval_at_start = false;   // also evaluate the initial model (a log row at step 0)
  size_t checkpoint_every = 0;  // 0: checkpoint at the end (and on Ctrl-C) only
  size_t log_every = 50;        // steps averaged per log row
  std::string checkpoint_path;  // required
  std::string resume_path;      // "" = start fresh
  std::string log_prefix;       // writes <prefix>.csv and <prefix>.svg ("" = none)
  size_t stop_after = 0;        // stop (with a checkpoint) once this step is done; 0 = never
  bool quiet = false;           // no progress bar or messages
};

// The settings every training command (pretrain, finetune) shares, one CLI flag each
// (main.cc: add_training_options); each command gives its own lr, warmup and eval_every defaults.
struct TrainingOptions {
  TrainingOptions(double lr, double warmup_ratio, size_t eval_every)
      : lr(lr), warmup_ratio(warmup_ratio), eval_every(eval_every) {}
  std::string output;  // .ebm
  double lr, warmup_ratio;
  double weight_decay = 0.01, clip = 1.0, dropout = 0.1;
  uint64_t seed = 42;
  size_t eval_every;
  size_t checkpoint_every = 500;
  std::string resume;      // checkpoint to resume from
  std::string checkpoint;  // default: <output>.ckpt
  std::string log_prefix;  // default: <output without .ebm>.log -> .csv/.svg
  size_t stop_after = 0;   // testing: stop with a checkpoint after this step
  bool quiet = false;
  // Quantization-aware training (finetune, distill): the model trains on the int8 runtime's
  // values (BertModel::set_fake_quantization); the fp32 model written quantizes to them.
  bool qat = false;
  int qat_weight_bits = 8;  // 7: for `quantize --weight-bits 7` (dense weights in [-63, 63]);
                            // 4: for `quantize --weight-bits 4 --group-size qat_group_size`
  size_t qat_group_size = 32;
  int qat_embedding_bits = 8;  // 4: for `quantize --embedding-bits 4`
  bool qat_int8_attention = true;  // false: for `quantize --attention fp32`
  // Static per-tensor int8 for XNNPACK (`quantize --per-tensor --calib <the training file>`):
  // the activation ranges calibrated (calibrate.h, the quantizer's own function) on the model
  // in training at the start and at every evaluation, over qat_calib_samples training texts.
  bool qat_per_tensor = false;
  size_t qat_calib_samples = 512;       // quantize's --calib-samples default
  double qat_calib_percentile = 100.0;  // quantize's --calib-percentile default
};

// Creates the directories the output, checkpoint and log files go in.
void create_output_dirs(const TrainingOptions& options);

// The loop settings of a command that trains `steps` steps: schedule, AdamW decay, dropout on
// every site, and the checkpoint and log paths derived from the output.
LoopConfig make_loop_config(const TrainingOptions& options, const std::string& what,
                            size_t steps);

struct EvalResult {
  double loss = 0, mlm_accuracy = -1, seq_accuracy = -1;  // -1: not measured
  double score = 0;                                       // higher is better (keep-the-best)
};

// One row of the training log (train_* averaged over the rows's steps).
struct LogRow {
  size_t step = 0;
  double lr = 0, train_loss = 0, train_mlm_acc = -1, train_seq_acc = -1, grad_norm = 0;
  double tokens_per_s = 0;
  bool evaluated = false;
  EvalResult eval;
};

struct LoopHooks {
  std::function<train::Batch(size_t step)> batch_for_step;  // deterministic in step
  std::function<EvalResult(train::BertModel<float>&)> evaluate;  // dropout is off meanwhile
  // Called when an evaluation beats every earlier one (e.g. write the best model).
  std::function<void(const train::BertModel<float>&, const EvalResult&, size_t step)> on_best;
  // Optional: called (dropout off) before the first step of a fresh run and before every
  // evaluation, e.g. to calibrate static quantization ranges on the model as it is then; what
  // it sets in the model (BertModel::static_ranges) is saved in checkpoints and restored.
  std::function<void(train::BertModel<float>&)> recalibrate;
};

struct LoopOutcome {
  size_t steps_done = 0;
  bool interrupted = false;  // Ctrl-C or stop_after: a checkpoint was written, resume later
  double best_score = -1;
  size_t best_step = 0;
  std::vector<LogRow> log;
  double seconds = 0, tokens_per_s = 0;
};

// Trains `model` (already initialised) by the config; the model's shape is checked against a
// resumed checkpoint. Throws std::runtime_error on I/O errors or a mismatched checkpoint.
LoopOutcome run_training(train::BertModel<float>& model, const LoopConfig& config,
                         const LoopHooks& hooks);

// The report fields every training command gives: steps, total_steps, interrupted, seconds,
// tokens_per_s, threads, output, checkpoint, log.
// The --qat settings of a run (finetune, distill) into its report: "qat", and with it the
// weight and embedding bits, group size (4 bits), attention, per-tensor calibration.
void add_qat_report(const TrainingOptions& options, nlohmann::json& report);

nlohmann::json loop_report(const LoopOutcome& outcome, const LoopConfig& config,
                           const std::string& output);

// The CSV and SVG log files for `log` (also written by run_training as it goes).
// `measure` names the eval_seq_acc series (the task's dev measure).
void write_log_files(const std::vector<LogRow>& log, const std::string& prefix,
                     const std::string& title, const std::string& measure = "acc");

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_LOOP_H_
