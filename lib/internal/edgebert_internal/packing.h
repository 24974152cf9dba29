// The K4N16 int8 weight layout every GEMM kernel reads (the converter writes it).
#ifndef EDGEBERT_INTERNAL_PACKING_H_
#define EDGEBERT_INTERNAL_PACKING_H_

#include "../../src/kernels/packing.h"

#endif  // EDGEBERT_INTERNAL_PACKING_H_
