// Quantization-aware training's fake quantization (trainer/layers.h) against what it imitates:
// the weights `quantize` writes (converter/quantize.cc) and the activations the runtime's
// kernels quantize (the reference set's f32_qd8_quantize_rows, which every set matches bit for
// bit): the same values, q x scale, to the bit; including zero rows, exact halves and clamping.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "quantize.h"
#include "trainer/layers.h"

namespace edgebert {
namespace {

// Rows of random values, a zero row, and a row of exact halves (q ties: half to even).
std::vector<float> test_rows(size_t rows, size_t cols) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.7f);
  std::vector<float> x(rows * cols);
  for (float& v : x) v = dist(rng);
  for (size_t c = 0; c < cols; ++c) x[1 * cols + c] = 0.0f;
  for (size_t c = 0; c < cols; ++c) x[2 * cols + c] = (static_cast<float>(c % 9) - 4.0f) * 0.5f;
  x[2 * cols] = 127.0f;  // max: scale 1, so q = x and the halves are ties
  return x;
}

TEST_CASE("Fake quantization: weights are the values `quantize` writes") {
  const size_t rows = 6, cols = 37;
  const std::vector<float> w = test_rows(rows, cols);
  std::vector<int8_t> q(rows * cols);
  std::vector<float> scales(rows);
  convert::quantize_rows_symmetric(w.data(), rows, cols, 127, q.data(), scales.data());
  std::vector<float> fake(rows * cols);
  train::fake_quantize_weight_rows(fake.data(), w.data(), rows, cols);
  for (size_t i = 0; i < rows * cols; ++i) {
    INFO("element " << i);
    CHECK(fake[i] == static_cast<float>(q[i]) * scales[i / cols]);
  }
  // Row 2 holds (c % 9 - 4) / 2 after its max 127 (scale 1): halves round to even.
  CHECK(fake[2 * cols + 1] == -2.0f);  // -1.5 -> -2
  CHECK(fake[2 * cols + 3] == -0.0f);  // -0.5 -> -0
  CHECK(fake[2 * cols + 5] == 0.0f);   // 0.5 -> 0
  CHECK(fake[2 * cols + 7] == 2.0f);   // 1.5 -> 2
  // In place.
  std::vector<float> in_place = w;
  train::fake_quantize_weight_rows(in_place.data(), in_place.data(), rows, cols);
  CHECK(in_place == fake);
  // 7-bit dense weights (`quantize --weight-bits 7`): [-63, 63], scale max / 63.
  convert::quantize_rows_symmetric(w.data(), rows, cols, 63, q.data(), scales.data());
  std::vector<float> fake7(rows * cols);
  train::fake_quantize_weight_rows(fake7.data(), w.data(), rows, cols, 63);
  size_t differ_from_8bit = 0;
  for (size_t i = 0; i < rows * cols; ++i) {
    INFO("element " << i);
    CHECK(std::abs(static_cast<int>(q[i])) <= 63);
    CHECK(fake7[i] == static_cast<float>(q[i]) * scales[i / cols]);
    differ_from_8bit += fake7[i] != fake[i];
  }
  CHECK(differ_from_8bit > rows * cols / 2);
  // 4-bit dense weights (`quantize --weight-bits 4 --group-size 16`): (m q) x scale, m and q
  // as the quantizer chooses them.
  std::vector<uint8_t> m(rows * 3);
  convert::quantize_rows_int4(w.data(), rows, cols, 16, q.data(), m.data(), scales.data());
  std::vector<float> fake4(rows * cols);
  train::fake_quantize_weight_rows_int4(fake4.data(), w.data(), rows, cols, 16);
  size_t differ_from_7bit = 0;
  for (size_t i = 0; i < rows * cols; ++i) {
    INFO("element " << i);
    const size_t r = i / cols, c = i % cols;
    CHECK(fake4[i] == static_cast<float>(q[i] * m[r * 3 + c / 16]) * scales[r]);
    differ_from_7bit += fake4[i] != fake7[i];
  }
  CHECK(differ_from_7bit > rows * cols / 2);
  std::vector<float> in_place4 = w;
  train::fake_quantize_weight_rows_int4(in_place4.data(), in_place4.data(), rows, cols, 16);
  CHECK(in_place4 == fake4);
}

TEST_CASE("Fake quantization: activations are the values the kernels compute with") {
  const size_t rows = 6, cols = 37, ldq = 40;
  const std::vector<float> x = test_rows(rows, cols);
  const KernelSet* reference = select_kernels("reference");
  REQUIRE(reference != nullptr);
  std::vector<int8_t> q(rows * ldq);
  std::vector<float> scales(rows);
  std::vector<int32_t> sums(rows);
  reference->f32_qd8_quantize_rows(x.data(), rows, cols, cols, q.data(), ldq, scales.data(),
                                   sums.data());
  std::vector<float> fake(rows * cols);
  train::fake_quantize_activation_rows(fake.data(), x.data(), rows, cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      INFO("row " << r << " column " << c);
      CHECK(fake[r * cols + c] == static_cast<float>(q[r * ldq + c]) * scales[r]);
    }
  }
  for (size_t c = 0; c < cols; ++c) CHECK(fake[cols + c] == 0.0f);  // the zero row
}

}  // namespace
}  // namespace edgebert
