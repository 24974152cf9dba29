#include "oracle_executor.h"

#include "../oracle/fp32_ops.h"

namespace edgebert {

void oracle_dense(const DenseCall& c) {
  oracle::dense_forward(c.out, c.in, *c.weights, c.rows, c.n, c.k);
  finish_epilogue(c.out, c.rows * c.n, c.epilogue, c.residual, oracle::gelu_erf);
}

void request_oracle_scratch(const ModelView&, uint32_t max_seq, BufferRequests* r) {
  r->request(fb::ArenaBuffer::Scores, uint64_t{max_seq} * sizeof(float), kStepAttention,
             kStepAttention);
}

eb_status OracleExecutor::dense(const DenseCall& call, eb_error*) {
  oracle_dense(call);
  return EB_OK;
}

void OracleExecutor::attention(const AttentionCall& c) {
  const size_t a = size_t{dims->num_heads} * dims->head_dim;
  for (size_t i = 0, row = 0; i < c.count; row += c.sequences[i++].s) {
    const size_t off = row * a;
    oracle::attention_forward(c.context + off, c.q + off, c.k + off, c.v + off,
                              c.sequences[i].mask, scores, c.sequences[i].s, dims->num_heads,
                              dims->head_dim);
  }
}

void OracleExecutor::layer_norm(float* x, const LayerNormWeights& norm, size_t rows) {
  oracle::layer_norm_forward(x, norm, rows, norm.width, dims->layer_norm_eps);
}

}  // namespace edgebert
