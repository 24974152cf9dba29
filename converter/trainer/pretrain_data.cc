#include "trainer/pretrain_data.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

#include "file_io.h"
#include "progress.h"
#include "trainer/training_data.h"

namespace edgebert::convert {
namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool is_heading(const std::string& line) {
  return line.size() >= 3 && line.front() == '=' && line.back() == '=';
}

// Deterministic random integers: element `i` of stream `s`.
uint64_t draw(uint64_t stream, uint64_t i) { return train::mix64(stream ^ train::mix64(i)); }

}  // namespace

std::vector<std::string> read_paragraphs(const std::string& path) {
  require_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::vector<std::string> out;
  std::string line, paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) out.push_back(paragraph);
    paragraph.clear();
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || is_heading(line)) {
      flush();
      continue;
    }
    replace_all(line, " @-@ ", "-");
    replace_all(line, " @,@ ", ",");
    replace_all(line, " @.@ ", ".");
    replace_all(line, "<unk>", "[UNK]");
    paragraph += (paragraph.empty() ? "" : " ") + line;
  }
  flush();
  return out;
}

std::vector<std::string> split_sentences(const std::string& p) {
  static const char* const kAbbreviations[] = {"Mr", "Mrs", "Ms", "Dr", "St", "Col", "Capt",
                                               "Lt", "Gen", "Sr", "Jr", "vs", "No", "Rev"};
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c != '.' && c != '!' && c != '?') continue;
    size_t end = i + 1;  // include closing quotes and brackets
    while (end < p.size() && (p[end] == '"' || p[end] == '\'' || p[end] == ')')) ++end;
    if (end >= p.size() || p[end] != ' ') continue;
    size_t next = end;
    while (next < p.size() && p[next] == ' ') ++next;
    if (next >= p.size()) continue;
    const unsigned char n = static_cast<unsigned char>(p[next]);
    if (!(std::isupper(n) || std::isdigit(n) || n == '"' || n == '\'' || n == '[')) continue;
    if (c == '.') {
      size_t w = i;  // the word before the period
      while (w > start && std::isalpha(static_cast<unsigned char>(p[w - 1]))) --w;
      const std::string word = p.substr(w, i - w);
      if (word.size() == 1 && std::isupper(static_cast<unsigned char>(word[0]))) continue;
      if (std::find(std::begin(kAbbreviations), std::end(kAbbreviations), word) !=
          std::end(kAbbreviations)) {
        continue;
      }
    }
    const std::string sentence = trim(p.substr(start, end - start));
    if (!sentence.empty()) out.push_back(sentence);
    start = next;
    i = next - 1;
  }
  const std::string rest = trim(p.substr(std::min(start, p.size())));
  if (!rest.empty()) out.push_back(rest);
  return out;
}

TokenizedCorpus tokenize_corpus(HostSession& session, const std::vector<std::string>& files,
                                size_t holdout_every, TokenizedCorpus* held_out, bool quiet) {
  std::vector<std::pair<std::string, std::string>> paragraphs;  // (where, text)
  for (const std::string& file : files) {
    for (std::string& p : read_paragraphs(file)) paragraphs.emplace_back(file, std::move(p));
  }
  TokenizedCorpus corpus;
  std::unique_ptr<ProgressBar> bar;
  if (!quiet) bar = std::make_unique<ProgressBar>("tokenize", paragraphs.size(), "paragraphs");
  for (size_t i = 0; i < paragraphs.size(); ++i) {
    TokenizedCorpus& into =
        holdout_every > 0 && i % holdout_every == holdout_every - 1 && held_out != nullptr
            ? *held_out
            : corpus;
    std::vector<std::vector<int32_t>> sentences;
    for (const std::string& text : split_sentences(paragraphs[i].second)) {
      Sequence s = tokenize_pair(session, text, nullptr, paragraphs[i].first);
      if (s.ids.size() <= 2) continue;  // nothing but [CLS] [SEP]
      sentences.emplace_back(s.ids.begin() + 1, s.ids.end() - 1);
      into.tokens += sentences.back().size();
    }
    if (sentences.empty()) continue;
    into.sentences += sentences.size();
    into.paragraphs.push_back(std::move(sentences));
    if (bar) bar->update(i + 1);
  }
  if (bar) bar->finish();
  return corpus;
}

namespace {

// Tokens of sentences [first, last) of a paragraph, back to back.
std::vector<int32_t> concat(const std::vector<std::vector<int32_t>>& paragraph, size_t first,
                            size_t last) {
  std::vector<int32_t> out;
  for (size_t i = first; i < last; ++i) out.insert(out.end(), paragraph[i].begin(), paragraph[i].end());
  return out;
}

}  // namespace

train::Batch pretraining_batch(const TokenizedCorpus& corpus, const SpecialIds& ids,
                               size_t batch, size_t max_seq, uint64_t seed, uint64_t step,
                               const PairRecipe& recipe) {
  const auto& paragraphs = corpus.paragraphs;
  if (paragraphs.size() < 2) throw std::runtime_error("pretraining needs at least 2 paragraphs");
  if (recipe.whole_word && ids.continues_word.size() < static_cast<size_t>(ids.vocab)) {
    throw std::invalid_argument("whole-word masking needs continues_word for every id");
  }
  std::vector<std::vector<int32_t>> seq_ids(batch), seq_types(batch), seq_targets(batch);
  std::vector<int32_t> labels(batch);
  for (size_t b = 0; b < batch; ++b) {
    const uint64_t stream = train::mix64(seed ^ train::mix64(step * 4096 + b));
    uint64_t counter = 0;
    auto next = [&](uint64_t bound) { return draw(stream, counter++) % bound; };
    std::vector<int32_t> a, bseq;
    bool random_next = false;
    if (!recipe.pack) {
      // A: a sentence that has a next sentence in its paragraph (tries a few paragraphs).
      size_t p = 0, s = 0;
      for (int attempt = 0;; ++attempt) {
        p = next(paragraphs.size());
        if (paragraphs[p].size() >= 2) break;
        if (attempt > 1000) throw std::runtime_error("no paragraph with two sentences");
      }
      s = next(paragraphs[p].size() - 1);
      a = paragraphs[p][s];
      random_next = next(2) == 1;
      bseq = paragraphs[p][s + 1];
      if (random_next) {
        size_t q = next(paragraphs.size() - 1);
        if (q >= p) ++q;  // another paragraph
        bseq = paragraphs[q][next(paragraphs[q].size())];
      }
      // Pair truncation to max_seq: shorten the longer of the two from its end.
      size_t la = a.size(), lb = bseq.size();
      while (la + lb + 3 > max_seq) {
        if (la > lb) {
          --la;
        } else {
          --lb;
        }
      }
      a.resize(la);
      bseq.resize(lb);
    } else {
      const size_t budget = max_seq - 3;
      size_t target = budget;
      if (static_cast<double>(next(1000000)) < recipe.short_seq_prob * 1e6 && budget > 2) {
        target = 2 + next(budget - 1);  // in [2, budget]
      }
      size_t p = 0;
      for (int attempt = 0;; ++attempt) {
        p = next(paragraphs.size());
        if (!paragraphs[p].empty()) break;
        if (attempt > 1000) throw std::runtime_error("no paragraph with a sentence");
      }
      const auto& par = paragraphs[p];
      const size_t first = next(par.size());
      size_t last = first, length = 0;
      while (last < par.size() && length < target) length += par[last++].size();
      const size_t gathered = last - first;
      const size_t a_end = first + (gathered >= 2 ? 1 + next(gathered - 1) : 1);
      a = concat(par, first, a_end);
      random_next = gathered == 1 || next(2) == 1;
      if (random_next) {
        size_t q = next(paragraphs.size() - 1);
        if (q >= p) ++q;  // another paragraph
        const auto& other = paragraphs[q];
        if (!other.empty()) {
          size_t t = next(other.size());
          while (t < other.size() && a.size() + bseq.size() < target) {
            bseq.insert(bseq.end(), other[t].begin(), other[t].end());
            ++t;
          }
        }
      } else {
        bseq = concat(par, a_end, last);
      }
      // Trim the longer side at a random end until the pair fits.
      size_t a0 = 0, a1 = a.size(), b0 = 0, b1 = bseq.size();
      while ((a1 - a0) + (b1 - b0) > budget) {
        const bool trim_a = (a1 - a0) > (b1 - b0);
        size_t& front = trim_a ? a0 : b0;
        size_t& back = trim_a ? a1 : b1;
        if (next(2) == 0) {
          ++front;
        } else {
          --back;
        }
      }
      a = std::vector<int32_t>(a.begin() + a0, a.begin() + a1);
      bseq = std::vector<int32_t>(bseq.begin() + b0, bseq.begin() + b1);
    }
    labels[b] = random_next ? 1 : 0;
    std::vector<int32_t>& ids_out = seq_ids[b];
    std::vector<int32_t>& types_out = seq_types[b];
    ids_out.push_back(ids.cls);
    ids_out.insert(ids_out.end(), a.begin(), a.end());
    ids_out.push_back(ids.sep);
    types_out.assign(ids_out.size(), 0);
    ids_out.insert(ids_out.end(), bseq.begin(), bseq.end());
    ids_out.push_back(ids.sep);
    types_out.resize(ids_out.size(), 1);
    // Masking: 15% of the non-special positions (at least one), chosen without replacement;
    // with whole_word, whole words (groups of positions) up to that budget.
    std::vector<std::vector<size_t>> units;  // positions masked together
    for (size_t i = 0; i < ids_out.size(); ++i) {
      if (ids_out[i] == ids.cls || ids_out[i] == ids.sep) continue;
      const bool continues = recipe.whole_word && !units.empty() && units.back().back() + 1 == i &&
                             ids.continues_word[static_cast<size_t>(ids_out[i])] != 0;
      if (continues) {
        units.back().push_back(i);
      } else {
        units.push_back({i});
      }
    }
    size_t candidates = 0;
    for (const auto& u : units) candidates += u.size();
    for (size_t i = units.size(); i > 1; --i) std::swap(units[i - 1], units[next(i)]);
    const size_t chosen = std::max<size_t>(1, (candidates * 15 + 50) / 100);
    std::vector<int32_t>& targets = seq_targets[b];
    targets.assign(ids_out.size(), -1);
    size_t masked = 0;
    for (const auto& unit : units) {
      if (masked >= chosen) break;
      if (masked + unit.size() > chosen && masked > 0) continue;  // BERT: skip a word too long
      for (const size_t at : unit) {
        targets[at] = ids_out[at];
        const uint64_t r = next(10);
        if (r < 8) {
          ids_out[at] = ids.mask;
        } else if (r == 8) {
          int32_t token;
          do {
            token = static_cast<int32_t>(next(static_cast<uint64_t>(ids.vocab)));
          } while (std::find(ids.specials.begin(), ids.specials.end(), token) != ids.specials.end());
          ids_out[at] = token;
        }  // else unchanged
        ++masked;
      }
    }
  }
  train::Batch out;
  out.B = batch;
  for (const auto& s : seq_ids) out.T = std::max(out.T, s.size());
  const size_t N = out.B * out.T;
  out.ids.assign(N, ids.pad);
  out.types.assign(N, 0);
  out.mask.assign(N, 0);
  out.mlm_targets.assign(N, -1);
  out.labels = labels;
  for (size_t b = 0; b < batch; ++b) {
    std::copy(seq_ids[b].begin(), seq_ids[b].end(), out.ids.begin() + b * out.T);
    std::copy(seq_types[b].begin(), seq_types[b].end(), out.types.begin() + b * out.T);
    std::copy(seq_targets[b].begin(), seq_targets[b].end(), out.mlm_targets.begin() + b * out.T);
    std::fill_n(out.mask.begin() + b * out.T, seq_ids[b].size(), 1);
  }
  return out;
}

}  // namespace edgebert::convert
