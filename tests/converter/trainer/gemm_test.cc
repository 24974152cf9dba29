// The trainer GEMM against a double-precision naive product: all four transposition cases,
// shapes with tails in every dimension (M, N, K not multiples of the 6x16 tile or the 256 K slice),
// M = 1, beta 0 and 1, strided operands, every build the CPU runs (baseline, AVX2, AVX-512; the
// last two bit-identical), and one to several threads (results must be identical: each output
// has one summation order).
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "trainer/gemm.h"

namespace edgebert {
namespace train {
namespace {

struct Case {
  size_t M, N, K;
};

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void check_case(const Case& c, bool ta, bool tb, float beta, std::mt19937& rng) {
  const size_t pad = 3;  // row strides larger than the rows: lda/ldb/ldc are honoured
  const size_t a_rows = ta ? c.K : c.M, a_cols = ta ? c.M : c.K;
  const size_t b_rows = tb ? c.N : c.K, b_cols = tb ? c.K : c.N;
  const size_t lda = a_cols + pad, ldb = b_cols + pad, ldc = c.N + pad;
  const std::vector<float> A = random_floats(a_rows * lda, rng), B = random_floats(b_rows * ldb, rng);
  const std::vector<float> C0 = random_floats(c.M * ldc, rng);
  std::vector<float> C = C0;
  sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  double worst = 0;
  for (size_t i = 0; i < c.M; ++i) {
    for (size_t j = 0; j < c.N; ++j) {
      double ref = beta != 0.0f ? C0[i * ldc + j] : 0.0;
      double mag = std::fabs(ref);
      for (size_t k = 0; k < c.K; ++k) {
        const double a = ta ? A[k * lda + i] : A[i * lda + k];
        const double b = tb ? B[j * ldb + k] : B[k * ldb + j];
        ref += a * b;
        mag += std::fabs(a * b);
      }
      worst = std::max(worst, std::fabs(C[i * ldc + j] - ref) / (mag + 1e-30));
    }
    // padding columns untouched
    for (size_t j = c.N; j < ldc; ++j) REQUIRE(C[i * ldc + j] == C0[i * ldc + j]);
  }
  INFO("M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << ta << " tb=" << tb
            << " beta=" << beta << " kernels=" << sgemm_kernels());
  CHECK(worst < 1e-5);  // relative to the sum of |terms|: float rounding only
}

TEST_CASE("trainer sgemm matches a double product in every transposition case") {
  std::mt19937 rng(7);
  // Short op(A) (M <= 288: one row block per thread), tall op(A) (several 96-row blocks, the
  // last one ragged), K across 256-slices, and a K so deep that op(B) is packed in several
  // column blocks (N = 40 > 32 columns per block at K = 120000).
  const Case cases[] = {{1, 1, 1},     {1, 37, 300},  {7, 17, 5},    {6, 16, 256},
                        {13, 33, 257}, {50, 70, 513}, {97, 130, 64}, {200, 45, 31},
                        {301, 37, 300}, {3, 40, 120000}};
  for (const std::string& build : sgemm_builds()) {
    REQUIRE(sgemm_force(build.c_str()));
    for (const Case& c : cases) {
      for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
          for (float beta : {0.0f, 1.0f}) check_case(c, ta, tb, beta, rng);
        }
      }
    }
  }
  sgemm_force(nullptr);
}

TEST_CASE("trainer sgemm: the AVX-512 build gives the AVX2 build's bits") {
  const std::vector<std::string> builds = sgemm_builds();
  if (builds.front() != "avx512") {
    MESSAGE("this CPU has no AVX-512F: the AVX-512 build is not run here (builds: "
            << builds.front() << ")");
    return;
  }
  std::mt19937 rng(5);
  for (const Case& c : {Case{301, 37, 300}, Case{13, 33, 257}, Case{97, 130, 64}}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const std::vector<float> A = random_floats(c.M * c.K, rng), B = random_floats(c.N * c.K, rng);
        const std::vector<float> C0 = random_floats(c.M * c.N, rng);
        const size_t lda = ta ? c.M : c.K, ldb = tb ? c.K : c.N;
        std::vector<float> wide = C0, narrow = C0;
        REQUIRE(sgemm_force("avx512"));
        sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 1.0f, wide.data(), c.N);
        REQUIRE(sgemm_force("avx2"));
        sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 1.0f, narrow.data(), c.N);
        CAPTURE(c.M);
        CAPTURE(ta);
        CAPTURE(tb);
        CHECK(wide == narrow);
      }
    }
  }
  sgemm_force(nullptr);
  CHECK(!sgemm_force("no-such-build"));
  CHECK(std::string(sgemm_kernels()) == "avx512");
}

TEST_CASE("trainer sgemm gives identical results for any thread count") {
  std::mt19937 rng(11);
  const int saved = omp_get_max_threads();
  for (const Case& c : {Case{300, 200, 600}, Case{100, 130, 700}}) {  // tall and short op(A)
    const std::vector<float> A = random_floats(c.M * c.K, rng), B = random_floats(c.N * c.K, rng);
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        const size_t lda = ta ? c.M : c.K, ldb = tb ? c.K : c.N;
        std::vector<float> one(c.M * c.N), many(c.M * c.N);
        omp_set_num_threads(1);
        sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 0.0f, one.data(), c.N);
        omp_set_num_threads(4);
        sgemm(ta, tb, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 0.0f, many.data(), c.N);
        CAPTURE(c.M);
        CAPTURE(ta);
        CAPTURE(tb);
        CHECK(one == many);
      }
    }
  }
  omp_set_num_threads(saved);
}

TEST_CASE("trainer sgemm with K = 0 clears or keeps C") {
  std::vector<float> C(6, 5.0f);
  sgemm(false, false, 2, 3, 0, nullptr, 0, nullptr, 3, 1.0f, C.data(), 3);
  CHECK(C[0] == 5.0f);
  sgemm(false, false, 2, 3, 0, nullptr, 0, nullptr, 3, 0.0f, C.data(), 3);
  CHECK(C[5] == 0.0f);
}

}  // namespace
}  // namespace train
}  // namespace edgebert
