// The parts of a session the converter's calibration pass runs the graph over, handed out by a
// function so that no code outside the runtime reads eb_session's fields.
#ifndef EDGEBERT_SRC_SESSION_ACCESS_H_
#define EDGEBERT_SRC_SESSION_ACCESS_H_

#include <cstdint>

#include "edgebert/edgebert.h"
#include "executors/native_executor.h"
#include "graph/bert_graph.h"
#include "model.h"

namespace edgebert {

struct SessionGraph {
  const ModelView* model;
  const ModelWeights* weights;
  GraphBuffers buffers;   // the session's activations
  NativeExecutor native;  // a copy: the caller may point its scratch elsewhere
  uint32_t max_seq;
  bool has_tokenizer;
};

// The graph parts of `session` (initialised, not null).
SessionGraph session_graph(const eb_session* session);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_SESSION_ACCESS_H_
