// The static memory planner of the arena's head: given the buffers a forward pass needs and
// when each is live, where each goes. It knows no op: the graph, the tokenizer and each executor
// declare their buffers (BufferRequests; session_plan.h gathers them). Shared by the converter
// (which stores a plan in the model) and the runtime (which re-checks a stored plan at load, and
// plans sessions for other lengths itself, without heap).
//
// Step timeline of one inference (buffers of the encoder layers are reused by every layer, so
// one layer's steps stand for all of them; only Hidden and Encoding cross layers):
//   0 tokenize            Encoding, TokenizerScratch
//   1 embeddings          Encoding -> Hidden
//   2 Q, K, V dense       Hidden -> Query, Key, Value
//   3 attention           Query, Key, Value, Scores -> Context
//   4 output dense + LN   Context, Hidden -> Attention
//   5 FFN dense + GELU    Attention -> Ffn
//   6 FFN out + LN        Ffn, Attention -> Hidden
//   7 heads               Hidden -> Pooled, Embedding, Logits, Probabilities
//   2-7 (int8 models)     QuantizedInput, InputScales, InputSums: each dense layer's input
//   3   (int8 models)     AttentionWorkspace: keys transposed + values packed (+ the scores
//                         of a block of query rows), per attention task
//   8 after the run       outputs stay readable: Encoding, Hidden, Pooled, Embedding, Logits,
//                         Probabilities
// Two buffers may share bytes only if their [first, last] step ranges are disjoint.
//
// Greedy placement (TFLite Micro's GreedyMemoryPlanner):
//   1. Round every size up to kPlanAlignment (64 B: a cache line, the widest SIMD load).
//   2. Order buffers by size, largest first (ties: earlier first step, then buffer kind).
//   3. For each buffer in that order, collect the already placed buffers whose lifetimes
//      intersect its own, sorted by offset.
//   4. Walk that list from offset 0 and take the first gap that fits the buffer.
//   5. The head size is the largest end offset.
// The lower bound is the most bytes live at any one step; a plan equal to it is optimal.
#ifndef EDGEBERT_SRC_MEMORY_PLAN_H_
#define EDGEBERT_SRC_MEMORY_PLAN_H_

#include <cstddef>
#include <cstdint>

#include "edgebert/edgebert.h"
#include "edgebert_generated.h"

namespace edgebert {

constexpr uint64_t kPlanAlignment = 64;
// One spec per buffer kind at most (requests of a kind merge), so a plan never drops one.
constexpr size_t kMaxPlanBuffers = static_cast<size_t>(fb::ArenaBuffer::MAX) + 1;

// The steps of the timeline above.
enum PlanStep : uint32_t {
  kStepTokenize = 0,
  kStepEmbeddings = 1,
  kStepQkv = 2,
  kStepAttention = 3,
  kStepAttentionOutput = 4,
  kStepIntermediate = 5,
  kStepOutput = 6,
  kStepHeads = 7,
  kLastStep = 8,  // after the run: outputs stay readable
};

struct BufferSpec {
  fb::ArenaBuffer buffer;
  uint64_t size;  // bytes, a multiple of kPlanAlignment
  uint32_t first_step, last_step;
};

// The buffers a forward pass needs, as their users declare them (TFLite Micro's
// RequestScratchBufferInArena): request() a buffer of some bytes live over [first, last]; a
// buffer requested twice (two executors sharing it) gets the larger size; 0 bytes is no buffer.
struct BufferRequests {
  size_t count = 0;
  BufferSpec specs[kMaxPlanBuffers];

  void request(fb::ArenaBuffer buffer, uint64_t bytes, uint32_t first_step, uint32_t last_step);
  // The specs in ArenaBuffer order with sizes rounded up to kPlanAlignment; returns the count.
  size_t finish(BufferSpec* out) const;
};

struct MemoryPlan {
  size_t count = 0;
  BufferSpec buffers[kMaxPlanBuffers];
  uint64_t offsets[kMaxPlanBuffers];
  uint64_t head_bytes = 0;
  uint64_t lower_bound = 0;

  // Offset of `buffer`, or UINT64_MAX when the plan has no such buffer.
  uint64_t offset_of(fb::ArenaBuffer buffer) const;
};

// Greedy placement of plan->buffers[0, count) (see above); fills offsets, head_bytes and
// lower_bound.
void plan_greedy(MemoryPlan* plan);

// The most bytes simultaneously live at any step.
uint64_t plan_lower_bound(const BufferSpec* buffers, size_t count);

enum class PlanCheck {
  kUsable,         // matches what the model needs and is sound
  kNotApplicable,  // made for another max_seq or buffer set (another converter version): ignored
  kCorrupt,        // matches but is unsound (overlap, out of bounds, too small): refuse the model
};

// Checks a stored plan made for `max_seq` against `required` (count buffers, in ArenaBuffer
// order, for that max_seq and the stored plan's threads): the same buffers with the same
// lifetimes, then sizes large enough, aligned, inside head_bytes, no two live buffers
// overlapping. Fills `plan` (if not null) when usable; writes `error` when corrupt.
PlanCheck check_stored_plan(const fb::MemoryPlan* stored, uint32_t max_seq,
                            const BufferSpec* required, size_t count, MemoryPlan* plan,
                            eb_error* error);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_MEMORY_PLAN_H_
