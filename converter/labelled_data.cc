#include "labelled_data.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "file_io.h"

namespace edgebert::convert {
namespace {

std::vector<std::string> split_line(const std::string& line, char separator, bool csv,
                                    const std::string& where) {
  std::vector<std::string> fields;
  if (!csv) {
    std::stringstream in(line);
    for (std::string field; std::getline(in, field, separator);) fields.push_back(field);
    if (!line.empty() && line.back() == separator) fields.emplace_back();
    return fields;
  }
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == separator) {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) throw std::runtime_error(where + ": unterminated quoted field");
  fields.push_back(field);
  return fields;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<Example> read_labelled_file(const std::string& path, bool allow_empty_label) {
  return parse_labelled_text(read_text_file(path), path, allow_empty_label);
}

std::vector<Example> parse_labelled_text(const std::string& text, const std::string& path,
                                         bool allow_empty_label) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (lines.empty()) throw std::runtime_error(path + ": empty file");
  const bool tsv = lines[0].find('\t') != std::string::npos;
  const char separator = tsv ? '\t' : ',';
  // Column roles from a header, or the default order.
  int label_col = 0, text_col = 1, text_b_col = -1;
  size_t first = 0;
  const std::vector<std::string> head = split_line(lines[0], separator, !tsv, path + ":1");
  auto find = [&](std::initializer_list<const char*> names) {
    for (size_t i = 0; i < head.size(); ++i) {
      for (const char* n : names) {
        if (lower(head[i]) == n) return static_cast<int>(i);
      }
    }
    return -1;
  };
  const int header_label = find({"label", "labels", "class", "target", "score"});
  const int header_text = find({"sentence", "text", "content", "sentence1", "text_a", "question"});
  if (header_label >= 0 && header_text >= 0) {
    label_col = header_label;
    text_col = header_text;
    text_b_col = find({"sentence2", "text_b", "text2", "passage"});
    first = 1;
  } else if (head.size() >= 3) {
    text_b_col = 2;
  }
  std::vector<Example> examples;
  for (size_t i = first; i < lines.size(); ++i) {
    const std::string where = path + ":" + std::to_string(i + 1);
    if (lines[i].empty()) continue;  // blank lines (e.g. a trailing newline) carry no example
    const std::vector<std::string> fields = split_line(lines[i], separator, !tsv, where);
    const int needed = std::max({label_col, text_col, text_b_col}) + 1;
    if (static_cast<int>(fields.size()) < needed) {
      throw std::runtime_error(where + ": expected " + std::to_string(needed) + " " +
                               (tsv ? "tab" : "comma") + "-separated fields, found " +
                               std::to_string(fields.size()));
    }
    Example e;
    e.label = fields[label_col];
    e.text = fields[text_col];
    if (text_b_col >= 0) {
      e.text_b = fields[text_b_col];
      e.has_text_b = true;
    }
    e.line = i + 1;
    if (e.label.empty() && !allow_empty_label) throw std::runtime_error(where + ": empty label");
    examples.push_back(std::move(e));
  }
  if (examples.empty()) throw std::runtime_error(path + ": no examples");
  return examples;
}

size_t label_index(const std::string& label, const std::vector<std::string>& names,
                   const std::string& where) {
  const auto it = std::find(names.begin(), names.end(), label);
  if (it != names.end()) return static_cast<size_t>(it - names.begin());
  char* end = nullptr;
  const long value = std::strtol(label.c_str(), &end, 10);
  if (end != label.c_str() && *end == '\0' && value >= 0 && static_cast<size_t>(value) < names.size()) {
    return static_cast<size_t>(value);
  }
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  throw std::runtime_error(where + ": label \"" + label + "\" is not one of the model's labels (" +
                           known + ") nor an index below " + std::to_string(names.size()));
}

}  // namespace edgebert::convert
