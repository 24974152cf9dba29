/* edgebert: BERT inference on small devices. Public C API.
 *
 * Ownership: the caller owns every byte. The model bytes (an mmap'd .ebm file or a const array in
 * flash) must outlive the eb_model that views them; the arena must outlive the eb_session placed in
 * it; the library allocates nothing on the heap and keeps no global mutable state (the XNNPACK
 * provider's process-wide initialisation excepted, see EB_PROVIDER_XNNPACK).
 *
 * Lifecycle:
 *   eb_model   model;                       // caller storage, e.g. static or on the stack
 *   eb_model_init(&model, bytes, size, &err);            // verify, zero-copy
 *   size_t n = eb_arena_size(&model, max_seq, threads);   // exact bytes for this model
 *   eb_session* s; eb_session_init(&s, &model, &options, arena, n, &err);  // s lives in the arena
 *   eb_session_run(s, &input, &err);                       // no allocation
 *   const float* probs = eb_session_output(s, EB_OUTPUT_PROBABILITIES, &count);
 *
 * Several sessions may share one model (each with its own arena) and run on different threads.
 * One session must not be used by two threads at once.
 *
 * Errors: every fallible call returns eb_status and, when `error` is not NULL, writes a
 * NUL-terminated message into it. Bad input never aborts.
 */
#ifndef EDGEBERT_EDGEBERT_H_
#define EDGEBERT_EDGEBERT_H_

#include <stddef.h>
#include <stdint.h>

/// Marks the public functions: the only symbols the shared library exports (everything else is
/// built with hidden visibility).
#if defined(_WIN32)
#define EB_API
#else
#define EB_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define EB_VERSION_MAJOR 0
#define EB_VERSION_MINOR 1
#define EB_VERSION_PATCH 0

/// Highest model schema version this runtime reads.
#define EB_SCHEMA_VERSION 1

/// Model bytes and tensor data must start at this alignment (bytes).
#define EB_MODEL_ALIGNMENT 16

typedef enum eb_status {
  EB_OK = 0,
  EB_ERROR_INVALID_ARGUMENT = 1,  ///< NULL pointer, zero size, options out of range
  EB_ERROR_INVALID_MODEL = 2,     ///< not an edgebert model, corrupt, truncated, inconsistent
  EB_ERROR_UNSUPPORTED = 3,       ///< valid model this runtime cannot run (newer schema, dtype)
  EB_ERROR_MISALIGNED = 4,        ///< model bytes not EB_MODEL_ALIGNMENT-aligned
  EB_ERROR_ARENA_TOO_SMALL = 5,   ///< arena smaller than eb_arena_size(); message says by how much
  EB_ERROR_INVALID_INPUT = 6,     ///< token id out of range, too many tokens, empty mask
} eb_status;

/// Static name of a status, e.g. "EB_ERROR_INVALID_MODEL".
EB_API const char* eb_status_string(eb_status status);

/// Optional error message sink; pass NULL to ignore messages.
typedef struct eb_error {
  char message[256];
} eb_error;

/// A verified view of model bytes. Caller-owned storage; treat as opaque.
typedef struct eb_model {
  uint64_t opaque_[16];
} eb_model;

typedef enum eb_task_kind {
  EB_TASK_ENCODER = 0,
  EB_TASK_CLASSIFICATION = 1,
  EB_TASK_EMBEDDING = 2,
} eb_task_kind;

/// Shape and task of a loaded model.
typedef struct eb_model_info {
  uint32_t schema_version;
  uint32_t num_layers;
  uint32_t hidden;
  uint32_t num_heads;
  uint32_t head_dim;
  uint32_t intermediate;
  uint32_t vocab_size;
  uint32_t max_positions;
  uint32_t type_vocab_size;
  uint32_t max_seq;       ///< longest input the model runs at
  eb_task_kind task;
  uint32_t num_labels;    ///< classification only, else 0
  int has_pooler;         ///< pooled output available
  int has_tokenizer;      ///< text input available (eb_session_run_text and friends)
} eb_model_info;

/// Verifies `size` bytes at `data` (FlatBuffers Verifier plus semantic checks of shapes, dtypes
/// and sizes) and makes `model` a zero-copy view of them. `data` must be EB_MODEL_ALIGNMENT-aligned
/// and must stay valid and unchanged while the model or any of its sessions is in use.
/// Allocates nothing.
EB_API eb_status eb_model_init(eb_model* model, const void* data, size_t size, eb_error* error);

/// The full check: reads every int8 dense weight of an initialised model against the claims its
/// file makes (max_abs, row sums): EB_ERROR_INVALID_MODEL names the first tensor that breaks
/// them. A pass over the whole file (BERT-base int8: ~280 ms), so eb_model_init leaves it out:
/// init checks what memory safety needs (structure, dtypes, shapes, byte sizes, offsets,
/// alignment, finite positive scales) and reads no weight. What an unchecked bad weight can do:
/// give wrong numbers (a value beyond max_abs, or -128, saturates or wraps an avx2 product; a row sum is
/// not read by any kernel), never read or write outside the model bytes or the arena, since no
/// address depends on a weight's value. The converter runs this on every file it writes;
/// call it once on files from an untrusted source. Allocates nothing.
EB_API eb_status eb_model_check_weights(const eb_model* model, eb_error* error);

/// Fills `info`; `model` must have been initialised with EB_OK.
EB_API void eb_model_get_info(const eb_model* model, eb_model_info* info);

/// Name of classification label `index`, or NULL if out of range / not a classifier.
EB_API const char* eb_model_label(const eb_model* model, uint32_t index);

/// Vocabulary piece of token `id` (e.g. "##ing"), or NULL if out of range / no tokenizer.
EB_API const char* eb_model_token(const eb_model* model, int32_t id);

/// Provenance: producer and source strings stored in the model ("" if absent).
EB_API const char* eb_model_producer(const eb_model* model);
EB_API const char* eb_model_source(const eb_model* model);

/// Exact arena bytes a session with default options (automatic provider) needs to run inputs of
/// up to `max_seq` tokens with `threads` threads (0 = the model's max_seq; 0 threads = 1).
/// Includes slack for any arena alignment. Returns 0 if max_seq exceeds the model's max_seq or
/// the model is not initialised. For other options use eb_session_arena_size().
EB_API size_t eb_arena_size(const eb_model* model, uint32_t max_seq, uint32_t threads);

typedef struct eb_session eb_session;

/// Who runs the dense layers.
typedef enum eb_provider {
  /// Chosen per model by measurement (bench/RESULTS.md "XNNPACK"): XNNPACK for fp32 models when
  /// the library was built with it, our own kernels for int8 models.
  EB_PROVIDER_AUTO = 0,
  /// Our own code: the int8 kernel sets, or the scalar fp32 reference for fp32 models.
  EB_PROVIDER_NATIVE = 1,
  /// XNNPACK fully connected operators (f32; or qs8 for models quantized per tensor with
  /// calibrated activation scales: `edgebert-convert quantize --per-tensor --calib`); attention,
  /// LayerNorm, GELU and residual adds stay on our kernels. The operators and their packed weights
  /// live in the arena (a copy of the dense weights: the arena grows by about the weights' size).
  /// The first XNNPACK session of a process initialises XNNPACK, which allocates its CPU tables
  /// once (cpuinfo); every later init and every run allocates nothing. XNNPACK's allocator is
  /// process-wide and the first xnn_initialize() wins: if another component initialised XNNPACK
  /// first, sessions with this provider fail with EB_ERROR_UNSUPPORTED rather than use the heap.
  EB_PROVIDER_XNNPACK = 2,
} eb_provider;

typedef struct eb_session_options {
  uint32_t max_seq;     ///< 0 = the model's max_seq
  uint32_t threads;     ///< 0 = 1. More than 1 needs `threadpool`: the int8 kernels then run GEMM
                        ///< column blocks and attention heads on it, XNNPACK its operators.
                        ///< Results do not depend on the thread count. The fp32 reference
                        ///< path stays single-threaded.
  const char* kernels;  ///< NULL = the best kernel set of this CPU; or force one by name
                        ///< ("reference", "avx2", "avx512vnni", ...) for tests and benchmarks
  /// Optional profiling hook (edgebert-bench --per-op), called after each step of a run with the
  /// step's static name and encoder layer (-1 outside the layers): "tokenize" (text calls),
  /// "embeddings", per layer "qkv", "attention", "attention_output", "attention_norm",
  /// "intermediate", "output", "output_norm" (every provider and kernel set alike),
  /// then "pooling", "pooler", "classifier". A step took the time since the previous call (or
  /// since the caller started the run). NULL (default): off. The hook must not use the session.
  void (*op_observer)(void* user, const char* op, int32_t layer);
  void* op_observer_user;  ///< passed to op_observer
  eb_provider provider;    ///< EB_PROVIDER_AUTO (default), _NATIVE or _XNNPACK
  /// With threads > 1: a caller-owned pthreadpool_t (pthreadpool_create(threads)) that must
  /// outlive the session; runs allocate nothing. Ignored when threads <= 1.
  void* threadpool;
} eb_session_options;

/// 1 if this library was built with `provider` (AUTO and NATIVE always are), else 0.
EB_API int eb_provider_available(eb_provider provider);

/// Exact arena bytes for a session with these options (NULL = defaults); 0 if the options are
/// invalid for the model (max_seq too long, provider not built into this library or unable to
/// run the model).
EB_API size_t eb_session_arena_size(const eb_model* model, const eb_session_options* options);

/// Default options: max_seq 0 (model's), threads 1, automatic kernel set.
EB_API eb_session_options eb_session_options_default(void);

/// Places a session inside `arena` (any alignment; aligned internally). Fails with
/// EB_ERROR_ARENA_TOO_SMALL, saying how many bytes are missing, if `arena_bytes` is less than
/// eb_arena_size(). Allocates nothing. The session is valid until the arena is reused.
EB_API eb_status eb_session_init(eb_session** session, const eb_model* model,
                                 const eb_session_options* options, void* arena, size_t arena_bytes,
                                 eb_error* error);

/// One sequence of token ids, right-padded or not.
typedef struct eb_input {
  const int32_t* input_ids;       ///< (num_tokens) in [0, vocab_size)
  const int32_t* token_type_ids;  ///< (num_tokens) in [0, type_vocab_size), or NULL for all 0
  const int32_t* attention_mask;  ///< (num_tokens) 1 = attend, 0 = padding, or NULL for all 1
  size_t num_tokens;              ///< 1 .. session max_seq
} eb_input;

/// Runs the encoder and the task head on `input`. Allocates nothing. On error the outputs are
/// unspecified.
EB_API eb_status eb_session_run(eb_session* session, const eb_input* input, eb_error* error);

typedef enum eb_output {
  EB_OUTPUT_LAST_HIDDEN = 0,    ///< (num_tokens, hidden), row-major
  EB_OUTPUT_POOLED = 1,         ///< (hidden) tanh(dense(h[CLS])); needs a pooler
  EB_OUTPUT_LOGITS = 2,         ///< (num_labels); classification only
  EB_OUTPUT_PROBABILITIES = 3,  ///< (num_labels) softmax of the logits
  EB_OUTPUT_EMBEDDING = 4,      ///< (hidden) sentence embedding with the model's pooling
} eb_output;

/// Pointer to an output of the last successful run (inside the arena, valid until the next run),
/// and its element count in `count` (may be NULL). NULL if the model has no such output or nothing
/// has run yet.
EB_API const float* eb_session_output(const eb_session* session, eb_output which, size_t* count);

/// Index of the most probable label of the last run, or -1 if not a classifier / nothing ran.
EB_API int32_t eb_session_label(const eb_session* session);

/// What runs the model: the kernel set's name for int8 models ("avx2", "avx512vnni",
/// "reference", ...), "fp32-reference" for fp32 models.
EB_API const char* eb_session_kernels(const eb_session* session);

/// The provider a session runs with: "native" or "xnnpack".
EB_API const char* eb_session_provider(const eb_session* session);

/* ---- Text input (models with a tokenizer) -------------------------------------------------
 *
 * Tokenization is Hugging Face BertTokenizerFast's (tokenizers 0.19), driven by the vocabulary,
 * options and Unicode tables stored in the model: clean text, CJK split, accent stripping and
 * lowercasing as the model says, punctuation split, greedy WordPiece, [UNK] for words over
 * max_input_chars_per_word code points. Inputs become [CLS] text [SEP] (text_b [SEP]), truncated
 * longest-first to the session's max_seq (ties shorten text_b); text beyond that is not even read.
 * Text is UTF-8 of the given byte length (NUL bytes are ordinary, dropped characters); invalid
 * UTF-8 is decoded as Python's errors="replace" does (each maximal ill-formed subpart -> U+FFFD)
 * and U+FFFD is dropped like other clean-text removals, so it never splits a word. Nothing here
 * allocates.
 */

/// Tokenizes `text` (and the pair text `text_b` if not NULL) into the session's encoding.
/// Needs max_seq >= 2 (>= 3 for pairs). EB_ERROR_UNSUPPORTED if the model has no tokenizer.
EB_API eb_status eb_session_tokenize(eb_session* session, const char* text, size_t text_bytes,
                                     const char* text_b, size_t text_b_bytes, eb_error* error);

/// The last tokenization, valid until the next tokenize / run_text call (count 0 if none).
typedef struct eb_tokens {
  const int32_t* ids;             ///< (count)
  const int32_t* token_type_ids;  ///< (count) 0 for [CLS] text [SEP], 1 for text_b [SEP]
  const int32_t* attention_mask;  ///< (count) all 1
  const uint32_t* offsets;        ///< (count, 2) byte [begin, end) in its text; specials 0, 0
  const int8_t* sequence;         ///< (count) 0 = text, 1 = text_b, -1 = special token
  size_t count;
} eb_tokens;
EB_API void eb_session_tokens(const eb_session* session, eb_tokens* tokens);

/// eb_session_tokenize, then eb_session_run on the result; outputs as after eb_session_run.
EB_API eb_status eb_session_run_text(eb_session* session, const char* text, size_t text_bytes,
                                     const char* text_b, size_t text_b_bytes, eb_error* error);

typedef struct eb_classification {
  int32_t label;               ///< index of the most probable label
  const char* label_name;      ///< its name, from the model
  const float* probabilities;  ///< (num_labels), inside the arena, valid until the next run
  size_t num_labels;
} eb_classification;

/// Classifies a text (or text pair). EB_ERROR_UNSUPPORTED unless the model is a classifier.
EB_API eb_status eb_session_classify_text(eb_session* session, const char* text, size_t text_bytes,
                                          const char* text_b, size_t text_b_bytes,
                                          eb_classification* result, eb_error* error);

/// Sentence embedding of a text with the model's pooling; `*embedding` points into the arena.
EB_API eb_status eb_session_embed_text(eb_session* session, const char* text, size_t text_bytes,
                                       const float** embedding, size_t* dimension, eb_error* error);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // EDGEBERT_EDGEBERT_H_
