// `edgebert-convert eval`: accuracy of a classifier on a labelled file, and with --compare a
// second model (typically its int8 version) side by side: both accuracies, argmax agreement,
// logit error and latency per example, all through the device runtime's text API.
#ifndef EDGEBERT_CONVERTER_EVAL_COMMAND_H_
#define EDGEBERT_CONVERTER_EVAL_COMMAND_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "edgebert/edgebert.h"

namespace edgebert::convert {

struct EvalOptions {
  std::string model, data;
  std::optional<std::string> compare;  // a second model on the same data
  uint32_t max_seq = 0;                // 0 = the model's
  size_t limit = 0;                    // 0 = every example
  std::string kernels;                 // force a kernel set ("" = automatic)
  eb_provider provider = EB_PROVIDER_AUTO;          // for `model`
  eb_provider compare_provider = EB_PROVIDER_AUTO;  // for `compare`
  bool progress = true;
};

nlohmann::json evaluate(const EvalOptions& options);
std::string eval_text(const nlohmann::json& report);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_EVAL_COMMAND_H_
