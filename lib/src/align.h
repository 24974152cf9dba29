// Rounding sizes and offsets up to an alignment (the session's arena layout, the XNNPACK region,
// the int8 attention's workspace). The memory planner keeps its own 64-bit version: plan sizes
// are uint64_t even where size_t is 32 bits.
#ifndef EDGEBERT_SRC_ALIGN_H_
#define EDGEBERT_SRC_ALIGN_H_

#include <cstddef>

namespace edgebert {

// The smallest multiple of `alignment` (> 0) that is >= value.
constexpr size_t align_up(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_ALIGN_H_
