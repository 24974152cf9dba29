// explain (converter/explain_command.h) and its picture (attention_picture.h): the maps are the
// runtime's for the text's tokens (each row a distribution; the fp32 fixture's equal a direct
// eb_session_attention read), the prediction is `run`'s, the JSON and text say the same, the
// SVG is well-formed with every head drawn; wrong options name themselves.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "attention_picture.h"
#include "converter/xml_check.h"
#include "explain_command.h"
#include "quantize.h"
#include "run_command.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

// `bytes` written to a temporary .ebm, removed at scope exit.
struct ModelFile {
  std::string path;
  explicit ModelFile(const convert::AlignedBytes& bytes, const std::string& name) {
    path = (std::filesystem::temp_directory_path() /
            (name + "_" + std::to_string(::getpid()) + ".ebm"))
               .string();
    convert::write_file_atomic(path, bytes.data(), bytes.size());
  }
  ~ModelFile() { std::filesystem::remove(path); }
};

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST_CASE("Explain: every head's map of the text, the prediction of run, JSON and text alike") {
  const ModelFile file(packed_fixture("classifier"), "explain_classifier");
  convert::ExplainOptions options;
  options.model = file.path;
  options.text = "the movie was not very good";
  options.pair = "it was fun";
  const convert::Explanation e = convert::explain(options);
  CHECK(e.layers == 2);
  CHECK(e.heads == 4);
  const size_t S = e.tokens();
  REQUIRE(S > 8);
  CHECK(e.pieces.front() == "[CLS]");
  CHECK(e.pieces.back() == "[SEP]");
  CHECK(e.segments.front() == -1);
  CHECK(e.segments[1] == 0);
  CHECK(e.segments[S - 2] == 1);  // "fun", the pair's last piece
  REQUIRE(e.attentions.size() == 2 * 4 * S * S);
  for (size_t row = 0; row < 2 * 4 * S; ++row) {
    double sum = 0;
    for (size_t j = 0; j < S; ++j) sum += e.attentions[row * S + j];
    CHECK(std::fabs(sum - 1) < 1e-5);
  }
  // The prediction is what `run` reports for the same pair.
  convert::RunOptions run;
  run.model = file.path;
  run.text = options.text;
  run.pair = options.pair;
  CHECK(e.prediction == convert::run_report(run));

  const nlohmann::json j = convert::explain_json(e);
  CHECK(j["tokens"].get<std::vector<std::string>>() == e.pieces);
  REQUIRE(j["attentions"].size() == 2);
  REQUIRE(j["attentions"][1].size() == 4);
  REQUIRE(j["attentions"][1][3].size() == S);
  CHECK(j["attentions"][1][3][2][5].get<float>() == e.map(1, 3)[2 * S + 5]);

  const std::string text = convert::explain_text(e, 1, 2);
  CHECK(text.find("layer 1 of 2, head 2 of 4") != std::string::npos);
  CHECK(text.find(j["prediction"]["label"].get<std::string>()) != std::string::npos);
  // 2 header lines, "prediction:", the label and 3 probabilities, the heading, a row a token.
  CHECK(count(text, "\n") == 2 + 1 + 4 + 1 + S);
}

TEST_CASE("Explain --svg: well-formed, the head view's lines and a map per head") {
  fb::ModelT quantized = import_fixture("classifier");
  convert::quantize_model(quantized);
  const ModelFile file(convert::pack_model(quantized), "explain_int8");
  convert::ExplainOptions options;
  options.model = file.path;
  options.text = "the plot & the acting <were> 'dull'";  // markup characters
  const convert::Explanation e = convert::explain(options);
  const std::string svg = convert::attention_svg(e, 0, 3);
  CHECK(xml_problem(svg) == "");
  CHECK(svg.find("Layer 0, head 3") != std::string::npos);
  // One hover target per head of the grid, saying which.
  for (uint32_t l = 0; l < e.layers; ++l) {
    for (uint32_t h = 0; h < e.heads; ++h) {
      CHECK(count(svg, "<title>layer " + std::to_string(l) + ", head " + std::to_string(h) +
                           ": most weight") == 1);
    }
  }
  // A line for every weight of the shown head worth drawing.
  size_t drawn = 0;
  const float* m = e.map(0, 3);
  for (size_t i = 0; i < e.tokens() * e.tokens(); ++i) {
    drawn += m[i] >= convert::kSmallestDrawnWeight;
  }
  CHECK(drawn > 0);
  CHECK(count(svg, "<line ") == drawn);
  CHECK(count(svg, "&apos;") > 0);  // the ' piece, escaped
}

TEST_CASE("Explain: options the model cannot take are named") {
  const ModelFile file(packed_fixture("classifier"), "explain_errors");
  convert::ExplainOptions options;
  options.model = file.path;
  options.text = "good";
  const convert::Explanation e = convert::explain(options);
  CHECK_THROWS_WITH(e.check_head(2, 0), "--layer 2: the model has 2 layers (0 .. 1)");
  CHECK_THROWS_WITH(convert::attention_svg(e, 0, 4),
                    "--head 4: the model has 4 heads a layer (0 .. 3)");
  CHECK_THROWS_WITH(convert::explain_text(e, 0, 9),
                    "--head 9: the model has 4 heads a layer (0 .. 3)");

  const ModelFile sentence(packed_fixture("sentence"), "explain_sentence");
  options.model = sentence.path;
  options.pair = "bad";
  CHECK_THROWS_WITH(convert::explain(options),
                    "--pair does not apply to a sentence embedding model");

  convert::ImportOptions qa;
  qa.dir = fixture_path("tasks/qa");
  fb::ModelT qa_model = convert::import_hf(qa);
  const ModelFile reader(convert::pack_model(qa_model), "explain_qa");
  options.model = reader.path;
  options.pair.reset();
  CHECK_THROWS_WITH(convert::explain(options),
                    "question answering reads a question and a context: give --pair");
  options.text = "who wrote it?";
  options.pair = "it was written by ann.";
  const convert::Explanation answered = convert::explain(options);
  CHECK(answered.prediction["task"] == "question_answering");
  CHECK(answered.segments.back() == -1);
}

}  // namespace
}  // namespace edgebert::test
