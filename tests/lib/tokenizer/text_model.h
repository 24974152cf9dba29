// A loaded text model with one session per max_seq, for the tokenizer suites (WordPiece and BPE).
#ifndef EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_
#define EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "session.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace edgebert::test {

struct TextModel {
  convert::AlignedBytes bytes;
  Model model;
  std::map<uint32_t, std::pair<std::vector<uint8_t>, Session>> sessions;

  explicit TextModel(convert::AlignedBytes packed) : bytes(std::move(packed)) {
    eb_error error;
    REQUIRE_MESSAGE(model.init(bytes.data(), bytes.size(), &error) == EB_OK, error.message);
  }
  Session& session(uint32_t max_seq) {
    auto it = sessions.find(max_seq);
    if (it == sessions.end()) {
      it = sessions.emplace(max_seq, std::make_pair(std::vector<uint8_t>(model.arena_size(max_seq)),
                                                    Session{})).first;
      eb_session_options options = eb_session_options_default();
      options.max_seq = max_seq;
      auto& [arena, session] = it->second;
      REQUIRE(session.init(model, arena.data(), arena.size(), options) == EB_OK);
    }
    return it->second.second;
  }
  // The session's TokenizerTables (internal), for code-point level checks.
  const TokenizerTables& tables() { return session(8).get()->tokenizer; }
};

// "1 2 3": ids for failure messages.
inline std::string join(const std::vector<int32_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << v[i];
  return s.str();
}

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_
