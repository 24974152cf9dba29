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
#define EB_SCHEMA_VERSION 6

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
  EB_TASK_CLASSIFICATION = 1,        ///< eb_session_classify_text, eb_session_score
  EB_TASK_EMBEDDING = 2,             ///< eb_session_embed_text
  EB_TASK_QUESTION_ANSWERING = 3,    ///< eb_session_answer
  EB_TASK_TOKEN_CLASSIFICATION = 4,  ///< eb_session_tag
  EB_TASK_MASKED_LM = 5,             ///< eb_session_fill_mask
} eb_task_kind;

/// What a classifier's outputs mean (Hugging Face config.problem_type). Probabilities follow
/// the text-classification pipeline: sigmoid per label for multi-label models and for models
/// with one output, softmax otherwise.
typedef enum eb_problem_type {
  EB_PROBLEM_SINGLE_LABEL = 0,  ///< one label is true
  EB_PROBLEM_MULTI_LABEL = 1,   ///< any number of labels may be true
  EB_PROBLEM_REGRESSION = 2,    ///< the logits are the answer (e.g. a cross-encoder's score)
} eb_problem_type;

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
  uint32_t num_labels;    ///< (token) classification only, else 0
  int has_pooler;         ///< pooled output available
  int has_tokenizer;      ///< text input available (eb_session_run_text and friends)
  eb_problem_type problem_type;  ///< classification only (else EB_PROBLEM_SINGLE_LABEL)
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

/// Name of label `index` of a (token) classifier, or NULL if out of range / not a classifier.
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
  /// since the caller started the run). NULL (default): off. The hook must not use the session,
  /// except to read attention maps at a layer's "attention" step (eb_session_attention; the
  /// session pointer can reach the hook through op_observer_user once eb_session_init returns).
  void (*op_observer)(void* user, const char* op, int32_t layer);
  void* op_observer_user;  ///< passed to op_observer
  eb_provider provider;    ///< EB_PROVIDER_AUTO (default), _NATIVE or _XNNPACK
  /// With threads > 1: a caller-owned pthreadpool_t (pthreadpool_create(threads)) that must
  /// outlive the session; runs allocate nothing. Ignored when threads <= 1.
  void* threadpool;
  /// Sequences one run may take (eb_session_run_batch, eb_session_score): the arena is planned
  /// for max_batch x max_seq rows. 0 = 1; at most 256.
  uint32_t max_batch;
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

/// Runs `count` (1 .. max_batch) sequences in one pass: their rows back to back through every
/// dense layer (no padding), attention per sequence, so each gets exactly the outputs it gets
/// alone (bit for bit, on every provider and kernel set) while the layers run on bigger
/// matrices. Outputs: LAST_HIDDEN and the token outputs are the sequences' rows back to back
/// (sum of num_tokens rows); POOLED, EMBEDDING, LOGITS and PROBABILITIES are (count, width);
/// eb_session_label is the first sequence's. Allocates nothing.
EB_API eb_status eb_session_run_batch(eb_session* session, const eb_input* inputs, size_t count,
                                      eb_error* error);

typedef enum eb_output {
  EB_OUTPUT_LAST_HIDDEN = 0,    ///< (num_tokens, hidden), row-major
  EB_OUTPUT_POOLED = 1,         ///< (hidden) tanh(dense(h[CLS])); needs a pooler
  EB_OUTPUT_LOGITS = 2,         ///< (num_labels); classification only
  EB_OUTPUT_PROBABILITIES = 3,  ///< (num_labels) of the logits by the problem type (softmax or
                                ///< sigmoid); token classification: (num_tokens, num_labels),
                                ///< softmax per token
  EB_OUTPUT_EMBEDDING = 4,      ///< (hidden) sentence embedding with the model's pooling
  EB_OUTPUT_TOKEN_LOGITS = 5,   ///< token classification: (num_tokens, num_labels); question
                                ///< answering: (num_tokens, 2), start and end logit per token
} eb_output;

/// Pointer to an output of the last successful run (inside the arena, valid until the next run),
/// and its element count in `count` (may be NULL). NULL if the model has no such output or nothing
/// has run yet.
EB_API const float* eb_session_output(const eb_session* session, eb_output which, size_t* count);

/// Index of the most probable label of the last run, or -1 if not a classifier / nothing ran.
EB_API int32_t eb_session_label(const eb_session* session);

/// Attention probabilities of one head, read by an op_observer hook while it is called for step
/// "attention" of a layer (the layer it is given): out[i * S + j] = how much token i of
/// sequence `sequence` of the run in progress (0 for eb_session_run and the text calls) attends
/// to its token j, S = that sequence's num_tokens: softmax(q_i . k_j / sqrt(head_dim) + mask)
/// over j, rows summing to 1, masked keys exactly 0; transformers' `output_attentions[layer]
/// [sequence, head]`. Recomputed on demand from the layer's queries and keys with double sums:
/// fp32 models match transformers to ~1e-7; for int8 models these are the probabilities of
/// the layer's dequantized Q and K (a kernel set that runs attention in int8 weights V by its
/// own rounding of them). `*tokens` (may be NULL) = S; out NULL: only that. Nothing is kept
/// for this: sessions that never call it pay nothing. Allocates nothing. Errors
/// (EB_ERROR_INVALID_ARGUMENT): called outside such a hook call, sequence or head out of range,
/// capacity < S * S.
EB_API eb_status eb_session_attention(const eb_session* session, size_t sequence, uint32_t head,
                                      float* out, size_t capacity, size_t* tokens,
                                      eb_error* error);

/// Masked LM: how many tokens of the last run were the mask token (0 if none / not a masked LM).
EB_API size_t eb_session_mask_count(const eb_session* session);

/// Masked LM: the vocabulary logits (vocab_size, into `count`) of masked token `index` (in
/// input order) of the last run, computed by this call (the decoder, tied to the word
/// embeddings, runs only on demand); inside the arena, valid until the next run or call.
/// NULL if index >= eb_session_mask_count() or the model is not a masked LM. Allocates nothing.
EB_API const float* eb_session_mask_logits(eb_session* session, size_t index, size_t* count);

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
/// Needs max_seq >= 2 (>= 3 for pairs, 4 for a BPE model's). EB_ERROR_UNSUPPORTED if the model has no tokenizer.
EB_API eb_status eb_session_tokenize(eb_session* session, const char* text, size_t text_bytes,
                                     const char* text_b, size_t text_b_bytes, eb_error* error);

/// The last tokenization, valid until the next tokenize / run_text call (count 0 if none).
typedef struct eb_tokens {
  const int32_t* ids;             ///< (count)
  const int32_t* token_type_ids;  ///< (count) 0 for [CLS] text [SEP], 1 for text_b [SEP] (0 for
                                  ///< a model with one token type: DistilBERT, RoBERTa)
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

/// Long texts, opt-in: the whole text read in windows of max_seq - 2 tokens ([CLS] part [SEP]),
/// consecutive windows sharing `stride` tokens (< max_seq - 2), each run on its own (max_batch
/// windows per run); a text that fits is one window, exactly as eb_session_classify_text /
/// eb_session_embed_text. `*windows` (may be NULL) says how many were read.
/// Classify: the mean of the windows' logits, then probabilities and label from that mean
/// (result->probabilities points at it, in the arena until the next call).
EB_API eb_status eb_session_classify_long(eb_session* session, const char* text,
                                          size_t text_bytes, uint32_t stride,
                                          eb_classification* result, size_t* windows,
                                          eb_error* error);
/// Embed: the mean of the windows' embeddings, L2-normalized again when the model normalizes.
EB_API eb_status eb_session_embed_long(eb_session* session, const char* text, size_t text_bytes,
                                       uint32_t stride, const float** embedding,
                                       size_t* dimension, size_t* windows, eb_error* error);

/* ---- Tasks (models with a tokenizer) ---------------------------------------------------------
 *
 * Each call tokenizes, runs and decodes as the Hugging Face pipeline of its task does
 * (transformers 4.40): question-answering, token-classification (ner), fill-mask, and
 * text-classification for cross-encoder scores. Results go to caller-owned arrays: `capacity`
 * entries at `out`; `*count` says how many results there are, of which the first
 * min(count, capacity) are written. Offsets are byte spans [start, end) of the caller's text.
 * Nothing here allocates.
 */

/// Question answering (EB_TASK_QUESTION_ANSWERING): as the question-answering pipeline.
typedef struct eb_answer_options {
  uint32_t top_k;           ///< answers wanted, >= 1 (default 1)
  uint32_t max_answer_len;  ///< longest answer in tokens, >= 1 (default 15)
  /// Tokens shared by consecutive windows of a context longer than one window (the window is
  /// the session's max_seq: [CLS] question [SEP] context part [SEP]). Default
  /// EB_DOC_STRIDE_AUTO: min(max_seq / 2, 128), the pipeline's. Must leave the window room to
  /// move: stride < max_seq - 3 - question tokens.
  uint32_t doc_stride;
  int handle_impossible_answer;  ///< 1: rank the empty answer too (SQuAD 2.0 models); default 0
  int align_to_words;            ///< 1 (default): widen a span to the whole words it touches
} eb_answer_options;
#define EB_DOC_STRIDE_AUTO UINT32_MAX
EB_API eb_answer_options eb_answer_options_default(void);

typedef struct eb_answer {
  float score;         ///< p(start) x p(end) of its window; the empty answer: min over windows
                       ///< of p(start = [CLS]) x p(end = [CLS])
  uint32_t start, end;  ///< bytes of the context; the empty answer is 0, 0
} eb_answer;

/// The best answers to `question` in `context`, best first (ties in the order found, window
/// by window). Windows: the context's tokens in steps of (room - doc_stride), room being what
/// the question leaves of max_seq; each window scored on its own, as the pipeline does (the
/// same span found in two windows is listed twice). Empty question or context:
/// EB_ERROR_INVALID_INPUT; a question too long for a window: EB_ERROR_INVALID_INPUT.
EB_API eb_status eb_session_answer(eb_session* session, const char* question,
                                   size_t question_bytes, const char* context,
                                   size_t context_bytes, const eb_answer_options* options,
                                   eb_answer* answers, size_t capacity, size_t* count,
                                   eb_error* error);

/// Token classification (EB_TASK_TOKEN_CLASSIFICATION): as the token-classification pipeline's
/// aggregation strategies. Words as the pipeline forms them (its is_subword rule): a token
/// continues the word before it when its piece and its text differ in length in code points
/// (the "##" of a continuation piece; also a piece whose text lowercasing or accent stripping
/// changed in length); [UNK] never continues a word.
typedef enum eb_aggregation {
  EB_AGGREGATION_NONE = 0,     ///< one entity per token, its argmax label
  EB_AGGREGATION_SIMPLE = 1,   ///< per token, then neighbours grouped (B-/I- rules)
  EB_AGGREGATION_FIRST = 2,    ///< per word: its first token's label, then grouped
  EB_AGGREGATION_AVERAGE = 3,  ///< per word: the argmax of its tokens' mean scores, then grouped
  EB_AGGREGATION_MAX = 4,      ///< per word: the label of its most confident token, then grouped
} eb_aggregation;

typedef struct eb_tag_options {
  eb_aggregation aggregation;  ///< default EB_AGGREGATION_NONE (the pipeline's default)
  /// Entities with this label (NONE) or group (others) are left out; default "O". NULL keeps
  /// every entity.
  const char* ignore_label;
} eb_tag_options;
EB_API eb_tag_options eb_tag_options_default(void);

typedef struct eb_entity {
  /// NONE: the token's label ("B-PER"); other strategies: the group, the label without its
  /// "B-" / "I-" prefix (the text after the first '-': "PER"). Points into the model.
  const char* label;
  int32_t label_index;  ///< index of the (first token's / word's) label
  float score;          ///< NONE / SIMPLE: the token's; words: by the strategy; groups: the mean
  uint32_t start, end;  ///< bytes of the text
  uint32_t first_token;  ///< index of its first token in eb_session_tokens()
  uint32_t tokens;       ///< tokens it spans
} eb_entity;

/// Tags `text` (truncated to max_seq - 2 tokens, as the pipeline truncates to the model's
/// length): entities in text order.
EB_API eb_status eb_session_tag(eb_session* session, const char* text, size_t text_bytes,
                                const eb_tag_options* options, eb_entity* entities,
                                size_t capacity, size_t* count, eb_error* error);

/// Fill-mask (EB_TASK_MASKED_LM): for each mask token of `text` (the vocabulary's "[MASK]",
/// typed as such), the top_k tokens by probability (softmax over the vocabulary), best first.
typedef struct eb_token_score {
  int32_t token;      ///< vocabulary id (eb_model_token() gives its piece)
  float probability;
  uint32_t position;  ///< index of the mask token in eb_session_tokens()
} eb_token_score;

/// `out` receives masks x top_k entries, mask by mask; `*count` = that product. No mask token
/// within the first max_seq - 2 tokens: EB_ERROR_INVALID_INPUT. top_k in [1, vocab_size].
EB_API eb_status eb_session_fill_mask(eb_session* session, const char* text, size_t text_bytes,
                                      uint32_t top_k, eb_token_score* out, size_t capacity,
                                      size_t* count, eb_error* error);

/// Cross-encoder scores (EB_TASK_CLASSIFICATION with one output, e.g. ms-marco rerankers):
/// [CLS] query [SEP] passage [SEP] per passage (truncated longest-first to max_seq), run
/// max_batch passages at a time (eb_session_run_batch: the same scores as one by one, faster).
/// logits[i] (may be NULL) = the raw output, probabilities[i] (may be NULL) = its sigmoid.
/// Models with more outputs: EB_ERROR_UNSUPPORTED (classify them with
/// eb_session_classify_text).
EB_API eb_status eb_session_score(eb_session* session, const char* query, size_t query_bytes,
                                  const char* const* passages, const size_t* passage_bytes,
                                  size_t count, float* logits, float* probabilities,
                                  eb_error* error);

/* ---- Names ------------------------------------------------------------------------------------
 *
 * The stable lower-case names of the enums: what the converter's options and JSON, and the
 * Python and Java bindings, call them. Static strings; "unknown" for a value out of range.
 */

/// "encoder", "classification", "embedding", "question_answering", "token_classification",
/// "masked_lm".
EB_API const char* eb_task_name(eb_task_kind task);
/// "single_label", "multi_label", "regression".
EB_API const char* eb_problem_type_name(eb_problem_type problem_type);
/// "auto", "native", "xnnpack".
EB_API const char* eb_provider_name(eb_provider provider);
/// "none", "simple", "first", "average", "max".
EB_API const char* eb_aggregation_name(eb_aggregation aggregation);
/// "last_hidden", "pooled", "logits", "probabilities", "embedding", "token_logits".
EB_API const char* eb_output_name(eb_output output);

/// The provider / aggregation / output called `name` (exactly one of the names above). Unknown
/// names: EB_ERROR_INVALID_ARGUMENT, the message listing the names.
EB_API eb_status eb_provider_from_name(const char* name, eb_provider* provider, eb_error* error);
EB_API eb_status eb_aggregation_from_name(const char* name, eb_aggregation* aggregation,
                                          eb_error* error);
EB_API eb_status eb_output_from_name(const char* name, eb_output* output, eb_error* error);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // EDGEBERT_EDGEBERT_H_
