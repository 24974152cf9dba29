// The distillation student's start from its teacher (converter/trainer/prune.cc): truncation is
// exact, pruning what contributes nothing leaves the outputs unchanged, the largest LayerNorm
// gains keep their channels, and what cannot be pruned says why.
#include "trainer/prune.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "model_file.h"
#include "random_model.h"
#include "test_support.h"

namespace edgebert::convert {
namespace {

fb::TensorT& find(fb::ModelT& model, const std::string& name) {
  for (auto& t : model.tensors) {
    if (t->name == name) return *t;
  }
  FAIL("no tensor " << name);
  throw;
}

std::vector<float> values(fb::ModelT& model, const std::string& name) {
  return tensor_values_f32(find(model, name));
}

void set_values(fb::ModelT& model, const std::string& name, const std::vector<float>& v) {
  fb::TensorT& t = find(model, name);
  REQUIRE(t.data.size() == v.size() * sizeof(float));
  std::memcpy(t.data.data(), v.data(), t.data.size());
}

std::vector<float> last_hidden(fb::ModelT& model, const std::vector<int32_t>& ids) {
  return test::runtime_output(pack_model(model), ids, EB_OUTPUT_LAST_HIDDEN);
}

// 3 layers, hidden 32, 4 heads of 8, intermediate 64, an encoder with a pooler.
fb::ModelT teacher_model() {
  BertShape s;
  s.num_layers = 3, s.hidden = 32, s.num_heads = 4, s.head_dim = 8, s.intermediate = 64;
  s.vocab_size = 60, s.max_positions = 16, s.num_labels = 0;
  return random_bert(s, 7);
}

std::string layer(int l, const std::string& rest) {
  return "encoder.layer." + std::to_string(l) + "." + rest;
}

TEST_CASE("Pruning: a student of the teacher's widths is its layers picked evenly, bit for bit") {
  fb::ModelT teacher = teacher_model();
  nlohmann::json report;
  fb::ModelT student = prune_model(clone_model(teacher), {2, 32, 4, 64, {}}, &report);
  CHECK(report["teacher_layers"] == nlohmann::json({0, 1}));  // j x 3 / 2
  CHECK_FALSE(report.contains("pruned"));
  CHECK(student.config->num_layers == 2);
  CHECK(student.tensors.size() == teacher.tensors.size() - 16);  // one layer's 16 tensors
  for (const auto& t : student.tensors) {
    std::string name = t->name;
    if (name.rfind("encoder.layer.1.", 0) == 0) name = layer(1, name.substr(16));
    CHECK_MESSAGE(t->data == find(teacher, name).data, name);
  }
  // Chosen layers: the student's layer 1 is the teacher's layer 2.
  nlohmann::json chosen;
  fb::ModelT ends = prune_model(clone_model(teacher), {2, 32, 4, 64, {0, 2}}, &chosen);
  CHECK(chosen["teacher_layers"] == nlohmann::json({0, 2}));
  CHECK(find(ends, layer(1, "output.dense.weight")).data ==
        find(teacher, layer(2, "output.dense.weight")).data);
  fb::ModelT three = prune_model(clone_model(teacher), {3, 32, 4, 64, {}}, nullptr);
  const std::vector<int32_t> ids = {2, 9, 31, 4, 17};
  CHECK(last_hidden(three, ids) == last_hidden(teacher, ids));
}

TEST_CASE("Pruning: heads and neurons that add nothing go, and the outputs stay the same") {
  fb::ModelT teacher = teacher_model();
  // Heads 1 and 3 of every layer give zero context (value rows and biases zero) and the odd
  // feed-forward neurons output GELU(0) = 0 (input rows and biases zero): what they add is 0.
  for (int l = 0; l < 3; ++l) {
    std::vector<float> v = values(teacher, layer(l, "attention.self.value.weight"));
    std::vector<float> vb = values(teacher, layer(l, "attention.self.value.bias"));
    for (int h : {1, 3}) {
      for (int d = h * 8; d < (h + 1) * 8; ++d) {
        std::fill(v.begin() + d * 32, v.begin() + (d + 1) * 32, 0.0f);
        vb[d] = 0.0f;
      }
    }
    set_values(teacher, layer(l, "attention.self.value.weight"), v);
    set_values(teacher, layer(l, "attention.self.value.bias"), vb);
    std::vector<float> w = values(teacher, layer(l, "intermediate.dense.weight"));
    std::vector<float> b = values(teacher, layer(l, "intermediate.dense.bias"));
    for (int j = 1; j < 64; j += 2) {
      std::fill(w.begin() + j * 32, w.begin() + (j + 1) * 32, 0.0f);
      b[j] = 0.0f;
    }
    set_values(teacher, layer(l, "intermediate.dense.weight"), w);
    set_values(teacher, layer(l, "intermediate.dense.bias"), b);
  }
  nlohmann::json report;
  fb::ModelT student = prune_model(clone_model(teacher), {3, 32, 2, 32, {}}, &report);
  CHECK(report["pruned"]["heads_kept"] == nlohmann::json({{0, 2}, {0, 2}, {0, 2}}));
  CHECK(student.config->num_heads == 2);
  CHECK(student.config->head_dim == 8);  // attention width 16 != hidden 32
  CHECK(student.config->intermediate == 32);
  CHECK(find(student, layer(2, "attention.self.query.weight")).shape ==
        std::vector<uint32_t>{16, 32});
  CHECK(find(student, layer(2, "attention.output.dense.weight")).shape ==
        std::vector<uint32_t>{32, 16});
  CHECK(find(student, layer(0, "output.dense.weight")).shape == std::vector<uint32_t>{32, 32});
  const std::vector<int32_t> ids = {2, 9, 31, 4, 17, 55};
  const std::vector<float> expected = last_hidden(teacher, ids);
  const std::vector<float> got = last_hidden(student, ids);
  CHECK(test::max_abs_diff(got.data(), got.size(), expected) < 1e-5);
  // The student (attention width 16 != hidden 32) pruned again: with its second head's
  // attention-output columns zero (the head silenced on the O side this time), one head is left
  // and the outputs still match.
  for (int l = 0; l < 3; ++l) {
    std::vector<float> o = values(student, layer(l, "attention.output.dense.weight"));  // (32, 16)
    for (int r = 0; r < 32; ++r) std::fill(o.begin() + r * 16 + 8, o.begin() + (r + 1) * 16, 0.0f);
    set_values(student, layer(l, "attention.output.dense.weight"), o);
  }
  nlohmann::json again;
  fb::ModelT single = prune_model(clone_model(student), {3, 32, 1, 32, {}}, &again);
  CHECK(again["pruned"]["heads_kept"] == nlohmann::json({{0}, {0}, {0}}));
  const std::vector<float> before = last_hidden(student, ids), after = last_hidden(single, ids);
  CHECK(test::max_abs_diff(after.data(), after.size(), before) < 1e-5);
  // Dropping a live head instead changes them.
  fb::ModelT one_head = prune_model(clone_model(teacher), {3, 32, 1, 32, {}}, nullptr);
  const std::vector<float> fewer = last_hidden(one_head, ids);
  CHECK(test::max_abs_diff(fewer.data(), fewer.size(), expected) > 1e-3);
}

TEST_CASE("Pruning keeps the hidden channels of the largest LayerNorm gains, in order") {
  fb::ModelT teacher = teacher_model();
  const std::vector<int> small = {0, 5, 6, 20, 31};  // gain 0.01 in every LayerNorm
  std::vector<std::string> norms = {"embeddings.LayerNorm"};
  for (int l = 0; l < 3; ++l) {
    norms.push_back(layer(l, "attention.output.LayerNorm"));
    norms.push_back(layer(l, "output.LayerNorm"));
  }
  for (const std::string& norm : norms) {
    std::vector<float> gamma = values(teacher, norm + ".weight");
    for (size_t c = 0; c < gamma.size(); ++c) gamma[c] = 1.0f + 0.01f * c;
    for (int c : small) gamma[c] = 0.01f;
    set_values(teacher, norm + ".weight", gamma);
  }
  fb::ModelT student = prune_model(clone_model(teacher), {2, 27, 4, 64, {}}, nullptr);
  CHECK(student.config->hidden == 27);
  std::vector<float> expected;
  for (int c = 0; c < 32; ++c) {
    if (std::find(small.begin(), small.end(), c) == small.end())
      expected.push_back(1.0f + 0.01f * c);
  }
  CHECK(values(student, "embeddings.LayerNorm.weight") == expected);
  CHECK(find(student, "embeddings.word_embeddings.weight").shape == std::vector<uint32_t>{60, 27});
  CHECK(find(student, "pooler.dense.weight").shape == std::vector<uint32_t>{27, 27});
  CHECK(find(student, layer(1, "intermediate.dense.weight")).shape ==
        std::vector<uint32_t>{64, 27});
  // The runtime runs it.
  CHECK(last_hidden(student, {2, 9, 31}).size() == 3 * 27);
}

TEST_CASE("Pruning says why it cannot start a student") {
  fb::ModelT teacher = teacher_model();
  CHECK(why_not_prunable(teacher, {2, 32, 4, 64, {}}) == "");
  CHECK(why_not_prunable(teacher, {4, 32, 4, 64, {}}).find("larger than the teacher") !=
        std::string::npos);
  CHECK(why_not_prunable(teacher, {2, 32, 8, 64, {}}).find("larger") != std::string::npos);
  CHECK(why_not_prunable(teacher, {2, 0, 4, 64, {}}).find("empty") != std::string::npos);
  CHECK(why_not_prunable(teacher, {2, 32, 4, 64, {1}}).find("1 layers to start from") !=
        std::string::npos);
  CHECK(why_not_prunable(teacher, {2, 32, 4, 64, {2, 1}}).find("must increase") !=
        std::string::npos);
  CHECK(why_not_prunable(teacher, {2, 32, 4, 64, {0, 3}}).find("below the teacher's 3") !=
        std::string::npos);
  find(teacher, layer(0, "output.dense.weight")).dtype = fb::DType::Int8;
  CHECK(why_not_prunable(teacher, {2, 32, 4, 64, {}}).find("quantized") != std::string::npos);
  CHECK_THROWS_WITH_AS(prune_model(std::move(teacher), {2, 32, 4, 64, {}}, nullptr),
                       doctest::Contains("quantized"), std::runtime_error);
  CHECK(top_indices({0.5, 2.0, 2.0, 1.0, 3.0}, 3) == std::vector<uint32_t>{1, 2, 4});
}

}  // namespace
}  // namespace edgebert::convert
