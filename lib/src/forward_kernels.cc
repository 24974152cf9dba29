#include "forward_kernels.h"

#include <atomic>
#include <cmath>

#include "kernels/packing.h"
#include "reference/bert_fp32.h"

namespace edgebert {

namespace {

// A GEMM split into column ranges of kBlocksPerTask packed blocks (64 channels): every output is
// computed by the same tile code whichever thread runs its range.
constexpr size_t kBlocksPerTask = 4;

struct GemmTasks {
  void (*gemm)(const GemmArgs&);
  GemmArgs args;

  static void run(void* context, size_t task) {
    const GemmTasks& t = *static_cast<const GemmTasks*>(context);
    GemmArgs g = t.args;
    const size_t n0 = task * kBlocksPerTask * kPackN;
    g.b += n0 * (packed_k(g.k) / kPackK) * kPackK;  // block n0 / 16 starts at (n0 / 16) quads * 64 B
    g.b_scales += n0;
    g.bias += n0;
    if (g.residual != nullptr) g.residual += n0;
    if (g.epilogue == Epilogue::Int32) {
      g.c = static_cast<int32_t*>(g.c) + n0;
    } else {
      g.c = static_cast<float*>(g.c) + n0;
    }
    g.n = g.n - n0 < kBlocksPerTask * kPackN ? g.n - n0 : kBlocksPerTask * kPackN;
    t.gemm(g);
  }
};

// Attention as `tasks` tasks, each with its own scores row and scratch, that claim whole heads
// one at a time until none is left: a task that starts late or is interrupted takes fewer heads
// instead of making the others wait. Each head is computed by the same code (its scratch and
// scores are rewritten from scratch) whichever task claims it.
struct AttentionTasks {
  const KernelSet* ks;
  const KernelBuffers* b;
  const int32_t* mask;
  size_t s, heads, head_dim;
  std::atomic<size_t> next_head{0};

  static void run(void* context, size_t i) {
    AttentionTasks& t = *static_cast<AttentionTasks*>(context);
    const KernelBuffers& b = *t.b;
    float* scores = b.scores + i * t.s;
    float* scratch = b.attention_scratch + i * attention_scratch_floats(t.s, t.head_dim);
    for (size_t h = t.next_head.fetch_add(1, std::memory_order_relaxed); h < t.heads;
         h = t.next_head.fetch_add(1, std::memory_order_relaxed)) {
      t.ks->attention(b.context, b.query, b.key, b.value, t.mask, scores, scratch, t.s, t.heads,
                      t.head_dim, h, h + 1);
    }
  }
};

// Row quantization in ranges of kRowsPerTask rows: each row is quantized alone, so the ranges
// may run on any thread.
constexpr size_t kRowsPerTask = 16;

struct QuantizeTasks {
  const KernelSet* ks;
  const KernelBuffers* b;
  const float* in;
  size_t s, k;

  static void run(void* context, size_t task) {
    const QuantizeTasks& t = *static_cast<const QuantizeTasks*>(context);
    const KernelBuffers& b = *t.b;
    const size_t m0 = task * kRowsPerTask;
    const size_t rows = t.s - m0 < kRowsPerTask ? t.s - m0 : kRowsPerTask;
    t.ks->quantize_rows(t.in + m0 * t.k, rows, t.k, t.k, b.input + m0 * b.lda, b.lda,
                        b.input_scales + m0, b.input_sums + m0);
  }
};

}  // namespace

DenseSlotInfo dense_slot(const LayerWeights& l, const ModelDims& d, DenseSlot slot) {
  const size_t H = d.hidden, A = d.attention, I = d.intermediate;
  switch (slot) {
    case DenseSlot::Query: return {&l.query, A, H, "attention.self.query"};
    case DenseSlot::Key: return {&l.key, A, H, "attention.self.key"};
    case DenseSlot::Value: return {&l.value, A, H, "attention.self.value"};
    case DenseSlot::AttentionOutput: return {&l.attention_output, H, A, "attention.output.dense"};
    case DenseSlot::Intermediate: return {&l.intermediate, I, H, "intermediate.dense"};
    case DenseSlot::Output: return {&l.output, H, I, "output.dense"};
  }
  return {nullptr, 0, 0, ""};
}

size_t quantized_input_stride(const ModelDims& d) {
  size_t widest = d.hidden;
  if (d.attention > widest) widest = d.attention;
  if (d.intermediate > widest) widest = d.intermediate;
  return (widest + 63) / 64 * 64;
}

void kernel_dense(const KernelSet& ks, const KernelBuffers& b, float* out, const float* in,
                  size_t s, size_t k, size_t n, const DenseWeights& w, Epilogue epilogue,
                  const float* residual, bool reuse_input) {
  if (w.packed == nullptr) {  // an fp32 layer of a mixed model
    reference::dense_forward(out, in, w, s, n, k);
    if (epilogue == Epilogue::BiasGelu) {
      reference::activation_forward(out, s * n, fb::Activation::GeluErf);
    } else if (epilogue == Epilogue::BiasResidual) {
      reference::add_forward(out, residual, s * n);
    }
    return;
  }
  if (!reuse_input) {
    QuantizeTasks quantize{&ks, &b, in, s, k};
    b.parallel.for_each((s + kRowsPerTask - 1) / kRowsPerTask, &QuantizeTasks::run, &quantize);
  }
  const GemmArgs args{b.input,  b.lda, b.input_sums, b.input_scales, w.packed, w.scales, w.bias,
                      residual, out,   n,            s,              n,        k,        epilogue};
  // 7-bit weights (max_abs verified at load) let some sets multiply twice as fast.
  const bool seven_bit = w.max_abs <= 63 && ks.gemm_u8s7 != nullptr;
  GemmTasks tasks{seven_bit ? ks.gemm_u8s7 : ks.gemm_s8s8, args};
  if (b.parallel.pool == nullptr) {
    tasks.gemm(args);
    return;
  }
  b.parallel.for_each((packed_n(n) / kPackN + kBlocksPerTask - 1) / kBlocksPerTask,
                      &GemmTasks::run, &tasks);
}

namespace {

// out (H) = dequantized or fp32 row `row` of an embedding table.
void embedding_row(const EmbeddingTable& table, size_t row, size_t h, float* out) {
  if (table.values != nullptr) {
    for (size_t i = 0; i < h; ++i) out[i] = table.values[row * h + i];
  } else {
    const float scale = table.scales[row];
    for (size_t i = 0; i < h; ++i) out[i] = static_cast<float>(table.quantized[row * h + i]) * scale;
  }
}

}  // namespace

void kernel_encoder_forward(const KernelSet& ks, const KernelBuffers& b, const ModelWeights& w,
                            const ModelDims& d, const int32_t* ids, const int32_t* types,
                            const int32_t* mask, size_t s, const OpObserver& observe,
                            const DenseProvider* provider) {
  const size_t H = d.hidden, I = d.intermediate;
  uint32_t l = 0;
  // One dense layer of layer l; `reuse_input`: the native path may keep the previous call's
  // quantized input (Q, K, V read the same hidden states).
  auto dense = [&](DenseSlot slot, float* out, const float* in, Epilogue epilogue,
                   const float* residual, bool reuse_input) {
    if (provider != nullptr) {
      provider->dense(provider->context, l, slot, out, in, s, epilogue, residual);
      return;
    }
    const DenseSlotInfo info = dense_slot(w.layers[l], d, slot);
    kernel_dense(ks, b, out, in, s, info.k, info.n, *info.weights, epilogue, residual, reuse_input);
  };
  // Embeddings: (word + token_type) + position, as Hugging Face sums them; the attention buffer
  // is free until step 4 and holds the position row.
  for (size_t t = 0; t < s; ++t) {
    float* row = b.hidden + t * H;
    float* position = b.attention;
    embedding_row(w.word_embeddings, static_cast<size_t>(ids[t]), H, row);
    embedding_row(w.position_embeddings, t, H, position);
    const float* type = w.token_type_embeddings + static_cast<size_t>(types != nullptr ? types[t] : 0) * H;
    for (size_t i = 0; i < H; ++i) row[i] = (row[i] + type[i]) + position[i];
  }
  ks.layer_norm(b.hidden, w.embedding_norm.gamma, w.embedding_norm.beta, s, H, d.layer_norm_eps);
  observe("embeddings");
  for (l = 0; l < d.num_layers; ++l) {
    const LayerWeights& layer = w.layers[l];
    const int32_t at = static_cast<int32_t>(l);
    // Q, K, V share one quantization of the hidden states.
    dense(DenseSlot::Query, b.query, b.hidden, Epilogue::Bias, nullptr, false);
    dense(DenseSlot::Key, b.key, b.hidden, Epilogue::Bias, nullptr, layer.query.packed != nullptr);
    dense(DenseSlot::Value, b.value, b.hidden, Epilogue::Bias, nullptr, layer.key.packed != nullptr);
    observe("qkv", at);
    const size_t count = attention_tasks(b.threads, d.num_heads);
    AttentionTasks tasks{&ks, &b, mask, s, d.num_heads, d.head_dim};
    b.parallel.for_each(count, &AttentionTasks::run, &tasks);
    observe("attention", at);
    // attention = LN(context W_o + b_o + hidden)
    dense(DenseSlot::AttentionOutput, b.attention, b.context, Epilogue::BiasResidual, b.hidden,
          false);
    observe("attention_output", at);
    ks.layer_norm(b.attention, layer.attention_norm.gamma, layer.attention_norm.beta, s, H,
                  d.layer_norm_eps);
    observe("attention_norm", at);
    // ffn = GELU(attention W_i + b_i); hidden = LN(ffn W_o + b_o + attention)
    const Epilogue activation =
        d.activation == fb::Activation::GeluErf ? Epilogue::BiasGelu : Epilogue::Bias;
    dense(DenseSlot::Intermediate, b.ffn, b.attention, activation, nullptr, false);
    if (d.activation != fb::Activation::GeluErf) {
      reference::activation_forward(b.ffn, s * I, d.activation);  // tanh GELU, ReLU
    }
    observe("intermediate", at);
    dense(DenseSlot::Output, b.hidden, b.ffn, Epilogue::BiasResidual, b.attention, false);
    observe("output", at);
    ks.layer_norm(b.hidden, layer.output_norm.gamma, layer.output_norm.beta, s, H,
                  d.layer_norm_eps);
    observe("output_norm", at);
  }
}

}  // namespace edgebert
