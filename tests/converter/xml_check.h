// A strict check that a document is well-formed XML of the kind our SVG writer makes: balanced
// tags, quoted attribute values without raw '<' or '&', text without raw '<', entities among the
// five XML defines (or numeric). Enough to catch a broken picture in a test without an XML
// library.
#ifndef EDGEBERT_TESTS_CONVERTER_XML_CHECK_H_
#define EDGEBERT_TESTS_CONVERTER_XML_CHECK_H_

#include <cctype>
#include <string>
#include <vector>

namespace edgebert::test {

// "" if well-formed, else what is wrong and where.
inline std::string xml_problem(const std::string& doc) {
  std::vector<std::string> open;
  size_t i = 0, roots = 0;
  const auto entity_ok = [&](size_t at) {
    const size_t end = doc.find(';', at);
    if (end == std::string::npos || end - at > 10) return false;
    const std::string e = doc.substr(at + 1, end - at - 1);
    return e == "amp" || e == "lt" || e == "gt" || e == "apos" || e == "quot" ||
           (e.size() > 1 && e[0] == '#');
  };
  while (i < doc.size()) {
    if (doc[i] == '&') {
      if (!entity_ok(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    if (doc[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(doc[i]))) {
        return "text outside the root at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    const bool closing = i + 1 < doc.size() && doc[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[j])) || doc[j] == '-' ||
                              doc[j] == ':' || doc[j] == '_')) {
      name += doc[j++];
    }
    if (name.empty()) return "tag without a name at " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
      open.pop_back();
      if (j >= doc.size() || doc[j] != '>') return "bad closing tag " + name;
      i = j + 1;
      continue;
    }
    // attributes: name='value' or name="value"
    while (true) {
      while (j < doc.size() && std::isspace(static_cast<unsigned char>(doc[j]))) ++j;
      if (j >= doc.size()) return "unterminated tag " + name;
      if (doc[j] == '>' || (doc[j] == '/' && j + 1 < doc.size() && doc[j + 1] == '>')) break;
      size_t k = j;
      while (k < doc.size() && doc[k] != '=' && !std::isspace(static_cast<unsigned char>(doc[k]))) ++k;
      if (k == j || k >= doc.size() || doc[k] != '=') return "attribute without a value in " + name;
      const char quote = k + 1 < doc.size() ? doc[k + 1] : 0;
      if (quote != '\'' && quote != '"') return "unquoted attribute in " + name;
      const size_t end = doc.find(quote, k + 2);
      if (end == std::string::npos) return "unterminated attribute in " + name;
      for (size_t v = k + 2; v < end; ++v) {
        if (doc[v] == '<') return "'<' in an attribute of " + name;
        if (doc[v] == '&' && !entity_ok(v)) return "bad entity in an attribute of " + name;
      }
      j = end + 1;
    }
    if (doc[j] == '/') {
      if (open.empty()) ++roots;
      i = j + 2;
    } else {
      if (open.empty()) ++roots;
      open.push_back(name);
      i = j + 1;
    }
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_CONVERTER_XML_CHECK_H_
