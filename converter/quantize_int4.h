// 4-bit weight quantization (K8N16I4's values, lib/src/kernels/packing.h), one row at a time:
// written once for `quantize --weight-bits 4` (float) and the trainer's fake quantization
// (float, and double in the gradient checks).
#ifndef EDGEBERT_CONVERTER_QUANTIZE_INT4_H_
#define EDGEBERT_CONVERTER_QUANTIZE_INT4_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "edgebert_internal/packing.h"

namespace edgebert::convert {

// One row of `cols` values: scale = max|row| / 105 (105 = 7 x 15: the row's largest value is
// reachable; 1 for an all-zero row), per group of `group` columns the multiplier m in [1, 15]
// with the least squared error (ties: the smaller m), q = round(x / (scale m)) clamped to
// [-8, 7]. q: cols values; multipliers: ceil(cols / group).
template <typename T>
void quantize_row_int4(const T* row, size_t cols, size_t group, int8_t* q, uint8_t* multipliers,
                       T* scale_out) {
  T amax = T(0);
  for (size_t c = 0; c < cols; ++c) amax = std::fmax(amax, std::fabs(row[c]));
  const T scale = amax > T(0) ? amax / static_cast<T>(kInt4Max * kInt4MaxMultiplier) : T(1);
  *scale_out = scale;
  const auto level = [](T x, T step) {
    return std::fmin(std::fmax(std::nearbyint(x / step), T(kInt4Min)), T(kInt4Max));
  };
  for (size_t begin = 0, g = 0; begin < cols; begin += group, ++g) {
    const size_t end = std::min(cols, begin + group);
    double best_error = INFINITY;
    int best = 1;
    for (int m = 1; m <= kInt4MaxMultiplier; ++m) {
      const T step = scale * static_cast<T>(m);
      double error = 0.0;
      for (size_t c = begin; c < end; ++c) {
        const double d =
            static_cast<double>(row[c]) - static_cast<double>(level(row[c], step) * step);
        error += d * d;
      }
      if (error < best_error) best_error = error, best = m;
    }
    multipliers[g] = static_cast<uint8_t>(best);
    const T step = scale * static_cast<T>(best);
    for (size_t c = begin; c < end; ++c) q[c] = static_cast<int8_t>(level(row[c], step));
  }
}

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_QUANTIZE_INT4_H_
