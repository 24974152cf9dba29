// `explain --svg`: one picture of what a model looks at (explain_command.h). At the top the
// token pieces (text, pair and special tokens coloured apart) and the model's prediction; below
// on the left a bertviz-style head view of one head (the tokens twice, a line from each token on
// the left to each on the right, as opaque as the weight), on the right every head of every
// layer as a small heat map (rows: queries, columns: keys; shaded by the square root of the
// weight; cells of at least 3 px, so long inputs average blocks of tokens), the one on the left
// framed. Hovering shows the values.
#ifndef EDGEBERT_CONVERTER_ATTENTION_PICTURE_H_
#define EDGEBERT_CONVERTER_ATTENTION_PICTURE_H_

#include <cstdint>
#include <string>

#include "explain_command.h"

namespace edgebert::convert {

// Head-view lines of weights below this are not drawn: invisible at that opacity, and they
// would make long inputs' pictures huge.
inline constexpr float kSmallestDrawnWeight = 0.01f;

// Throws std::runtime_error for a layer or head the model lacks.
std::string attention_svg(const Explanation& e, uint32_t layer, uint32_t head);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_ATTENTION_PICTURE_H_
