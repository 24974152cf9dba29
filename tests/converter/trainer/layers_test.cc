// Finite-difference gradient checks, in double, of every trainer layer's backward pass.
// Each layer's output is reduced to a scalar loss L = sum(out * R) with a fixed random R, so
// dL/dout = R feeds the backward pass; each input and parameter gradient is compared with the
// central difference (L(x + e) - L(x - e)) / 2e, e = 1e-6. Required: relative error
// ||analytic - numeric|| / max(||analytic||, ||numeric||) <= 1e-6 per tensor.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "trainer/layers.h"
#include "trainer/ops.h"

namespace edgebert {
namespace train {
namespace {

using Vec = std::vector<double>;

Vec random_vec(size_t n, std::mt19937& rng, double scale = 1.0) {
  std::normal_distribution<double> dist(0.0, scale);
  Vec v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Relative error of `analytic` against central differences of loss() over every entry of x.
double gradient_error(Vec& x, const Vec& analytic, const std::function<double()>& loss) {
  const double e = 1e-6;
  double diff2 = 0, a2 = 0, n2 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + e;
    const double plus = loss();
    x[i] = saved - e;
    const double minus = loss();
    x[i] = saved;
    const double numeric = (plus - minus) / (2 * e);
    diff2 += (analytic[i] - numeric) * (analytic[i] - numeric);
    a2 += analytic[i] * analytic[i];
    n2 += numeric * numeric;
  }
  const double denom = std::sqrt(std::max(a2, n2));
  return denom == 0 ? 0 : std::sqrt(diff2) / denom;
}

void check(const std::string& name, Vec& x, const Vec& analytic,
           const std::function<double()>& loss) {
  const double error = gradient_error(x, analytic, loss);
  INFO(name << ": relative error " << error);
  CHECK(error <= 1e-6);
  CHECK(std::isfinite(error));
}

TEST_CASE("Trainer gradients: dense (input, weight, bias)") {
  std::mt19937 rng(1);
  const size_t N = 5, C = 7, OC = 6;
  Vec inp = random_vec(N * C, rng), w = random_vec(OC * C, rng), b = random_vec(OC, rng);
  const Vec r = random_vec(N * OC, rng);
  Vec out(N * OC);
  auto loss = [&] {
    dense_forward(out.data(), inp.data(), w.data(), b.data(), N, C, OC);
    return dot(out, r);
  };
  Vec dinp(N * C), dw(OC * C), db(OC);
  dense_backward(dinp.data(), dw.data(), db.data(), r.data(), inp.data(), w.data(), N, C, OC);
  check("dinp", inp, dinp, loss);
  check("dweight", w, dw, loss);
  check("dbias", b, db, loss);
}

TEST_CASE("Trainer gradients: layernorm (input, gamma, beta)") {
  std::mt19937 rng(2);
  const size_t N = 4, C = 9;
  Vec inp = random_vec(N * C, rng, 2.0), w = random_vec(C, rng), b = random_vec(C, rng);
  const Vec r = random_vec(N * C, rng);
  Vec out(N * C), mean(N), rstd(N);
  auto loss = [&] {
    layernorm_forward(out.data(), mean.data(), rstd.data(), inp.data(), w.data(), b.data(), N, C,
                      1e-12);
    return dot(out, r);
  };
  loss();
  Vec dinp(N * C), dw(C), db(C);
  layernorm_backward(dinp.data(), dw.data(), db.data(), r.data(), inp.data(), w.data(),
                     mean.data(), rstd.data(), N, C);
  check("dinp", inp, dinp, loss);
  check("dgamma", w, dw, loss);
  check("dbeta", b, db, loss);
}

TEST_CASE("Trainer gradients: GELU and tanh") {
  std::mt19937 rng(3);
  const size_t n = 40;
  Vec x = random_vec(n, rng, 2.0);
  const Vec r = random_vec(n, rng);
  Vec out(n);
  auto gelu_loss = [&] {
    gelu_forward(out.data(), x.data(), n);
    return dot(out, r);
  };
  Vec dx(n);
  gelu_backward(dx.data(), x.data(), r.data(), n);
  check("gelu", x, dx, gelu_loss);

  auto tanh_loss = [&] {
    tanh_forward(out.data(), x.data(), n);
    return dot(out, r);
  };
  tanh_loss();
  Vec dt(n);
  tanh_backward(dt.data(), out.data(), r.data(), n);
  check("tanh", x, dt, tanh_loss);
}

TEST_CASE("Trainer gradients: embeddings (word, position, token type)") {
  std::mt19937 rng(4);
  const size_t B = 2, T = 4, C = 5, V = 7, P = 6, TT = 2;
  const std::vector<int32_t> ids = {1, 3, 3, 0, 6, 2, 1, 5};  // repeated id: gradients add up
  const std::vector<int32_t> types = {0, 0, 1, 1, 0, 1, 1, 1};
  Vec wte = random_vec(V * C, rng), wpe = random_vec(P * C, rng), wtt = random_vec(TT * C, rng);
  const Vec r = random_vec(B * T * C, rng);
  Vec out(B * T * C);
  auto loss = [&] {
    embeddings_forward(out.data(), ids.data(), types.data(), wte.data(), wpe.data(), wtt.data(),
                       B * T, T, C);
    return dot(out, r);
  };
  Vec dwte(V * C), dwpe(P * C), dwtt(TT * C);
  embeddings_backward(dwte.data(), dwpe.data(), dwtt.data(), r.data(), ids.data(), types.data(),
                      B * T, T, C, /*pad_id=*/-1);
  check("dwte", wte, dwte, loss);
  check("dwpe", wpe, dwpe, loss);
  check("dwtt", wtt, dwtt, loss);
  // With a padding id (0 here), its word row gets nothing and everything else the same.
  Vec pad_wte(V * C), pad_wpe(P * C), pad_wtt(TT * C);
  embeddings_backward(pad_wte.data(), pad_wpe.data(), pad_wtt.data(), r.data(), ids.data(),
                      types.data(), B * T, T, C, /*pad_id=*/0);
  for (size_t i = 0; i < V * C; ++i) CHECK(pad_wte[i] == (i < C ? 0.0 : dwte[i]));
  CHECK(pad_wpe == dwpe);
  CHECK(pad_wtt == dwtt);
}

// drop: null, or a fixed attention-probability dropout mask (the masks are constants of a step).
void check_attention(bool with_dropout) {
  std::mt19937 rng(5);
  const size_t B = 2, T = 5, NH = 2, C = 6;
  // Second sequence: 3 real tokens, 2 padding keys.
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  Vec q = random_vec(B * T * C, rng), k = random_vec(B * T * C, rng),
      v = random_vec(B * T * C, rng);
  const Vec r = random_vec(B * T * C, rng);
  Vec out(B * T * C), att(B * NH * T * T), dropped(B * NH * T * T), drop(B * NH * T * T);
  dropout_mask(drop.data(), drop.size(), 0.3, 77);
  const double* drop_ptr = with_dropout ? drop.data() : nullptr;
  auto loss = [&] {
    attention_forward(out.data(), att.data(), dropped.data(), drop_ptr, q.data(), k.data(),
                      v.data(), mask.data(), B, T, C, NH);
    return dot(out, r);
  };
  loss();
  for (size_t h = 0; h < NH; ++h) {  // padding keys get exactly zero probability
    for (size_t i = 0; i < T; ++i) {
      CHECK(att[((1 * NH + h) * T + i) * T + 3] == 0.0);
      CHECK(att[((1 * NH + h) * T + i) * T + 4] == 0.0);
    }
  }
  Vec dq(B * T * C), dk(B * T * C), dv(B * T * C), scratch(B * NH * T * T);
  attention_backward(dq.data(), dk.data(), dv.data(), scratch.data(), r.data(), att.data(),
                     dropped.data(), drop_ptr, q.data(), k.data(), v.data(), B, T, C, NH);
  INFO("attention dropout " << with_dropout);
  check("dq", q, dq, loss);
  check("dk", k, dk, loss);
  check("dv", v, dv, loss);
  for (size_t c = 0; c < C; ++c) {  // padding keys and values receive no gradient
    CHECK(dk[(1 * T + 4) * C + c] == 0.0);
    CHECK(dv[(1 * T + 4) * C + c] == 0.0);
  }
}

TEST_CASE("Trainer gradients: attention with padding mask (q, k, v)") {
  check_attention(false);
  check_attention(true);
}

TEST_CASE("Trainer gradients: softmax cross-entropy with ignored rows") {
  std::mt19937 rng(6);
  const size_t N = 4, V = 5;
  const std::vector<int32_t> targets = {2, -1, 0, 4};
  Vec logits = random_vec(N * V, rng, 3.0), probs(N * V);
  size_t count = 0;
  auto loss = [&] {
    return crossentropy_forward(probs.data(), logits.data(), targets.data(), N, V, &count) /
           static_cast<double>(count);
  };
  const double value = loss();
  CHECK(count == 3);
  // Hand check of the first row: -log softmax(logits[0])[2].
  double sum = 0;
  for (size_t i = 0; i < V; ++i) sum += std::exp(logits[i]);
  double want = -(logits[2] - std::log(sum));
  for (size_t n : {2u, 3u}) {
    double s = 0;
    for (size_t i = 0; i < V; ++i) s += std::exp(logits[n * V + i]);
    want += -(logits[n * V + static_cast<size_t>(targets[n])] - std::log(s));
  }
  CHECK(value == doctest::Approx(want / 3).epsilon(1e-12));
  Vec dlogits(N * V);
  crossentropy_backward(dlogits.data(), probs.data(), targets.data(), N, V, 1.0 / 3);
  check("dlogits", logits, dlogits, loss);
  for (size_t i = 0; i < V; ++i) CHECK(dlogits[V + i] == 0.0);  // ignored row
}

}  // namespace
}  // namespace train
}  // namespace edgebert
