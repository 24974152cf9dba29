#include "bert_graph.h"

#include <cstring>

#include "../kernels/packing.h"
#include "../oracle/fp32_ops.h"

namespace edgebert {
namespace {

// Row `row` of a 4-bit table: its nibbles and multipliers (packing.h int4_row_value).
struct Int4Row {
  const uint8_t* nibbles;
  const uint8_t* multipliers;
  size_t group;
  float value(size_t c) const {
    return static_cast<float>(int4_row_value(nibbles, multipliers, c, group));
  }
};

Int4Row int4_row(const EmbeddingTable& table, size_t row, size_t e) {
  return {table.nibbles + row * int4_row_bytes(e),
          table.group_multipliers + row * int4_row_groups(e, table.group_size), table.group_size};
}

// out (E) = row `row` of an embedding table, dequantized for int8 and 4-bit tables (4-bit:
// float(m q) x scale, the int8 table of the values m q).
void embedding_row(const EmbeddingTable& table, size_t row, size_t e, float* out) {
  if (table.values != nullptr) {
    for (size_t i = 0; i < e; ++i) out[i] = table.values[row * e + i];
  } else if (table.nibbles != nullptr) {
    const float scale = table.scales[row];
    const Int4Row q = int4_row(table, row, e);
    for (size_t i = 0; i < e; ++i) out[i] = q.value(i) * scale;
  } else {
    const float scale = table.scales[row];
    const int8_t* q = table.quantized + row * e;
    for (size_t i = 0; i < e; ++i) out[i] = static_cast<float>(q[i]) * scale;
  }
}

// out (E) = (out + type) + row `row` of `table`: each loop has one table kind, so it vectorizes.
void add_embedding_row(const EmbeddingTable& table, size_t row, size_t e, const float* type,
                       float* out) {
  if (table.values != nullptr) {
    const float* p = table.values + row * e;
    for (size_t i = 0; i < e; ++i) out[i] = (out[i] + type[i]) + p[i];
  } else if (table.nibbles != nullptr) {
    const float scale = table.scales[row];
    const Int4Row q = int4_row(table, row, e);
    for (size_t i = 0; i < e; ++i) out[i] = (out[i] + type[i]) + q.value(i) * scale;
  } else {
    const float scale = table.scales[row];
    const int8_t* q = table.quantized + row * e;
    for (size_t i = 0; i < e; ++i) out[i] = (out[i] + type[i]) + static_cast<float>(q[i]) * scale;
  }
}

// out (S, E) = (word[ids] + token_type[types]) + position[row] per sequence, the order Hugging
// Face sums them in (the embeddings' LayerNorm follows as an executor op). Rows 0, 1, 2, ...
// for BERT; with a position_offset (RoBERTa), create_position_ids_from_input_ids: tokens other
// than the pad id (position_offset - 1) count from position_offset, a pad token (typed as
// "<pad>" in text) sits at row position_offset - 1.
void gather_embeddings(float* out, const ModelWeights& w, const ModelDims& d,
                       const GraphInput& in) {
  const size_t E = d.embedding;
  const int64_t pad = static_cast<int64_t>(d.position_offset) - 1;  // -1: no pad rule (BERT)
  for (size_t q = 0; q < in.count; ++q) {
    const GraphSequence& seq = in.sequences[q];
    size_t next = d.position_offset;
    for (size_t t = 0; t < seq.s; ++t) {
      const float* type = w.token_type_embeddings +
                          static_cast<size_t>(seq.types != nullptr ? seq.types[t] : 0) * E;
      const size_t row = seq.ids[t] == pad ? static_cast<size_t>(pad) : next++;
      embedding_row(w.word_embeddings, static_cast<size_t>(seq.ids[t]), E, out);
      add_embedding_row(w.position_embeddings, row, E, type, out);
      out += E;
    }
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

void request_graph_buffers(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                           BufferRequests* r) {
  const ModelDims& d = model.dims;
  // S: rows of all sequences; per-sequence outputs take `batch` rows.
  const uint64_t S = uint64_t{max_seq} * max_batch, batch = max_batch, H = d.hidden,
                 A = d.attention, I = d.intermediate, f = sizeof(float);
  using B = fb::ArenaBuffer;
  r->request(B::Hidden, S * H * f, kStepEmbeddings, kLastStep);
  if (d.embedding != d.hidden) {
    r->request(B::ProjectionInput, S * d.embedding * f, kStepEmbeddings, kStepEmbeddings);
  }
  r->request(B::Query, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Key, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Value, S * A * f, kStepQkv, kStepAttention);
  r->request(B::Context, S * A * f, kStepAttention, kStepAttentionOutput);
  // The heads use the attention output's bytes as scratch where they gather rows: the masked
  // LM's rows, a batch's first rows for the pooler.
  const bool heads_gather = d.task == fb::TaskKind::MaskedLM || (max_batch > 1 && model.has_pooler);
  r->request(B::Attention, S * H * f, kStepAttentionOutput, heads_gather ? kStepHeads : kStepOutput);
  r->request(B::Ffn, S * I * f, kStepIntermediate, kStepOutput);
  r->request(B::Pooled, model.has_pooler ? batch * H * f : 0, kStepHeads, kLastStep);
  r->request(B::Embedding, batch * H * f, kStepHeads, kLastStep);
  const bool sequence = d.task == fb::TaskKind::Classification;
  const bool tagger = d.task == fb::TaskKind::TokenClassification;
  r->request(B::Logits, sequence ? batch * d.num_labels * f : 0, kStepHeads, kLastStep);
  r->request(B::Probabilities, (sequence ? batch : tagger ? S : 0) * d.num_labels * f,
             kStepHeads, kLastStep);
  const uint64_t per_token = tagger ? d.num_labels
                             : d.task == fb::TaskKind::QuestionAnswering ? 2 : 0;
  r->request(B::TokenLogits, S * per_token * f, kStepHeads, kLastStep);
  if (d.task == fb::TaskKind::MaskedLM) {
    r->request(B::MlmHidden, S * H * f, kStepHeads, kLastStep);
    r->request(B::MlmPositions, S * sizeof(int32_t), kStepHeads, kLastStep);
    r->request(B::MlmLogits, uint64_t{d.vocab_size} * f, kLastStep, kLastStep);
  }
}

eb_status bert_encoder(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       eb_error* error) {
  const ModelDims& d = model.dims;
  const size_t S = in.rows, I = d.intermediate;
  const Dense dense{x, w, d, error};
  eb_status status = EB_OK;
  if (d.embedding == d.hidden) {
    gather_embeddings(b.hidden, w, d, in);
    x.layer_norm(x.self, b.hidden, w.embedding_norm, S);
    observe("embeddings");
  } else {  // hidden (S, H) = LN(embeddings (S, E)) W_p + b_p: ELECTRA's embeddings_project
    gather_embeddings(b.projection_input, w, d, in);
    x.layer_norm(x.self, b.projection_input, w.embedding_norm, S);
    observe("embeddings");
    status = dense({0, DenseSlot::EmbeddingsProject}, b.hidden, b.projection_input, S,
                   Epilogue::Bias);
    if (status != EB_OK) return status;
    observe("embeddings_project");
  }
  // Exact-erf GELU is fused into the intermediate dense; other activations run after it.
  const bool gelu_fused = d.activation == fb::Activation::GeluErf;
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
    x.attention(x.self, AttentionCall{b.context, b.query, b.key, b.value, in.sequences, in.count});
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

void classification_probabilities(const ModelView& model, const float* logits, size_t n,
                                  float* probabilities) {
  std::memcpy(probabilities, logits, n * sizeof(float));
  if (model.problem_type == fb::ProblemType::MultiLabel || n == 1) {
    oracle::activation_sigmoid(probabilities, n);
  } else {
    oracle::softmax_forward(probabilities, n);
  }
}

// t (H) . row in 8 partial sums, the row's element i as value(i): one summation order for every
// table kind. A function of its own, its partial sums local (as a lambda writing the caller's
// array the loop ran 21% slower: fill-mask 16.4 ms against 13.5).
template <typename Value>
float dot_row(const float* t, size_t H, Value value) {
  constexpr size_t kLanes = 8;
  float lane[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= H; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) lane[j] += t[i + j] * value(i + j);
  }
  for (; i < H; ++i) lane[i % kLanes] += t[i] * value(i);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

void mlm_decode(const ModelView& model, const ModelWeights& w, const float* t, float* logits) {
  const ModelDims& d = model.dims;
  const size_t H = d.hidden;
  const EmbeddingTable& e = w.word_embeddings;
  for (size_t v = 0; v < d.vocab_size; ++v) {
    float sum;
    if (e.values != nullptr) {
      const float* row = e.values + v * H;
      sum = dot_row(t, H, [row](size_t i) { return row[i]; });
    } else if (e.nibbles != nullptr) {
      const Int4Row row = int4_row(e, v, H);
      sum = dot_row(t, H, [&row](size_t i) { return row.value(i); });
    } else {
      const int8_t* row = e.quantized + v * H;
      sum = dot_row(t, H, [row](size_t i) { return static_cast<float>(row[i]); });
    }
    if (e.values == nullptr) sum *= e.scales[v];
    logits[v] = sum + w.mlm_bias[v];
  }
}

eb_status bert_heads(const Executor& x, const ModelView& model, const ModelWeights& w,
                     const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                     HeadResults* results, eb_error* error) {
  const ModelDims& d = model.dims;
  const size_t H = d.hidden, L = d.num_labels, batch = in.count;
  const Dense dense{x, w, d, error};
  *results = HeadResults{};
  eb_status status = EB_OK;
  for (size_t q = 0, row = 0; q < batch; row += in.sequences[q++].s) {
    oracle::pooling_forward(b.embedding + q * H, b.hidden + row * H, in.sequences[q].mask,
                            in.sequences[q].s, H, model.pooling, model.normalize);
  }
  observe("pooling");
  if (b.pooled != nullptr) {  // pooled (B, H) = act(hidden[first rows] W_p + b_p), act tanh
                             // for BERT (config.pooler_activation)
    // The first row of each sequence, gathered where the encoder's attention output was.
    const float* first_rows = b.hidden;
    if (batch > 1) {
      for (size_t q = 0, row = 0; q < batch; row += in.sequences[q++].s) {
        std::memcpy(b.attention + q * H, b.hidden + row * H, H * sizeof(float));
      }
      first_rows = b.attention;
    }
    status = dense({0, DenseSlot::Pooler}, b.pooled, first_rows, batch, Epilogue::Bias);
    if (status != EB_OK) return status;
    oracle::activation_forward(b.pooled, batch * H, d.pooler_activation);
    observe("pooler");
  }
  switch (d.task) {
    case fb::TaskKind::Classification: {
      // logits (B, labels) = pooled W_c + b_c; probabilities by the problem type
      status = dense({0, DenseSlot::Classifier}, b.logits, b.pooled, batch, Epilogue::Bias);
      if (status != EB_OK) return status;
      for (size_t q = 0; q < batch; ++q) {
        classification_probabilities(model, b.logits + q * L, L, b.probabilities + q * L);
      }
      int32_t best = 0;
      for (uint32_t i = 1; i < L; ++i) {
        if (b.logits[i] > b.logits[best]) best = static_cast<int32_t>(i);
      }
      results->label = best;
      observe("classifier");
      break;
    }
    case fb::TaskKind::TokenClassification:  // token_logits (S, labels) = hidden W_c + b_c
      status = dense({0, DenseSlot::Classifier}, b.token_logits, b.hidden, in.rows, Epilogue::Bias);
      if (status != EB_OK) return status;
      std::memcpy(b.probabilities, b.token_logits, in.rows * L * sizeof(float));
      for (size_t t = 0; t < in.rows; ++t) oracle::softmax_forward(b.probabilities + t * L, L);
      observe("token_classifier");
      break;
    case fb::TaskKind::QuestionAnswering:  // token_logits (S, 2) = hidden W_qa + b_qa
      status = dense({0, DenseSlot::QaOutputs}, b.token_logits, b.hidden, in.rows, Epilogue::Bias);
      if (status != EB_OK) return status;
      observe("qa_outputs");
      break;
    case fb::TaskKind::MaskedLM: {
      // mlm_hidden (m, H) = LN(act(hidden[masked] W_t + b_t)) for the m masked rows.
      size_t m = 0;
      for (size_t q = 0, row = 0; q < batch; row += in.sequences[q++].s) {
        for (size_t t = 0; t < in.sequences[q].s; ++t) {
          if (in.sequences[q].ids[t] != model.mask_id) continue;
          b.mlm_positions[m] = static_cast<int32_t>(row + t);
          std::memcpy(b.mlm_hidden + m * H, b.hidden + (row + t) * H, H * sizeof(float));
          ++m;
        }
      }
      results->masks = m;
      if (m > 0) {
        // The transform reads its input from the attention buffer (free after the encoder),
        // so that input and output never alias.
        std::memcpy(b.attention, b.mlm_hidden, m * H * sizeof(float));
        const bool gelu_fused = d.activation == fb::Activation::GeluErf;
        status = dense({0, DenseSlot::MlmTransform}, b.mlm_hidden, b.attention, m,
                       gelu_fused ? Epilogue::BiasGelu : Epilogue::Bias);
        if (status != EB_OK) return status;
        if (!gelu_fused) oracle::activation_forward(b.mlm_hidden, m * H, d.activation);
        x.layer_norm(x.self, b.mlm_hidden, w.mlm_norm, m);
      }
      observe("mlm_transform");
      break;
    }
    case fb::TaskKind::Encoder:
    case fb::TaskKind::Embedding:
      break;
  }
  return EB_OK;
}

eb_status bert_forward(const Executor& x, const ModelView& model, const ModelWeights& w,
                       const GraphBuffers& b, const GraphInput& in, const OpObserver& observe,
                       HeadResults* results, eb_error* error) {
  *results = HeadResults{};
  const eb_status status = bert_encoder(x, model, w, b, in, observe, error);
  if (status != EB_OK) return status;
  return bert_heads(x, model, w, b, in, observe, results, error);
}

}  // namespace edgebert
