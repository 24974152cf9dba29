// Labelled examples from TSV or CSV files: label, text[, text_b]. Used by `eval` (and by
// `finetune`; its multi-label data writes "a,b" as the label, "" for none). The separator is a tab if the first line has one, else a comma (CSV with
// "quoted, fields" and "" escapes). A header is detected when it names its columns (label,
// sentence/text/content, text_b/sentence2; the label also as labels/class/target/score);
// without one, columns are label, text[, text_b].
// Bad lines are errors that name file:line, never skipped silently.
#ifndef EDGEBERT_CONVERTER_LABELLED_DATA_H_
#define EDGEBERT_CONVERTER_LABELLED_DATA_H_

#include <string>
#include <vector>

namespace edgebert::convert {

struct Example {
  std::string label, text, text_b;
  bool has_text_b = false;
  size_t line = 0;  // 1-based line in the file
};

// An empty label is an error unless allow_empty_label.
std::vector<Example> read_labelled_file(const std::string& path, bool allow_empty_label = false);
// Same, from the file's contents; `name` stands for the path in messages.
std::vector<Example> parse_labelled_text(const std::string& text, const std::string& name,
                                         bool allow_empty_label = false);

// Index of `label` among `names` (by name, else as a 0-based integer); throws naming where.
size_t label_index(const std::string& label, const std::vector<std::string>& names,
                   const std::string& where);

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_LABELLED_DATA_H_
