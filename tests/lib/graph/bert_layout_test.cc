// The BERT layout (lib/src/graph/bert_layout.h): what it enumerates is exactly what a Hugging Face
// checkpoint holds and the loader reads, and its name tests say what they claim.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "graph/bert_layout.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

TEST_CASE("BERT layout: for_each_bert_tensor lists exactly the imported checkpoint's tensors") {
  fb::ModelT model = import_fixture("classifier");  // BertForSequenceClassification, 2 layers
  std::map<std::string, std::vector<uint32_t>> file;
  for (const auto& t : model.tensors) file[t->name] = t->shape;
  const ModelDims d = convert::layout_dims(model);
  REQUIRE(d.num_labels == 3);
  size_t visited = 0, dense_weights = 0;
  for_each_bert_tensor(d, [&](const BertTensor& t) {
    char name[96];
    t.name(name, sizeof name);
    INFO(name);
    REQUIRE(file.count(name) == 1);
    std::vector<uint32_t> shape = {t.rows};
    if (t.cols != 0) shape.push_back(t.cols);
    CHECK(file[name] == shape);
    CHECK(is_dense_weight_name(name) == (t.kind == TensorKind::DenseWeight));
    dense_weights += t.kind == TensorKind::DenseWeight;
    ++visited;
  });
  CHECK(visited == file.size());
  CHECK(dense_weights == d.num_layers * kDenseSlotsPerLayer + 2);
}

TEST_CASE("BERT layout: names of dense weights, and what is not one") {
  char name[96];
  CHECK(std::string(dense_tensor_name({11, DenseSlot::Intermediate}, name, sizeof name)) ==
        "encoder.layer.11.intermediate.dense.weight");
  CHECK(std::string(dense_tensor_name({3, DenseSlot::Classifier}, name, sizeof name)) ==
        "classifier.weight");
  CHECK(std::string(bert_tensor_name(2, norm_slot_name(NormSlot::Output), nullptr, name,
                                     sizeof name)) == "encoder.layer.2.output.LayerNorm");
  CHECK(is_dense_weight_name("pooler.dense.weight"));
  CHECK(is_dense_weight_name("encoder.layer.0.attention.output.dense.weight"));
  CHECK_FALSE(is_dense_weight_name("encoder.layer.0.attention.output.dense.bias"));
  CHECK_FALSE(is_dense_weight_name("encoder.layer.x.output.dense.weight"));
  CHECK_FALSE(is_dense_weight_name("encoder.layer.1.output.dense.weights"));
  CHECK_FALSE(is_dense_weight_name("bert.encoder.layer.1.output.dense.weight"));
  CHECK_FALSE(is_dense_weight_name("embeddings.word_embeddings.weight"));
  CHECK_FALSE(is_dense_weight_name("encoder.layer.1.output.LayerNorm.weight"));
}

}  // namespace
}  // namespace edgebert::test
