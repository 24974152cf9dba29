#include "native_executor.h"

#include <atomic>

#include "oracle_executor.h"
#include "../kernels/packing.h"
#include "../kernels/qd8_attention.h"

namespace edgebert {

namespace {

// A GEMM split into column ranges of at least kChannelsPerTask channels, whole tiles of the
// kernel's nr each: every output is computed by the same tile code whichever thread runs it.
constexpr size_t kChannelsPerTask = 64;

struct GemmTasks {
  const GemmKernel* gemm;
  GemmArgs args;
  size_t channels;  // per task: kChannelsPerTask rounded up to a multiple of gemm->nr

  static void run(void* context, size_t task) {
    const GemmTasks& t = *static_cast<const GemmTasks*>(context);
    GemmArgs g = t.args;
    const size_t n0 = task * t.channels;
    // n0 is a multiple of nr, so of kPackN: the task starts at packed block n0 / kPackN.
    g.b += (n0 / kPackN) * (packed_k(g.k) / kPackK) * kPackBlockBytes;
    g.b_scales += n0;
    g.bias += n0;
    if (g.residual != nullptr) g.residual += n0;
    if (g.epilogue == Epilogue::Int32) {
      g.c = static_cast<int32_t*>(g.c) + n0;
    } else {
      g.c = static_cast<float*>(g.c) + n0;
    }
    g.n = g.n - n0 < t.channels ? g.n - n0 : t.channels;
    t.gemm->run(g);
  }
};

// Attention as `tasks` tasks, each with its own scores row and scratch, that claim whole
// (sequence, head) pairs one at a time, sequence by sequence, until none is left: a task that
// starts late or is interrupted takes fewer pairs instead of making the others wait, and a batch
// of short sequences keeps every thread busy in one dispatch (one per sequence cost more than
// the heads of a short sequence take). Each head is computed by the same code (its scratch and
// scores are rewritten from scratch) whichever task claims it.
struct AttentionTasks {
  const NativeExecutor* x;
  const AttentionCall* call;
  size_t fp32_rows, int8_rows;  // the longest sequence of each kind: a task's share of scratch
  std::atomic<size_t> next{0};

  static void run(void* context, size_t i) {
    AttentionTasks& t = *static_cast<AttentionTasks*>(context);
    const NativeExecutor& x = *t.x;
    const AttentionCall& c = *t.call;
    const size_t heads = x.dims->num_heads, head_dim = x.dims->head_dim, a = heads * head_dim;
    // Only the buffers of the attention an input runs are planned (the others may be null).
    float* scores = t.fp32_rows > 0 ? x.scores + i * t.fp32_rows : nullptr;
    float* scratch = t.fp32_rows > 0
                         ? x.attention_scratch + i * attention_scratch_floats(t.fp32_rows, head_dim)
                         : nullptr;
    uint8_t* workspace =
        t.int8_rows > 0
            ? x.qd8_attention_workspace + i * qd8_attention_layout(t.int8_rows, head_dim).bytes
            : nullptr;
    // Claimed pairs only grow, so the sequence of each is found walking forward.
    size_t sequence = 0, row = 0;
    for (size_t pair = t.next.fetch_add(1, std::memory_order_relaxed); pair < c.count * heads;
         pair = t.next.fetch_add(1, std::memory_order_relaxed)) {
      for (; sequence < pair / heads; ++sequence) row += c.sequences[sequence].s;
      const size_t h = pair % heads, s = c.sequences[sequence].s, off = row * a;
      const int32_t* mask = c.sequences[sequence].mask;
      if (runs_qd8_attention(x.int8_attention, s)) {
        qd8_f32_attention(*x.kernels, c.context + off, c.q + off, c.k + off, c.v + off, mask,
                          workspace, s, heads, head_dim, h);
      } else {
        x.kernels->f32_attention(c.context + off, c.q + off, c.k + off, c.v + off, mask, scores,
                                 scratch, s, heads, head_dim, h, h + 1);
      }
    }
  }
};

// Row quantization in ranges of kRowsPerTask rows: each row is quantized alone, so the ranges
// may run on any thread (an even count: a range starts a row pair in LhsLayout::kRowPairs).
constexpr size_t kRowsPerTask = 16;
static_assert(kRowsPerTask % 2 == 0, "ranges of whole row pairs");

struct QuantizeTasks {
  const NativeExecutor* x;
  const float* in;
  size_t s, k;
  // The set's f32_qd8_quantize_rows, or its f32_qd8_quantize_row_pairs (row m0, even, starts
  // at m0 * lda in both layouts).
  void (*quantize)(const float* x, size_t m, size_t k, size_t ldx, int8_t* q, size_t ldq,
                   float* scales, int32_t* sums);

  static void run(void* context, size_t task) {
    const QuantizeTasks& t = *static_cast<const QuantizeTasks*>(context);
    const NativeExecutor& x = *t.x;
    const size_t m0 = task * kRowsPerTask;
    const size_t rows = t.s - m0 < kRowsPerTask ? t.s - m0 : kRowsPerTask;
    t.quantize(t.in + m0 * t.k, rows, t.k, t.k, x.input + m0 * x.lda, x.lda, x.input_scales + m0,
               x.input_sums + m0);
  }
};

// LayerNorm in ranges of kNormRowsPerTask rows (each row normalized alone): a single sentence's
// rows stay one task on the calling thread; a batch's spread over the pool.
constexpr size_t kNormRowsPerTask = 32;

struct LayerNormTasks {
  const NativeExecutor* x;
  float* rows;
  const LayerNormWeights* norm;
  size_t count;

  static void run(void* context, size_t task) {
    const LayerNormTasks& t = *static_cast<const LayerNormTasks*>(context);
    const size_t m0 = task * kNormRowsPerTask;
    const size_t m = t.count - m0 < kNormRowsPerTask ? t.count - m0 : kNormRowsPerTask;
    const size_t h = t.norm->width;
    t.x->kernels->f32_layer_norm(t.rows + m0 * h, t.norm->gamma, t.norm->beta, m, h,
                                 t.x->dims->layer_norm_eps);
  }
};

}  // namespace

size_t quantized_input_stride(const ModelDims& d) {
  return (size_t{widest_features(d)} + 63) / 64 * 64;
}

void request_native_scratch(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                            uint32_t threads, BufferRequests* r) {
  const ModelDims& d = model.dims;
  const uint64_t S = max_seq, f = sizeof(float), tasks = attention_tasks(threads, d.num_heads);
  using B = fb::ArenaBuffer;
  // One head's workspace per attention task (a task runs its heads one after the other): int8
  // attention's from kQd8AttentionMinTokens tokens on, fp32 attention's and its softmax row
  // for the shorter inputs (all of them in fp32-attention models).
  const bool int8_runs = runs_qd8_attention(model.int8_attention, S);
  if (int8_runs) {
    r->request(B::Qd8AttentionWorkspace, qd8_attention_layout(S, d.head_dim).bytes * tasks,
               kStepAttention, kStepAttention);
  }
  const uint64_t fp32_rows = int8_runs ? kQd8AttentionMinTokens - 1 : S;
  r->request(B::Scores, fp32_rows * f * tasks, kStepAttention, kStepAttention);
  r->request(B::AttentionWorkspace, attention_scratch_floats(fp32_rows, d.head_dim) * f * tasks,
             kStepAttention, kStepAttention);
  // Each dense layer's input, quantized per token (the heads' too), for every row of a batch;
  // rows rounded up to even for sets that quantize in row pairs (the last pair's zero row).
  const uint64_t rows = S * max_batch;
  r->request(B::QuantizedInput, (rows + 1) / 2 * 2 * quantized_input_stride(d), kStepQkv,
             kStepHeads);
  r->request(B::InputScales, rows * f, kStepQkv, kStepHeads);
  r->request(B::InputSums, rows * sizeof(int32_t), kStepQkv, kStepHeads);
}

eb_status NativeExecutor::dense(const DenseCall& c, eb_error*) {
  const DenseWeights& w = *c.weights;
  if (w.packed == nullptr) {  // an fp32 layer of a mixed model
    oracle_dense(c);
    input_quantized = false;
    return EB_OK;
  }
  // Sets whose GEMMs read row pairs get their input quantized in pairs.
  const bool pairs = kernels->f32_qd8_quantize_row_pairs != nullptr;
  if (!(c.same_input && input_quantized)) {
    QuantizeTasks quantize{
        this, c.in, c.rows, c.k,
        pairs ? kernels->f32_qd8_quantize_row_pairs : kernels->f32_qd8_quantize_rows};
    parallel.for_each((c.rows + kRowsPerTask - 1) / kRowsPerTask, &QuantizeTasks::run, &quantize);
    input_quantized = true;
  }
  const LhsLayout layout = pairs ? LhsLayout::kRowPairs : LhsLayout::kRows;
  const GemmArgs args{input,        lda,    input_sums, input_scales, w.packed,
                      w.scales,     w.bias, c.residual, c.out,        c.n,
                      c.rows,       c.n,    c.k,        c.epilogue,   w.group_multipliers,
                      w.group_size, layout};
  // 7-bit weights (max_abs verified at load) let some sets multiply twice as fast.
  const bool seven_bit = w.max_abs <= 63 && kernels->qd8_f32_qc7w_gemm.run != nullptr;
  const GemmKernel& gemm = w.group_size != 0 ? kernels->qd8_f32_qc4w_gemm
                           : seven_bit       ? kernels->qd8_f32_qc7w_gemm
                                             : kernels->qd8_f32_qc8w_gemm;
  if (parallel.pool == nullptr) {
    gemm.run(args);
    return EB_OK;
  }
  const size_t channels = (kChannelsPerTask + gemm.nr - 1) / gemm.nr * gemm.nr;
  GemmTasks tasks{&gemm, args, channels};
  parallel.for_each((c.n + channels - 1) / channels, &GemmTasks::run, &tasks);
  return EB_OK;
}

void NativeExecutor::attention(const AttentionCall& call) {
  AttentionTasks tasks{this, &call, 0, 0};
  for (size_t i = 0; i < call.count; ++i) {
    const size_t s = call.sequences[i].s;
    size_t& longest = runs_qd8_attention(int8_attention, s) ? tasks.int8_rows : tasks.fp32_rows;
    longest = s > longest ? s : longest;
  }
  // As many tasks as the scratch was planned for (a batch could use more only past 12 threads).
  parallel.for_each(attention_tasks(threads, dims->num_heads), &AttentionTasks::run, &tasks);
}

void NativeExecutor::layer_norm(float* x, const LayerNormWeights& norm, size_t rows) {
  LayerNormTasks tasks{this, x, &norm, rows};
  parallel.for_each((rows + kNormRowsPerTask - 1) / kNormRowsPerTask, &LayerNormTasks::run, &tasks);
}

}  // namespace edgebert
