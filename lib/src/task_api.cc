// C API for the tasks: question answering, token classification, fill-mask, cross-encoder
// scores (see edgebert.h). Each decodes the model's outputs as the Hugging Face pipeline of its
// task does (transformers 4.40, pipelines/question_answering.py, token_classification.py,
// fill_mask.py, text_classification.py); the comments name the pipeline step each part mirrors.
// Nothing here allocates: windows, words and groups are walked in place, results go straight
// into the caller's arrays.
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "edgebert/edgebert.h"
#include "error.h"
#include "session.h"
#include "text_input.h"

using edgebert::fail;

namespace edgebert {
namespace {

eb_status check_task(const eb_session* s, fb::TaskKind task, const char* what, eb_error* error) {
  if (s == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (s->model->task != task) {
    return fail(error, EB_ERROR_UNSUPPORTED, "%s needs a %s model; this one is %s", what,
                fb::EnumNameTaskKind(task), fb::EnumNameTaskKind(s->model->task));
  }
  return EB_OK;
}

eb_status check_results(const void* out, size_t capacity, const size_t* count, eb_error* error) {
  if (count == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "count is NULL");
  if (out == nullptr && capacity > 0) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "results array is NULL but capacity is %zu",
                capacity);
  }
  return EB_OK;
}

// Runs the session on its current encoding.
eb_status run_encoding(eb_session* s, eb_error* error) {
  const eb_input input{s->encoding.ids, s->encoding.type_ids, nullptr, s->encoding.count};
  return eb_session_run(s, &input, error);
}

// x (n) <- softmax(x) in float, as numpy / torch compute the pipelines' probabilities.
void softmax_float(float* x, size_t n) {
  float max = x[0];
  for (size_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  float sum = 0.0f;
  for (size_t i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - max));
  for (size_t i = 0; i < n; ++i) x[i] /= sum;
}

// ---- question answering ----

// A best-first list of at most `capacity` answers; ties keep the order of insertion (the
// pipeline's stable sort of all windows' answers).
struct AnswerList {
  eb_answer* items;
  size_t capacity;
  size_t count = 0;  // stored
  size_t seen = 0;   // offered

  void offer(const eb_answer& a) {
    ++seen;
    size_t at = count;
    while (at > 0 && items[at - 1].score < a.score) --at;
    if (at >= capacity) return;
    const size_t keep = count < capacity ? count : capacity - 1;
    for (size_t i = keep; i > at; --i) items[i] = items[i - 1];
    items[at] = a;
    if (count < capacity) ++count;
  }
};

// Bytes of the context that the span of tokens [first, last] of the window covers, widened to
// whole words when asked (pipeline get_indices: token_to_word, then word_to_chars within this
// window's encoding; a special token has no word, and then both ends keep their offsets).
void answer_bytes(const eb_session* s, size_t first, size_t last, bool align, eb_answer* a) {
  const Encoding& e = s->encoding;
  if (align && e.sequence[first] == 1 && e.sequence[last] == 1) {
    while (first > 0 && e.sequence[first - 1] == 1 && !e.word_start[first]) --first;
    while (last + 1 < e.count && e.sequence[last + 1] == 1 && !e.word_start[last + 1]) ++last;
  }
  a->start = e.offsets[2 * first];
  a->end = e.offsets[2 * last + 1];
}

// One window's candidates (pipeline select_starts_ends + decode_spans): start and end logits of
// the tokens that may hold the answer (context tokens and [CLS]; the rest -10000), softmax each,
// the null score p_start([CLS]) p_end([CLS]), then [CLS] zeroed and every span start <= end <
// start + max_answer_len of allowed tokens offered with score p_start p_end.
void score_window(eb_session* s, const eb_answer_options& o, AnswerList* list,
                  float* min_null_score) {
  const Encoding& e = s->encoding;
  const size_t S = e.count;
  float* logits = s->buffers.token_logits;  // (S, 2) -> probabilities in place
  // The pipeline allows every token whose id is [CLS]; one typed in the question would give an
  // answer outside the context (Hugging Face returns nonsense offsets then), so the [CLS] that
  // starts the window and the context's own tokens (a typed [CLS] among them too).
  const auto allowed = [&](size_t i) { return e.sequence[i] == 1 || i == 0; };
  for (size_t column = 0; column < 2; ++column) {
    float max = -INFINITY;
    for (size_t i = 0; i < S; ++i) {
      float& x = logits[2 * i + column];
      if (!allowed(i)) x = -10000.0f;
      max = x > max ? x : max;
    }
    float sum = 0.0f;
    for (size_t i = 0; i < S; ++i) sum += (logits[2 * i + column] = std::exp(logits[2 * i + column] - max));
    for (size_t i = 0; i < S; ++i) logits[2 * i + column] /= sum;
  }
  if (o.handle_impossible_answer) {
    const float null_score = logits[0] * logits[1];
    if (null_score < *min_null_score) *min_null_score = null_score;
  }
  logits[0] = logits[1] = 0.0f;
  // decode_spans takes the top_k of all (start, end) pairs, then drops those with a token that
  // may not hold the answer: spans of score 0 (a [CLS] end, a masked token) only fill the list
  // when fewer than top_k spans score above 0, and then which of them it takes is unspecified
  // (argpartition); the one case it specifies is top_k 1 with no span above 0: argmax is
  // (0, 0), [CLS] to [CLS], an empty answer at offset 0.
  bool found = false;
  for (size_t start = 0; start < S; ++start) {
    if (!allowed(start)) continue;
    const size_t stop = start + o.max_answer_len < S ? start + o.max_answer_len : S;
    for (size_t end = start; end < stop; ++end) {
      if (!allowed(end)) continue;
      eb_answer a{logits[2 * start] * logits[2 * end + 1], 0, 0};
      if (!(a.score > 0.0f)) continue;
      found = true;
      if (list->count == list->capacity &&
          (list->capacity == 0 || !(a.score > list->items[list->capacity - 1].score))) {
        ++list->seen;  // cannot enter the list; only counted
        continue;
      }
      answer_bytes(s, start, end, o.align_to_words != 0, &a);
      list->offer(a);
    }
  }
  if (!found && o.top_k == 1) list->offer(eb_answer{0.0f, 0, 0});
}

// ---- token classification ----

size_t argmax(const float* x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) best = x[i] > x[best] ? i : best;
  return best;
}

// A token or word entity before grouping (pipeline aggregate / aggregate_word).
struct Entity {
  uint32_t label;
  float score;
  uint32_t start, end;
  uint32_t first_token, tokens;
};

// The B-/I- reading of a label (pipeline get_tag): "B-X" and "I-X" give X, anything else is
// an I- of itself.
struct Tag {
  bool begin;
  const char* name;
};
Tag tag_of(const char* label) {
  if ((label[0] == 'B' || label[0] == 'I') && label[1] == '-') return {label[0] == 'B', label + 2};
  return {false, label};
}

// Writes entities to the caller's array, counting all, and drops the ignored label.
struct EntitySink {
  eb_entity* out;
  size_t capacity;
  const char* ignore;
  size_t count = 0;

  void put(const char* label, uint32_t label_index, float score, uint32_t start, uint32_t end,
           uint32_t first_token, uint32_t tokens) {
    if (ignore != nullptr && std::strcmp(label, ignore) == 0) return;
    if (count < capacity) {
      out[count] = eb_entity{label, static_cast<int32_t>(label_index), score, start, end,
                             first_token, tokens};
    }
    ++count;
  }
};

// Groups adjacent entities of one tag (pipeline group_entities / group_sub_entities): an
// entity joins the group before it when their tags agree and it is not a B-; a group's label
// is its first entity's without the text up to the first '-', its score their mean.
struct Grouper {
  const eb_session* s;
  EntitySink* sink;
  bool open = false;
  Entity first{}, last{};
  float score_sum = 0.0f;
  uint32_t members = 0;

  const char* label(uint32_t index) const {
    return s->model->root->task()->labels()->Get(index)->c_str();
  }
  void close() {
    if (!open) return;
    const char* name = label(first.label);
    const char* group = name;  // the text after the first '-', or all of it
    for (const char* c = name; *c != '\0'; ++c) {
      if (*c == '-') {
        group = c + 1;
        break;
      }
    }
    sink->put(group, first.label, score_sum / members, first.start,
              last.end, first.first_token, last.first_token + last.tokens - first.first_token);
    open = false;
  }
  void add(const Entity& e) {
    if (open) {
      const Tag tag = tag_of(label(e.label)), previous = tag_of(label(last.label));
      if (tag.begin || std::strcmp(tag.name, previous.name) != 0) close();
    }
    if (!open) {
      open = true;
      first = e;
      score_sum = 0.0f;
      members = 0;
    }
    last = e;
    score_sum += e.score;
    ++members;
  }
};

}  // namespace
}  // namespace edgebert

using namespace edgebert;

extern "C" {

eb_answer_options eb_answer_options_default(void) {
  return eb_answer_options{1, 15, EB_DOC_STRIDE_AUTO, 0, 1};
}

eb_status eb_session_answer(eb_session* s, const char* question, size_t question_bytes,
                            const char* context, size_t context_bytes,
                            const eb_answer_options* options, eb_answer* answers, size_t capacity,
                            size_t* count, eb_error* error) {
  eb_status status = check_results(answers, capacity, count, error);
  if (status != EB_OK) return status;
  *count = 0;
  if ((status = check_task(s, fb::TaskKind::QuestionAnswering, "answer", error)) != EB_OK ||
      (status = check_text(s, question, question_bytes, context, context_bytes, error)) != EB_OK) {
    return status;
  }
  const eb_answer_options o = options != nullptr ? *options : eb_answer_options_default();
  if (o.top_k < 1 || o.max_answer_len < 1) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "top_k (%" PRIu32 ") and max_answer_len (%" PRIu32 ") must be >= 1", o.top_k,
                o.max_answer_len);
  }
  if (question_bytes == 0 || context_bytes == 0) {
    return fail(error, EB_ERROR_INVALID_INPUT, "the %s is empty",
                question_bytes == 0 ? "question" : "context");
  }
  const uint32_t max_seq = s->max_seq;
  const uint32_t stride = o.doc_stride == EB_DOC_STRIDE_AUTO
                              ? (max_seq / 2 < 128 ? max_seq / 2 : 128)
                              : o.doc_stride;
  if (stride > max_seq) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "doc_stride %" PRIu32 " is larger than max_seq %" PRIu32, stride, max_seq);
  }
  const TokenizerTables& t = s->tokenizer;
  const TokenizerScratch& scratch = s->tokenizer_scratch;
  const auto* q = reinterpret_cast<const uint8_t*>(question);
  const auto* c = reinterpret_cast<const uint8_t*>(context);
  // [CLS] question [SEP] context [SEP] (BPE: <s> q </s></s> c </s>), the context cut into windows (tokenizers' only_second
  // truncation with a stride: windows start every room - stride tokens until one reaches the end).
  const size_t n1 = tokenize_text(t, scratch, q, question_bytes, scratch.first, max_seq, true);
  const size_t n2 = tokenize_text(t, scratch, c, context_bytes, scratch.second, 0, true);
  s->observe("tokenize");
  size_t room = n2, step = n2 > 0 ? n2 : 1;
  const size_t specials = pair_special_tokens(t);
  if (n1 + n2 + specials > max_seq) {
    if (n1 + specials >= max_seq) {
      return fail(error, EB_ERROR_INVALID_INPUT,
                  "the question has %zu tokens, which leaves no "
                  "room for the context in max_seq %" PRIu32,
                  n1, max_seq);
    }
    room = max_seq - specials - n1;
    if (stride >= room) {
      return fail(error, EB_ERROR_INVALID_INPUT,
                  "doc_stride %" PRIu32
                  " must be less than the %zu context "
                  "tokens a window holds (max_seq %" PRIu32 " - %zu - %zu question tokens)",
                  stride, room, max_seq, specials, n1);
    }
    step = room - stride;
  }
  AnswerList list{answers, capacity < o.top_k ? capacity : o.top_k};
  float min_null_score = 1000000.0f;  // the pipeline's start value
  for (size_t begin = 0;; begin += step) {
    const size_t length = n2 - begin < room ? n2 - begin : room;
    // The scratch lives only while tokenizing (a run reuses its bytes): both parts again.
    tokenize_text(t, scratch, q, question_bytes, scratch.first, n1, false);
    tokenize_text(t, scratch, c, context_bytes, scratch.second, length, false, begin);
    assemble(t, scratch.first, n1, scratch.second, length, true, &s->encoding);
    if ((status = run_encoding(s, error)) != EB_OK) return status;
    score_window(s, o, &list, &min_null_score);
    if (begin + length >= n2) break;
  }
  if (o.handle_impossible_answer) list.offer(eb_answer{min_null_score, 0, 0});
  *count = list.seen < o.top_k ? list.seen : o.top_k;
  return ok(error);
}

eb_tag_options eb_tag_options_default(void) { return eb_tag_options{EB_AGGREGATION_NONE, "O"}; }

eb_status eb_session_tag(eb_session* s, const char* text, size_t text_bytes,
                         const eb_tag_options* options, eb_entity* entities, size_t capacity,
                         size_t* count, eb_error* error) {
  eb_status status = check_results(entities, capacity, count, error);
  if (status != EB_OK) return status;
  *count = 0;
  if ((status = check_task(s, fb::TaskKind::TokenClassification, "tag", error)) != EB_OK) {
    return status;
  }
  const eb_tag_options o = options != nullptr ? *options : eb_tag_options_default();
  // A C caller may store any value of the enum's width: read it as an integer of that width (in
  // C++ an enum load out of range is undefined). The width is the ABI's: int, or the smallest
  // that holds the values where enums are short (AAPCS bare metal, -fshort-enums).
  std::underlying_type_t<eb_aggregation> raw;
  static_assert(sizeof raw == sizeof o.aggregation, "eb_aggregation as stored");
  std::memcpy(&raw, &o.aggregation, sizeof raw);
  const int aggregation = static_cast<int>(raw);
  if (aggregation < EB_AGGREGATION_NONE || aggregation > EB_AGGREGATION_MAX) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "aggregation %d is unknown", aggregation);
  }
  if ((status = eb_session_run_text(s, text, text_bytes, nullptr, 0, error)) != EB_OK) {
    return status;
  }
  const Encoding& e = s->encoding;
  const TokenizerTables& t = s->tokenizer;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text);
  const size_t L = s->model->dims.num_labels;
  const float* probabilities = s->buffers.probabilities;  // (S, L), softmax per token
  EntitySink sink{entities, capacity, o.ignore_label};
  Grouper grouper{s, &sink};
  const auto label = [&](uint32_t index) { return grouper.label(index); };
  // pipeline gather_pre_entities: every token but the special ones the tokenizer added
  // (special_tokens_mask: "[MASK]" typed in the text is a token like any other), with is_subword =
  // len(piece) != len(its text) in code points for WordPiece (a tokenizer with a continuing
  // subword prefix); for byte-level BPE and Unigram (no such prefix) the pipeline's fallback:
  // the token starts after a character and neither that character nor its own first is a
  // space. Never for [UNK].
  const auto skipped = [&](size_t i) { return e.sequence[i] < 0; };
  const auto is_subword = [&](size_t i) {
    if (e.ids[i] == t.unk_id) return false;
    if (t.model != fb::TokenizerModel::WordPiece) {
      const uint32_t begin = e.offsets[2 * i];
      return begin > 0 && bytes[begin - 1] != ' ' && (begin >= text_bytes || bytes[begin] != ' ');
    }
    const flatbuffers::String* piece = t.vocab->Get(static_cast<uint32_t>(e.ids[i]));
    const uint32_t begin = e.offsets[2 * i], end = e.offsets[2 * i + 1];
    return utf8_code_points(piece->data(), piece->size()) != utf8_code_points(text + begin, end - begin);
  };
  const auto token_entity = [&](size_t i) {
    const float* p = probabilities + i * L;
    const auto best = static_cast<uint32_t>(argmax(p, L));
    return Entity{best, p[best], e.offsets[2 * i], e.offsets[2 * i + 1],
                  static_cast<uint32_t>(i), 1};
  };
  if (o.aggregation == EB_AGGREGATION_NONE || o.aggregation == EB_AGGREGATION_SIMPLE) {
    for (size_t i = 0; i < e.count; ++i) {
      if (skipped(i)) continue;
      const Entity entity = token_entity(i);
      if (o.aggregation == EB_AGGREGATION_NONE) {
        sink.put(label(entity.label), entity.label, entity.score, entity.start, entity.end,
                 entity.first_token, 1);
      } else {
        grouper.add(entity);
      }
    }
  } else {
    // pipeline aggregate_words: a word is a token that is no subword and the subwords after
    // it (special tokens in between are skipped, as the pipeline drops them first).
    const auto word_entity = [&](size_t first, size_t last) {
      Entity w{0, 0.0f, e.offsets[2 * first], e.offsets[2 * last + 1],
               static_cast<uint32_t>(first), static_cast<uint32_t>(last - first + 1)};
      if (o.aggregation == EB_AGGREGATION_FIRST) {
        const Entity head = token_entity(first);
        w.label = head.label, w.score = head.score;
      } else if (o.aggregation == EB_AGGREGATION_MAX) {
        float best = -1.0f;
        for (size_t i = first; i <= last; ++i) {
          if (skipped(i)) continue;
          const Entity token = token_entity(i);
          if (token.score > best) best = token.score, w.label = token.label, w.score = token.score;
        }
      } else {  // AVERAGE: argmax of the mean of the tokens' score vectors
        size_t n = 0;
        for (size_t i = first; i <= last; ++i) n += !skipped(i);
        float best = -1.0f;
        for (size_t l = 0; l < L; ++l) {
          float sum = 0.0f;
          for (size_t i = first; i <= last; ++i) {
            if (!skipped(i)) sum += probabilities[i * L + l];
          }
          const float mean = sum / static_cast<float>(n);
          if (mean > best) best = mean, w.label = static_cast<uint32_t>(l), w.score = mean;
        }
      }
      return w;
    };
    size_t first = SIZE_MAX, last = 0;
    for (size_t i = 0; i < e.count; ++i) {
      if (skipped(i)) continue;
      if (first != SIZE_MAX && !is_subword(i)) {
        grouper.add(word_entity(first, last));
        first = SIZE_MAX;
      }
      if (first == SIZE_MAX) first = i;
      last = i;
    }
    if (first != SIZE_MAX) grouper.add(word_entity(first, last));
  }
  grouper.close();
  *count = sink.count;
  return ok(error);
}

eb_status eb_session_fill_mask(eb_session* s, const char* text, size_t text_bytes, uint32_t top_k,
                               eb_token_score* out, size_t capacity, size_t* count,
                               eb_error* error) {
  eb_status status = check_results(out, capacity, count, error);
  if (status != EB_OK) return status;
  *count = 0;
  if ((status = check_task(s, fb::TaskKind::MaskedLM, "fill_mask", error)) != EB_OK) return status;
  const uint32_t V = s->model->dims.vocab_size;
  if (top_k < 1 || top_k > V) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "top_k %" PRIu32 " is outside [1, %" PRIu32 "]",
                top_k, V);
  }
  if ((status = eb_session_run_text(s, text, text_bytes, nullptr, 0, error)) != EB_OK) {
    return status;
  }
  const size_t masks = s->last_masks;
  if (masks == 0) {
    return fail(error, EB_ERROR_INVALID_INPUT, "no mask token (%s) in the first %" PRIu32 " tokens",
                eb_model_token(reinterpret_cast<const eb_model*>(s->model), s->model->mask_id),
                s->max_seq);
  }
  // pipeline postprocess: softmax over the vocabulary at each mask, then its top_k.
  for (size_t m = 0; m < masks && (m + 1) * top_k <= capacity; ++m) {
    float* p = const_cast<float*>(eb_session_mask_logits(s, m, nullptr));
    softmax_float(p, V);
    eb_token_score* best = out + m * top_k;
    const auto position = static_cast<uint32_t>(s->buffers.mlm_positions[m]);
    size_t kept = 0;
    for (uint32_t v = 0; v < V; ++v) {
      if (kept == top_k && !(p[v] > best[top_k - 1].probability)) continue;
      size_t at = kept < top_k ? kept++ : top_k - 1;
      while (at > 0 && best[at - 1].probability < p[v]) {
        best[at] = best[at - 1];
        --at;
      }
      best[at] = eb_token_score{static_cast<int32_t>(v), p[v], position};
    }
  }
  *count = masks * top_k;
  return ok(error);
}

eb_status eb_session_score(eb_session* s, const char* query, size_t query_bytes,
                           const char* const* passages, const size_t* passage_bytes, size_t count,
                           float* logits, float* probabilities, eb_error* error) {
  eb_status status = check_task(s, fb::TaskKind::Classification, "score", error);
  if (status != EB_OK) return status;
  if (s->model->dims.num_labels != 1) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "score needs a model with one output (a "
                "cross-encoder); this one has %" PRIu32 " labels: use eb_session_classify_text",
                s->model->dims.num_labels);
  }
  if (count > 0 && (passages == nullptr || passage_bytes == nullptr)) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "passages or passage_bytes is NULL");
  }
  for (size_t i = 0; i < count; ++i) {
    if (passages[i] == nullptr && passage_bytes[i] > 0) {
      return fail(error, EB_ERROR_INVALID_ARGUMENT, "passage %zu is NULL but its length is %zu", i,
                  passage_bytes[i]);
    }
  }
  // max_batch passages per run: each tokenized into its row of the batch encodings.
  static const char kEmpty[1] = {0};
  for (size_t first = 0; first < count; first += s->max_batch) {
    const size_t n = count - first < s->max_batch ? count - first : s->max_batch;
    for (size_t j = 0; j < n; ++j) {
      const size_t i = first + j;
      const char* passage = passages[i] != nullptr ? passages[i] : kEmpty;
      if ((status = eb_session_tokenize(s, query, query_bytes, passage, passage_bytes[i],
                                        error)) != EB_OK) {
        return status;
      }
      batch_slot(s, j);
    }
    if ((status = eb_session_run_batch(s, s->batch_inputs, n, error)) != EB_OK) return status;
    for (size_t j = 0; j < n; ++j) {
      if (logits != nullptr) logits[first + j] = s->buffers.logits[j];
      if (probabilities != nullptr) probabilities[first + j] = s->buffers.probabilities[j];
    }
  }
  return ok(error);
}

}  // extern "C"
