// edgebert-convert: the host CLI. Each subcommand lives in its own file; this one wires the CLI.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "file_io.h"
#include "hf_import.h"
#include "inspect.h"
#include "model_file.h"
#include "tokenize_command.h"

namespace {

using namespace edgebert::convert;

int run_import(const ImportOptions& options, const std::string& output) {
  ImportSummary summary;
  edgebert::fb::ModelT model = import_hf(options, &summary);
  const size_t bytes = save_model(model, output);
  std::printf("imported %s (%zu tensors%s) -> %s (%zu bytes)\n", summary.layout.c_str(),
              summary.tensors, summary.tensor_prefix.empty() ? "" : ", prefix \"bert.\"",
              output.c_str(), bytes);
  return 0;
}

int run_inspect(const std::string& path, bool as_json) {
  const nlohmann::json report = inspect_model(read_file_aligned(path));
  if (as_json) {
    std::cout << report.dump(2) << "\n";
  } else {
    std::cout << inspect_text(report);
  }
  // Exit 0 only when the device runtime would load the file.
  return report["runtime_check"]["status"] == "EB_OK" ? 0 : 1;
}

int run_tokenize(const std::string& path, const std::string& text,
                 const std::optional<std::string>& pair, uint32_t max_seq, bool as_json) {
  const nlohmann::json report = tokenize_report(read_file_aligned(path), text, pair, max_seq);
  if (as_json) {
    std::cout << report.dump() << "\n";
  } else {
    std::cout << tokenize_text_table(report);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgebert-convert: import, train, quantize and pack BERT models for edgebert"};
  app.set_version_flag("--version", std::string(kProducer));
  app.require_subcommand(1);

  ImportOptions import_options;
  std::string import_output;
  std::string pooling, lowercase;
  bool normalize = false, no_normalize = false;
  CLI::App* import = app.add_subcommand(
      "import", "Convert a Hugging Face BERT checkpoint (config.json, model.safetensors, vocab.txt)");
  import->add_option("--hf", import_options.dir,
                     "Checkpoint folder: BertModel, BertForSequenceClassification or "
                     "sentence-transformers")
      ->required()
      ->check(CLI::ExistingDirectory);
  import->add_option("-o,--output", import_output, "Output .ebm file")->required();
  import->add_option("--max-seq", import_options.max_seq,
                     "Longest input the model will run at (default: max_position_embeddings)");
  import->add_option("--pooling", pooling, "Sentence embedding pooling (default: checkpoint's or mean)")
      ->check(CLI::IsMember({"mean", "cls"}));
  import->add_flag("--normalize", normalize, "L2-normalize sentence embeddings");
  import->add_flag("--no-normalize", no_normalize, "Do not L2-normalize sentence embeddings");
  import->add_option("--lowercase", lowercase,
                     "Override tokenizer lowercasing (default: tokenizer_config.json)")
      ->check(CLI::IsMember({"true", "false"}));

  std::string inspect_path;
  bool inspect_json = false;
  CLI::App* inspect =
      app.add_subcommand("inspect", "Print config, tensors, sizes, arena and metadata of a model");
  inspect->add_option("model", inspect_path, ".ebm file")->required();
  inspect->add_flag("--json", inspect_json, "One JSON object on stdout");

  std::string tokenize_path, tokenize_input;
  std::optional<std::string> tokenize_pair;
  uint32_t tokenize_max_seq = 0;
  bool tokenize_json = false;
  CLI::App* tokenize = app.add_subcommand(
      "tokenize", "Show the device tokenizer's tokens, ids and byte offsets for a text");
  tokenize->add_option("model", tokenize_path, ".ebm file with a tokenizer")->required();
  tokenize->add_option("text", tokenize_input, "UTF-8 text")->required();
  tokenize->add_option("--pair", tokenize_pair, "Second text of a pair");
  tokenize->add_option("--max-seq", tokenize_max_seq, "Truncation length (default: the model's)");
  tokenize->add_flag("--json", tokenize_json, "One JSON object on stdout");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*import) {
      if (normalize && no_normalize) throw CLI::ValidationError("--normalize and --no-normalize");
      if (!pooling.empty()) {
        import_options.pooling =
            pooling == "cls" ? edgebert::fb::Pooling::Cls : edgebert::fb::Pooling::Mean;
      }
      if (normalize || no_normalize) import_options.normalize = normalize;
      if (!lowercase.empty()) import_options.lowercase = lowercase == "true";
      return run_import(import_options, import_output);
    }
    if (*inspect) return run_inspect(inspect_path, inspect_json);
    if (*tokenize) {
      return run_tokenize(tokenize_path, tokenize_input, tokenize_pair, tokenize_max_seq,
                          tokenize_json);
    }
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgebert-convert: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
