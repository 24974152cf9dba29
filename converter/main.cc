// edgebert-convert: the host CLI. Each subcommand lives in its own file; this one wires the CLI.
#include <CLI/CLI.hpp>
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>

#include "attention_picture.h"
#include "eval_command.h"
#include "explain_command.h"
#include "file_io.h"
#include "hf_import.h"
#include "run_command.h"
#include "inspect.h"
#include "model_picture.h"
#include "labelled_data.h"
#include "model_file.h"
#include "pack_command.h"
#include "quantize.h"
#include "tokenize_command.h"
#include "tokenizer/vocab_trainer.h"
#include "trainer/distill.h"
#include "trainer/finetune.h"
#include "trainer/pretrain.h"

namespace {

using namespace edgebert::convert;

int run_import(const ImportOptions& options, const std::string& output) {
  ImportSummary summary;
  edgebert::fb::ModelT model = import_hf(options, &summary);
  const size_t bytes = save_model(model, output);
  const std::string prefix =
      summary.tensor_prefix.empty() ? "" : ", prefix \"" + summary.tensor_prefix + "\"";
  std::printf("imported %s (%zu tensors%s%s) -> %s (%zu bytes)\n", summary.layout.c_str(),
              summary.tensors, prefix.c_str(), model.tokenizer ? "" : ", no tokenizer",
              output.c_str(), bytes);
  return 0;
}

int run_inspect(const std::string& path, bool as_json, const std::string& svg_path) {
  const nlohmann::json report = inspect_model(read_file_aligned(path));
  if (!svg_path.empty()) {
    const std::string picture =
        model_svg(report, std::filesystem::path(path).filename().string());
    write_file_atomic(svg_path, picture.data(), picture.size());
    std::fprintf(stderr, "wrote %s\n", svg_path.c_str());
  }
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

// layer: default the last; head: default 0.
int run_explain(const ExplainOptions& options, std::optional<uint32_t> layer, uint32_t head,
                const std::string& svg_path, bool as_json) {
  const Explanation e = explain(options);
  const uint32_t shown_layer = layer.value_or(e.layers - 1);
  e.check_head(shown_layer, head);
  if (!svg_path.empty()) {
    const std::string picture = attention_svg(e, shown_layer, head);
    write_file_atomic(svg_path, picture.data(), picture.size());
    std::fprintf(stderr, "wrote %s\n", svg_path.c_str());
  }
  std::cout << (as_json ? explain_json(e).dump() + "\n" : explain_text(e, shown_layer, head));
  return 0;
}

int run_vocab(const VocabTrainerOptions& options, const std::string& output) {
  VocabTrainerReport report;
  const std::vector<std::string> vocab = train_wordpiece_vocab(options, &report);
  std::string text;
  for (const std::string& piece : vocab) text += piece + "\n";
  write_file_atomic(output, text.data(), text.size());
  std::printf("vocab: %zu lines, %zu words (%zu distinct, %zu skipped for rare characters), "
              "alphabet %zu, %zu merges -> %s (%zu pieces) in %.1f s\n",
              report.lines, report.words, report.distinct_words, report.skipped_words,
              report.alphabet, report.merges, output.c_str(), vocab.size(), report.seconds);
  if (vocab.size() < options.vocab_size) {
    std::printf("note: stopped at %zu pieces: no pair occurs --min-frequency %zu times\n",
                vocab.size(), options.min_frequency);
  }
  return 0;
}

// The flags every training command shares (trainer/loop.h: TrainingOptions), plus --threads
// and --json.
void add_training_options(CLI::App* cmd, TrainingOptions& o, int& threads, bool& json,
                          const std::string& output_help, const std::string& seed_help,
                          const std::string& eval_every_help) {
  cmd->add_option("-o,--output", o.output, output_help)->required();
  cmd->add_option("--lr", o.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", o.warmup_ratio, "Fraction of steps of linear warmup")
      ->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "AdamW decay (not on bias/LayerNorm)")
      ->capture_default_str();
  cmd->add_option("--clip", o.clip, "Gradient norm clipping (0 = off)")->capture_default_str();
  cmd->add_option("--dropout", o.dropout, "Dropout probability")->capture_default_str();
  cmd->add_option("--seed", o.seed, seed_help)->capture_default_str();
  cmd->add_option("--eval-every", o.eval_every, eval_every_help);
  cmd->add_option("--checkpoint-every", o.checkpoint_every, "Checkpoint every N steps")
      ->capture_default_str();
  cmd->add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: OUTPUT.ckpt)");
  cmd->add_option("--resume", o.resume, "Resume from this checkpoint (same settings)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--log", o.log_prefix, "Log prefix for .csv and .svg (default: OUTPUT.log)");
  cmd->add_option("--stop-after", o.stop_after, "Stop with a checkpoint after step N");
  cmd->add_option("--threads", threads, "Threads (default: all cores)");
  cmd->add_flag("--json", json, "Print the report as JSON");
  cmd->add_flag("-q,--quiet", o.quiet, "No progress bar");
}

// --qat of the commands that train a task head (finetune, distill).
void add_qat_option(CLI::App* cmd, TrainingOptions& o) {
  cmd->add_flag("--qat", o.qat,
                "Quantization-aware training: train on the int8 runtime's values (weights per "
                "channel, embeddings per row, activations per token, as `quantize` and the "
                "kernels make them; straight-through gradients); dev scores are the int8 "
                "model's. Then run `quantize` on the output");
  cmd->add_option("--qat-weight-bits", o.qat_weight_bits,
                  "With --qat: the dense weights' bits the output will be quantized to, 8, 7 or "
                  "4 (then `quantize --weight-bits 7`, or `--weight-bits 4 --group-size G`); "
                  "embeddings stay 8-bit")
      ->check(CLI::IsMember({4, 7, 8}))
      ->needs("--qat");
  cmd->add_option("--qat-embedding-bits", o.qat_embedding_bits,
                  "With --qat: the word and position tables' bits, 8 or 4 (then `quantize "
                  "--embedding-bits 4`)")
      ->check(CLI::IsMember({4, 8}))
      ->needs("--qat");
  CLI::Option* group =
      cmd->add_option("--qat-group-size", o.qat_group_size,
                      "With 4 bits (--qat-weight-bits or --qat-embedding-bits 4): k per "
                      "multiplier group (16, 32 or 64), as `quantize --group-size`")
          ->capture_default_str()
          ->check(CLI::IsMember({16, 32, 64}))
          ->needs("--qat");
  cmd->add_option_function<std::string>(
         "--qat-attention", [&o](const std::string& v) { o.qat_int8_attention = v == "int8"; },
         "With --qat: int8 (default, as `quantize`'s --attention): inputs of 64 tokens or more "
         "also train on the int8 attention's rounding (queries, keys, values, probabilities); "
         "fp32: for a model to be quantized with --attention fp32")
      ->check(CLI::IsMember({"int8", "fp32"}))
      ->needs("--qat");
  CLI::Option* per_tensor =
      cmd->add_flag("--qat-per-tensor", o.qat_per_tensor,
                    "With --qat: static int8 for the XNNPACK provider instead (weights one "
                    "scale per tensor, every dense layer's input and output through the "
                    "activation ranges calibrated on the model in training over the --train "
                    "texts, at the start and at every evaluation). Then run `quantize "
                    "--per-tensor --calib <the --train file>` on the output")
          ->needs("--qat");
  cmd->add_option("--qat-calib-samples", o.qat_calib_samples,
                  "With --qat-per-tensor: training texts per calibration, evenly spaced (pass "
                  "the same --calib-samples to quantize)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->needs(per_tensor);
  cmd->add_option("--qat-calib-percentile", o.qat_calib_percentile,
                  "With --qat-per-tensor: keep the central P% of each activation's calibration "
                  "values (pass the same --calib-percentile to quantize); 100 = min to max")
      ->capture_default_str()
      ->check(CLI::Range(50.0, 100.0))
      ->needs(per_tensor);
  // After parsing (a group size with nothing 4-bit would be ignored silently).
  cmd->final_callback([group, &o] {
    if (group->count() > 0 && o.qat_weight_bits != 4 && o.qat_embedding_bits != 4) {
      throw CLI::ValidationError("--qat-group-size",
                                 "applies to 4 bits only (--qat-weight-bits 4 or "
                                 "--qat-embedding-bits 4)");
    }
    if (o.qat_per_tensor && o.qat_weight_bits == 4) {
      throw CLI::ValidationError("--qat-per-tensor",
                                 "static int8 needs 8- or 7-bit weights (quantize --per-tensor "
                                 "refuses 4-bit ones)");
    }
  });
}

// Prints a training report as JSON, or the stopped-run line; false when the caller prints the
// finished-run summary.
bool print_training_report(const nlohmann::json& report, bool as_json) {
  if (as_json) {
    std::cout << report.dump(2) << "\n";
    return true;
  }
  if (!report["interrupted"].get<bool>()) return false;
  std::printf("stopped at step %zu of %zu; resume with --resume %s\n",
              report["steps"].get<size_t>(), report["total_steps"].get<size_t>(),
              report["checkpoint"].get<std::string>().c_str());
  return true;
}

}  // namespace

// --provider values of the commands that run models.
std::vector<std::string> provider_names() { return {"auto", "native", "xnnpack"}; }
eb_provider provider_from_name(const std::string& name) {  // a member of provider_names()
  eb_provider provider = EB_PROVIDER_AUTO;
  eb_provider_from_name(name.c_str(), &provider, nullptr);
  return provider;
}

int main(int argc, char** argv) {
  CLI::App app{"edgebert-convert: import, train, quantize and pack BERT models for edgebert"};
  app.set_version_flag("--version", std::string(kProducer));
  app.require_subcommand(1);

  ImportOptions import_options;
  std::string import_output;
  std::string pooling, lowercase;
  bool normalize = false, no_normalize = false;
  CLI::App* import = app.add_subcommand(
      "import", "Convert a Hugging Face BERT, DistilBERT, RoBERTa, XLM-R or ELECTRA checkpoint "
      "(config.json, model.safetensors, vocab.txt or tokenizer.json)");
  import->add_option("--hf", import_options.dir,
                     "Checkpoint folder: <Family>Model, ForSequenceClassification, "
                     "ForTokenClassification, ForQuestionAnswering, ForMaskedLM (Bert, DistilBert, "
                     "Roberta, XLMRoberta, Electra) or sentence-transformers")
      ->required()
      ->check(CLI::ExistingDirectory);
  import->add_option("-o,--output", import_output, "Output .ebm file")->required();
  import->add_option("--max-seq", import_options.max_seq,
                     "Longest input the model will run at (default: max_position_embeddings, less "
                     "RoBERTa's first position row)");
  import->add_option("--pooling", pooling, "Sentence embedding pooling (default: checkpoint's or mean)")
      ->check(CLI::IsMember({"mean", "cls"}));
  import->add_flag("--normalize", normalize, "L2-normalize sentence embeddings");
  import->add_flag("--no-tokenizer", import_options.no_tokenizer,
                   "Leave the tokenizer out (the model then runs on token ids only)");
  import->add_flag("--encoder-only", import_options.encoder_only,
                   "Drop the checkpoint's task head (question answering, token classification, "
                   "masked LM, classifier): an encoder for run / embed");
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
  std::string inspect_svg;
  inspect->add_option("--svg", inspect_svg,
                      "Also draw the model: its graph (ops, shapes, dtypes, bytes) and its memory "
                      "plan as a timeline, to this SVG file");

  std::string pack_input, pack_output, pack_name = "edgebert_model";
  uint32_t pack_max_seq = 0;
  bool pack_c_array = false;
  CLI::App* pack = app.add_subcommand(
      "pack", "Re-plan a model for another --max-seq, or write it as a C array for firmware");
  pack->add_option("model", pack_input, "Input .ebm")->required()->check(CLI::ExistingFile);
  pack->add_option("-o,--output", pack_output, "Output .ebm, or .c with --c-array (a .h beside it)")
      ->required();
  pack->add_option("--max-seq", pack_max_seq, "Plan the arena for this many tokens");
  pack->add_flag("--c-array", pack_c_array, "Write a const C array and a header with the arena size");
  pack->add_option("--name", pack_name, "C symbol of the array")->capture_default_str();

  std::string quantize_input, quantize_output;
  int quantize_weight_bits = 8;
  CLI::App* quantize = app.add_subcommand(
      "quantize", "int8 model: per-channel weights, per-row embeddings, per-token activations");
  quantize->add_option("model", quantize_input, "fp32 .ebm")->required()->check(CLI::ExistingFile);
  quantize->add_option("-o,--output", quantize_output, "int8 .ebm to write")->required();
  quantize
      ->add_option("--weight-bits", quantize_weight_bits,
                   "8; 7: dense weights in [-63, 63], about 2x faster GEMMs on AVX2 "
                   "(vpmaddubsw without saturation), slightly coarser weights; 4: dense "
                   "weights 4-bit with an integer multiplier per group of --group-size k "
                   "(about half the int8 file; embeddings stay int8)")
      ->capture_default_str()
      ->check(CLI::IsMember({4, 7, 8}));
  int quantize_embedding_bits = 8;
  quantize
      ->add_option("--embedding-bits", quantize_embedding_bits,
                   "8, or 4: word and position embeddings 4-bit per row with a multiplier per "
                   "group of --group-size (the largest tensor of a small model)")
      ->capture_default_str()
      ->check(CLI::IsMember({4, 8}));
  size_t quantize_group_size = edgebert::convert::kDefaultInt4GroupSize;
  CLI::Option* quantize_group_option =
      quantize
          ->add_option("--group-size", quantize_group_size,
                       "k per multiplier group of 4-bit weights and embeddings (16, 32 or 64; "
                       "smaller: more accurate, 8 / G more bits per weight)")
          ->capture_default_str()
          ->check(CLI::IsMember({16, 32, 64}));
  std::string quantize_attention = "int8";
  quantize->add_option("--attention", quantize_attention,
                       "int8: attention's q k^T and p v products as int8 GEMMs (int32 sums, "
                       "softmax in fp32); fp32: attention in fp32 (slower at long inputs)")
      ->capture_default_str()
      ->check(CLI::IsMember({"int8", "fp32"}));
  bool quantize_per_tensor = false;
  std::string quantize_calib;
  size_t quantize_calib_samples = 512;
  quantize->add_flag("--per-tensor", quantize_per_tensor,
                     "Static int8 for the XNNPACK provider: one scale per weight tensor and "
                     "calibrated activation scales (needs --calib)");
  quantize->add_option("--calib", quantize_calib,
                       "Labelled TSV/CSV whose texts calibrate the activation ranges (with "
                       "--per-tensor)")
      ->check(CLI::ExistingFile);
  double quantize_calib_percentile = 100.0;
  quantize->add_option("--calib-percentile", quantize_calib_percentile,
                       "Keep the central P% of each activation's calibration values (clip the "
                       "rarest outliers at both ends); 100 = min to max")
      ->capture_default_str()
      ->check(CLI::Range(50.0, 100.0));
  quantize->add_option("--calib-samples", quantize_calib_samples,
                       "Texts used for calibration, evenly spaced over the file")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  EvalOptions eval_options;
  std::string eval_compare;
  bool eval_json = false, eval_quiet = false;
  CLI::App* eval = app.add_subcommand(
      "eval", "Accuracy on a labelled TSV/CSV; --compare a second model (e.g. its int8 version)");
  eval->add_option("model", eval_options.model, "Classifier .ebm")->required()->check(CLI::ExistingFile);
  eval->add_option("--data", eval_options.data, "label<TAB>text[<TAB>text_b] file, header optional")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--compare", eval_compare, "Second model to compare")->check(CLI::ExistingFile);
  eval->add_option("--max-seq", eval_options.max_seq, "Truncation length (default: the model's)");
  eval->add_option("--limit", eval_options.limit, "Use only the first N examples");
  eval->add_option("--kernels", eval_options.kernels, "Force a kernel set");
  std::string eval_provider = "auto", eval_compare_provider = "auto";
  eval->add_option("--provider", eval_provider,
                   "Who runs the dense layers of MODEL: auto (XNNPACK for fp32 models when "
                   "built with it), native (our kernels / fp32 reference) or xnnpack")
      ->check(CLI::IsMember(provider_names()))
      ->capture_default_str();
  eval->add_option("--compare-provider", eval_compare_provider, "The same for the --compare model")
      ->check(CLI::IsMember(provider_names()))
      ->capture_default_str();
  eval->add_flag("--json", eval_json, "One JSON object on stdout");
  eval->add_flag("-q,--quiet", eval_quiet, "No progress bars");

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

  ExplainOptions explain_options;
  std::optional<uint32_t> explain_layer;
  uint32_t explain_head = 0;
  std::string explain_svg;
  bool explain_as_json = false;
  CLI::App* explain_cmd = app.add_subcommand(
      "explain", "Show what a model attends to for a text: every head's attention map (read "
                 "from the device runtime), the token pieces and the prediction; --svg draws them");
  explain_cmd->add_option("model", explain_options.model, ".ebm file with a tokenizer")
      ->required()
      ->check(CLI::ExistingFile);
  explain_cmd->add_option("text", explain_options.text,
                          "UTF-8 text (question answering: the question)")->required();
  explain_cmd->add_option("--pair", explain_options.pair,
                          "Second text of a pair (classifiers); question answering: the context");
  explain_cmd->add_option("--svg", explain_svg,
                          "Write a picture: a head view of --layer/--head and a grid of all heads");
  explain_cmd->add_option("--layer", explain_layer, "Layer shown in detail (default: the last)");
  explain_cmd->add_option("--head", explain_head, "Head of that layer shown in detail")
      ->capture_default_str();
  explain_cmd->add_option("--max-seq", explain_options.max_seq,
                          "Truncation length (default: the model's)");
  explain_cmd->add_option("--kernels", explain_options.kernels,
                          "Force a kernel set (reference, avx2, ...)");
  explain_cmd->add_flag("--json", explain_as_json,
                        "One JSON object on stdout with every map: attentions[layer][head][query][key]");

  VocabTrainerOptions vocab_options;
  std::string vocab_output;
  bool vocab_cased = false, vocab_keep_accents = false, vocab_no_cjk = false, vocab_quiet = false;
  CLI::App* vocab = app.add_subcommand(
      "vocab", "Learn a WordPiece vocabulary (vocab.txt) from text files, one text per line");
  vocab->add_option("--corpus", vocab_options.corpus_files, "UTF-8 text files")
      ->required()
      ->check(CLI::ExistingFile);
  vocab->add_option("--size", vocab_options.vocab_size, "Vocabulary size, special tokens included")
      ->capture_default_str();
  vocab->add_option("-o,--output", vocab_output, "vocab.txt to write")->required();
  vocab->add_option("--min-frequency", vocab_options.min_frequency,
                    "Merge only pairs seen at least this often")->capture_default_str();
  vocab->add_option("--limit-alphabet", vocab_options.limit_alphabet,
                    "Keep this many most frequent characters")->capture_default_str();
  vocab->add_flag("--cased", vocab_cased, "Do not lowercase (and keep accents)");
  vocab->add_flag("--keep-accents", vocab_keep_accents, "Lowercase but keep accents");
  vocab->add_flag("--no-cjk-split", vocab_no_cjk, "Do not split CJK ideographs into single words");
  vocab->add_flag("-q,--quiet", vocab_quiet, "No progress bars");

  FinetuneOptions ft;
  bool ft_json = false;
  int ft_threads = 0;
  std::string ft_task;
  CLI::App* finetune_cmd = app.add_subcommand(
      "finetune", "Train a task head (classifier, regression, multi-label, tagger, question "
                  "answering) on your data from an fp32 .ebm or a Hugging Face checkpoint "
                  "folder; writes the best (by the task's dev measure) fp32 .ebm");
  finetune_cmd->add_option("--init", ft.init, "Starting model: .ebm (e.g. from pretrain) or HF folder")
      ->required()
      ->check(CLI::ExistingPath);
  finetune_cmd
      ->add_option("--task", ft_task,
                   "classification | regression | multi-label (TSV/CSV label<TAB>text[<TAB>text_b]; "
                   "a number; \"a,b\" or empty) | tokens (CoNLL: word<TAB>label, blank line "
                   "between sentences) | qa (SQuAD JSON v1.1/v2.0). Default: what --init was "
                   "trained for, else classification")
      ->check(CLI::IsMember({"classification", "regression", "multi-label", "tokens", "qa"}));
  finetune_cmd->add_option("--train", ft.train_path, "Training data in the task's format")
      ->required()
      ->check(CLI::ExistingFile);
  finetune_cmd->add_option("--dev", ft.dev_path, "Dev data (same format) evaluated every --eval-every steps")
      ->check(CLI::ExistingFile);
  finetune_cmd->add_option("--max-seq", ft.max_seq, "Truncation length (qa: the window)")->capture_default_str();
  finetune_cmd->add_option("--doc-stride", ft.doc_stride,
                           "qa: tokens shared by consecutive windows of a long context "
                           "(default min(max-seq / 2, 128))");
  finetune_cmd->add_option("--batch", ft.batch, "Sequences per step")->capture_default_str()
      ->check(CLI::PositiveNumber);
  finetune_cmd->add_option("--epochs", ft.epochs, "Passes over the training data")->capture_default_str();
  finetune_cmd->add_option("--steps", ft.steps, "Optimizer steps (overrides --epochs)");
  finetune_cmd->add_option("--limit", ft.limit, "Use only the first N training examples (sentences, questions)");
  finetune_cmd->add_option("--label-names", ft.label_names,
                           "Names to store for the data's labels in sorted order, e.g. "
                           "negative,positive for 0,1")->delimiter(',');
  add_training_options(finetune_cmd, ft.training, ft_threads, ft_json, "fp32 .ebm to write",
                       "Seed of initialisation, order and dropout",
                       "Evaluate every N steps (default: each epoch)");
  add_qat_option(finetune_cmd, ft.training);

  DistillOptions ds;
  bool ds_json = false;
  int ds_threads = 0;
  CLI::App* distill_cmd = app.add_subcommand(
      "distill", "Train a small student classifier on a fine-tuned teacher's soft labels "
                 "(knowledge distillation: alpha x CE + (1 - alpha) x T^2 x KL), optionally on "
                 "unlabeled text the teacher labels; writes the best fp32 student .ebm");
  distill_cmd->add_option("--teacher", ds.teacher, "Teacher classifier: .ebm (fp32 or int8) or HF folder")
      ->required()
      ->check(CLI::ExistingPath);
  distill_cmd->add_option("--student", ds.student,
                          "Student to start from (.ebm or HF folder, e.g. a pretrain output); "
                          "default: a new student of --layers/--hidden/--heads/--intermediate")
      ->check(CLI::ExistingPath);
  distill_cmd
      ->add_option("--prune-from", ds.prune_from,
                   "New student: start as this fp32 model pruned (.ebm or HF folder, e.g. "
                   "a larger student distilled before); default: the teacher when no "
                   "smaller than the student, else at random")
      ->check(CLI::ExistingPath)
      ->excludes("--student");
  distill_cmd
      ->add_option("--from-layers", ds.from_layers,
                   "New student pruned: the teacher's (or --prune-from's) layers it starts from, "
                   "increasing, one per --layers (default: evenly spaced)")
      ->delimiter(',')
      ->excludes("--student");
  distill_cmd->add_option("--layers", ds.layers, "New student: encoder layers")->capture_default_str();
  distill_cmd->add_option("--hidden", ds.hidden, "New student: hidden size")->capture_default_str();
  distill_cmd
      ->add_option("--heads", ds.heads,
                   "New student: attention heads; pruned from the teacher, each keeps the "
                   "teacher's head size (default 0: hidden / that size; at random: hidden / 64)")
      ->capture_default_str();
  distill_cmd->add_option("--intermediate", ds.intermediate, "New student: feed-forward size")
      ->capture_default_str();
  distill_cmd->add_option("--train", ds.train_path, "Labelled data: TSV/CSV label<TAB>text[<TAB>text_b]")
      ->required()
      ->check(CLI::ExistingFile);
  distill_cmd->add_option("--unlabeled", ds.unlabeled,
                          "Text files (one text per line) the teacher labels for the student")
      ->check(CLI::ExistingFile);
  distill_cmd->add_option("--dev", ds.dev_path, "Dev data (same format) evaluated every --eval-every steps")
      ->check(CLI::ExistingFile);
  distill_cmd->add_option("--temperature", ds.temperature, "Softmax temperature T of the soft labels")
      ->capture_default_str();
  distill_cmd->add_option("--alpha", ds.hard_weight,
                          "Weight of the hard labels' cross-entropy (the soft term gets 1 - alpha)")
      ->capture_default_str();
  distill_cmd->add_option("--teacher-cache", ds.teacher_cache,
                          "File of the teacher's logits, reused when it holds these texts "
                          "(default: OUTPUT.teacher)");
  distill_cmd->add_option("--max-seq", ds.max_seq, "Truncation length")->capture_default_str();
  distill_cmd->add_option("--batch", ds.batch, "Sequences per step")->capture_default_str()
      ->check(CLI::PositiveNumber);
  distill_cmd->add_option("--epochs", ds.epochs, "Passes over the training data (labelled + unlabeled)")
      ->capture_default_str();
  distill_cmd->add_option("--steps", ds.steps, "Optimizer steps (overrides --epochs)");
  distill_cmd->add_option("--limit", ds.limit, "Use only the first N labelled examples");
  distill_cmd->add_option("--unlabeled-limit", ds.unlabeled_limit, "Use only the first N unlabeled texts");
  add_training_options(distill_cmd, ds.training, ds_threads, ds_json, "fp32 student .ebm to write",
                       "Seed of initialisation, order and dropout",
                       "Evaluate every N steps (default: each epoch)");
  add_qat_option(distill_cmd, ds.training);

  PretrainOptions pt;
  bool pt_json = false, pt_cased = false;
  int pt_threads = 0;
  CLI::App* pretrain_cmd = app.add_subcommand(
      "pretrain", "Pretrain a BERT from scratch (masked LM + next sentence prediction) on text "
                  "files; writes an fp32 encoder .ebm for finetune --init");
  pretrain_cmd->add_option("--corpus", pt.corpus, "UTF-8 text files (paragraphs = blank-line "
                           "separated blocks or one per line)")->required()->check(CLI::ExistingFile);
  pretrain_cmd->add_option("--vocab", pt.vocab, "vocab.txt (e.g. from `edgebert-convert vocab`)")
      ->required()->check(CLI::ExistingFile);
  pretrain_cmd->add_flag("--cased", pt_cased, "Do not lowercase (the vocabulary must be cased)");
  pretrain_cmd->add_option("--layers", pt.layers, "Encoder layers")->capture_default_str();
  pretrain_cmd->add_option("--hidden", pt.hidden, "Hidden size")->capture_default_str();
  pretrain_cmd->add_option("--heads", pt.heads, "Attention heads")->capture_default_str();
  pretrain_cmd->add_option("--intermediate", pt.intermediate, "Feed-forward size")->capture_default_str();
  pretrain_cmd->add_option("--max-seq", pt.max_seq, "Pair length (and position table size)")
      ->capture_default_str();
  pretrain_cmd->add_option("--batch", pt.batch, "Pairs per step")->capture_default_str()
      ->check(CLI::PositiveNumber);
  pretrain_cmd->add_option("--steps", pt.steps, "Optimizer steps")->capture_default_str();
  pretrain_cmd->add_option("--holdout-every", pt.holdout_every,
                           "Hold out every Nth paragraph for evaluation")->capture_default_str();
  pretrain_cmd->add_flag("--pack-sentences", pt.pairs.pack,
                         "BERT's segments: consecutive sentences filling --max-seq, cut into A "
                         "and B at a sentence boundary (default: one sentence each)");
  pretrain_cmd->add_flag("--whole-word-mask", pt.pairs.whole_word,
                         "Mask whole words (a piece and its ## pieces) rather than pieces");
  pretrain_cmd->add_option("--eval-batches", pt.eval_batches, "Held-out batches per evaluation")
      ->capture_default_str();
  add_training_options(pretrain_cmd, pt.training, pt_threads, pt_json, "fp32 encoder .ebm to write",
                       "Seed of initialisation, pairs, masks and dropout",
                       "Evaluate every N steps (default: 1000)");

  RunOptions run_options;
  bool run_json = false, run_stdin = false;
  CLI::App* run_cmd = app.add_subcommand(
      "run", "Run a model's task on text: classify, score passages, embed, answer a question, "
             "tag entities, fill [MASK]s");
  run_cmd->add_option("model", run_options.model, ".ebm file with a tokenizer")
      ->required()
      ->check(CLI::ExistingFile);
  run_cmd->add_option("text", run_options.text,
                      "UTF-8 text (question answering: the question; a cross-encoder: the query)");
  run_cmd->add_flag("--stdin", run_stdin, "Read the text from standard input instead");
  run_cmd->add_option("--pair", run_options.pair, "Second text of a pair (classifiers)");
  run_cmd->add_option("--context", run_options.context, "Question answering: the text to read");
  run_cmd->add_option("--passage", run_options.passages,
                      "Cross-encoders: a passage to score against the text (repeatable)");
  run_cmd->add_option("--top-k", run_options.top_k,
                      "Answers (default 1) or fill-mask tokens per mask (default 5)");
  run_cmd->add_option("--aggregation", run_options.aggregation,
                      "Tagging: none, simple, first, average, max")->capture_default_str();
  run_cmd->add_option("--max-answer-len", run_options.max_answer_len,
                      "Question answering: longest answer in tokens")->capture_default_str();
  run_cmd->add_option("--doc-stride", run_options.doc_stride,
                      "Question answering: tokens shared by consecutive windows "
                      "(default min(max_seq / 2, 128))");
  run_cmd->add_flag("--impossible", run_options.impossible,
                    "Question answering: rank the empty answer too (SQuAD 2.0 models)");
  run_cmd->add_option("--stride", run_options.stride,
                      "Classify / embed a long text in windows sharing this many tokens, "
                      "averaging them (default: truncate to max_seq)");
  run_cmd->add_option("--max-seq", run_options.max_seq, "Window / truncation length (default: the model's)");
  run_cmd->add_option("--batch", run_options.batch, "Passages per run when scoring")
      ->capture_default_str()->check(CLI::Range(1, 256));
  run_cmd->add_option("--kernels", run_options.kernels, "Force a kernel set (reference, avx2, ...)");
  run_cmd->add_flag("--json", run_json, "One JSON object on stdout");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*run_cmd) {
      if (run_stdin) {
        if (!run_options.text.empty()) throw CLI::ValidationError("give the text or --stdin, not both");
        run_options.text.assign(std::istreambuf_iterator<char>(std::cin), {});
      }
      const nlohmann::json report = run_report(run_options);
      std::cout << (run_json ? report.dump() + "\n" : run_text(report));
      return 0;
    }
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
    if (*inspect) return run_inspect(inspect_path, inspect_json, inspect_svg);
    if (*explain_cmd) {
      return run_explain(explain_options, explain_layer, explain_head, explain_svg,
                         explain_as_json);
    }
    if (*vocab) {
      vocab_options.normalization.lowercase = !vocab_cased;
      if (vocab_cased || vocab_keep_accents) vocab_options.normalization.strip_accents = false;
      vocab_options.normalization.tokenize_chinese_chars = !vocab_no_cjk;
      vocab_options.progress = !vocab_quiet;
      return run_vocab(vocab_options, vocab_output);
    }
    if (*eval) {
      if (!eval_compare.empty()) eval_options.compare = eval_compare;
      eval_options.progress = !eval_quiet && !eval_json;
      eval_options.provider = provider_from_name(eval_provider);
      eval_options.compare_provider = provider_from_name(eval_compare_provider);
      const nlohmann::json report = evaluate(eval_options);
      if (eval_json) {
        std::cout << report.dump(2) << "\n";
      } else {
        std::cout << eval_text(report);
      }
      return 0;
    }
    if (*quantize) {
      const AlignedBytes input = read_file_aligned(quantize_input);
      check_model_bytes(input, quantize_input);
      edgebert::fb::ModelT model;
      edgebert::fb::GetModel(input.data())->UnPackTo(&model);
      if (quantize_group_option->count() > 0 && quantize_weight_bits != 4 &&
          quantize_embedding_bits != 4) {
        throw std::runtime_error(
            "--group-size applies to 4-bit weights only (--weight-bits 4 "
            "or --embedding-bits 4)");
      }
      if (quantize_per_tensor != !quantize_calib.empty()) {
        throw std::runtime_error("--per-tensor and --calib go together: static int8 needs "
                                 "calibrated activation ranges");
      }
      std::unique_ptr<Calibration> calibration;
      if (quantize_per_tensor) {
        calibration = std::make_unique<Calibration>(
            calibrate(input, read_labelled_file(quantize_calib), quantize_calib_samples,
                      quantize_calib_percentile));
        std::printf("calibrated on %zu texts (%zu tokens) of %s\n", calibration->examples,
                    calibration->tokens, quantize_calib.c_str());
      }
      const QuantizeReport report = quantize_model(
          model, quantize_weight_bits, calibration.get(),
          quantize_attention == "int8" ? edgebert::fb::DType::Int8 : edgebert::fb::DType::Float32,
          quantize_group_size, quantize_embedding_bits);
      const size_t bytes = save_model(model, quantize_output);
      const std::string groups = "4-bit, groups of " + std::to_string(quantize_group_size);
      const std::string dense_format =
          quantize_weight_bits == 4 ? groups : std::to_string(quantize_weight_bits) + "-bit";
      const std::string table_format = quantize_embedding_bits == 4 ? groups : "int8";
      std::printf(
          "quantized %zu dense weights (%s) and %zu embedding tables (%s): tensor data "
          "%.2f MB -> %.2f MB; file %zu -> %zu bytes (%.1f%%) -> %s\n",
          report.dense, dense_format.c_str(), report.embeddings, table_format.c_str(),
          report.bytes_before / 1e6, report.bytes_after / 1e6, input.size(), bytes,
          100.0 * bytes / input.size(), quantize_output.c_str());
      return 0;
    }
    if (*pack) {
      const AlignedBytes packed = repack_model(read_file_aligned(pack_input), pack_max_seq);
      if (pack_c_array) {
        write_c_array(packed, pack_output, pack_name);
      } else {
        write_file_atomic(pack_output, packed.data(), packed.size());
      }
      std::printf("packed %s -> %s (%zu bytes)\n", pack_input.c_str(), pack_output.c_str(),
                  packed.size());
      return 0;
    }
    if (*pretrain_cmd) {
      if (pt_threads > 0) omp_set_num_threads(pt_threads);
      pt.lowercase = !pt_cased;
      const nlohmann::json report = pretrain(pt);
      if (!print_training_report(report, pt_json)) {
        const auto& b = report["before"];
        const auto& a = report["after"];
        std::printf("pretrained %zu steps in %.1f s (%.0f tokens/s, %d threads) -> %s; held-out "
                    "MLM accuracy %.4f -> %.4f, NSP accuracy %.4f -> %.4f; log %s\n",
                    report["steps"].get<size_t>(), report["seconds"].get<double>(),
                    report["tokens_per_s"].get<double>(), report["threads"].get<int>(),
                    report["output"].get<std::string>().c_str(), b["mlm_accuracy"].get<double>(),
                    a["mlm_accuracy"].get<double>(), b["nsp_accuracy"].get<double>(),
                    a["nsp_accuracy"].get<double>(), report["log"].get<std::string>().c_str());
      }
      return 0;
    }
    if (*distill_cmd) {
      if (ds_threads > 0) omp_set_num_threads(ds_threads);
      const nlohmann::json report = distill(ds);
      if (!print_training_report(report, ds_json)) {
        std::printf("distilled %s into a %zu-layer, %zu-hidden student: %zu steps on %zu labelled "
                    "+ %zu unlabeled texts in %.1f s (%d threads)",
                    report["teacher"].get<std::string>().c_str(),
                    report["student"]["layers"].get<size_t>(),
                    report["student"]["hidden"].get<size_t>(), report["steps"].get<size_t>(),
                    report["labelled_examples"].get<size_t>(),
                    report["unlabeled_examples"].get<size_t>(), report["seconds"].get<double>(),
                    report["threads"].get<int>());
        if (report.contains("best_dev_accuracy")) {
          std::printf("; best dev acc %.4f at step %zu (teacher %.4f)",
                      report["best_dev_accuracy"].get<double>(), report["best_step"].get<size_t>(),
                      report["teacher_dev_accuracy"].get<double>());
        }
        std::printf(" -> %s; log %s\n", report["output"].get<std::string>().c_str(),
                    report["log"].get<std::string>().c_str());
      }
      return 0;
    }
    if (*finetune_cmd) {
      if (ft_threads > 0) omp_set_num_threads(ft_threads);
      for (const FinetuneTask task : {FinetuneTask::Classification, FinetuneTask::Regression,
                                      FinetuneTask::MultiLabel, FinetuneTask::Tokens,
                                      FinetuneTask::QuestionAnswering}) {
        if (ft_task == finetune_task_name(task)) ft.task = task;
      }
      const nlohmann::json report = finetune(ft);
      if (!print_training_report(report, ft_json)) {
        std::printf("fine-tuned %s: %zu steps on %zu examples in %.1f s (%.0f tokens/s, %d threads)",
                    report["task"].get<std::string>().c_str(), report["steps"].get<size_t>(),
                    report["train_examples"].get<size_t>(), report["seconds"].get<double>(),
                    report["tokens_per_s"].get<double>(), report["threads"].get<int>());
        if (report.contains("best_dev_score")) {
          std::printf("; best dev %s %.4f at step %zu",
                      report["dev_measure"].get<std::string>().c_str(),
                      report["best_dev_score"].get<double>(), report["best_step"].get<size_t>());
        }
        std::printf(" -> %s; log %s\n", report["output"].get<std::string>().c_str(),
                    report["log"].get<std::string>().c_str());
      }
      return 0;
    }
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
