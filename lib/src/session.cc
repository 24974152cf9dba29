#include "session.h"

#include <cinttypes>
#include <cstring>
#include <new>

#include "align.h"
#include "error.h"
#include "session_access.h"

namespace edgebert {
namespace {

// Reserves `bytes` at the running offset and returns where they start.
size_t take(size_t* offset, size_t bytes) {
  const size_t start = *offset;
  *offset = align_up(start + bytes, kArenaAlignment);
  return start;
}

}  // namespace

SessionGraph session_graph(const eb_session* s) {
  return SessionGraph{s->model, &s->weights, s->buffers, s->native, s->max_seq, s->has_tokenizer};
}

ArenaPlan plan_arena(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                     uint32_t threads, eb_provider provider) {
  ArenaPlan p;
  session_plan(model, max_seq, max_batch, threads, &p.head);
  size_t offset = align_up(static_cast<size_t>(p.head.head_bytes), kArenaAlignment);
  p.session = take(&offset, sizeof(eb_session));
  p.layers = take(&offset, model.dims.num_layers * sizeof(LayerWeights));
  p.sequences = take(&offset, max_batch * sizeof(GraphSequence));
  p.batch_inputs = take(&offset, max_batch * sizeof(eb_input));
  p.window_sums =
      take(&offset, (model.dims.hidden + 2 * size_t{model.dims.num_labels}) * sizeof(float));
  p.xnnpack_bytes =
      provider == EB_PROVIDER_XNNPACK ? xnnpack_region_bytes(model, max_seq, max_batch) : 0;
  p.xnnpack = take(&offset, p.xnnpack_bytes);
  p.total_bytes = offset + kArenaAlignment - 1;
  return p;
}

int resolve_provider(const ModelView& model, eb_provider requested, const char** why) {
  const char* unused;
  if (why == nullptr) why = &unused;
  *why = "";
  switch (requested) {
    case EB_PROVIDER_AUTO:
      // Measured (bench/RESULTS.md "XNNPACK"): XNNPACK's f32 GEMMs beat our scalar fp32
      // reference by far; our per-channel dynamic int8 kernels run int8 models.
      return xnnpack_built() && !model.int8 ? EB_PROVIDER_XNNPACK : EB_PROVIDER_NATIVE;
    case EB_PROVIDER_NATIVE:
      return EB_PROVIDER_NATIVE;
    case EB_PROVIDER_XNNPACK:
      if (!xnnpack_built()) {
        *why = "this library was built without XNNPACK (cmake -DEDGEBERT_WITH_XNNPACK=ON)";
        return -1;
      }
      if (!model.all_dense_static) {
        *why = "the model's int8 (or 4-bit) layers have per-channel scales and dynamic "
               "activations; XNNPACK runs int8 only per tensor with static scales "
               "(edgebert-convert quantize --per-tensor --calib DATA)";
        return -1;
      }
      return EB_PROVIDER_XNNPACK;
  }
  *why = "unknown provider";
  return -1;
}

}  // namespace edgebert

using edgebert::fail;

extern "C" {

size_t eb_arena_size(const eb_model* model, uint32_t max_seq, uint32_t threads) {
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  options.threads = threads;
  return eb_session_arena_size(model, &options);
}

int eb_provider_available(eb_provider provider) {
  switch (provider) {
    case EB_PROVIDER_AUTO:
    case EB_PROVIDER_NATIVE: return 1;
    case EB_PROVIDER_XNNPACK: return edgebert::xnnpack_built() ? 1 : 0;
  }
  return 0;
}

size_t eb_session_arena_size(const eb_model* model, const eb_session_options* options) {
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view)) return 0;
  const eb_session_options defaults = eb_session_options_default();
  if (options == nullptr) options = &defaults;
  const uint32_t max_seq = options->max_seq == 0 ? view->dims.max_seq : options->max_seq;
  if (max_seq > view->dims.max_seq) return 0;
  const int provider = edgebert::resolve_provider(*view, options->provider, nullptr);
  if (provider < 0) return 0;
  if (options->max_batch > edgebert::kMaxBatch) return 0;
  return edgebert::plan_arena(*view, max_seq, options->max_batch == 0 ? 1 : options->max_batch,
                              options->threads == 0 ? 1 : options->threads,
                              static_cast<eb_provider>(provider))
      .total_bytes;
}

eb_session_options eb_session_options_default(void) {
  eb_session_options options;
  options.max_seq = 0;
  options.threads = 1;
  options.kernels = nullptr;
  options.op_observer = nullptr;
  options.op_observer_user = nullptr;
  options.provider = EB_PROVIDER_AUTO;
  options.threadpool = nullptr;
  options.max_batch = 1;
  return options;
}

eb_status eb_session_init(eb_session** session, const eb_model* model,
                          const eb_session_options* options, void* arena, size_t arena_bytes,
                          eb_error* error) {
  using namespace edgebert;
  if (session == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  *session = nullptr;
  const ModelView* view = as_view(model);
  if (!model_view_ready(view)) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "model is NULL or not initialised");
  }
  if (arena == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "arena is NULL");
  const eb_session_options defaults = eb_session_options_default();
  if (options == nullptr) options = &defaults;
  const uint32_t max_seq = options->max_seq == 0 ? view->dims.max_seq : options->max_seq;
  if (max_seq > view->dims.max_seq) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "max_seq %" PRIu32 " exceeds the model's max_seq %" PRIu32, max_seq,
                view->dims.max_seq);
  }
  const uint32_t threads = options->threads == 0 ? 1 : options->threads;
  const uint32_t max_batch = options->max_batch == 0 ? 1 : options->max_batch;
  if (max_batch > kMaxBatch) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "max_batch %" PRIu32 " exceeds %" PRIu32,
                max_batch, kMaxBatch);
  }
  if (threads > 1 && !parallel_built()) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "threads = %" PRIu32
                ": this library was built without "
                "pthreadpool (cmake -DEDGEBERT_WITH_XNNPACK=ON)",
                threads);
  }
  if (threads > 1 && options->threadpool == nullptr) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "threads = %" PRIu32
                " needs options.threadpool (a "
                "pthreadpool_t of the caller's, e.g. pthreadpool_create(%" PRIu32 "))",
                threads, threads);
  }
  const KernelSet* kernels = select_kernels(options->kernels);
  if (kernels == nullptr) {
    return fail(error, EB_ERROR_UNSUPPORTED, "kernel set \"%s\" is unknown or not supported by this CPU",
                options->kernels != nullptr ? options->kernels : "");
  }
  const char* why = "";
  const int provider = resolve_provider(*view, options->provider, &why);
  if (provider < 0) return fail(error, EB_ERROR_UNSUPPORTED, "provider %d: %s", options->provider, why);
  const ArenaPlan plan =
      plan_arena(*view, max_seq, max_batch, threads, static_cast<eb_provider>(provider));
  if (arena_bytes < plan.total_bytes) {
    return fail(error, EB_ERROR_ARENA_TOO_SMALL,
                "arena has %zu bytes, needs %zu (%zu missing); use eb_arena_size()", arena_bytes,
                plan.total_bytes, plan.total_bytes - arena_bytes);
  }
  auto* base = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(arena) + kArenaAlignment - 1) & ~(kArenaAlignment - 1));
  // Start of a planned buffer, or nullptr when the model needs no such buffer.
  auto at = [&](fb::ArenaBuffer buffer) -> uint8_t* {
    const uint64_t offset = plan.head.offset_of(buffer);
    return offset == UINT64_MAX ? nullptr : base + offset;
  };
  auto floats = [&](fb::ArenaBuffer buffer) { return reinterpret_cast<float*>(at(buffer)); };
  using B = fb::ArenaBuffer;

  eb_session* s = new (base + plan.session) eb_session{};
  s->model = view;
  s->weights.layers = reinterpret_cast<LayerWeights*>(base + plan.layers);
  eb_status status = resolve_weights(*view, &s->weights, false, error);
  if (status != EB_OK) return status;  // cannot happen for a model that passed init
  s->kernels = kernels;
  s->buffers = GraphBuffers{floats(B::Hidden),        floats(B::ProjectionInput),
                            floats(B::Query),         floats(B::Key),
                            floats(B::Value),         floats(B::Context),
                            floats(B::Attention),     floats(B::Ffn),
                            floats(B::Pooled),        floats(B::Embedding),
                            floats(B::Logits),        floats(B::Probabilities),
                            floats(B::TokenLogits),   floats(B::MlmHidden),
                            reinterpret_cast<int32_t*>(at(B::MlmPositions))};
  s->mlm_logits = floats(B::MlmLogits);
  s->oracle = OracleExecutor{&view->dims, floats(B::Scores)};
  s->native = NativeExecutor{kernels,
                             &view->dims,
                             floats(B::Scores),
                             floats(B::AttentionWorkspace),
                             at(B::Qd8AttentionWorkspace),
                             reinterpret_cast<int8_t*>(at(B::QuantizedInput)),
                             floats(B::InputScales),
                             reinterpret_cast<int32_t*>(at(B::InputSums)),
                             quantized_input_stride(view->dims),
                             Parallel{threads > 1 ? options->threadpool : nullptr},
                             threads,
                             false,
                             view->int8_attention};
  s->max_seq = max_seq;
  s->max_batch = max_batch;
  s->threads = threads;
  s->sequences = reinterpret_cast<GraphSequence*>(base + plan.sequences);
  s->batch_inputs = reinterpret_cast<eb_input*>(base + plan.batch_inputs);
  s->window_sums = reinterpret_cast<float*>(base + plan.window_sums);
  s->batch_ids = reinterpret_cast<int32_t*>(at(B::BatchEncoding));
  s->batch_types = s->batch_ids != nullptr ? s->batch_ids + size_t{max_batch} * max_seq : nullptr;
  s->user_observer = edgebert::OpObserver{options->op_observer, options->op_observer_user};
  s->observe = s->user_observer.fn != nullptr ? edgebert::OpObserver{&observe_step, s}
                                              : edgebert::OpObserver{};
  s->attention_layer = -1;
  s->running_sequences = 0;
  s->provider = static_cast<eb_provider>(provider);
  s->xnnpack = nullptr;
  if (s->provider == EB_PROVIDER_XNNPACK) {
    status = xnnpack_session_init(&s->xnnpack, base + plan.xnnpack, plan.xnnpack_bytes, *view,
                                  s->weights, &s->native, max_seq, max_batch,
                                  s->native.parallel.pool, error);
    if (status != EB_OK) return status;
    s->executor = executor_of(s->xnnpack);
  } else if (view->int8) {
    s->executor = executor_of(&s->native);
  } else {
    s->executor = executor_of(&s->oracle);
  }
  s->last_tokens = 0;
  s->last_sequences = 0;
  s->last_label = -1;
  s->last_masks = 0;
  s->has_tokenizer = view->tokenizer_word_chars > 0;
  if (s->has_tokenizer) {
    status = tokenizer_tables_init(view->root->tokenizer(), view->dims.vocab_size, &s->tokenizer,
                                   error);
    if (status != EB_OK) return status;  // cannot happen for a model that passed init
    if (view->dims.type_vocab_size == 1) s->tokenizer.second_type = 0;
    s->tokenizer_scratch =
        tokenizer_scratch_at(at(B::TokenizerScratch), view->tokenizer_word_chars, max_seq,
                             view->tokenizer_model);
    s->encoding = encoding_at(at(B::Encoding), max_seq);
  }
  *session = s;
  return edgebert::ok(error);
}

eb_status eb_session_run(eb_session* s, const eb_input* input, eb_error* error) {
  return eb_session_run_batch(s, input, 1, error);
}

eb_status eb_session_run_batch(eb_session* s, const eb_input* inputs, size_t count,
                               eb_error* error) {
  using namespace edgebert;
  if (s == nullptr || inputs == nullptr) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "session or inputs is NULL");
  }
  s->last_tokens = 0;
  s->last_sequences = 0;
  s->last_label = -1;
  s->last_masks = 0;
  if (count == 0 || count > s->max_batch) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "%zu sequences; this session takes 1 to %" PRIu32
                " "
                "(eb_session_options.max_batch)",
                count, s->max_batch);
  }
  const ModelDims& d = s->model->dims;
  GraphSequence* sequences = s->sequences;
  size_t rows = 0;
  for (size_t q = 0; q < count; ++q) {
    const eb_input* input = &inputs[q];
    const char* which = count > 1 ? "inputs" : "input";
    const size_t at = count > 1 ? q : 0;
    if (input->input_ids == nullptr) {
      return fail(error, EB_ERROR_INVALID_ARGUMENT, "%s[%zu].input_ids is NULL", which, at);
    }
    const size_t S = input->num_tokens;
    if (S == 0 || S > s->max_seq) {
      return count > 1 ? fail(error, EB_ERROR_INVALID_INPUT,
                              "inputs[%zu]: %zu tokens; this "
                              "session takes 1 to %" PRIu32,
                              q, S, s->max_seq)
                       : fail(error, EB_ERROR_INVALID_INPUT,
                              "%zu tokens; this session takes 1 "
                              "to %" PRIu32,
                              S, s->max_seq);
    }
    size_t attended = 0;
    for (size_t i = 0; i < S; ++i) {
      const int32_t id = input->input_ids[i];
      if (id < 0 || static_cast<uint32_t>(id) >= d.vocab_size) {
        return fail(error, EB_ERROR_INVALID_INPUT,
                    "%sinput_ids[%zu] = %" PRId32 " is outside [0, %" PRIu32 ")",
                    count > 1 ? "inputs[]." : "", i, id, d.vocab_size);
      }
      if (input->token_type_ids != nullptr) {
        const int32_t type = input->token_type_ids[i];
        if (type < 0 || static_cast<uint32_t>(type) >= d.type_vocab_size) {
          return fail(error, EB_ERROR_INVALID_INPUT,
                      "%stoken_type_ids[%zu] = %" PRId32
                      " is outside "
                      "[0, %" PRIu32 ")",
                      count > 1 ? "inputs[]." : "", i, type, d.type_vocab_size);
        }
      }
      if (input->attention_mask != nullptr) {
        const int32_t m = input->attention_mask[i];
        if (m != 0 && m != 1) {
          return fail(error, EB_ERROR_INVALID_INPUT,
                      "%sattention_mask[%zu] = %" PRId32 " is not 0 or 1",
                      count > 1 ? "inputs[]." : "", i, m);
        }
        attended += static_cast<size_t>(m);
      }
    }
    if (input->attention_mask != nullptr && attended == 0) {
      return fail(error, EB_ERROR_INVALID_INPUT, "%sattention_mask has no token set to 1",
                  count > 1 ? "an input's " : "");
    }
    sequences[q] = GraphSequence{input->input_ids, input->token_type_ids, input->attention_mask, S};
    rows += S;
  }

  const GraphInput graph_input{sequences, count, rows};
  HeadResults heads;
  s->running_sequences = count;
  const eb_status status = bert_forward(s->executor, *s->model, s->weights, s->buffers,
                                        graph_input, s->observe, &heads, error);
  s->running_sequences = 0;
  if (status != EB_OK) return status;
  s->last_label = heads.label;
  s->last_masks = heads.masks;
  s->last_tokens = rows;
  s->last_sequences = count;
  return edgebert::ok(error);
}

const float* eb_session_output(const eb_session* s, eb_output which, size_t* count) {
  const float* data = nullptr;
  size_t n = 0;
  if (s != nullptr && s->last_tokens > 0) {
    const edgebert::ModelDims& d = s->model->dims;
    switch (which) {
      case EB_OUTPUT_LAST_HIDDEN: data = s->buffers.hidden; n = s->last_tokens * d.hidden; break;
      case EB_OUTPUT_POOLED: data = s->buffers.pooled; n = s->last_sequences * d.hidden; break;
      case EB_OUTPUT_LOGITS:
        data = s->buffers.logits;
        n = s->last_sequences * d.num_labels;
        break;
      case EB_OUTPUT_PROBABILITIES:
        data = s->buffers.probabilities;
        n = (d.task == edgebert::fb::TaskKind::TokenClassification ? s->last_tokens
                                                                   : s->last_sequences) *
            d.num_labels;
        break;
      case EB_OUTPUT_EMBEDDING: data = s->buffers.embedding; n = s->last_sequences * d.hidden; break;
      case EB_OUTPUT_TOKEN_LOGITS:
        data = s->buffers.token_logits;
        n = s->last_tokens *
            (d.task == edgebert::fb::TaskKind::QuestionAnswering ? 2 : d.num_labels);
        break;
    }
  }
  if (data == nullptr) n = 0;
  if (count != nullptr) *count = n;
  return data;
}

int32_t eb_session_label(const eb_session* s) { return s == nullptr ? -1 : s->last_label; }

size_t eb_session_mask_count(const eb_session* s) { return s == nullptr ? 0 : s->last_masks; }

const float* eb_session_mask_logits(eb_session* s, size_t index, size_t* count) {
  if (count != nullptr) *count = 0;
  if (s == nullptr || index >= s->last_masks) return nullptr;
  const edgebert::ModelDims& d = s->model->dims;
  edgebert::mlm_decode(*s->model, s->weights, s->buffers.mlm_hidden + index * d.hidden,
                       s->mlm_logits);
  s->observe("mlm_decoder");
  if (count != nullptr) *count = d.vocab_size;
  return s->mlm_logits;
}

const char* eb_session_kernels(const eb_session* s) {
  if (s == nullptr) return "";
  return s->model->int8 || s->xnnpack != nullptr ? s->kernels->name : "fp32-reference";
}

const char* eb_session_provider(const eb_session* s) {
  if (s == nullptr) return "";
  return eb_provider_name(s->provider);
}

}  // extern "C"
