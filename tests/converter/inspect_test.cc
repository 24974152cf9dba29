// inspect: JSON report contents for a good model, refusal of a corrupt one.
#include <doctest/doctest.h>

#include <cstring>

#include "converter/xml_check.h"
#include "inspect.h"
#include "model_picture.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

TEST_CASE("Inspect: reports config, task, tensors, arena and provenance") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  const nlohmann::json r = convert::inspect_model(bytes);
  CHECK(r["runtime_check"]["status"] == "EB_OK");
  CHECK(r["schema_version"] == 1);
  CHECK(r["config"]["num_layers"] == 2);
  CHECK(r["config"]["intermediate"] == 48);
  CHECK(r["config"]["activation"] == "gelu");
  CHECK(r["task"]["kind"] == "classification");
  CHECK(r["task"]["labels"][1] == "neutral");
  CHECK(r["tokenizer"]["vocab_size"] == 128);
  CHECK(r["tensors"].size() == 41);
  CHECK(r["totals"]["parameters"] == 128 * 32 + 64 * 32 + 2 * 32 + 2 * 32 +
                                          2 * (4 * (32 * 32 + 32) + 2 * 32 + (48 * 32 + 48) +
                                               (32 * 48 + 32) + 2 * 32) +
                                          (32 * 32 + 32) + (3 * 32 + 3));
  CHECK(r["totals"]["weight_bytes"] == 4 * r["totals"]["parameters"].get<uint64_t>());
  CHECK(r["arena"]["bytes"].get<uint64_t>() > 0);
  CHECK(r["provenance"]["producer"] == "edgebert-convert 0.1.0");
  CHECK(r["provenance"]["extra"]["hf.architecture"] == "BertForSequenceClassification");
  const std::string text = convert::inspect_text(r);
  CHECK(text.find("layers 2, hidden 32, heads 4 x 8, intermediate 48") != std::string::npos);
  CHECK(text.find("encoder.layer.1.output.dense.weight") != std::string::npos);
}

TEST_CASE("Inspect --svg: the graph with shapes, dtypes and bytes, and the memory plan, well-formed") {
  for (const char* name : {"classifier", "sentence"}) {
    CAPTURE(name);
    const nlohmann::json r = convert::inspect_model(packed_fixture(name));
    const std::string svg = convert::model_svg(r, std::string(name) + ".ebm");
    CHECK(test::xml_problem(svg) == "");
    for (const std::string& expected :
         {std::string("encoder layer x 2"), std::string("dense 32 -&gt; 3 x 32 (Q, K, V)"),
          std::string("attention: 4 heads x 8"), std::string("dense 32 -&gt; 48 (intermediate)"),
          std::string("weights fp32"), std::string("memory plan"), std::string("lower bound"),
          std::string("Hidden"), std::string(name) + ".ebm"}) {
      INFO(expected);
      CHECK(svg.find(expected) != std::string::npos);
    }
    // Every planned buffer is a bar with its name in the tooltip.
    for (const auto& b : r["memory_plan"]["buffers"]) {
      INFO(b["buffer"].get<std::string>());
      CHECK(svg.find("<title>" + b["buffer"].get<std::string>() + ": ") != std::string::npos);
    }
  }
  const std::string classifier = convert::model_svg(convert::inspect_model(packed_fixture("classifier")), "c");
  CHECK(classifier.find("classifier: dense 32 -&gt; 3") != std::string::npos);
  CHECK(convert::model_svg(convert::inspect_model(packed_fixture("sentence")), "s").find("pooling: ") !=
        std::string::npos);
}

TEST_CASE("Inspect: a corrupt file is an error, not a crash") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  convert::AlignedBytes truncated(bytes.size() / 2);
  std::memcpy(truncated.data(), bytes.data(), truncated.size());
  CHECK_THROWS_WITH_AS(convert::inspect_model(truncated), doctest::Contains("verification"),
                       std::runtime_error);
}

}  // namespace
}  // namespace edgebert::test
