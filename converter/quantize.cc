#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "edgebert_internal/layout.h"
#include "edgebert_internal/packing.h"  // the runtime's weight layout, shared
#include "model_file.h"
#include "quantize_int4.h"

namespace edgebert::convert {
namespace {

bool is_dense_weight(const std::string& name) { return is_dense_weight_name(name.c_str()); }

// Word and position tables are int8 per row; token types stay fp32 (2 rows).
bool is_quantized_embedding(const std::string& name) {
  char word[64], position[64];
  return name == bert_tensor_name(-1, embedding_slot_name(EmbeddingSlot::Word), "weight", word,
                                  sizeof word) ||
         name == bert_tensor_name(-1, embedding_slot_name(EmbeddingSlot::Position), "weight",
                                  position, sizeof position);
}

}  // namespace

void quantize_rows_symmetric(const float* x, size_t rows, size_t cols, int max_abs, int8_t* q,
                             float* scales) {
  const float limit = static_cast<float>(max_abs);
  for (size_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    float amax = 0.0f;
    for (size_t c = 0; c < cols; ++c) amax = std::fmax(amax, std::fabs(row[c]));
    const float scale = amax > 0.0f ? amax / limit : 1.0f;
    scales[r] = scale;
    for (size_t c = 0; c < cols; ++c) {
      const float v = std::nearbyint(row[c] / scale);
      q[r * cols + c] = static_cast<int8_t>(v > limit ? limit : (v < -limit ? -limit : v));
    }
  }
}

void quantize_rows_int4(const float* x, size_t rows, size_t cols, size_t group, int8_t* q,
                        uint8_t* multipliers, float* scales) {
  const size_t groups = int4_row_groups(cols, group);
  for (size_t r = 0; r < rows; ++r) {
    quantize_row_int4(x + r * cols, cols, group, q + r * cols, multipliers + r * groups,
                      &scales[r]);
  }
}

QuantizeReport quantize_model(fb::ModelT& model, int weight_bits, const Calibration* calibration,
                              fb::DType attention_products, size_t group_size, int embedding_bits) {
  if (embedding_bits != 4 && embedding_bits != 8) {
    throw std::runtime_error("--embedding-bits must be 4 or 8");
  }
  if ((weight_bits == 4 || embedding_bits == 4) && !valid_group_size(group_size)) {
    throw std::runtime_error("--group-size must be 16, 32 or 64");
  }
  if (weight_bits != 4 && weight_bits != 7 && weight_bits != 8) {
    throw std::runtime_error("--weight-bits must be 4, 7 or 8");
  }
  if (weight_bits == 4 && calibration != nullptr) {
    throw std::runtime_error(
        "4-bit weights run with per-token activations on the native "
        "provider; --per-tensor (static int8 for XNNPACK) needs 7 or 8 bits");
  }
  if (!model.config) throw std::runtime_error("model has no config");
  model.config->attention_products = attention_products;
  const std::string attention = attention_products == fb::DType::Int8
                                    ? ", int8 attention products (q k^T, p v)"
                                    : ", fp32 attention";
  const int dense_max_abs = weight_bits == 7 ? 63 : 127;
  QuantizeReport report;
  for (auto& t : model.tensors) report.bytes_before += t->data.size();
  for (auto& t : model.tensors) {
    const bool dense = is_dense_weight(t->name), embedding = is_quantized_embedding(t->name);
    if (!dense && !embedding) continue;
    if (t->dtype != fb::DType::Float32) {
      throw std::runtime_error("tensor " + t->name + " is already quantized");
    }
    if (t->shape.size() != 2) throw std::runtime_error("tensor " + t->name + " is not 2-D");
    const size_t rows = t->shape[0], cols = t->shape[1];
    const std::vector<float> values = tensor_values_f32(*t);
    std::vector<int8_t> q(rows * cols);
    t->scales.resize(rows);
    if (dense && calibration != nullptr) {
      // One scale for the tensor: quantize it as a single row, then repeat the scale per channel.
      const auto found = calibration->dense.find(t->name);
      if (found == calibration->dense.end()) {
        throw std::runtime_error("calibration has no activation ranges for " + t->name);
      }
      float scale = 0.0f;
      quantize_rows_symmetric(values.data(), 1, rows * cols, dense_max_abs, q.data(), &scale);
      t->scales.assign(rows, scale);
      const AffineInt8 in = affine_int8(found->second.input), out = affine_int8(found->second.output);
      t->input_scale = in.scale;
      t->input_zero_point = in.zero_point;
      t->output_scale = out.scale;
      t->output_zero_point = out.zero_point;
    } else if (dense ? weight_bits == 4 : embedding_bits == 4) {
      std::vector<uint8_t> multipliers(rows * int4_row_groups(cols, group_size));
      quantize_rows_int4(values.data(), rows, cols, group_size, q.data(), multipliers.data(),
                         t->scales.data());
      t->dtype = fb::DType::Int4;
      t->group_size = static_cast<uint16_t>(group_size);
      if (dense) {  // K8N16I4 for the kernels
        t->layout = fb::TensorLayout::PackedK8N16I4;
        t->data.resize(packed_bytes_i4(rows, cols, group_size));
        t->group_multipliers.resize(group_multiplier_count(rows, cols, group_size));
        pack_k8n16i4(q.data(), multipliers.data(), rows, cols, group_size, t->data.data(),
                     t->group_multipliers.data());
        ++report.dense;
      } else {  // embedding rows, two nibbles a byte
        t->layout = fb::TensorLayout::RowMajor;
        t->data.resize(rows * int4_row_bytes(cols));
        pack_int4_rows(q.data(), rows, cols, t->data.data());
        t->group_multipliers = std::move(multipliers);
        ++report.embeddings;
      }
      continue;
    } else {
      quantize_rows_symmetric(values.data(), rows, cols, dense ? dense_max_abs : 127, q.data(),
                              t->scales.data());
    }
    t->dtype = fb::DType::Int8;
    if (dense) {
      t->data.resize(packed_bytes(rows, cols));
      pack_k4n16(q.data(), rows, cols, reinterpret_cast<int8_t*>(t->data.data()));
      t->layout = fb::TensorLayout::PackedK4N16;
      t->max_abs = static_cast<uint8_t>(dense_max_abs);
      t->row_sums.assign(rows, 0);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < cols; ++c) t->row_sums[r] += q[r * cols + c];
      }
      ++report.dense;
    } else {
      t->data.assign(reinterpret_cast<const uint8_t*>(q.data()),
                     reinterpret_cast<const uint8_t*>(q.data()) + q.size());
      t->layout = fb::TensorLayout::RowMajor;
      ++report.embeddings;
    }
  }
  for (auto& t : model.tensors) {
    report.bytes_after += t->data.size() + 4 * t->scales.size() + t->group_multipliers.size();
  }
  const std::string bits =
      weight_bits == 4 ? "4-bit weights with integer multipliers per group of " +
                             std::to_string(group_size) + " k (K8N16I4)"
                       : std::string(weight_bits == 7 ? "7-bit" : "8-bit") + " weights (K4N16)";
  const std::string embeddings =
      embedding_bits == 4 ? "4-bit embeddings (groups of " + std::to_string(group_size) + ")"
                          : std::string("int8 embeddings");
  if (model.provenance) {
    auto kv = std::make_unique<fb::KeyValueT>();
    kv->key = "quantization";
    if (calibration != nullptr) {
      kv->value = "int8 W8A8 static: per-tensor symmetric " + bits + ", per-row " + embeddings +
                  ", affine activations calibrated on " + std::to_string(calibration->examples) +
                  " texts (" + std::to_string(calibration->tokens) + " tokens)" + attention;
    } else {
      kv->value = std::string(weight_bits == 4 ? "W4A8" : "int8 W8A8") +
                  " dynamic: per-channel symmetric " + bits + ", per-row " + embeddings +
                  ", per-token activations" + attention;
    }
    model.provenance->extra.push_back(std::move(kv));
    std::sort(model.provenance->extra.begin(), model.provenance->extra.end(),
              [](const auto& a, const auto& b) { return a->key < b->key; });
  }
  return report;
}

}  // namespace edgebert::convert
