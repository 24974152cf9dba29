// The kernels' branch-free erf and exp polynomials (the trainer computes the same functions).
#ifndef EDGEBERT_INTERNAL_FLOAT_MATH_H_
#define EDGEBERT_INTERNAL_FLOAT_MATH_H_

#include "../../src/kernels/float_math.h"

#endif  // EDGEBERT_INTERNAL_FLOAT_MATH_H_
