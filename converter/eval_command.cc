#include "eval_command.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "file_io.h"
#include "host_session.h"
#include "labelled_data.h"
#include "progress.h"

namespace edgebert::convert {
namespace {

struct Run {
  std::string path, kernels, provider;
  size_t file_bytes = 0, correct = 0;
  double seconds = 0;
  std::vector<std::vector<float>> logits;
  std::vector<int32_t> predicted;
};

Run run_model(const std::string& path, const std::vector<Example>& examples,
              const EvalOptions& options, eb_provider provider) {
  HostSession loaded(read_file_aligned(path), path, options.max_seq, options.kernels, provider);
  const Model& model = loaded.model();
  Session& session = loaded.session();
  eb_error error;
  const eb_model_info info = model.info();
  if (info.task != EB_TASK_CLASSIFICATION) throw std::runtime_error(path + ": not a classifier");
  if (!info.has_tokenizer) throw std::runtime_error(path + ": has no tokenizer");
  std::vector<std::string> names;
  for (uint32_t i = 0; i < info.num_labels; ++i) names.push_back(model.label(i));
  Run run;
  run.path = path;
  run.kernels = eb_session_kernels(session.get());
  run.provider = eb_session_provider(session.get());
  run.file_bytes = loaded.file_bytes();
  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("eval " + path, examples.size(), "examples");
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    const size_t want = label_index(e.label, names, options.data + ":" + std::to_string(e.line));
    eb_classification result;
    const auto start = std::chrono::steady_clock::now();
    const eb_status status =
        eb_session_classify_text(session.get(), e.text.data(), e.text.size(),
                                 e.has_text_b ? e.text_b.data() : nullptr, e.text_b.size(),
                                 &result, &error);
    run.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status != EB_OK) {
      throw std::runtime_error(options.data + ":" + std::to_string(e.line) + ": " + error.message);
    }
    const OutputView logits = session.output(EB_OUTPUT_LOGITS);
    run.logits.emplace_back(logits.begin(), logits.end());
    run.predicted.push_back(result.label);
    run.correct += static_cast<size_t>(result.label) == want;
    if (bar) bar->update(i + 1, fmt::format("accuracy {:.4f}", double(run.correct) / double(i + 1)));
  }
  if (bar) bar->finish(fmt::format("accuracy {:.4f}", double(run.correct) / double(examples.size())));
  return run;
}

nlohmann::json run_json(const Run& run, size_t count) {
  return {{"model", run.path},
          {"kernels", run.kernels},
          {"provider", run.provider},
          {"file_bytes", run.file_bytes},
          {"accuracy", static_cast<double>(run.correct) / static_cast<double>(count)},
          {"correct", run.correct},
          {"ms_per_example", 1e3 * run.seconds / static_cast<double>(count)}};
}

}  // namespace

nlohmann::json evaluate(const EvalOptions& options) {
  std::vector<Example> examples = read_labelled_file(options.data);
  if (options.limit > 0 && examples.size() > options.limit) examples.resize(options.limit);
  const Run a = run_model(options.model, examples, options, options.provider);
  nlohmann::json report = {{"data", options.data}, {"examples", examples.size()},
                           {"model", run_json(a, examples.size())}};
  if (options.compare) {
    const Run b = run_model(*options.compare, examples, options, options.compare_provider);
    size_t agree = 0;
    double max_diff = 0, sum_diff = 0;
    size_t values = 0;
    for (size_t i = 0; i < examples.size(); ++i) {
      agree += a.predicted[i] == b.predicted[i];
      if (a.logits[i].size() != b.logits[i].size()) {
        throw std::runtime_error("--compare: the models have different label counts");
      }
      for (size_t j = 0; j < a.logits[i].size(); ++j) {
        const double d = std::fabs(double(a.logits[i][j]) - b.logits[i][j]);
        max_diff = std::max(max_diff, d);
        sum_diff += d;
        ++values;
      }
    }
    report["compare"] = run_json(b, examples.size());
    report["argmax_agreement"] = static_cast<double>(agree) / static_cast<double>(examples.size());
    report["agreeing"] = agree;
    report["logits_max_abs_diff"] = max_diff;
    report["logits_mean_abs_diff"] = values ? sum_diff / static_cast<double>(values) : 0.0;
  }
  return report;
}

std::string eval_text(const nlohmann::json& r) {
  std::string out = fmt::format("data: {}, {} examples\n", r["data"].get<std::string>(),
                                r["examples"].get<size_t>());
  for (const char* key : {"model", "compare"}) {
    if (!r.contains(key)) continue;
    const auto& m = r[key];
    out += fmt::format("{:<8} {} [{} {}, {:.1f} MB]: accuracy {:.4f} ({}/{}), {:.3f} ms/example\n",
                       std::string(key) + ":", m["model"].get<std::string>(),
                       m["provider"].get<std::string>(), m["kernels"].get<std::string>(),
                       m["file_bytes"].get<size_t>() / 1e6,
                       m["accuracy"].get<double>(), m["correct"].get<size_t>(),
                       r["examples"].get<size_t>(), m["ms_per_example"].get<double>());
  }
  if (r.contains("compare")) {
    out += fmt::format("argmax agreement {:.4f} ({}/{}); logits |diff| max {:.4f}, mean {:.4f}\n",
                       r["argmax_agreement"].get<double>(), r["agreeing"].get<size_t>(),
                       r["examples"].get<size_t>(), r["logits_max_abs_diff"].get<double>(),
                       r["logits_mean_abs_diff"].get<double>());
  }
  return out;
}

}  // namespace edgebert::convert
