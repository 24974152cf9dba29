#include "trainer/prune.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "model_file.h"
#include "trainer/model_io.h"

namespace edgebert::convert {
namespace {

constexpr char kLayerPrefix[] = "encoder.layer.";

// Which kept indices a tensor's rows and columns take (a 1-D tensor: rows only).
enum class Axis { kAll, kChannels, kHeadDims, kNeurons };

struct Selection {
  Axis rows, cols;
};

// The tensors pruning knows, by name (the layer's without "encoder.layer.N.").
const std::map<std::string, Selection>& selections() {
  static const std::map<std::string, Selection> table = {
      {"embeddings.word_embeddings.weight", {Axis::kAll, Axis::kChannels}},
      {"embeddings.position_embeddings.weight", {Axis::kAll, Axis::kChannels}},
      {"embeddings.token_type_embeddings.weight", {Axis::kAll, Axis::kChannels}},
      {"embeddings.LayerNorm.weight", {Axis::kChannels, Axis::kAll}},
      {"embeddings.LayerNorm.bias", {Axis::kChannels, Axis::kAll}},
      {"attention.self.query.weight", {Axis::kHeadDims, Axis::kChannels}},
      {"attention.self.query.bias", {Axis::kHeadDims, Axis::kAll}},
      {"attention.self.key.weight", {Axis::kHeadDims, Axis::kChannels}},
      {"attention.self.key.bias", {Axis::kHeadDims, Axis::kAll}},
      {"attention.self.value.weight", {Axis::kHeadDims, Axis::kChannels}},
      {"attention.self.value.bias", {Axis::kHeadDims, Axis::kAll}},
      {"attention.output.dense.weight", {Axis::kChannels, Axis::kHeadDims}},
      {"attention.output.dense.bias", {Axis::kChannels, Axis::kAll}},
      {"attention.output.LayerNorm.weight", {Axis::kChannels, Axis::kAll}},
      {"attention.output.LayerNorm.bias", {Axis::kChannels, Axis::kAll}},
      {"intermediate.dense.weight", {Axis::kNeurons, Axis::kChannels}},
      {"intermediate.dense.bias", {Axis::kNeurons, Axis::kAll}},
      {"output.dense.weight", {Axis::kChannels, Axis::kNeurons}},
      {"output.dense.bias", {Axis::kChannels, Axis::kAll}},
      {"output.LayerNorm.weight", {Axis::kChannels, Axis::kAll}},
      {"output.LayerNorm.bias", {Axis::kChannels, Axis::kAll}},
      {"pooler.dense.weight", {Axis::kChannels, Axis::kChannels}},
      {"pooler.dense.bias", {Axis::kChannels, Axis::kAll}},
  };
  return table;
}

// "encoder.layer.3.output.dense.bias" -> layer 3, "output.dense.bias"; else layer -1, the name.
std::pair<int, std::string> split_layer(const std::string& name) {
  if (name.rfind(kLayerPrefix, 0) != 0) return {-1, name};
  const size_t start = sizeof kLayerPrefix - 1, dot = name.find('.', start);
  if (dot == std::string::npos) return {-1, name};
  return {std::stoi(name.substr(start, dot - start)), name.substr(dot + 1)};
}

// The fp32 values of the model's tensor `name` (tensor_values_f32), which must be there.
std::vector<float> values(const fb::ModelT& model, const std::string& name) {
  const fb::TensorT* t = find_tensor(model, name);
  if (t == nullptr) throw std::runtime_error("pruning: the model has no " + name);
  return tensor_values_f32(*t);
}

std::string layer_name(uint32_t layer, const std::string& rest) {
  return kLayerPrefix + std::to_string(layer) + "." + rest;
}

// Sum of squares of a (rows, cols) matrix's row r (or column c) over the indices `over`.
double row_norm2(const std::vector<float>& m, size_t cols, size_t r,
                 const std::vector<uint32_t>& over) {
  double s = 0;
  for (const uint32_t c : over) s += double(m[r * cols + c]) * m[r * cols + c];
  return s;
}
double col_norm2(const std::vector<float>& m, size_t cols, size_t c,
                 const std::vector<uint32_t>& over) {
  double s = 0;
  for (const uint32_t r : over) s += double(m[r * cols + c]) * m[r * cols + c];
  return s;
}

std::vector<uint32_t> all_indices(size_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

// The kept indices of one model (layer-independent channels, per student layer the head dims
// and neurons).
struct Kept {
  std::vector<uint32_t> channels;
  std::vector<std::vector<uint32_t>> head_dims, neurons, heads;  // per student layer
};

Kept choose(const fb::ModelT& model, const StudentShape& s, const std::vector<uint32_t>& picked) {
  const fb::ConfigT& c = *model.config;
  Kept kept;
  // Hidden channels: gamma^2 + beta^2 summed over the LayerNorms the student keeps.
  std::vector<double> channel(c.hidden, 0.0);
  std::vector<std::string> norms = {"embeddings.LayerNorm"};
  for (const uint32_t l : picked) {
    norms.push_back(layer_name(l, "attention.output.LayerNorm"));
    norms.push_back(layer_name(l, "output.LayerNorm"));
  }
  for (const std::string& norm : norms) {
    const std::vector<float> gamma = values(model, norm + ".weight");
    const std::vector<float> beta = values(model, norm + ".bias");
    for (size_t i = 0; i < c.hidden; ++i)
      channel[i] += double(gamma[i]) * gamma[i] + beta[i] * beta[i];
  }
  kept.channels = top_indices(channel, s.hidden);

  for (const uint32_t l : picked) {
    // Heads: ||V_h|| x ||O_:,h|| over the kept channels.
    const std::vector<float> v = values(model, layer_name(l, "attention.self.value.weight"));
    const std::vector<float> o = values(model, layer_name(l, "attention.output.dense.weight"));
    const size_t width = size_t{c.num_heads} * c.head_dim;  // V (width, hidden), O (hidden, width)
    std::vector<double> head(c.num_heads);
    for (size_t h = 0; h < c.num_heads; ++h) {
      double vh = 0, oh = 0;
      for (size_t d = h * c.head_dim; d < (h + 1) * c.head_dim; ++d) {
        vh += row_norm2(v, c.hidden, d, kept.channels);
        oh += col_norm2(o, width, d, kept.channels);
      }
      head[h] = std::sqrt(vh) * std::sqrt(oh);
    }
    kept.heads.push_back(top_indices(head, s.heads));
    std::vector<uint32_t> dims;
    for (const uint32_t h : kept.heads.back()) {
      for (uint32_t d = 0; d < c.head_dim; ++d) dims.push_back(h * c.head_dim + d);
    }
    kept.head_dims.push_back(std::move(dims));
    // Neurons: ||W_in[j, :]|| x ||W_out[:, j]|| over the kept channels.
    const std::vector<float> w_in = values(model, layer_name(l, "intermediate.dense.weight"));
    const std::vector<float> w_out = values(model, layer_name(l, "output.dense.weight"));
    std::vector<double> neuron(c.intermediate);
    for (size_t j = 0; j < c.intermediate; ++j) {
      neuron[j] = std::sqrt(row_norm2(w_in, c.hidden, j, kept.channels)) *
                  std::sqrt(col_norm2(w_out, c.intermediate, j, kept.channels));
    }
    kept.neurons.push_back(top_indices(neuron, s.intermediate));
  }
  return kept;
}

// t's rows and columns at the given indices (null: all).
void take(fb::TensorT& t, const std::vector<uint32_t>* rows, const std::vector<uint32_t>* cols) {
  const std::vector<float> v = tensor_values_f32(t);
  const size_t in_cols = t.shape.size() == 2 ? t.shape[1] : 1;
  const std::vector<uint32_t> all_rows = all_indices(t.shape[0]), all_cols = all_indices(in_cols);
  if (rows == nullptr) rows = &all_rows;
  if (cols == nullptr) cols = &all_cols;
  std::vector<float> out;
  out.reserve(rows->size() * cols->size());
  for (const uint32_t r : *rows) {
    for (const uint32_t c : *cols) out.push_back(v[r * in_cols + c]);
  }
  t.shape[0] = static_cast<uint32_t>(rows->size());
  if (t.shape.size() == 2) t.shape[1] = static_cast<uint32_t>(cols->size());
  t.data.resize(out.size() * sizeof(float));
  std::memcpy(t.data.data(), out.data(), t.data.size());
}

}  // namespace

std::vector<uint32_t> top_indices(const std::vector<double>& scores, size_t keep) {
  std::vector<uint32_t> order = all_indices(scores.size());
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
  order.resize(std::min(keep, order.size()));
  std::sort(order.begin(), order.end());
  return order;
}

std::string why_not_prunable(const fb::ModelT& source, const StudentShape& s,
                             const std::string& what) {
  const fb::ConfigT& c = *source.config;
  for (const auto& t : source.tensors) {
    if (t->dtype != fb::DType::Float32) return what + " is quantized: its weights are not fp32";
    if (is_head_tensor(t->name)) continue;
    if (selections().count(split_layer(t->name).second) == 0) {
      return what + " has a tensor pruning does not know: " + t->name;
    }
  }
  if (c.embedding_size != 0 && c.embedding_size != c.hidden) {
    return what + "'s embeddings are factorised (embedding size " +
           std::to_string(c.embedding_size) + ")";
  }
  if (s.layers > c.num_layers || s.hidden > c.hidden || s.heads > c.num_heads ||
      s.intermediate > c.intermediate) {
    return "the student is larger than " + what + " in some dimension";
  }
  if (s.layers == 0 || s.hidden == 0 || s.heads == 0 || s.intermediate == 0) {
    return "the student has an empty dimension";
  }
  if (!s.from_layers.empty()) {
    if (s.from_layers.size() != s.layers) {
      return "the student has " + std::to_string(s.layers) + " layers but " +
             std::to_string(s.from_layers.size()) + " layers to start from were given";
    }
    for (size_t j = 0; j < s.from_layers.size(); ++j) {
      if (s.from_layers[j] >= c.num_layers || (j > 0 && s.from_layers[j] <= s.from_layers[j - 1])) {
        return "the layers to start from must increase and be below " + what + "'s " +
               std::to_string(c.num_layers);
      }
    }
  }
  return "";
}

fb::ModelT prune_model(fb::ModelT model, const StudentShape& s, nlohmann::json* report) {
  const std::string why = why_not_prunable(model, s, "the model");
  if (!why.empty()) throw std::runtime_error("cannot prune the model to the student: " + why);
  drop_head_tensors(model);
  fb::ConfigT& c = *model.config;
  std::vector<uint32_t> picked = s.from_layers;  // default: layer j = source layer j x L_t / L_s
  for (uint32_t j = 0; picked.size() < s.layers; ++j) picked.push_back(j * c.num_layers / s.layers);
  const bool narrower =
      s.hidden < c.hidden || s.heads < c.num_heads || s.intermediate < c.intermediate;
  const Kept kept = narrower ? choose(model, s, picked) : Kept{};  // widths kept: all

  std::vector<std::unique_ptr<fb::TensorT>> out;
  for (auto& t : model.tensors) {
    auto [layer, rest] = split_layer(t->name);
    size_t student_layer = 0;
    if (layer >= 0) {
      const auto at = std::find(picked.begin(), picked.end(), static_cast<uint32_t>(layer));
      if (at == picked.end()) continue;
      student_layer = static_cast<size_t>(at - picked.begin());
      t->name = layer_name(static_cast<uint32_t>(student_layer), rest);
    }
    if (narrower) {
      const auto indices = [&](Axis axis) -> const std::vector<uint32_t>* {
        switch (axis) {
          case Axis::kChannels:
            return &kept.channels;
          case Axis::kHeadDims:
            return &kept.head_dims[student_layer];
          case Axis::kNeurons:
            return &kept.neurons[student_layer];
          case Axis::kAll:
            break;
        }
        return nullptr;
      };
      const Selection& sel = selections().at(rest);
      take(*t, indices(sel.rows), indices(sel.cols));
    }
    out.push_back(std::move(t));
  }
  model.tensors = std::move(out);
  if (report != nullptr) {
    (*report)["teacher_layers"] = picked;
    if (narrower) {
      (*report)["pruned"] = {{"hidden", {s.hidden, c.hidden}},
                             {"heads", {s.heads, c.num_heads}},
                             {"intermediate", {s.intermediate, c.intermediate}},
                             {"heads_kept", kept.heads}};
    }
  }
  c.num_layers = s.layers;
  c.hidden = s.hidden;
  c.num_heads = s.heads;
  c.intermediate = s.intermediate;
  return model;
}

}  // namespace edgebert::convert
