// Labelled files for eval / finetune: TSV and CSV, header detection, pairs, and file:line errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "labelled_data.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string error_of(const std::string& path) {
  try {
    convert::read_labelled_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("Labelled data: the SST-2 sample (TSV with a label/content header)") {
  const auto examples = convert::read_labelled_file(fixture_path("sst2_dev_sample.tsv"));
  REQUIRE(examples.size() == 200);
  CHECK(examples[0].label == "0");
  CHECK(examples[0].text == "one long string of cliches .");
  CHECK(examples[0].line == 2);
  CHECK_FALSE(examples[0].has_text_b);
}

TEST_CASE("Labelled data: CSV with quotes, pairs, no header, CRLF") {
  const std::string csv = write_file(
      "eb_csv", "text,label\r\n\"a, quoted \"\"text\"\"\",pos\r\nplain,neg\r\n");
  const auto examples = convert::read_labelled_file(csv);
  REQUIRE(examples.size() == 2);
  CHECK(examples[0].text == "a, quoted \"text\"");
  CHECK(examples[0].label == "pos");
  const std::string pairs = write_file("eb_pairs", "0\tfirst\tsecond\n1\tthird\tfourth\n");
  const auto p = convert::read_labelled_file(pairs);
  REQUIRE(p.size() == 2);
  CHECK(p[1].has_text_b);
  CHECK(p[1].text_b == "fourth");
  CHECK(p[1].line == 2);
}

TEST_CASE("Labelled data: bad lines name file and line") {
  const std::string short_line = write_file("eb_short", "label\tsentence\n1\tfine\n0\n");
  CHECK(error_of(short_line).find(short_line + ":3: expected 2 tab-separated fields, found 1") !=
        std::string::npos);
  const std::string quote = write_file("eb_quote", "label,text\n1,\"open\n");
  CHECK(error_of(quote).find(quote + ":2: unterminated quoted field") != std::string::npos);
  const std::string empty_label = write_file("eb_empty", "\tsome text\n");
  CHECK(error_of(empty_label).find(":1: empty label") != std::string::npos);
  const std::vector<std::string> names = {"negative", "positive"};
  CHECK(convert::label_index("positive", names, "f:1") == 1);
  CHECK(convert::label_index("0", names, "f:1") == 0);
  CHECK_THROWS_WITH_AS(convert::label_index("2", names, "f:7"),
                       doctest::Contains("f:7: label \"2\" is not one of the model's labels"),
                       std::runtime_error);
}

}  // namespace
}  // namespace edgebert::test
