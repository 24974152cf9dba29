// Between the trainer's BertModel<float> and .ebm models (fb::ModelT, Hugging Face tensor names):
// the shape a model implies, weights in (missing heads initialised as BERT does), weights out.
#ifndef EDGEBERT_CONVERTER_TRAINER_MODEL_IO_H_
#define EDGEBERT_CONVERTER_TRAINER_MODEL_IO_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "calibrate.h"
#include "edgebert_generated.h"
#include "labelled_data.h"
#include "trainer/bert_model.h"

namespace edgebert::convert {

// One Hugging Face tensor of the trainer's buffer: which parameter, which layer (-1: not per
// layer), its name (without the "bert." prefix of the task models) and shape.
struct TrainerTensor {
  train::Param param;
  int layer;
  std::string name;
  std::vector<uint32_t> shape;
};

// Whether a tensor belongs to a task head (classifier, qa_outputs, the cls.* pretraining / MLM
// heads) rather than to the encoder or the pooler.
bool is_head_tensor(const std::string& name);

// A training command's starting model: an .ebm file (checked) or a Hugging Face checkpoint folder
// (imported on the fly; encoder_only: without its task head, as `import` does for heads the
// runtime does not run as such).
fb::ModelT read_start_model(const std::string& path, bool encoder_only = false);

// Removes the task head's tensors (is_head_tensor) from `model`.
void drop_head_tensors(fb::ModelT& model);

// The task and problem type a trainer model of this shape is stored as (Encoder for the
// pretraining heads or no head).
fb::TaskKind trainer_task(const train::BertShape& shape);
fb::ProblemType trainer_problem_type(const train::BertShape& shape);

// Every tensor of a trainer model of this shape, in buffer order; the pretraining heads carry
// BertForPreTraining's names ("cls.predictions.transform.dense.weight", "cls.predictions.bias",
// "cls.seq_relationship.weight", ...). .ebm files hold all but those.
std::vector<TrainerTensor> trainer_tensors(const train::BertShape& shape);

// The trainer shape of `model` (fp32 weights, exact-erf GELU required); heads as given.
train::BertShape trainer_shape(const fb::ModelT& model, size_t labels, bool pretraining_heads);

// BERT's initialisation for every parameter: N(0, 0.02) weights and embeddings, zero biases,
// LayerNorm gain 1 and shift 0.
void init_bert_weights(train::BertModel<float>& model, uint64_t seed);

// Copies every tensor `model` has into the trainer's parameters (the rest keep their values:
// call init_bert_weights first). Returns the names of trainer tensors the file did not have
// (e.g. "classifier.weight" for a model imported without a head). Throws if a tensor is not fp32
// or has the wrong shape.
std::vector<std::string> load_weights(train::BertModel<float>& trainer, const fb::ModelT& model);

// Replaces the weights of `model` by the trainer's (encoder, pooler if the head has one, the
// head; pretraining heads are not part of .ebm files) and sets the task (trainer_task, with
// `labels` as its names for sequence and token classifiers, and trainer_problem_type).
void store_weights(const train::BertModel<float>& trainer, fb::ModelT& model,
                   const std::vector<std::string>& labels);

// The static per-tensor int8 of every dense layer of a trainer model of this shape, from a
// calibration of it (calibrate(): ranges by dense weight name) as `quantize --per-tensor` turns
// them into affine int8 (affine_int8). Throws if the calibration lacks a layer.
train::StaticRanges static_ranges(const train::BertShape& shape, const Calibration& calibration);

// LoopHooks::recalibrate for `--qat --qat-per-tensor`: the trainer's weights stored into `model`
// (store_weights with `labels`), calibrated by the quantizer's own calibrate() over `samples` of
// `texts` (the training file, as `quantize --per-tensor --calib` reads it) at `percentile`
// (calibrate's clipping), the ranges set into
// the trainer (static_ranges). `model` must outlive the hook.
std::function<void(train::BertModel<float>&)> static_recalibration(fb::ModelT& model,
                                                                   std::vector<std::string> labels,
                                                                   std::vector<Example> texts,
                                                                   size_t samples,
                                                                   double percentile);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_MODEL_IO_H_
