#include "model.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "error.h"
#include "graph/bert_layout.h"
#include "kernels/packing.h"
#include "tokenizer/tokenizer.h"

namespace edgebert {
namespace {

// Sanity bounds: generous for any BERT, small enough that size arithmetic cannot overflow 64 bits.
constexpr uint32_t kMaxLayers = 1024;
constexpr uint32_t kMaxWidth = 1u << 16;       // hidden, heads * head_dim
constexpr uint32_t kMaxIntermediate = 1u << 18;
constexpr uint32_t kMaxVocab = 1u << 24;
constexpr uint32_t kMaxPositions = 1u << 16;
constexpr uint32_t kMaxTypeVocab = 1u << 10;

bool in_range(uint32_t value, uint32_t lo, uint32_t hi) { return value >= lo && value <= hi; }

eb_status check_config(const fb::Config* config, ModelDims* dims, eb_error* error) {
  if (config == nullptr) return fail(error, EB_ERROR_INVALID_MODEL, "model has no config");
  struct Field {
    const char* name;
    uint32_t value, lo, hi;
  } const fields[] = {
      {"num_layers", config->num_layers(), 1, kMaxLayers},
      {"hidden", config->hidden(), 1, kMaxWidth},
      {"num_heads", config->num_heads(), 1, kMaxWidth},
      {"head_dim", config->head_dim(), 1, kMaxWidth},
      {"intermediate", config->intermediate(), 1, kMaxIntermediate},
      {"vocab_size", config->vocab_size(), 1, kMaxVocab},
      {"max_positions", config->max_positions(), 1, kMaxPositions},
      {"type_vocab_size", config->type_vocab_size(), 1, kMaxTypeVocab},
      {"max_seq", config->max_seq(), 1, config->max_positions()},
  };
  for (const Field& f : fields) {
    if (!in_range(f.value, f.lo, f.hi)) {
      return fail(error, EB_ERROR_INVALID_MODEL,
                  "config.%s = %" PRIu32 " is outside [%" PRIu32 ", %" PRIu32 "]", f.name, f.value,
                  f.lo, f.hi);
    }
  }
  if (config->embedding_size() > kMaxWidth) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "config.embedding_size = %" PRIu32 " exceeds %" PRIu32, config->embedding_size(),
                kMaxWidth);
  }
  const uint64_t attention = uint64_t{config->num_heads()} * config->head_dim();
  if (attention > kMaxWidth) {
    return fail(error, EB_ERROR_INVALID_MODEL, "num_heads * head_dim = %llu exceeds %" PRIu32,
                static_cast<unsigned long long>(attention), kMaxWidth);
  }
  const float eps = config->layer_norm_eps();
  if (!(std::isfinite(eps) && eps > 0.0f && eps < 1.0f)) {
    return fail(error, EB_ERROR_INVALID_MODEL, "config.layer_norm_eps must be in (0, 1)");
  }
  if (config->activation() < fb::Activation::MIN || config->activation() > fb::Activation::MAX) {
    return fail(error, EB_ERROR_UNSUPPORTED, "unknown activation %d (newer model format?)",
                static_cast<int>(config->activation()));
  }
  if (config->activation() == fb::Activation::Tanh) {
    return fail(error, EB_ERROR_UNSUPPORTED, "config.activation Tanh is a pooler activation only");
  }
  const fb::Activation pooler = config->pooler_activation();
  if (pooler < fb::Activation::MIN || pooler > fb::Activation::MAX) {
    return fail(error, EB_ERROR_UNSUPPORTED, "unknown pooler_activation %d (newer model format?)",
                static_cast<int>(pooler));
  }
  if (uint64_t{config->max_seq()} + config->position_offset() > config->max_positions()) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "config.max_seq %" PRIu32 " + position_offset %" PRIu32
                " exceeds max_positions %" PRIu32,
                config->max_seq(), config->position_offset(), config->max_positions());
  }
  if (config->attention_products() != fb::DType::Float32 &&
      config->attention_products() != fb::DType::Int8) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "config.attention_products %d is neither Float32 nor Int8 (newer model format?)",
                static_cast<int>(config->attention_products()));
  }
  dims->num_layers = config->num_layers();
  dims->hidden = config->hidden();
  dims->embedding = config->embedding_size() != 0 ? config->embedding_size() : config->hidden();
  dims->num_heads = config->num_heads();
  dims->head_dim = config->head_dim();
  dims->attention = static_cast<uint32_t>(attention);
  dims->intermediate = config->intermediate();
  dims->vocab_size = config->vocab_size();
  dims->max_positions = config->max_positions();
  dims->type_vocab_size = config->type_vocab_size();
  dims->max_seq = config->max_seq();
  dims->layer_norm_eps = eps;
  dims->activation = config->activation();
  dims->position_offset = config->position_offset();
  dims->pooler_activation = pooler;
  dims->num_labels = 0;
  return EB_OK;
}

eb_status check_tokenizer(const fb::Tokenizer* tokenizer, const ModelDims& dims, eb_error* error) {
  if (tokenizer == nullptr) return EB_OK;  // token-id input only
  const auto* vocab = tokenizer->vocab();
  if (vocab == nullptr || vocab->size() != dims.vocab_size) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "tokenizer vocabulary has %" PRIu32 " entries, config says %" PRIu32,
                vocab == nullptr ? 0u : vocab->size(), dims.vocab_size);
  }
  struct Special {
    const char* name;
    int32_t id;
  } const specials[] = {{"unk_id", tokenizer->unk_id()}, {"cls_id", tokenizer->cls_id()},
                        {"sep_id", tokenizer->sep_id()}, {"pad_id", tokenizer->pad_id()},
                        {"mask_id", tokenizer->mask_id()}};
  for (const Special& s : specials) {
    if (s.id < -1 || s.id >= static_cast<int64_t>(dims.vocab_size)) {
      return fail(error, EB_ERROR_INVALID_MODEL,
                  "tokenizer.%s = %" PRId32 " is outside the vocabulary", s.name, s.id);
    }
  }
  return EB_OK;
}

// What a tensor may be: fp32 row-major always; int8 with per-row scales where allowed; for
// dense weights int8 K4N16 or 4-bit K8N16I4.
enum class Int8 { kNo, kRowMajor, kDenseWeight };

// A found tensor: exactly one of f32 / i8 set (both null when absent and optional).
struct Found {
  const float* f32 = nullptr;
  const int8_t* i8 = nullptr;
  const float* scales = nullptr;
  const int32_t* row_sums = nullptr;
  int max_abs = 127;
  const uint8_t* group_multipliers = nullptr;  // 4-bit weights only
  uint32_t group_size = 0;
  const fb::Tensor* tensor = nullptr;
};

std::string_view shape_text(char* buffer, size_t size, const uint32_t* dims, size_t rank) {
  int w = std::snprintf(buffer, size, "(");
  for (size_t i = 0; i < rank && w < static_cast<int>(size) - 12; ++i) {
    w += std::snprintf(buffer + w, size - w, i ? ",%" PRIu32 : "%" PRIu32, dims[i]);
  }
  std::snprintf(buffer + w, size - w, ")");
  return buffer;
}

// Looks up tensor `name` and checks dtype, layout, exact shape, byte size, scales and 16-byte
// alignment of its data.
eb_status find_tensor(const ModelView& view, const char* name, const uint32_t* shape, size_t rank,
                      bool optional, Int8 int8, Found* out, eb_error* error) {
  *out = Found{};
  const auto* tensors = view.root->tensors();
  const fb::Tensor* tensor = tensors == nullptr ? nullptr : tensors->LookupByKey(name);
  if (tensor == nullptr) {
    if (optional) return EB_OK;
    return fail(error, EB_ERROR_INVALID_MODEL, "missing tensor %s", name);
  }
  const bool is_int4 = tensor->dtype() == fb::DType::Int4 && int8 != Int8::kNo;
  const bool is_int8 = tensor->dtype() == fb::DType::Int8 || is_int4;  // int8 or int4: scales
  if (tensor->dtype() != fb::DType::Float32 && !(is_int8 && int8 != Int8::kNo)) {
    return fail(error, EB_ERROR_UNSUPPORTED, "tensor %s has dtype %d, which this runtime cannot use there",
                name, static_cast<int>(tensor->dtype()));
  }
  const bool dense_layout = is_int8 && int8 == Int8::kDenseWeight;
  const fb::TensorLayout want_layout = !dense_layout ? fb::TensorLayout::RowMajor
                                       : is_int4     ? fb::TensorLayout::PackedK8N16I4
                                                     : fb::TensorLayout::PackedK4N16;
  if (tensor->layout() != want_layout) {
    return fail(error, EB_ERROR_INVALID_MODEL, "tensor %s has layout %d, expected %d", name,
                static_cast<int>(tensor->layout()), static_cast<int>(want_layout));
  }
  const auto* got = tensor->shape();
  bool same = got != nullptr && got->size() == rank;
  for (size_t i = 0; same && i < rank; ++i) same = got->Get(static_cast<uint32_t>(i)) == shape[i];
  if (!same) {
    char want[64], have[64];
    uint32_t dims[8] = {};
    const size_t have_rank = got == nullptr ? 0 : (got->size() < 8 ? got->size() : 8);
    for (size_t i = 0; i < have_rank; ++i) dims[i] = got->Get(static_cast<uint32_t>(i));
    return fail(error, EB_ERROR_INVALID_MODEL, "tensor %s has shape %s, expected %s", name,
                shape_text(have, sizeof have, dims, have_rank).data(),
                shape_text(want, sizeof want, shape, rank).data());
  }
  uint64_t elements = 1;
  for (size_t i = 0; i < rank; ++i) elements *= shape[i];
  uint64_t expected = is_int8 ? elements : elements * sizeof(float);
  if (want_layout == fb::TensorLayout::PackedK4N16) expected = packed_bytes(shape[0], shape[1]);
  if (is_int4) {
    const uint32_t group = tensor->group_size();
    if (!valid_group_size(group)) {
      return fail(error, EB_ERROR_INVALID_MODEL,
                  "4-bit tensor %s has group_size %" PRIu32 ", expected 16, 32 or 64", name, group);
    }
    // Dense weights K8N16I4; embedding rows two nibbles a byte.
    expected = dense_layout ? packed_bytes_i4(shape[0], shape[1], group)
                            : uint64_t{shape[0]} * int4_row_bytes(shape[1]);
    const auto* multipliers = tensor->group_multipliers();
    const size_t want_count = dense_layout ? group_multiplier_count(shape[0], shape[1], group)
                                           : size_t{shape[0]} * int4_row_groups(shape[1], group);
    if (multipliers == nullptr || multipliers->size() != want_count) {
      return fail(error, EB_ERROR_INVALID_MODEL,
                  "4-bit tensor %s needs %" PRIu32 " group multipliers, has %" PRIu32, name,
                  static_cast<uint32_t>(want_count),
                  multipliers == nullptr ? 0 : multipliers->size());
    }
    if (tensor->input_scale() != 0.0f || tensor->output_scale() != 0.0f) {
      return fail(error, EB_ERROR_INVALID_MODEL,
                  "4-bit tensor %s has static activation scales; 4-bit weights run only "
                  "with per-token activations",
                  name);
    }
    out->group_multipliers = multipliers->data();
    out->group_size = group;
  }
  const auto* data = tensor->data();
  const uint64_t bytes = data == nullptr ? 0 : data->size();
  if (bytes != expected) {
    return fail(error, EB_ERROR_INVALID_MODEL, "tensor %s holds %llu bytes, expected %llu", name,
                static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(expected));
  }
  if (reinterpret_cast<uintptr_t>(data->Data()) % EB_MODEL_ALIGNMENT != 0) {
    return fail(error, EB_ERROR_MISALIGNED, "tensor %s data is not %d-byte aligned", name,
                EB_MODEL_ALIGNMENT);
  }
  if (is_int8) {
    const auto* scales = tensor->scales();
    if (scales == nullptr || scales->size() != shape[0]) {
      return fail(error, EB_ERROR_INVALID_MODEL, "int8 tensor %s needs %" PRIu32 " scales", name,
                  shape[0]);
    }
    for (float s : *scales) {
      if (!(std::isfinite(s) && s > 0.0f)) {
        return fail(error, EB_ERROR_INVALID_MODEL, "int8 tensor %s has a scale that is not finite "
                    "and positive", name);
      }
    }
    if (tensor->input_scale() != 0.0f || tensor->output_scale() != 0.0f) {
      // Static quantization: one weight scale, and activation scales XNNPACK accepts (its
      // requantization scale in_scale * w_scale / out_scale must lie in [2^-32, 256)).
      const float in = tensor->input_scale(), w = scales->Get(0), o = tensor->output_scale();
      for (float s : *scales) {
        if (s != w) {
          return fail(error, EB_ERROR_INVALID_MODEL, "int8 tensor %s has activation scales but "
                      "more than one weight scale", name);
        }
      }
      // In float, as XNNPACK computes it (its Debian build asserts on < 2^-32).
      const float requant = in * w / o;
      if (!(std::isnormal(in) && in > 0.0f && std::isnormal(o) && o > 0.0f && std::isnormal(w) &&
            requant >= 0x1.0p-32f && requant < 256.0f)) {
        return fail(error, EB_ERROR_INVALID_MODEL, "int8 tensor %s has activation scales out of "
                    "range (input %g, output %g)", name, in, o);
      }
    }
    out->i8 = reinterpret_cast<const int8_t*>(data->Data());
    out->tensor = tensor;
    out->scales = scales->data();
    out->max_abs = tensor->max_abs();
    if (tensor->row_sums() != nullptr) {
      if (tensor->row_sums()->size() != shape[0]) {
        return fail(error, EB_ERROR_INVALID_MODEL, "int8 tensor %s needs %" PRIu32 " row sums",
                    name, shape[0]);
      }
      out->row_sums = tensor->row_sums()->data();
    }
  } else {
    out->f32 = reinterpret_cast<const float*>(data->Data());
  }
  return EB_OK;
}

eb_status find_fp32(const ModelView& view, const char* name, const uint32_t* shape, size_t rank,
                    bool optional, const float** out, eb_error* error) {
  Found found;
  const eb_status status = find_tensor(view, name, shape, rank, optional, Int8::kNo, &found, error);
  *out = found.f32;
  return status;
}

eb_status find_embedding(const ModelView& view, const char* name, uint32_t rows, uint32_t width,
                         EmbeddingTable* table, eb_error* error) {
  const uint32_t shape[2] = {rows, width};
  Found found;
  const eb_status status = find_tensor(view, name, shape, 2, false, Int8::kRowMajor, &found, error);
  *table = EmbeddingTable{found.f32, found.i8, found.scales};
  if (found.group_size != 0) {  // 4-bit rows
    table->quantized = nullptr;
    table->nibbles = reinterpret_cast<const uint8_t*>(found.i8);
    table->group_multipliers = found.group_multipliers;
    table->group_size = found.group_size;
  }
  return status;
}

// A dense layer "<prefix>.weight" (out, in) fp32 or int8 K4N16, and "<prefix>.bias" (out); both or
// neither if optional.
// check_contents: also verify int8 weights against their max_abs and row_sums claims, 4-bit
// weights' multipliers against [1, 15] (a scan of every weight: eb_model_check_weights).
eb_status find_dense(const ModelView& view, const char* prefix, uint32_t out_features,
                     uint32_t in_features, bool optional, bool check_contents, DenseWeights* dense,
                     eb_error* error) {
  char name[128];
  const uint32_t weight_shape[2] = {out_features, in_features};
  std::snprintf(name, sizeof name, "%s.weight", prefix);
  Found found;
  eb_status status =
      find_tensor(view, name, weight_shape, 2, optional, Int8::kDenseWeight, &found, error);
  if (status != EB_OK) return status;
  *dense = DenseWeights{
      found.f32, found.i8, found.scales, nullptr, found.row_sums, found.max_abs, false, 0.0f, 0.0f,
      0,         0,        nullptr,      0};
  dense->group_multipliers = found.group_multipliers;  // 4-bit weights
  dense->group_size = found.group_size;
  if (found.tensor != nullptr && found.tensor->input_scale() > 0.0f) {
    dense->static_int8 = true;
    dense->input_scale = found.tensor->input_scale();
    dense->output_scale = found.tensor->output_scale();
    dense->input_zero_point = found.tensor->input_zero_point();
    dense->output_zero_point = found.tensor->output_zero_point();
  }
  if (check_contents && dense->group_size != 0) {
    // The kernels multiply each nibble by its multiplier inside a byte: exact only for m <= 15.
    const uint32_t count = found.tensor->group_multipliers()->size();
    for (uint32_t i = 0; i < count; ++i) {
      const uint8_t m = dense->group_multipliers[i];
      if (m < 1 || m > kInt4MaxMultiplier) {
        return fail(error, EB_ERROR_INVALID_MODEL,
                    "4-bit tensor %s has group multiplier %d at %" PRIu32 ", outside [1, 15]", name,
                    m, i);
      }
    }
  } else if (check_contents && dense->packed != nullptr) {
    // Kernels rely on both claims: no saturation (symmetric weights, |w| <= max_abs <= 127: the
    // avx2 vpmaddubsw products), exact bias correction.
    const size_t kp = packed_k(in_features);
    for (uint32_t n = 0; n < out_features; ++n) {
      int32_t sum = 0;
      for (uint32_t k = 0; k < in_features; ++k) {
        const int v = dense->packed[packed_index(n, k, kp)];
        if (v > dense->max_abs || v < -dense->max_abs) {
          return fail(error, EB_ERROR_INVALID_MODEL, "tensor %s holds %d, beyond its max_abs %d",
                      name, v, dense->max_abs);
        }
        sum += v;
      }
      if (dense->row_sums != nullptr && dense->row_sums[n] != sum) {
        return fail(error, EB_ERROR_INVALID_MODEL,
                    "tensor %s: row sum of channel %" PRIu32 " is wrong", name, n);
      }
    }
  }
  std::snprintf(name, sizeof name, "%s.bias", prefix);
  status = find_fp32(view, name, &out_features, 1, !dense->present(), &dense->bias, error);
  if (status != EB_OK) return status;
  if (!dense->present() && dense->bias != nullptr) {
    return fail(error, EB_ERROR_INVALID_MODEL, "tensor %s has no matching weight", name);
  }
  return EB_OK;
}

eb_status find_norm(const ModelView& view, const char* prefix, uint32_t width,
                    LayerNormWeights* norm, eb_error* error) {
  norm->width = width;
  char name[128];
  std::snprintf(name, sizeof name, "%s.weight", prefix);
  eb_status status = find_fp32(view, name, &width, 1, false, &norm->gamma, error);
  if (status != EB_OK) return status;
  std::snprintf(name, sizeof name, "%s.bias", prefix);
  return find_fp32(view, name, &width, 1, false, &norm->beta, error);
}

}  // namespace

eb_status resolve_weights(const ModelView& view, ModelWeights* weights, bool scan_weights,
                          eb_error* error) {
  const ModelDims& d = view.dims;
  ModelWeights& w = *weights;
  const bool check_contents = scan_weights;
  w.int8_tensors = 0;
  w.dynamic_int8_dense = 0;
  eb_status s;
  char name[96];  // the layout's names (graph/bert_layout.h)
  const auto table = [&](EmbeddingSlot slot) {
    return bert_tensor_name(-1, embedding_slot_name(slot), "weight", name, sizeof name);
  };
  const auto norm = [&](int32_t layer, NormSlot slot) {
    return bert_tensor_name(layer, norm_slot_name(slot), nullptr, name, sizeof name);
  };
  const auto dense = [&](int32_t layer, DenseSlot slot) {
    return bert_tensor_name(layer, dense_slot_name(slot), nullptr, name, sizeof name);
  };
  const auto find_slot = [&](int32_t layer, DenseSlot slot, bool optional, DenseWeights* out) {
    uint32_t n, k;
    dense_slot_shape(d, slot, &n, &k);
    return find_dense(view, dense(layer, slot), n, k, optional, check_contents, out, error);
  };
  const uint32_t E = d.embedding;
  const uint32_t type_shape[2] = {d.type_vocab_size, E};
  if ((s = find_embedding(view, table(EmbeddingSlot::Word), d.vocab_size, E, &w.word_embeddings,
                          error)) != EB_OK ||
      (s = find_embedding(view, table(EmbeddingSlot::Position), d.max_positions, E,
                          &w.position_embeddings, error)) != EB_OK ||
      (s = find_fp32(view, table(EmbeddingSlot::TokenType), type_shape, 2, false,
                     &w.token_type_embeddings, error)) != EB_OK ||
      (s = find_norm(view, norm(-1, NormSlot::Embeddings), E, &w.embedding_norm, error)) != EB_OK) {
    return s;
  }
  auto count = [&w](const void* int8_data) { w.int8_tensors += int8_data != nullptr; };
  // A model slot's dense layer (graph/bert_layout.h), counted like the encoder's.
  const auto model_dense = [&](DenseSlot slot, DenseWeights* out) {
    if ((s = find_slot(-1, slot, false, out)) != EB_OK) return s;
    count(out->packed);
    w.dynamic_int8_dense += out->packed != nullptr && !out->static_int8;
    return EB_OK;
  };
  w.embeddings_project = DenseWeights{};
  if (E != d.hidden && (s = model_dense(DenseSlot::EmbeddingsProject, &w.embeddings_project)) !=
                           EB_OK) {
    return s;
  }
  for (uint32_t i = 0; i < d.num_layers; ++i) {
    LayerWeights layer{};
    const auto l = static_cast<int32_t>(i);
    if ((s = find_slot(l, DenseSlot::Query, false, &layer.query)) != EB_OK ||
        (s = find_slot(l, DenseSlot::Key, false, &layer.key)) != EB_OK ||
        (s = find_slot(l, DenseSlot::Value, false, &layer.value)) != EB_OK ||
        (s = find_slot(l, DenseSlot::AttentionOutput, false, &layer.attention_output)) != EB_OK ||
        (s = find_norm(view, norm(l, NormSlot::Attention), d.hidden, &layer.attention_norm,
                       error)) != EB_OK ||
        (s = find_slot(l, DenseSlot::Intermediate, false, &layer.intermediate)) != EB_OK ||
        (s = find_slot(l, DenseSlot::Output, false, &layer.output)) != EB_OK ||
        (s = find_norm(view, norm(l, NormSlot::Output), d.hidden, &layer.output_norm, error)) !=
            EB_OK) {
      return s;
    }
    for (const DenseWeights* dense : {&layer.query, &layer.key, &layer.value,
                                      &layer.attention_output, &layer.intermediate, &layer.output}) {
      w.int8_tensors += dense->packed != nullptr;
      w.dynamic_int8_dense += dense->packed != nullptr && !dense->static_int8;
    }
    if (w.layers != nullptr) w.layers[i] = layer;
  }
  if ((s = find_slot(-1, DenseSlot::Pooler, true, &w.pooler)) != EB_OK) return s;
  for (const EmbeddingTable* t : {&w.word_embeddings, &w.position_embeddings}) {
    count(t->quantized != nullptr ? static_cast<const void*>(t->quantized) : t->nibbles);
  }
  count(w.pooler.packed);
  w.dynamic_int8_dense += w.pooler.packed != nullptr && !w.pooler.static_int8;
  switch (view.task) {
    case fb::TaskKind::Classification:
      if (!w.pooler.present()) {
        return fail(error, EB_ERROR_INVALID_MODEL, "classification model has no pooler.dense");
      }
      return model_dense(DenseSlot::Classifier, &w.classifier);
    case fb::TaskKind::TokenClassification:
      return model_dense(DenseSlot::Classifier, &w.classifier);
    case fb::TaskKind::QuestionAnswering:
      return model_dense(DenseSlot::QaOutputs, &w.qa_outputs);
    case fb::TaskKind::MaskedLM: {
      if ((s = model_dense(DenseSlot::MlmTransform, &w.mlm_transform)) != EB_OK ||
          (s = find_norm(view, norm(-1, NormSlot::MlmTransform), d.hidden, &w.mlm_norm, error)) !=
              EB_OK) {
        return s;
      }
      return find_fp32(view, kMlmBiasName, &d.vocab_size, 1, false, &w.mlm_bias, error);
    }
    case fb::TaskKind::Encoder:
    case fb::TaskKind::Embedding:
      break;
  }
  return EB_OK;
}

eb_status model_view_init(ModelView* view, const void* data, size_t size, eb_error* error) {
  std::memset(view, 0, sizeof *view);
  if (data == nullptr || size == 0) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "model data is NULL or empty");
  }
  if (reinterpret_cast<uintptr_t>(data) % EB_MODEL_ALIGNMENT != 0) {
    return fail(error, EB_ERROR_MISALIGNED, "model bytes must start at a %d-byte aligned address",
                EB_MODEL_ALIGNMENT);
  }
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (size < 8 || !fb::ModelBufferHasIdentifier(bytes)) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "not an edgebert model (file identifier \"%s\" missing)", fb::ModelIdentifier());
  }
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    return fail(error, EB_ERROR_INVALID_MODEL, "model larger than the FlatBuffers 2 GiB limit");
  }
  flatbuffers::Verifier verifier(bytes, size);
  if (!fb::VerifyModelBuffer(verifier)) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "model failed FlatBuffers verification (corrupt or truncated file)");
  }
  const fb::Model* root = fb::GetModel(bytes);
  if (root->schema_version() == 0) {
    return fail(error, EB_ERROR_INVALID_MODEL, "model has no schema_version");
  }
  if (root->schema_version() > EB_SCHEMA_VERSION) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "model uses schema version %" PRIu32 "; this runtime reads up to version %d",
                root->schema_version(), EB_SCHEMA_VERSION);
  }
  ModelView v{};
  v.bytes = bytes;
  v.size = size;
  v.root = root;
  eb_status status = check_config(root->config(), &v.dims, error);
  if (status != EB_OK) return status;
  if ((status = check_tokenizer(root->tokenizer(), v.dims, error)) != EB_OK) return status;

  const fb::Task* task = root->task();
  v.task = task == nullptr ? fb::TaskKind::Encoder : task->kind();
  v.pooling = task == nullptr ? fb::Pooling::Mean : task->pooling();
  v.normalize = task != nullptr && task->normalize();
  if (v.task < fb::TaskKind::MIN || v.task > fb::TaskKind::MAX || v.pooling < fb::Pooling::MIN ||
      v.pooling > fb::Pooling::MAX) {
    return fail(error, EB_ERROR_UNSUPPORTED, "unknown task kind or pooling (newer model format?)");
  }
  v.problem_type = task == nullptr ? fb::ProblemType::SingleLabel : task->problem_type();
  if (v.problem_type < fb::ProblemType::MIN || v.problem_type > fb::ProblemType::MAX) {
    return fail(error, EB_ERROR_UNSUPPORTED, "task.problem_type %d is unknown (newer model format?)",
                static_cast<int>(v.problem_type));
  }
  v.dims.task = v.task;
  if (v.task == fb::TaskKind::Classification || v.task == fb::TaskKind::TokenClassification) {
    const auto* labels = task->labels();
    // Token classification needs 2 labels (softmax per token); a sequence classifier may have
    // one output (a regression or cross-encoder score).
    const uint32_t least = v.task == fb::TaskKind::Classification ? 1 : 2;
    if (labels == nullptr || labels->size() < least) {
      return fail(
          error, EB_ERROR_INVALID_MODEL,
          "%s model needs at least %" PRIu32 " label(s) in task.labels",
          v.task == fb::TaskKind::Classification ? "classification" : "token classification",
          least);
    }
    if (labels->size() > kMaxWidth) {
      return fail(error, EB_ERROR_INVALID_MODEL, "too many labels (%" PRIu32 ")", labels->size());
    }
    v.dims.num_labels = labels->size();
  }
  v.mask_id = root->tokenizer() != nullptr ? root->tokenizer()->mask_id() : -1;
  if (v.task == fb::TaskKind::MaskedLM && v.mask_id < 0) {
    return fail(error, EB_ERROR_INVALID_MODEL,
                "masked LM model has no tokenizer.mask_id: which token is [MASK]?");
  }
  if (v.task == fb::TaskKind::MaskedLM && v.dims.embedding != v.dims.hidden) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "masked LM model with config.embedding_size %" PRIu32 " != hidden %" PRIu32
                ": its decoder is the word embedding table, which must be hidden wide",
                v.dims.embedding, v.dims.hidden);
  }
  const fb::Tokenizer* tokenizer = root->tokenizer();
  if (tokenizer != nullptr && (tokenizer->vocab_hash() != nullptr || tokenizer->unicode() != nullptr)) {
    if ((status = tokenizer_tables_init(tokenizer, v.dims.vocab_size, nullptr, error)) != EB_OK) {
      return status;
    }
    v.tokenizer_model = tokenizer->model();
    v.tokenizer_word_chars = v.tokenizer_model == fb::TokenizerModel::WordPiece
                                 ? tokenizer->max_input_chars_per_word()
                                 : tokenizer->max_word_bytes();
  }
  ModelWeights weights{};  // layers == nullptr: check every layer, store none
  if ((status = resolve_weights(v, &weights, false, error)) != EB_OK) return status;
  v.has_pooler = weights.pooler.present();
  v.int8 = weights.int8_tensors > 0;
  v.all_dense_static = weights.dynamic_int8_dense == 0;
  v.int8_attention = v.int8 && root->config()->attention_products() == fb::DType::Int8;
  v.magic = kModelMagic;
  *view = v;
  return ok(error);
}

}  // namespace edgebert
