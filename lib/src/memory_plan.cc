#include "memory_plan.h"

#include "error.h"

namespace edgebert {
namespace {

uint64_t round_up(uint64_t bytes) { return (bytes + kPlanAlignment - 1) / kPlanAlignment * kPlanAlignment; }

bool lifetimes_intersect(const BufferSpec& a, const BufferSpec& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

bool bytes_overlap(uint64_t a_offset, uint64_t a_size, uint64_t b_offset, uint64_t b_size) {
  return a_offset < b_offset + b_size && b_offset < a_offset + a_size;
}

}  // namespace

uint64_t MemoryPlan::offset_of(fb::ArenaBuffer buffer) const {
  for (size_t i = 0; i < count; ++i) {
    if (buffers[i].buffer == buffer) return offsets[i];
  }
  return UINT64_MAX;
}

void BufferRequests::request(fb::ArenaBuffer buffer, uint64_t bytes, uint32_t first_step,
                             uint32_t last_step) {
  if (bytes == 0) return;
  for (size_t i = 0; i < count; ++i) {
    if (specs[i].buffer == buffer) {  // shared by two users: the same lifetime, the larger size
      if (bytes > specs[i].size) specs[i].size = bytes;
      return;
    }
  }
  if (count < kMaxPlanBuffers) specs[count++] = BufferSpec{buffer, bytes, first_step, last_step};
}

size_t BufferRequests::finish(BufferSpec* out) const {
  size_t n = 0;
  // ArenaBuffer order: stored plans list their buffers so, and compare one by one.
  for (uint32_t kind = 0; kind <= static_cast<uint32_t>(fb::ArenaBuffer::MAX); ++kind) {
    for (size_t i = 0; i < count; ++i) {
      if (static_cast<uint32_t>(specs[i].buffer) != kind) continue;
      out[n] = specs[i];
      out[n].size = round_up(specs[i].size);
      ++n;
    }
  }
  return n;
}

uint64_t plan_lower_bound(const BufferSpec* buffers, size_t count) {
  uint64_t bound = 0;
  for (uint32_t step = 0; step <= kLastStep; ++step) {
    uint64_t live = 0;
    for (size_t i = 0; i < count; ++i) {
      if (buffers[i].first_step <= step && step <= buffers[i].last_step) live += buffers[i].size;
    }
    if (live > bound) bound = live;
  }
  return bound;
}

void plan_greedy(MemoryPlan* plan) {
  const size_t n = plan->count;
  // 2. Placement order: largest first, then earlier first step, then kind (insertion sort, n small).
  size_t order[kMaxPlanBuffers];
  for (size_t i = 0; i < n; ++i) order[i] = i;
  auto before = [plan](size_t a, size_t b) {
    const BufferSpec &x = plan->buffers[a], &y = plan->buffers[b];
    if (x.size != y.size) return x.size > y.size;
    if (x.first_step != y.first_step) return x.first_step < y.first_step;
    return x.buffer < y.buffer;
  };
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = i; j > 0 && before(order[j], order[j - 1]); --j) {
      const size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  }
  bool placed[kMaxPlanBuffers] = {};
  plan->head_bytes = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    const BufferSpec& b = plan->buffers[i];
    // 3-4. Lowest offset that overlaps no placed buffer live at the same time: try 0 and the end
    // of every such buffer, keep the smallest candidate that fits.
    uint64_t best = UINT64_MAX;
    for (size_t c = 0; c <= n; ++c) {
      uint64_t candidate;
      if (c == n) {
        candidate = 0;
      } else if (placed[c] && lifetimes_intersect(b, plan->buffers[c])) {
        candidate = plan->offsets[c] + plan->buffers[c].size;
      } else {
        continue;
      }
      if (candidate >= best) continue;
      bool fits = true;
      for (size_t o = 0; o < n && fits; ++o) {
        fits = !(placed[o] && lifetimes_intersect(b, plan->buffers[o]) &&
                 bytes_overlap(candidate, b.size, plan->offsets[o], plan->buffers[o].size));
      }
      if (fits) best = candidate;
    }
    plan->offsets[i] = best;
    placed[i] = true;
    // 5.
    if (best + b.size > plan->head_bytes) plan->head_bytes = best + b.size;
  }
  plan->lower_bound = plan_lower_bound(plan->buffers, n);
}

PlanCheck check_stored_plan(const fb::MemoryPlan* stored, uint32_t max_seq,
                            const BufferSpec* required, size_t count, MemoryPlan* plan,
                            eb_error* error) {
  const auto bad = [error](const char* what) {
    fail(error, EB_ERROR_INVALID_MODEL, "memory plan: %s", what);
    return PlanCheck::kCorrupt;
  };
  if (stored->threads() < 1) return bad("threads must be >= 1");
  const uint64_t head = stored->head_bytes();
  if (head > (uint64_t{1} << 40)) return bad("head_bytes too large");
  // A plan made for another length or by a converter with another buffer set does not apply
  // (this runtime plans for itself); only a matching plan is checked and used.
  if (stored->max_seq() != max_seq || count > kMaxPlanBuffers) return PlanCheck::kNotApplicable;
  const auto* buffers = stored->buffers();
  MemoryPlan p;
  p.count = count;
  for (size_t i = 0; i < count; ++i) p.buffers[i] = required[i];
  if (buffers == nullptr || buffers->size() != p.count) return PlanCheck::kNotApplicable;
  for (size_t i = 0; i < p.count; ++i) {
    const fb::PlannedBuffer* s = buffers->Get(static_cast<uint32_t>(i));
    const BufferSpec& need = p.buffers[i];
    if (s->buffer() != need.buffer || s->first_step() != need.first_step ||
        s->last_step() != need.last_step) {
      return PlanCheck::kNotApplicable;
    }
    if (s->size() < need.size || s->offset() % kPlanAlignment != 0 ||
        s->offset() > head || s->size() > head - s->offset()) {
      return bad("buffer too small, misaligned or outside head_bytes");
    }
    p.buffers[i].size = s->size();
    p.offsets[i] = s->offset();
  }
  for (size_t i = 0; i < p.count; ++i) {
    for (size_t j = i + 1; j < p.count; ++j) {
      if (lifetimes_intersect(p.buffers[i], p.buffers[j]) &&
          bytes_overlap(p.offsets[i], p.buffers[i].size, p.offsets[j], p.buffers[j].size)) {
        return bad("two live buffers overlap");
      }
    }
  }
  p.head_bytes = head;
  p.lower_bound = plan_lower_bound(p.buffers, p.count);
  if (plan != nullptr) *plan = p;
  return PlanCheck::kUsable;
}

}  // namespace edgebert
