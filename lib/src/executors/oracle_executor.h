// The fp32 oracle executor: the graph on the oracle's ops (oracle/fp32_ops.h), scalar loops with
// double accumulation, exact erf GELU. It runs fp32 models on the native provider and is what
// every other executor is tested against. Single-threaded.
#ifndef EDGEBERT_SRC_EXECUTORS_ORACLE_EXECUTOR_H_
#define EDGEBERT_SRC_EXECUTORS_ORACLE_EXECUTOR_H_

#include <cstddef>

#include "../graph/executor.h"
#include "../memory_plan.h"
#include "../model.h"

namespace edgebert {

// out = epilogue(in W^T + b) for fp32 weights, as the oracle computes it (the native executor
// runs the fp32 layers of mixed models through it too).
void oracle_dense(const DenseCall& call);

// Declares the scratch below for up to max_seq tokens.
void request_oracle_scratch(const ModelView& model, uint32_t max_seq, BufferRequests* requests);

struct OracleExecutor {
  const ModelDims* dims;
  float* scores;  // (S) attention scratch (arena: fb::ArenaBuffer::Scores)

  eb_status dense(const DenseCall& call, eb_error* error);
  void attention(const AttentionCall& call);
  void layer_norm(float* x, const LayerNormWeights& norm, size_t rows);
};

}  // namespace edgebert

#endif  // EDGEBERT_SRC_EXECUTORS_ORACLE_EXECUTOR_H_
