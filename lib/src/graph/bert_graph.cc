#include "bert_graph.h"

#include <cstring>

#include "../oracle/fp32_ops.h"

namespace edgebert {
namespace {

// out (H) = row `row` of an embedding table, dequantized for int8 tables.
void embedding_row(const EmbeddingTable& table, size_t row, size_t h, float* out) {
  if (table.values != nullptr) {
    for (size_t i = 0; i < h; ++i) out[i] = table.values[row * h + i];
  } else {
    const float scale = table.scales[row];
    const int8_t* q = table.quantized + row * h;
    for (size_t i = 0; i < h; ++i) out[i] = static_cast<float>(q[i]) * scale;
  }
}

// out (H) = (out + type) + row `row` of `table`: each loop has one table kind, so it vectorizes.
void add_embedding_row(const EmbeddingTable& table, size_t row, size_t h, const float* type,
                       float* out) {
  if (table.values != nullptr) {
    const float* p = table.values + row * h;
    for (size_t i = 0; i < h; ++i) out[i] = (out[i] + type[i]) + p[i];
  } else {
    const float scale = table.scales[row];
    const int8_t* q = table.quantized + row * h;
    for (size_t i = 0; i < h; ++i) out[i] = (out[i] + type[i]) + static_cast<float>(q[i]) * scale;
  }
}

// out (S, H) = (word[ids] + token_type[types]) + position[0..S), the order Hugging Face sums
// them in (the embeddings' LayerNorm follows as an executor op).
void gather_embeddings(float* out, const ModelWeights& w, const ModelDims& d,
                       const GraphInput& in) {
  const size_t H = d.hidden;
  for (size_t t = 0; t < in.s; ++t) {
    const float* type =
        w.token_type_embeddings + static_cast<size_t>(in.types != nullptr ? in.types[t] : 0) * H;
    float* row = out + t * H;
    embedding_row(w.word_embeddings, static_cast<size_t>(in.ids[t]), H, row);
    add_embedding_row(w.position_embeddings, t, H, type, row);
  }
}

// Runs dense layer `id` through the executor.
struct Dense {
  const Executor& x;
  const ModelWeights& w;
  const ModelDims& d;
  eb_error* error;

  eb_status operator()(DenseId id, float* out, const float* in, size_t rows, Epilogue epilogue,
                       const float* residual = nullptr, bool same_input = false) const {
    const DenseSlotInfo slot = dense_slot(w, d, id);
    const DenseCall call{id,  slot.weights, slot.n,   slot.k,    out,
                         in,  rows,         epilogue, residual, same_input};
    return x.dense(x.self, call, error);
  }
};

}  // namespace

void request_graph_buffers(const ModelView& model, uint32_t max_seq, BufferRequests* r) {
  const ModelDims& d = model.dims;
  const uint64_t S = max_seq, H = d.hidden, A = d.attention, I = d.intermediate, f = sizeof(float);
  using B = fb::ArenaBuffer;
  r->request(B::Hidden, S * H * f, kStepEmbeddings, kLastStep);
  r->request(B::Query, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Key, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Value, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Context, S * A * f, kStepAttention, kStepAttentionOutput);
  r->request(B::Attention, S * H * f, kStepAttentionOutput, kStepOutput);
  r->request(B::Ffn, S * I * f, kStepIntermediate, kStepOutput);
  r->request(B::Pooled, model.has_pooler ? H * f : 0, kStepHeads, kLastStep);
  r->request(B::Embedding, H * f, kStepHeads, kLastStep);
  r->request(B::Logits, d.num_labels * f, kStepHeads, kLastStep);
  r->request(B::Probabilities, d.num_labels * f, kStepHeads, kLastStep);
}

eb_status bert_encoder(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       eb_error* error) {
  const ModelDims& d = model.dims;
  const size_t S = in.s, I = d.intermediate;
  gather_embeddings(b.hidden, w, d, in);
  x.layer_norm(x.self, b.hidden, w.embedding_norm, S);
  observe("embeddings");
  // Exact-erf GELU is fused into the intermediate dense; other activations run after it.
  const bool gelu_fused = d.activation == fb::Activation::GeluErf;
  const Dense dense{x, w, d, error};
  eb_status status = EB_OK;
  for (uint32_t l = 0; l < d.num_layers && status == EB_OK; ++l) {
    const LayerWeights& layer = w.layers[l];
    const int32_t at = static_cast<int32_t>(l);
    using Slot = DenseSlot;
    // Q, K, V (S, A) from hidden; K and V read the same input as Q.
    if ((status = dense({l, Slot::Query}, b.query, b.hidden, S, Epilogue::Bias)) != EB_OK ||
        (status = dense({l, Slot::Key}, b.key, b.hidden, S, Epilogue::Bias, nullptr, true)) !=
            EB_OK ||
        (status = dense({l, Slot::Value}, b.value, b.hidden, S, Epilogue::Bias, nullptr, true)) !=
            EB_OK) {
      break;
    }
    observe("qkv", at);
    x.attention(x.self, AttentionCall{b.context, b.query, b.key, b.value, in.mask, S});
    observe("attention", at);
    // attention (S, H) = LN(context W_o + b_o + hidden)
    if ((status = dense({l, Slot::AttentionOutput}, b.attention, b.context, S,
                        Epilogue::BiasResidual, b.hidden)) != EB_OK) {
      break;
    }
    observe("attention_output", at);
    x.layer_norm(x.self, b.attention, layer.attention_norm, S);
    observe("attention_norm", at);
    // ffn (S, I) = act(attention W_i + b_i)
    if ((status = dense({l, Slot::Intermediate}, b.ffn, b.attention, S,
                        gelu_fused ? Epilogue::BiasGelu : Epilogue::Bias)) != EB_OK) {
      break;
    }
    if (!gelu_fused) oracle::activation_forward(b.ffn, S * I, d.activation);
    observe("intermediate", at);
    // hidden (S, H) = LN(ffn W_o + b_o + attention)
    if ((status = dense({l, Slot::Output}, b.hidden, b.ffn, S, Epilogue::BiasResidual,
                        b.attention)) != EB_OK) {
      break;
    }
    observe("output", at);
    x.layer_norm(x.self, b.hidden, layer.output_norm, S);
    observe("output_norm", at);
  }
  return status;
}

eb_status bert_heads(const Executor& x, const ModelView& model, const ModelWeights& w,
                     const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                     int32_t* label, eb_error* error) {
  const ModelDims& d = model.dims;
  const Dense dense{x, w, d, error};
  *label = -1;
  oracle::pooling_forward(b.embedding, b.hidden, in.mask, in.s, d.hidden, model.pooling,
                          model.normalize);
  observe("pooling");
  if (b.pooled != nullptr) {  // pooled (H) = tanh(hidden[0] W_p + b_p)
    const eb_status status = dense({0, DenseSlot::Pooler}, b.pooled, b.hidden, 1, Epilogue::Bias);
    if (status != EB_OK) return status;
    oracle::activation_tanh(b.pooled, d.hidden);
    observe("pooler");
  }
  if (b.logits != nullptr) {  // logits = pooled W_c + b_c; probabilities = softmax(logits)
    const eb_status status =
        dense({0, DenseSlot::Classifier}, b.logits, b.pooled, 1, Epilogue::Bias);
    if (status != EB_OK) return status;
    std::memcpy(b.probabilities, b.logits, d.num_labels * sizeof(float));
    oracle::softmax_forward(b.probabilities, d.num_labels);
    int32_t best = 0;
    for (uint32_t i = 1; i < d.num_labels; ++i) {
      if (b.logits[i] > b.logits[best]) best = static_cast<int32_t>(i);
    }
    *label = best;
    observe("classifier");
  }
  return EB_OK;
}

eb_status bert_forward(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       int32_t* label, eb_error* error) {
  *label = -1;
  const eb_status status = bert_encoder(x, model, w, b, in, observe, error);
  if (status != EB_OK) return status;
  return bert_heads(x, model, w, b, in, observe, label, error);
}

}  // namespace edgebert
