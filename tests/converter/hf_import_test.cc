// Hugging Face import: the three layouts, tensor mapping, and clear refusals of what we cannot run.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "edgebert/edgebert.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A scratch copy of a fixture checkpoint that a test may edit; removed at scope exit.
struct ScratchCheckpoint {
  fs::path dir;
  // A copy of tiny_bert/<layout>, or of another fixture folder (`folder`: "families").
  explicit ScratchCheckpoint(const std::string& layout, const std::string& folder = "tiny_bert") {
    dir = fs::temp_directory_path() /
          ("edgebert_import_" + layout + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter()++));
    fs::remove_all(dir);
    fs::copy(fixture_path(folder + "/" + layout), dir, fs::copy_options::recursive);
  }
  ~ScratchCheckpoint() { fs::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  void edit_config(const std::function<void(json&)>& edit, const std::string& file = "config.json") {
    json config = json::parse(convert::read_text_file((dir / file).string()));
    edit(config);
    std::ofstream(dir / file) << config.dump(2);
  }
  std::string import_error() const {
    convert::ImportOptions options;
    options.dir = dir.string();
    try {
      convert::import_hf(options);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("Import: BertForSequenceClassification maps bert.* names and labels") {
  convert::ImportSummary summary;
  convert::ImportOptions options;
  options.dir = fixture_path("tiny_bert/classifier");
  fb::ModelT model = convert::import_hf(options, &summary);
  CHECK(summary.layout == "BertForSequenceClassification");
  CHECK(summary.tensor_prefix == "bert.");
  CHECK(summary.tensors == 41);
  CHECK(model.task->kind == fb::TaskKind::Classification);
  CHECK(model.task->labels == std::vector<std::string>{"negative", "neutral", "positive"});
  CHECK(model.config->head_dim == 8);
  CHECK(model.config->activation == fb::Activation::GeluErf);
  CHECK(model.config->layer_norm_eps == doctest::Approx(1e-12f));
  CHECK(model.tokenizer->vocab.size() == 128);
  CHECK(model.tokenizer->vocab[2] == "[CLS]");
  CHECK(model.tokenizer->cls_id == 2);
  CHECK(model.tokenizer->sep_id == 3);
  CHECK(model.tokenizer->pad_id == 0);
  CHECK(model.tokenizer->unk_id == 1);
  CHECK(model.tokenizer->mask_id == 4);
  CHECK(model.tokenizer->do_lower_case);
  CHECK(model.tokenizer->strip_accents);  // strip_accents unset: follows lowercase, like HF
  CHECK(convert::find_tensor(model, "classifier.weight") != nullptr);
  CHECK(convert::find_tensor(model, "bert.embeddings.word_embeddings.weight") == nullptr);
}

TEST_CASE("Import: BertModel and sentence-transformers layouts") {
  convert::ImportSummary summary;
  convert::ImportOptions options;
  options.dir = fixture_path("tiny_bert/base");
  fb::ModelT base = convert::import_hf(options, &summary);
  CHECK(summary.layout == "BertModel");
  CHECK(summary.tensor_prefix.empty());
  CHECK(base.task->kind == fb::TaskKind::Encoder);
  CHECK(base.task->pooling == fb::Pooling::Mean);
  CHECK_FALSE(base.task->normalize);

  options.dir = fixture_path("tiny_bert/sentence");
  fb::ModelT sentence = convert::import_hf(options, &summary);
  CHECK(summary.layout == "sentence-transformers");
  CHECK(sentence.task->kind == fb::TaskKind::Embedding);
  CHECK(sentence.task->pooling == fb::Pooling::Mean);
  CHECK(sentence.task->normalize);

  options.max_seq = 16;
  options.normalize = false;
  options.lowercase = false;
  fb::ModelT overridden = convert::import_hf(options);
  CHECK(overridden.config->max_seq == 16);
  CHECK_FALSE(overridden.task->normalize);
  CHECK_FALSE(overridden.tokenizer->do_lower_case);
  options.max_seq = 65;
  CHECK_THROWS_WITH_AS(convert::import_hf(options),
                       doctest::Contains("--max-seq 65 must be in [1, 64] (max_position_embeddings 64)"),
                       std::runtime_error);
}

TEST_CASE("Import: legacy LayerNorm gamma/beta names are accepted") {
  // Rewrite the safetensors header of the base checkpoint with gamma/beta names of equal length
  // replaced: "weight" -> "gamma" changes lengths, so rebuild the file from parsed tensors.
  ScratchCheckpoint scratch("base");
  const std::string path = (scratch.dir / "model.safetensors").string();
  const std::string original = convert::read_text_file(path);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | uint8_t(original[i]);
  json header = json::parse(original.substr(8, header_size));
  json renamed = json::object();
  for (auto& [name, info] : header.items()) {
    std::string n = name;
    const size_t at = n.find("LayerNorm.weight");
    if (at != std::string::npos) n.replace(at, 16, "LayerNorm.gamma");
    const size_t bt = n.find("LayerNorm.bias");
    if (bt != std::string::npos) n.replace(bt, 14, "LayerNorm.beta");
    renamed[n] = info;
  }
  std::string text = renamed.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char((text.size() >> (8 * i)) & 0xff);
  out += text + original.substr(8 + header_size);
  std::ofstream(path, std::ios::binary) << out;
  convert::ImportOptions options;
  options.dir = scratch.dir.string();
  fb::ModelT model = convert::import_hf(options);
  CHECK(convert::find_tensor(model, "encoder.layer.1.output.LayerNorm.weight") != nullptr);
  CHECK(convert::find_tensor(model, "embeddings.LayerNorm.bias") != nullptr);
}

TEST_CASE("Import: unsupported configurations are refused with a clear message") {
  SUBCASE("relative position embeddings") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) { c["position_embedding_type"] = "relative_key"; });
    CHECK(contains(s.import_error(), "position_embedding_type \"relative_key\" is not supported"));
  }
  SUBCASE("unknown activation") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) { c["hidden_act"] = "swish"; });
    CHECK(contains(s.import_error(), "hidden_act \"swish\" is not supported"));
  }
  SUBCASE("other model types") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) { c["model_type"] = "albert"; });
    CHECK(contains(s.import_error(), "model_type \"albert\" is not supported (bert, distilbert, "
                                     "roberta, xlm-roberta, electra)"));
    ScratchCheckpoint t("classifier");
    t.edit_config([](json& c) { c["model_type"] = "roberta"; });  // but named as BERT's
    CHECK(contains(t.import_error(), "architecture BertForSequenceClassification is not supported "
                                     "(RobertaForMaskedLM, "));
  }
  SUBCASE("ELECTRA's embedding projection and generator") {
    ScratchCheckpoint s("electra_small_classifier", "families");
    s.edit_config([](json& c) { c["embedding_size"] = 8; });
    CHECK(contains(s.import_error(), "model.safetensors: tensor "
                                     "electra.embeddings.word_embeddings.weight has shape (128,16), "
                                     "config.json implies (128,8)"));
    s.edit_config([](json& c) { c["embedding_size"] = 0; });
    CHECK(contains(s.import_error(), "\"embedding_size\" must be a positive integer"));
    ScratchCheckpoint p("electra_small_classifier", "families");
    p.edit_config([](json& c) { c["embedding_size"] = 32; });  // no projection then
    CHECK(contains(p.import_error(), "electra.embeddings.word_embeddings.weight has shape "
                                     "(128,16), config.json implies (128,32)"));
    ScratchCheckpoint t("classifier");
    t.edit_config([](json& c) {
      c["model_type"] = "electra";
      c["architectures"] = {"ElectraForMaskedLM"};
    });
    CHECK(contains(t.import_error(), "architecture ElectraForMaskedLM is not supported"));
  }
  SUBCASE("other architectures") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) { c["architectures"] = {"BertForMultipleChoice"}; });
    CHECK(contains(s.import_error(), "architecture BertForMultipleChoice is not supported ("));
  }
  SUBCASE("unknown problem type") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) { c["problem_type"] = "ordinal"; });
    CHECK(contains(s.import_error(), "problem_type \"ordinal\" is unknown"));
  }
  SUBCASE("a head whose shape disagrees with the labels") {
    ScratchCheckpoint s("classifier");
    s.edit_config([](json& c) {
      c["id2label"] = {{"0", "score"}};
      c["num_labels"] = 1;
    });
    CHECK(contains(s.import_error(), "tensor classifier.weight has shape (3,32), config.json implies (1,32)"));
  }
  SUBCASE("decoder") {
    ScratchCheckpoint s("base");
    s.edit_config([](json& c) { c["is_decoder"] = true; });
    CHECK(contains(s.import_error(), "decoder"));
  }
  SUBCASE("config disagrees with the weights") {
    ScratchCheckpoint s("base");
    s.edit_config([](json& c) { c["intermediate_size"] = 64; });
    CHECK(contains(s.import_error(),
                   "tensor encoder.layer.0.intermediate.dense.weight has shape (48,32), "
                   "config.json implies (64,32)"));
  }
  SUBCASE("wrong JSON types") {
    ScratchCheckpoint s("base");
    s.edit_config([](json& c) { c["hidden_size"] = "thirty-two"; });
    CHECK(contains(s.import_error(), "\"hidden_size\" must be a positive integer"));
  }
  SUBCASE("missing files") {
    ScratchCheckpoint s("base");
    fs::remove(s.dir / "vocab.txt");
    CHECK(contains(s.import_error(), "vocab.txt: missing"));
    ScratchCheckpoint t("base");
    fs::rename(t.dir / "model.safetensors", t.dir / "pytorch_model.bin");
    CHECK(contains(t.import_error(), "pytorch_model.bin is not read"));
  }
  SUBCASE("truncated safetensors") {
    ScratchCheckpoint s("base");
    const fs::path path = s.dir / "model.safetensors";
    fs::resize_file(path, fs::file_size(path) - 100);
    CHECK(contains(s.import_error(), "outside the data section"));
  }
  SUBCASE("unsupported sentence-transformers pooling") {
    ScratchCheckpoint s("sentence");
    s.edit_config(
        [](json& c) {
          c["pooling_mode_mean_tokens"] = false;
          c["pooling_mode_max_tokens"] = true;
        },
        "1_Pooling/config.json");
    CHECK(contains(s.import_error(), "pooling_mode_max_tokens is not supported"));
  }
}

}  // namespace
}  // namespace edgebert::test
