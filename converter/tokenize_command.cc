#include "tokenize_command.h"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "edgebert/edgebert.h"
#include "host_session.h"

namespace edgebert::convert {

nlohmann::json tokenize_report(AlignedBytes model_bytes, const std::string& text,
                               const std::optional<std::string>& text_b, uint32_t max_seq) {
  HostSession loaded(std::move(model_bytes), "model", max_seq);
  const eb_model* model = loaded.model().get();
  eb_session* session = loaded.session().get();
  eb_error error;
  if (eb_session_tokenize(session, text.data(), text.size(), text_b ? text_b->data() : nullptr,
                          text_b ? text_b->size() : 0, &error) != EB_OK) {
    throw std::runtime_error(error.message);
  }
  eb_tokens tokens;
  eb_session_tokens(session, &tokens);
  nlohmann::json report;
  eb_model_info info;
  eb_model_get_info(model, &info);
  report["max_seq"] = max_seq == 0 ? info.max_seq : max_seq;
  report["ids"] = std::vector<int32_t>(tokens.ids, tokens.ids + tokens.count);
  report["type_ids"] = std::vector<int32_t>(tokens.token_type_ids, tokens.token_type_ids + tokens.count);
  report["sequence"] = std::vector<int>(tokens.sequence, tokens.sequence + tokens.count);
  nlohmann::json pieces = nlohmann::json::array(), offsets = nlohmann::json::array();
  for (size_t i = 0; i < tokens.count; ++i) {
    pieces.push_back(eb_model_token(model, tokens.ids[i]));
    offsets.push_back({tokens.offsets[2 * i], tokens.offsets[2 * i + 1]});
  }
  report["tokens"] = pieces;
  report["offsets"] = offsets;
  return report;
}

std::string tokenize_text_table(const nlohmann::json& r) {
  std::string out = fmt::format("{:>5} {:>7}  {:<16} {:>6} {:>6} {:>4} {:>4}\n", "index", "id",
                                "piece", "begin", "end", "type", "seq");
  for (size_t i = 0; i < r["ids"].size(); ++i) {
    out += fmt::format("{:>5} {:>7}  {:<16} {:>6} {:>6} {:>4} {:>4}\n", i,
                       r["ids"][i].get<int32_t>(), r["tokens"][i].get<std::string>(),
                       r["offsets"][i][0].get<uint32_t>(), r["offsets"][i][1].get<uint32_t>(),
                       r["type_ids"][i].get<int32_t>(), r["sequence"][i].get<int>());
  }
  return out;
}

}  // namespace edgebert::convert
