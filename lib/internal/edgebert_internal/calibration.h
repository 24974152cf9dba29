// For the calibration pass: the graph to run, the native executor whose attention and LayerNorm
// it borrows, the oracle's exact GELU, and the parts of a session it runs the graph over.
#ifndef EDGEBERT_INTERNAL_CALIBRATION_H_
#define EDGEBERT_INTERNAL_CALIBRATION_H_

#include "../../src/executors/native_executor.h"
#include "../../src/graph/bert_graph.h"
#include "../../src/oracle/fp32_ops.h"
#include "../../src/session_access.h"

#endif  // EDGEBERT_INTERNAL_CALIBRATION_H_
