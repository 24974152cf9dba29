// Peak probe for the AVX2 int8 path: independent vpmaddwd + vpaddd chains, the instruction pair
// the avx2 GEMM issues per 16 int8 multiply-adds. Compiled with -mavx2 only in this unit.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace edgebert::bench {

// Runs `iterations` x 12 independent madd+add pairs; returns a value to keep the work alive.
// Each vpmaddwd on ymm is 16 multiply-adds = 32 int8 ops.
int64_t peak_probe_avx2(size_t iterations) {
  __m256i acc[12];
  const __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(5);
  for (auto& x : acc) x = _mm256_setzero_si256();
  for (size_t i = 0; i < iterations; ++i) {
    for (auto& x : acc) x = _mm256_add_epi32(x, _mm256_madd_epi16(a, b));
    __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]),
                     "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]),
                     "+x"(acc[10]), "+x"(acc[11]));
  }
  __m256i sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_epi32(sum, acc[i]);
  return _mm256_extract_epi32(sum, 0);
}

}  // namespace edgebert::bench
