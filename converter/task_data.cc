#include "task_data.h"

#include <utf8proc.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "file_io.h"

namespace edgebert::convert {
namespace {

using nlohmann::json;

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  const char separator = line.find('\t') != std::string::npos ? '\t' : ' ';
  for (const char c : line) {
    if (c == separator) {
      if (!field.empty()) fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty()) fields.push_back(field);
  return fields;
}

bool blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Byte offset of code point `index` in UTF-8 `text` (text.size() for the end), or npos.
size_t byte_of_code_point(const std::string& text, size_t index) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (count == index) return i;
    ++count;
  }
  return count == index ? text.size() : std::string::npos;
}

const json& field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw std::runtime_error(where + ": missing \"" + key + "\"");
  }
  return object[key];
}

std::string string_field(const json& object, const char* key, const std::string& where) {
  const json& v = field(object, key, where);
  if (!v.is_string()) throw std::runtime_error(where + "." + key + ": not a string");
  return v.get<std::string>();
}

// SQuAD's normalize_answer: lower, drop punctuation, drop articles, collapse whitespace; as
// words.
std::vector<std::string> normalized_words(const std::string& text) {
  std::string lowered;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < size) {
    utf8proc_int32_t cp;
    const utf8proc_ssize_t n = utf8proc_iterate(p + pos, size - pos, &cp);
    if (n <= 0) {  // invalid byte: kept as it is
      lowered += text[static_cast<size_t>(pos++)];
      continue;
    }
    pos += n;
    // Python's string.punctuation: the ASCII punctuation characters.
    if (cp < 128 && std::ispunct(cp)) continue;
    utf8proc_uint8_t out[4];
    const utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(cp), out);
    lowered.append(reinterpret_cast<const char*>(out), static_cast<size_t>(m));
  }
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty() && word != "a" && word != "an" && word != "the") words.push_back(word);
    word.clear();
  };
  for (const char c : lowered) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

double best_over_golds(const std::string& prediction, const std::vector<QaAnswer>& golds,
                       double (*score)(const std::vector<std::string>&,
                                       const std::vector<std::string>&)) {
  const std::vector<std::string> predicted = normalized_words(prediction);
  if (golds.empty()) return predicted.empty() ? 1.0 : 0.0;
  double best = 0;
  for (const QaAnswer& gold : golds) {
    best = std::max(best, score(predicted, normalized_words(gold.text)));
  }
  return best;
}

double exact(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a == b ? 1.0 : 0.0;
}

double token_f1(const std::vector<std::string>& predicted, const std::vector<std::string>& gold) {
  if (predicted.empty() || gold.empty()) return predicted == gold ? 1.0 : 0.0;
  std::map<std::string, size_t> counts;
  for (const std::string& w : gold) ++counts[w];
  size_t common = 0;
  for (const std::string& w : predicted) {
    auto it = counts.find(w);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++common;
    }
  }
  if (common == 0) return 0.0;
  const double precision = static_cast<double>(common) / static_cast<double>(predicted.size());
  const double recall = static_cast<double>(common) / static_cast<double>(gold.size());
  return 2 * precision * recall / (precision + recall);
}

struct Chunk {
  size_t sentence, begin, end;
  std::string type;
  bool operator<(const Chunk& o) const {
    return std::tie(sentence, begin, end, type) < std::tie(o.sentence, o.begin, o.end, o.type);
  }
};

// conlleval's chunks of one sentence's labels.
void chunks_of(const std::vector<std::string>& labels, size_t sentence, std::vector<Chunk>& out) {
  auto split = [](const std::string& label, char* tag, std::string* type) {
    if (label == "O") {
      *tag = 'O';
      type->clear();
    } else if (label.size() >= 2 && label[1] == '-' && std::string("BIES").find(label[0]) != std::string::npos) {
      *tag = label[0];
      *type = label.substr(2);
    } else {
      *tag = 'I';
      *type = label;
    }
  };
  char prev_tag = 'O';
  std::string prev_type;
  size_t begin = 0;
  bool open = false;
  for (size_t i = 0; i <= labels.size(); ++i) {
    char tag = 'O';
    std::string type;
    if (i < labels.size()) split(labels[i], &tag, &type);
    const bool ends = open && (prev_tag == 'E' || prev_tag == 'S' || tag == 'B' || tag == 'S' ||
                               tag == 'O' || type != prev_type);
    if (ends) {
      out.push_back({sentence, begin, i, prev_type});
      open = false;
    }
    const bool starts = tag == 'B' || tag == 'S' ||
                        ((tag == 'I' || tag == 'E') &&
                         (prev_tag == 'O' || prev_tag == 'E' || prev_tag == 'S' || type != prev_type));
    if (starts && i < labels.size()) {
      begin = i;
      open = true;
    }
    prev_tag = tag;
    prev_type = type;
  }
}

}  // namespace

std::vector<TaggedSentence> parse_conll_text(const std::string& text, const std::string& name) {
  std::vector<TaggedSentence> out;
  TaggedSentence current;
  size_t line_number = 0;
  size_t pos = 0;
  auto finish = [&] {
    if (!current.words.empty()) out.push_back(std::move(current));
    current = TaggedSentence{};
  };
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (blank(line)) {
      finish();
      if (end == text.size()) break;
      continue;
    }
    const std::vector<std::string> fields = split_fields(line);
    if (fields[0] == "-DOCSTART-") {
      finish();
      continue;
    }
    if (fields.size() < 2) {
      throw std::runtime_error(name + ":" + std::to_string(line_number) +
                               ": expected a word and its label (word<TAB>label), found \"" +
                               line + "\"");
    }
    if (current.words.empty()) current.line = line_number;
    current.words.push_back(fields.front());
    current.labels.push_back(fields.back());
    if (end == text.size()) break;
  }
  finish();
  if (out.empty()) throw std::runtime_error(name + ": no sentences");
  return out;
}

std::vector<TaggedSentence> read_conll_file(const std::string& path) {
  return parse_conll_text(read_text_file(path), path);
}

std::vector<QaExample> parse_squad_text(const std::string& text, const std::string& name) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for huge numbers
    throw std::runtime_error(name + ": not JSON: " + e.what());
  }
  const json& data = field(root, "data", name);
  if (!data.is_array()) throw std::runtime_error(name + ": \"data\" is not a list");
  std::vector<QaExample> out;
  for (size_t a = 0; a < data.size(); ++a) {
    const std::string at = name + ": data[" + std::to_string(a) + "]";
    const json& paragraphs = field(data[a], "paragraphs", at);
    if (!paragraphs.is_array()) throw std::runtime_error(at + ".paragraphs: not a list");
    for (size_t p = 0; p < paragraphs.size(); ++p) {
      const std::string pat = at + ".paragraphs[" + std::to_string(p) + "]";
      const std::string context = string_field(paragraphs[p], "context", pat);
      const json& qas = field(paragraphs[p], "qas", pat);
      if (!qas.is_array()) throw std::runtime_error(pat + ".qas: not a list");
      for (size_t q = 0; q < qas.size(); ++q) {
        std::string qat = pat + ".qas[" + std::to_string(q) + "]";
        QaExample e;
        e.context = context;
        e.question = string_field(qas[q], "question", qat);
        if (qas[q].contains("id")) {
          e.id = qas[q]["id"].is_string() ? qas[q]["id"].get<std::string>() : qas[q]["id"].dump();
          qat += " (id " + e.id + ")";
        }
        if (qas[q].contains("is_impossible")) {
          if (!qas[q]["is_impossible"].is_boolean()) {
            throw std::runtime_error(qat + ".is_impossible: not true or false");
          }
          e.impossible = qas[q]["is_impossible"].get<bool>();
        }
        const json& answers = field(qas[q], "answers", qat);
        if (!answers.is_array()) throw std::runtime_error(qat + ".answers: not a list");
        for (size_t i = 0; i < answers.size(); ++i) {
          const std::string aat = qat + ".answers[" + std::to_string(i) + "]";
          QaAnswer answer;
          answer.text = string_field(answers[i], "text", aat);
          const json& start = field(answers[i], "answer_start", aat);
          if (!start.is_number_integer() || start.get<int64_t>() < 0) {
            throw std::runtime_error(aat + ".answer_start: not a character offset");
          }
          answer.start = byte_of_code_point(context, start.get<size_t>());
          if (answer.start == std::string::npos ||
              context.compare(answer.start, answer.text.size(), answer.text) != 0) {
            throw std::runtime_error(aat + ": \"" + answer.text + "\" is not at character " +
                                     std::to_string(start.get<size_t>()) + " of the context");
          }
          e.answers.push_back(std::move(answer));
        }
        if (e.impossible) e.answers.clear();  // v2.0 keeps plausible answers elsewhere
        if (!e.impossible && e.answers.empty()) {
          throw std::runtime_error(qat + ": no answers (and not is_impossible)");
        }
        if (e.question.empty() || e.context.empty()) {
          throw std::runtime_error(qat + ": empty question or context");
        }
        out.push_back(std::move(e));
      }
    }
  }
  if (out.empty()) throw std::runtime_error(name + ": no questions");
  return out;
}

std::vector<QaExample> read_squad_file(const std::string& path) {
  return parse_squad_text(read_text_file(path), path);
}

double squad_exact_match(const std::string& prediction, const std::vector<QaAnswer>& golds) {
  return best_over_golds(prediction, golds, exact);
}

double squad_f1(const std::string& prediction, const std::vector<QaAnswer>& golds) {
  return best_over_golds(prediction, golds, token_f1);
}

EntityScores entity_scores(const std::vector<std::vector<std::string>>& gold,
                           const std::vector<std::vector<std::string>>& predicted) {
  if (gold.size() != predicted.size()) throw std::invalid_argument("sentence counts differ");
  std::vector<Chunk> g, p;
  for (size_t s = 0; s < gold.size(); ++s) {
    if (gold[s].size() != predicted[s].size()) throw std::invalid_argument("label counts differ");
    chunks_of(gold[s], s, g);
    chunks_of(predicted[s], s, p);
  }
  std::sort(g.begin(), g.end());
  std::sort(p.begin(), p.end());
  std::vector<Chunk> both;
  std::set_intersection(g.begin(), g.end(), p.begin(), p.end(), std::back_inserter(both));
  EntityScores r;
  r.gold = g.size();
  r.predicted = p.size();
  r.correct = both.size();
  r.precision = r.predicted > 0 ? static_cast<double>(r.correct) / static_cast<double>(r.predicted) : 0;
  r.recall = r.gold > 0 ? static_cast<double>(r.correct) / static_cast<double>(r.gold) : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  return r;
}

bool labels_are_entity_tags(const std::vector<std::string>& labels) {
  return std::any_of(labels.begin(), labels.end(), [](const std::string& l) {
    return l.size() >= 2 && l[1] == '-' && std::string("BIES").find(l[0]) != std::string::npos;
  });
}

}  // namespace edgebert::convert
