// What `finetune` trains, task by task: the user's data turned into trainer sequences, and the
// dev measure keep-the-best selects on.
//
//   task            data                                   head, loss              dev measure
//   classification  TSV/CSV label, text[, text_b]          softmax, cross-entropy  accuracy
//   regression      TSV/CSV number, text[, text_b]         1 output, MSE           Pearson r
//   multi-label     TSV/CSV "a,b" (or ""), text[, text_b]  sigmoids, BCE           micro F1
//   tokens          CoNLL word<TAB>label, blank lines      per token, CE on each   entity F1
//                                                          word's first piece      (IOB tags), else
//                                                                                  token accuracy
//   qa              SQuAD JSON (v1.1 / v2.0)               start/end, CE / 2       SQuAD F1
//
// Question answering trains on windows as Hugging Face's run_qa.py makes them: [CLS] question
// [SEP] context part [SEP], consecutive parts sharing `doc_stride` tokens; an answer not wholly
// inside a window (or none, SQuAD 2.0) is labelled [CLS]. Its dev measure is what the device
// computes: the model as it stands is packed and asked eb_session_answer on every dev question
// (max_answer_len 30, as run_qa.py; the empty answer ranked when the data has impossible
// questions), scored by SQuAD's exact match and F1.
#ifndef EDGEBERT_CONVERTER_TRAINER_FINETUNE_TASKS_H_
#define EDGEBERT_CONVERTER_TRAINER_FINETUNE_TASKS_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "file_io.h"
#include "host_session.h"
#include "task_data.h"
#include "trainer/bert_model.h"
#include "trainer/loop.h"
#include "trainer/training_data.h"

namespace edgebert::convert {

enum class FinetuneTask { Classification, Regression, MultiLabel, Tokens, QuestionAnswering };

// "classification", "regression", "multi-label", "tokens", "qa" (the CLI's --task values).
const char* finetune_task_name(FinetuneTask task);
train::Objective finetune_objective(FinetuneTask task);
// The task a model already trained for implies (classification when it has none).
FinetuneTask finetune_task_of(fb::TaskKind kind, fb::ProblemType problem);
// Whether continuing from a model of `kind` keeps its head for `task`.
bool same_head(FinetuneTask task, fb::TaskKind kind, fb::ProblemType problem);

struct TaskData {
  std::vector<Sequence> train, dev;
  std::vector<std::string> labels;     // class names by index (classification, multi-label, tokens)
  std::vector<QaExample> dev_questions;  // question answering: scored through the runtime
  bool impossible = false;             // question answering: the data has unanswerable questions
  uint32_t doc_stride = 0;             // question answering: of the windows (train and dev)
  nlohmann::json notes = nlohmann::json::object();  // counts for the report
};

struct TaskDataOptions {
  std::string train_path, dev_path;  // dev "" = none
  size_t limit = 0;                  // first N training examples (0 = all)
  uint32_t max_seq = 128;
  uint32_t doc_stride = 128;         // question answering
};

// Reads and tokenizes (with the model's device tokenizer, through `session`) the training and
// dev data of `task`. Throws naming the file and line / question on bad data.
TaskData load_task_data(FinetuneTask task, HostSession& session, const TaskDataOptions& options);

// The dev measure of the model (dropout off): loss, the task's measure as seq_accuracy and
// score, and the details (precision, recall, exact match, ...) in `details`. Question
// answering calls `deployed` for a session over the model as it would be written.
EvalResult evaluate_task(FinetuneTask task, train::BertModel<float>& model, const TaskData& data,
                         const std::function<HostSession&()>& deployed, nlohmann::json* details);

// The name of the task's dev measure ("acc", "pearson", "micro-f1", "f1").
const char* task_measure_name(FinetuneTask task, const TaskData& data);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_TRAINER_FINETUNE_TASKS_H_
