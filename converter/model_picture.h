// `inspect --svg`: one picture of a model from its inspect report (inspect.h): on the left the
// graph as the runtime runs it (tokenizer, embeddings, one encoder layer standing for all of
// them, the task's head and output), each node with its op, output shape at max_seq, weight
// dtype and bytes, int8 and fp32 parts coloured apart; on the right the stored memory plan as a
// timeline (each arena buffer a bar over the steps it lives in, at its offset in the arena; the
// planner's lower bound and the head's end marked).
#ifndef EDGEBERT_CONVERTER_MODEL_PICTURE_H_
#define EDGEBERT_CONVERTER_MODEL_PICTURE_H_

#include <nlohmann/json.hpp>
#include <string>

namespace edgebert::convert {

std::string model_svg(const nlohmann::json& inspect_report, const std::string& title);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_MODEL_PICTURE_H_
