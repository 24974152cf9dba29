// The one BERT layout: every tensor's Hugging Face name, shape and slot (for_each_bert_tensor),
// so the converter writes and reads exactly what the loader looks for.
#ifndef EDGEBERT_INTERNAL_LAYOUT_H_
#define EDGEBERT_INTERNAL_LAYOUT_H_

#include "../../src/graph/bert_layout.h"

#endif  // EDGEBERT_INTERNAL_LAYOUT_H_
