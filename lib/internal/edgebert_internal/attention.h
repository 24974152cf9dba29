// The int8 attention (kQd8AttentionMinTokens, runs_qd8_attention, what it quantizes): the
// trainer's quantization-aware training fake-quantizes attention as it runs.
#ifndef EDGEBERT_INTERNAL_ATTENTION_H_
#define EDGEBERT_INTERNAL_ATTENTION_H_

#include "../../src/kernels/qd8_attention.h"

#endif  // EDGEBERT_INTERNAL_ATTENTION_H_
