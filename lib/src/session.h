// Session: one inference context placed inside the caller's arena.
//
// Arena layout (one caller buffer of eb_arena_size() bytes, any alignment):
//
//   arena ─► | pad <64 B | head: activations, planned for max_seq rows        | tail: persistent  |
//            |           | hidden | query | key | value | context | attention | eb_session        |
//            |           | ffn | scores | pooled | embedding | logits | probs | LayerWeights[L]   |
//            |           | tokenizer scratch | encoding (text models only)  |                   |
//
// Every block starts on a 64-byte boundary (cache line, widest SIMD load). The head is what the
// converter's planner will later share between buffers with disjoint lifetimes; for the fp32
// reference path every buffer simply has its own block. Runs at S < max_seq use the same blocks.
#ifndef EDGEBERT_SRC_SESSION_H_
#define EDGEBERT_SRC_SESSION_H_

#include <cstddef>
#include <cstdint>

#include "model.h"
#include "reference/bert_fp32.h"
#include "tokenizer/tokenizer.h"

namespace edgebert {

constexpr size_t kArenaAlignment = 64;

// Byte offsets of every block relative to the aligned arena base, and the total to request.
struct ArenaPlan {
  size_t hidden, query, key, value, context, attention, ffn, scores;  // head: activations
  size_t pooled, embedding, logits, probabilities;                    // head: outputs
  size_t tokenizer_scratch, encoding;  // head: text input (0 bytes without a tokenizer)
  size_t head_bytes;
  size_t session, layers;  // tail: persistent
  size_t total_bytes;      // includes kArenaAlignment - 1 bytes of slack for any arena alignment
};

ArenaPlan plan_arena(const ModelView& model, uint32_t max_seq);

}  // namespace edgebert

// The C handle. Lives in the arena tail; all pointers point into the same arena or the model bytes.
struct eb_session {
  const edgebert::ModelView* model;
  edgebert::ModelWeights weights;
  edgebert::reference::Buffers buffers;
  float* pooled;         // (H) or nullptr without pooler
  float* embedding;      // (H)
  float* logits;         // (num_labels) or nullptr
  float* probabilities;  // (num_labels) or nullptr
  uint32_t max_seq;
  uint32_t threads;
  size_t last_tokens;    // tokens of the last successful run, 0 before any
  int32_t last_label;
  bool has_tokenizer;
  edgebert::TokenizerTables tokenizer;
  edgebert::TokenizerScratch tokenizer_scratch;
  edgebert::Encoding encoding;  // last tokenization; count 0 before any
};

#endif  // EDGEBERT_SRC_SESSION_H_
