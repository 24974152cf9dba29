// `edgebert-convert explain`: what a model looks at. Runs a text (or a pair) through the device
// runtime with an op observer that reads every head's attention map at each layer's "attention"
// step (eb_session_attention), and the model's task on the same text for its prediction (the
// report of `run`). Shown as a terminal report (each token's strongest keys in one head), JSON
// with every map, or a picture (attention_picture.h).
#ifndef EDGEBERT_CONVERTER_EXPLAIN_COMMAND_H_
#define EDGEBERT_CONVERTER_EXPLAIN_COMMAND_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace edgebert::convert {

struct ExplainOptions {
  std::string model;                // .ebm path
  std::string text;                 // question answering: the question
  std::optional<std::string> pair;  // second text (classifiers); question answering: the context
  uint32_t max_seq = 0;             // 0: the model's; longer texts are truncated to it
  std::string kernels;              // "" = the best set of this CPU
};

struct Explanation {
  std::string model_name;           // the file's name
  std::vector<std::string> pieces;  // (S) the token pieces the model ran on
  std::vector<int8_t> segments;     // (S) 0 = text, 1 = pair, -1 = special token
  uint32_t layers = 0, heads = 0;
  std::vector<float> attentions;  // (layers, heads, S, S): row i = token i's weights on keys
  nlohmann::json prediction;      // run_report() of the same input
  std::string kernels;            // what ran it (eb_session_kernels)

  size_t tokens() const { return pieces.size(); }
  // (S, S) map of one head.
  const float* map(uint32_t layer, uint32_t head) const {
    return attentions.data() + (size_t{layer} * heads + head) * tokens() * tokens();
  }
  // Throws std::runtime_error naming the option if layer or head does not exist.
  void check_head(uint32_t layer, uint32_t head) const;
};

// Throws std::runtime_error naming what is wrong (no tokenizer, a pair the task does not take,
// the runtime's own message).
Explanation explain(const ExplainOptions& options);

// {"model", "kernels", "tokens": [pieces], "segments", "layers", "heads", "prediction",
//  "attentions": [layer][head][query][key]}.
nlohmann::json explain_json(const Explanation& e);

// The tokens, the prediction, then for head (layer, head) each token's strongest keys.
std::string explain_text(const Explanation& e, uint32_t layer, uint32_t head);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_EXPLAIN_COMMAND_H_
