// A loaded text model with one session per max_seq, and the parity-suite runner, for the
// tokenizer suites (WordPiece, BPE, Unigram).
#ifndef EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_
#define EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

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

struct Tokens {
  std::vector<int32_t> ids, types;
  std::vector<uint32_t> offsets;
};

inline Tokens tokenize(Session& session, const std::string& text,
                       const std::string* text_b = nullptr) {
  eb_error error;
  REQUIRE_MESSAGE(eb_session_tokenize(session.get(), text.data(), text.size(),
                                      text_b ? text_b->data() : nullptr,
                                      text_b ? text_b->size() : 0, &error) == EB_OK,
                  error.message);
  eb_tokens t;
  eb_session_tokens(session.get(), &t);
  return Tokens{{t.ids, t.ids + t.count},
                {t.token_type_ids, t.token_type_ids + t.count},
                {t.offsets, t.offsets + 2 * t.count}};
}

// What `read` (a tokenizer reader over a folder) throws for the fixture folder's tokenizer.json
// after `edit`: its message, or "" when it reads the file.
inline std::string refusal(const std::string& fixture_dir,
                           const std::function<void(nlohmann::json&)>& edit,
                           const std::function<void(const std::filesystem::path&)>& read) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "edgebert_tokenizer_refusals";
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::json t = nlohmann::json::parse(
      convert::read_text_file(fixture_path(fixture_dir + "/tokenizer.json")));
  edit(t);
  std::ofstream(dir / "tokenizer.json") << t.dump();
  std::string message;
  try {
    read(dir);
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  fs::remove_all(dir);
  return message;
}

struct ParityCounts {
  size_t cases = 0, pairs = 0, id_mismatches = 0, offset_mismatches = 0;
};

// Every case of a parity fixture (one JSON object per line: text[, text_b], ids, offsets, as
// the fixture scripts write them) through the session `session_for` picks for it: the ids, the
// flat byte offsets, and all token types 0 (RoBERTa's and XLM-R's post-processors). The first
// 20 mismatches are printed.
inline ParityCounts run_parity(const std::string& fixture,
                               const std::function<Session&(const nlohmann::json&)>& session_for) {
  std::ifstream in(fixture_path(fixture));
  REQUIRE(in.good());
  ParityCounts n;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json c = nlohmann::json::parse(line);
    ++n.cases;
    Session& session = session_for(c);
    const std::string text = c["text"];
    const bool pair = c.contains("text_b");
    const std::string text_b = pair ? c["text_b"].get<std::string>() : "";
    n.pairs += pair;
    const Tokens got = tokenize(session, text, pair ? &text_b : nullptr);
    const auto want_ids = c["ids"].get<std::vector<int32_t>>();
    const auto want_offsets = c["offsets"].get<std::vector<uint32_t>>();
    const bool same_ids = got.ids == want_ids;
    const bool same_offsets = got.offsets == want_offsets;
    CHECK(got.types == std::vector<int32_t>(got.ids.size(), 0));
    n.id_mismatches += !same_ids;
    n.offset_mismatches += same_ids && !same_offsets;
    if ((!same_ids || !same_offsets) && n.id_mismatches + n.offset_mismatches <= 20) {
      std::ostringstream o;
      for (size_t i = 0; i < got.offsets.size(); ++i) {
        o << (i ? " " : "") << got.offsets[i]
          << (i < want_offsets.size() && want_offsets[i] != got.offsets[i] ? "*" : "");
      }
      MESSAGE("mismatch (max_seq " << c["max_seq"] << "): " << c["text"].dump()
                                   << (pair ? " | " + c["text_b"].dump() : "")
                                   << "\n  ours: " << join(got.ids) << "\n  HF:   " << join(want_ids)
                                   << "\n  our offsets: " << o.str());
    }
  }
  return n;
}

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_LIB_TOKENIZER_TEXT_MODEL_H_
