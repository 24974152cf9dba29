// `edgebert-convert run`: serves every task of a model from the command line through the C API
// (the same calls an app makes): classify, score (cross-encoders), embed, answer, tag,
// fill-mask. Text in; a readable report or one JSON object out, for scripts.
#ifndef EDGEBERT_CONVERTER_RUN_COMMAND_H_
#define EDGEBERT_CONVERTER_RUN_COMMAND_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace edgebert::convert {

struct RunOptions {
  std::string model;                   // .ebm path
  std::string text;                    // the input text (question answering: the question)
  std::optional<std::string> pair;     // second text of a pair (classification)
  std::optional<std::string> context;  // question answering: the context
  std::vector<std::string> passages;   // cross-encoders: passages scored against `text`
  uint32_t top_k = 0;                  // 0: the task's default (answers 1, fill-mask 5)
  std::string aggregation = "none";    // tagging: none, simple, first, average, max
  uint32_t max_answer_len = 15;
  std::optional<uint32_t> doc_stride;  // default: min(max_seq / 2, 128)
  bool impossible = false;             // question answering: rank the empty answer too
  uint32_t max_seq = 0;                // 0: the model's
  uint32_t batch = 8;                  // passages (or long-text windows) per run
  std::optional<uint32_t> stride;      // classify / embed: read a long text in windows sharing
                                       // this many tokens (default: truncate to max_seq)
  std::string kernels;                 // "" = the best set of this CPU
};

// {"task": ..., and the task's results}; throws std::runtime_error naming what is wrong (a
// missing --context, an option the task does not take, the runtime's own message).
nlohmann::json run_report(const RunOptions& options);

// The report as lines for a terminal.
std::string run_text(const nlohmann::json& report);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_RUN_COMMAND_H_
