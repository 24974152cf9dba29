// Calibration for static int8 (`edgebert-convert quantize --per-tensor --calib DATA`): runs the
// fp32 model over labelled texts and records, for every dense layer, the range of its input and
// of its output before the epilogue (after bias, before GELU / residual add / tanh) — exactly the
// values XNNPACK's qs8 fully connected operator reads and writes.
#ifndef EDGEBERT_CONVERTER_CALIBRATE_H_
#define EDGEBERT_CONVERTER_CALIBRATE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "file_io.h"
#include "labelled_data.h"

namespace edgebert::convert {

struct ValueRange {
  float min = 0.0f, max = 0.0f;  // both include 0 (an affine int8 range must hold 0 exactly)
};

struct DenseRanges {
  ValueRange input, output;
};

struct Calibration {
  std::map<std::string, DenseRanges> dense;  // by weight tensor name, e.g. "pooler.dense.weight"
  size_t examples = 0, tokens = 0;
  double percentile = 100.0;
};

// Runs up to `max_examples` of `data` (evenly spaced over it) through the fp32 model `bytes` and
// returns the ranges: the central `percentile` % of each tensor's values (100: min to max; below,
// a second pass builds histograms and the rarest values at both ends are clipped — a few
// outliers would otherwise stretch the int8 step for all the rest). Throws on an int8 model, a
// model without tokenizer, or no data. progress: a progress bar on stderr (off inside training,
// whose own bar runs).
Calibration calibrate(const AlignedBytes& bytes, const std::vector<Example>& data,
                      size_t max_examples, double percentile = 100.0, bool progress = true);

// Affine int8 quantization of a range: x = (q - zero_point) * scale, q in [-128, 127].
struct AffineInt8 {
  float scale;
  int8_t zero_point;
};
AffineInt8 affine_int8(const ValueRange& range);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_CALIBRATE_H_
