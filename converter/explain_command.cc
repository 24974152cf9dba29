#include "explain_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <stdexcept>

#include "edgebert/edgebert.h"
#include "file_io.h"
#include "host_session.h"
#include "run_command.h"

namespace edgebert::convert {
namespace {

// The op observer of the explained run: at each layer's "attention" step, every head's map of
// the run's one sequence into maps (layers, heads, S, S). No exceptions across the C hook: the
// first failure is kept in `error`.
struct AttentionRecorder {
  eb_session* session = nullptr;
  uint32_t layers = 0, heads = 0;
  std::vector<float> maps;
  size_t tokens = 0;
  int steps = 0;
  std::string error;

  static void observe(void* user, const char* op, int32_t layer) {
    auto* r = static_cast<AttentionRecorder*>(user);
    if (std::strcmp(op, "attention") != 0 || !r->error.empty()) return;
    eb_error e;
    if (eb_session_attention(r->session, 0, 0, nullptr, 0, &r->tokens, &e) != EB_OK) {
      r->error = e.message;
      return;
    }
    const size_t S = r->tokens;
    r->maps.resize(size_t{r->layers} * r->heads * S * S);
    for (uint32_t h = 0; h < r->heads; ++h) {
      float* out = r->maps.data() + (size_t(layer) * r->heads + h) * S * S;
      if (eb_session_attention(r->session, 0, h, out, S * S, nullptr, &e) != EB_OK) {
        r->error = e.message;
        return;
      }
    }
    ++r->steps;
  }
};

const char* task_name(eb_task_kind task) {
  switch (task) {
    case EB_TASK_CLASSIFICATION:
      return "classifier";
    case EB_TASK_QUESTION_ANSWERING:
      return "question answering";
    case EB_TASK_TOKEN_CLASSIFICATION:
      return "token classification";
    case EB_TASK_MASKED_LM:
      return "masked LM";
    case EB_TASK_EMBEDDING:
      return "sentence embedding";
    case EB_TASK_ENCODER:
      return "encoder";
  }
  return "?";
}

}  // namespace

void Explanation::check_head(uint32_t layer, uint32_t head) const {
  if (layer >= layers) {
    throw std::runtime_error(
        fmt::format("--layer {}: the model has {} layers (0 .. {})", layer, layers, layers - 1));
  }
  if (head >= heads) {
    throw std::runtime_error(
        fmt::format("--head {}: the model has {} heads a layer (0 .. {})", head, heads, heads - 1));
  }
}

Explanation explain(const ExplainOptions& o) {
  AttentionRecorder recorder;
  HostSession loaded(read_file_aligned(o.model), o.model, o.max_seq, o.kernels, EB_PROVIDER_AUTO, 1,
                     &AttentionRecorder::observe, &recorder);
  eb_session* s = loaded.session().get();
  const eb_model_info info = loaded.model().info();
  if (!info.has_tokenizer) throw std::runtime_error(o.model + ": the model has no tokenizer");
  const bool qa = info.task == EB_TASK_QUESTION_ANSWERING;
  if (qa && !o.pair) {
    throw std::runtime_error("question answering reads a question and a context: give --pair");
  }
  if (o.pair && !qa && info.task != EB_TASK_CLASSIFICATION) {
    throw std::runtime_error(
        fmt::format("--pair does not apply to a {} model", task_name(info.task)));
  }
  recorder.session = s;
  recorder.layers = info.num_layers;
  recorder.heads = info.num_heads;
  eb_error error;
  if (eb_session_run_text(s, o.text.data(), o.text.size(), o.pair ? o.pair->data() : nullptr,
                          o.pair ? o.pair->size() : 0, &error) != EB_OK) {
    throw std::runtime_error(error.message);
  }
  if (!recorder.error.empty()) throw std::runtime_error("attention maps: " + recorder.error);
  if (recorder.steps != static_cast<int>(info.num_layers)) {
    throw std::runtime_error(
        fmt::format("attention maps: {} of {} layers reported", recorder.steps, info.num_layers));
  }

  Explanation e;
  e.model_name = std::filesystem::path(o.model).filename().string();
  e.layers = info.num_layers;
  e.heads = info.num_heads;
  e.attentions = std::move(recorder.maps);
  e.kernels = eb_session_kernels(s);
  eb_tokens tokens;
  eb_session_tokens(s, &tokens);
  if (tokens.count != recorder.tokens) {
    throw std::runtime_error("attention maps: the run's tokens are not the tokenization's");
  }
  for (size_t i = 0; i < tokens.count; ++i) {
    e.pieces.push_back(eb_model_token(loaded.model().get(), tokens.ids[i]));
    e.segments.push_back(tokens.sequence[i]);
  }

  // The prediction: the task's own call on the same input, as `run` reports it.
  RunOptions run;
  run.model = o.model;
  run.text = o.text;
  run.max_seq = o.max_seq;
  run.kernels = o.kernels;
  if (qa) {
    run.context = o.pair;
  } else {
    run.pair = o.pair;
  }
  e.prediction = run_report(run);
  return e;
}

nlohmann::json explain_json(const Explanation& e) {
  nlohmann::json maps = nlohmann::json::array();
  const size_t S = e.tokens();
  for (uint32_t l = 0; l < e.layers; ++l) {
    nlohmann::json layer = nlohmann::json::array();
    for (uint32_t h = 0; h < e.heads; ++h) {
      nlohmann::json rows = nlohmann::json::array();
      const float* m = e.map(l, h);
      for (size_t i = 0; i < S; ++i) rows.push_back(std::vector<float>(m + i * S, m + (i + 1) * S));
      layer.push_back(std::move(rows));
    }
    maps.push_back(std::move(layer));
  }
  return {{"model", e.model_name},      {"kernels", e.kernels},         {"tokens", e.pieces},
          {"segments", e.segments},     {"layers", e.layers},           {"heads", e.heads},
          {"prediction", e.prediction}, {"attentions", std::move(maps)}};
}

std::string explain_text(const Explanation& e, uint32_t layer, uint32_t head) {
  e.check_head(layer, head);
  const size_t S = e.tokens();
  std::string out = fmt::format("{} ({}): {} tokens\n ", e.model_name, e.kernels, S);
  for (const std::string& piece : e.pieces) out += " " + piece;
  out += "\nprediction:\n";
  const std::string prediction = run_text(e.prediction);
  for (size_t at = 0; at < prediction.size();) {  // indented under the heading
    const size_t end = prediction.find('\n', at);
    out += "  " + prediction.substr(at, end - at) + "\n";
    at = end == std::string::npos ? prediction.size() : end + 1;
  }
  out += fmt::format("layer {} of {}, head {} of {}: the keys each token attends to most\n", layer,
                     e.layers, head, e.heads);
  size_t width = 0;
  for (const std::string& piece : e.pieces) width = std::max(width, piece.size());
  const float* m = e.map(layer, head);
  std::vector<size_t> keys(S);
  for (size_t i = 0; i < S; ++i) {
    const float* row = m + i * S;
    std::iota(keys.begin(), keys.end(), size_t{0});
    const size_t shown = std::min<size_t>(3, S);
    std::partial_sort(keys.begin(), keys.begin() + shown, keys.end(), [&](size_t a, size_t b) {
      return row[a] > row[b] || (row[a] == row[b] && a < b);
    });
    out += fmt::format("  {:>3} {:<{}}", i, e.pieces[i], width);
    for (size_t k = 0; k < shown; ++k) {
      out += fmt::format("  {} {:.2f}", e.pieces[keys[k]], row[keys[k]]);
    }
    out += "\n";
  }
  return out;
}

}  // namespace edgebert::convert
