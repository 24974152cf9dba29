// C API for attention maps (eb_session_attention, see edgebert.h): one head's
// probabilities of one sequence, recomputed from the layer's queries and keys
// while the caller's op observer is told of the layer's "attention" step.
// Nothing is stored for it: no arena, and no work unless a hook asks.
#include <cinttypes>
#include <cmath>
#include <cstring>

#include "edgebert/edgebert.h"
#include "error.h"
#include "session.h"

namespace edgebert {

void observe_step(void *session, const char *op, int32_t layer) {
  eb_session *s = static_cast<eb_session *>(session);
  s->attention_layer = std::strcmp(op, "attention") == 0 ? layer : -1;
  s->user_observer(op, layer);
  s->attention_layer = -1;
}

}  // namespace edgebert

eb_status eb_session_attention(const eb_session *s, size_t sequence, uint32_t head, float *out,
                               size_t capacity, size_t *tokens, eb_error *error) {
  using namespace edgebert;
  if (tokens != nullptr) *tokens = 0;
  if (s == nullptr) return fail(error, EB_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (s->attention_layer < 0) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT,
                "attention maps are readable only inside the "
                "op observer, while it is called for a layer's \"attention\" step");
  }
  if (sequence >= s->running_sequences) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "sequence %zu: the run has %zu", sequence,
                s->running_sequences);
  }
  const ModelDims &d = s->model->dims;
  if (head >= d.num_heads) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "head %" PRIu32 ": the model has %" PRIu32, head,
                d.num_heads);
  }
  size_t first_row = 0;  // the sequence's rows start after those of the sequences before it
  for (size_t q = 0; q < sequence; ++q) first_row += s->sequences[q].s;
  const GraphSequence &seq = s->sequences[sequence];
  const size_t S = seq.s;
  if (tokens != nullptr) *tokens = S;
  if (out == nullptr) return ok(error);
  if (capacity < S * S) {
    return fail(error, EB_ERROR_INVALID_ARGUMENT, "out holds %zu floats; %zu tokens need %zu",
                capacity, S, S * S);
  }
  // Q and K (rows, A): head h is columns [h head_dim, (h + 1) head_dim) of each
  // row.
  const size_t A = d.attention, hd = d.head_dim;
  const float *q = s->buffers.query + first_row * A + head * hd;
  const float *k = s->buffers.key + first_row * A + head * hd;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  auto score = [&](size_t i, size_t j) {
    double dot = 0;
    for (size_t c = 0; c < hd; ++c) dot += double{q[i * A + c]} * double{k[j * A + c]};
    return dot * scale;
  };
  auto attends = [&](size_t j) { return seq.mask == nullptr || seq.mask[j] != 0; };
  // Row i = softmax over the attended keys (masked keys exactly 0, as
  // exp(finfo.min) is in transformers): the maximum first, then exp(score -
  // max) kept in `out` and normalized.
  for (size_t i = 0; i < S; ++i) {
    float *row = out + i * S;
    double max = -HUGE_VAL;
    for (size_t j = 0; j < S; ++j) {
      if (attends(j) && score(i, j) > max) max = score(i, j);
    }
    double sum = 0;
    for (size_t j = 0; j < S; ++j) {
      const double e = attends(j) ? std::exp(score(i, j) - max) : 0.0;
      sum += e;
      row[j] = static_cast<float>(e);
    }
    for (size_t j = 0; j < S; ++j) row[j] = static_cast<float>(row[j] / sum);
  }
  return ok(error);
}
