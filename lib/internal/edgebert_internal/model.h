// The verified, zero-copy model view a loaded eb_model holds.
#ifndef EDGEBERT_INTERNAL_MODEL_H_
#define EDGEBERT_INTERNAL_MODEL_H_

#include "../../src/model.h"

#endif  // EDGEBERT_INTERNAL_MODEL_H_
