#include "tokenizer/vocab_trainer.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "file_io.h"
#include "progress.h"
#include "edgebert_internal/tokenizer.h"  // the device pipeline, shared so words match exactly

namespace edgebert::convert {
namespace {

// The device tokenizer's tables for `options`, over a vocabulary of just the special tokens.
class WordSplitter {
 public:
  WordSplitter(const VocabTrainerOptions& options) {
    TokenizerOptions normalization = options.normalization;
    normalization.split_special_tokens = true;  // corpus text never means a special token
    std::unique_ptr<fb::TokenizerT> tokenizer = make_tokenizer(
        options.special_tokens, options.special_tokens.size(), normalization, "special tokens");
    flatbuffers::FlatBufferBuilder builder;
    builder.Finish(fb::Tokenizer::Pack(builder, tokenizer.get()));
    bytes_ = AlignedBytes(builder.GetSize());
    std::copy_n(builder.GetBufferPointer(), builder.GetSize(), bytes_.data());
    const auto* root = flatbuffers::GetRoot<fb::Tokenizer>(bytes_.data());
    eb_error error;
    if (tokenizer_tables_init(root, static_cast<uint32_t>(options.special_tokens.size()), &tables_,
                              &error) != EB_OK) {
      throw std::runtime_error(std::string("tokenizer tables: ") + error.message);
    }
  }
  const TokenizerTables& tables() const { return tables_; }

 private:
  AlignedBytes bytes_;
  TokenizerTables tables_;
};

// scan_words sink: counts each distinct word (as UTF-8), skipping words the device would turn
// into [UNK] for their length.
struct WordCounter {
  std::unordered_map<std::string, uint64_t>* counts;
  uint32_t max_chars;
  std::string word;
  uint32_t chars = 0;
  size_t words = 0;

  bool stop() const { return false; }
  void append(uint32_t cp, uint32_t, uint32_t) {
    char utf8[4];
    word.append(utf8, utf8_encode(cp, utf8));
    ++chars;
  }
  void flush() {
    if (chars > 0 && chars <= max_chars) {
      ++(*counts)[word];
      ++words;
    }
    word.clear();
    chars = 0;
  }
  void special(int32_t, uint32_t, uint32_t) {}
};

std::vector<uint32_t> code_points(const std::string& word) {
  std::vector<uint32_t> out;
  const auto* p = reinterpret_cast<const uint8_t*>(word.data());
  for (size_t pos = 0; pos < word.size();) out.push_back(utf8_decode(p, word.size(), &pos));
  return out;
}

std::string utf8(uint32_t cp) {
  char buf[4];
  return std::string(buf, utf8_encode(cp, buf));
}

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

struct HeapEntry {
  int64_t count;
  uint64_t key;
  bool operator<(const HeapEntry& o) const {  // max count first, then the smaller key
    return count != o.count ? count < o.count : key > o.key;
  }
};

}  // namespace

std::vector<std::string> train_wordpiece_vocab(const VocabTrainerOptions& options,
                                               VocabTrainerReport* report) {
  if (options.vocab_size <= options.special_tokens.size()) {
    throw std::runtime_error("--size must be larger than the " +
                             std::to_string(options.special_tokens.size()) + " special tokens");
  }
  if (options.corpus_files.empty()) throw std::runtime_error("no corpus files");
  VocabTrainerReport r;
  const auto start = std::chrono::steady_clock::now();

  // 1. Words, through the device pipeline.
  const WordSplitter splitter(options);
  std::unordered_map<std::string, uint64_t> counts;
  WordCounter counter{&counts, splitter.tables().max_word_chars, {}, 0, 0};
  size_t total_bytes = 0;
  for (const std::string& path : options.corpus_files) {
    require_regular_file(path);
    std::ifstream probe(path, std::ios::binary | std::ios::ate);
    if (!probe) throw std::runtime_error(path + ": cannot open");
    total_bytes += static_cast<size_t>(probe.tellg());
  }
  {
    std::unique_ptr<ProgressBar> reading;
    if (options.progress) reading = std::make_unique<ProgressBar>("reading", total_bytes, "bytes");
    size_t read = 0;
    for (const std::string& path : options.corpus_files) {
      std::ifstream in(path, std::ios::binary);
      for (std::string line; std::getline(in, line);) {
        scan_words(splitter.tables(), reinterpret_cast<const uint8_t*>(line.data()), line.size(),
                   counter);
        counter.flush();
        ++r.lines;
        read += line.size() + 1;
        if (reading) reading->update(read, std::to_string(counts.size()) + " distinct words");
      }
      if (in.bad()) throw std::runtime_error(path + ": read error");
    }
    if (reading) reading->finish(std::to_string(counts.size()) + " distinct words");
  }
  r.words = counter.words;
  r.distinct_words = counts.size();

  // 2. Alphabet: most frequent characters, then pieces in code point order.
  std::map<uint32_t, uint64_t> char_count;
  std::vector<std::pair<std::string, uint64_t>> words(counts.begin(), counts.end());
  std::sort(words.begin(), words.end());  // deterministic order, independent of hashing
  for (const auto& [word, count] : words) {
    for (uint32_t cp : code_points(word)) char_count[cp] += count;
  }
  std::vector<std::pair<uint32_t, uint64_t>> by_frequency(char_count.begin(), char_count.end());
  std::stable_sort(by_frequency.begin(), by_frequency.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (by_frequency.size() > options.limit_alphabet) by_frequency.resize(options.limit_alphabet);
  std::map<uint32_t, bool> alphabet;  // code point -> kept
  for (const auto& [cp, count] : by_frequency) alphabet[cp] = true;

  std::vector<std::string> vocab = options.special_tokens;
  std::vector<std::string> pieces;  // piece id -> text
  std::unordered_map<std::string, int32_t> piece_id;
  auto add_piece = [&](const std::string& text) -> int32_t {
    const auto it = piece_id.find(text);
    if (it != piece_id.end()) return it->second;
    pieces.push_back(text);
    piece_id.emplace(text, static_cast<int32_t>(pieces.size() - 1));
    return static_cast<int32_t>(pieces.size() - 1);
  };
  // Which initial / continuation pieces actually occur.
  std::map<uint32_t, bool> initial, continuation;
  std::vector<std::vector<int32_t>> word_pieces;
  std::vector<int64_t> word_count;
  std::vector<std::vector<uint32_t>> kept_words;
  for (const auto& [word, count] : words) {
    std::vector<uint32_t> cps = code_points(word);
    if (!std::all_of(cps.begin(), cps.end(), [&](uint32_t c) { return alphabet.count(c) > 0; })) {
      ++r.skipped_words;
      continue;
    }
    initial[cps[0]] = true;
    for (size_t i = 1; i < cps.size(); ++i) continuation[cps[i]] = true;
    kept_words.push_back(std::move(cps));
    word_count.push_back(static_cast<int64_t>(count));
  }
  for (const auto& [cp, unused] : initial) vocab.push_back(pieces[add_piece(utf8(cp))]);
  for (const auto& [cp, unused] : continuation) vocab.push_back(pieces[add_piece("##" + utf8(cp))]);
  r.alphabet = pieces.size();
  for (const std::vector<uint32_t>& cps : kept_words) {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < cps.size(); ++i) {
      ids.push_back(piece_id.at((i == 0 ? "" : "##") + utf8(cps[i])));
    }
    word_pieces.push_back(std::move(ids));
  }

  // 3. Merges.
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;  // may hold stale entries
  std::priority_queue<HeapEntry> heap;
  auto add_pair = [&](uint64_t key, int64_t count, int32_t word) {
    const int64_t now = pair_count[key] += count;
    pair_words[key].push_back(word);
    heap.push({now, key});
  };
  auto remove_pair = [&](uint64_t key, int64_t count) {
    auto it = pair_count.find(key);
    if (it != pair_count.end() && (it->second -= count) <= 0) pair_count.erase(it);
  };
  for (size_t w = 0; w < word_pieces.size(); ++w) {
    const std::vector<int32_t>& p = word_pieces[w];
    for (size_t i = 0; i + 1 < p.size(); ++i) {
      pair_count[pair_key(p[i], p[i + 1])] += word_count[w];
      pair_words[pair_key(p[i], p[i + 1])].push_back(static_cast<int32_t>(w));
    }
  }
  for (const auto& [key, count] : pair_count) heap.push({count, key});

  std::unique_ptr<ProgressBar> merging;
  if (options.progress) {
    merging = std::make_unique<ProgressBar>("merging", options.vocab_size, "pieces");
  }
  std::vector<int32_t> touched;
  while (vocab.size() < options.vocab_size && !heap.empty()) {
    const HeapEntry top = heap.top();
    heap.pop();
    const auto current = pair_count.find(top.key);
    const int64_t count = current == pair_count.end() ? 0 : current->second;
    if (count != top.count) {  // stale entry
      if (count > 0) heap.push({count, top.key});
      continue;
    }
    if (count < static_cast<int64_t>(options.min_frequency)) break;
    const auto a = static_cast<int32_t>(top.key >> 32);
    const auto b = static_cast<int32_t>(top.key & 0xFFFFFFFFu);
    const std::string& right = pieces[b];
    const std::string merged = pieces[a] + (right.rfind("##", 0) == 0 ? right.substr(2) : right);
    const size_t before = pieces.size();
    const int32_t id = add_piece(merged);
    if (pieces.size() > before) vocab.push_back(merged);
    ++r.merges;

    touched = std::move(pair_words[top.key]);
    pair_words.erase(top.key);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (int32_t w : touched) {
      std::vector<int32_t>& p = word_pieces[w];
      const int64_t c = word_count[w];
      for (size_t i = 0; i + 1 < p.size();) {
        if (p[i] != a || p[i + 1] != b) {
          ++i;
          continue;
        }
        if (i > 0) remove_pair(pair_key(p[i - 1], a), c);
        remove_pair(top.key, c);
        if (i + 2 < p.size()) remove_pair(pair_key(b, p[i + 2]), c);
        p[i] = id;
        p.erase(p.begin() + static_cast<ptrdiff_t>(i) + 1);
        if (i > 0) add_pair(pair_key(p[i - 1], id), c, w);
        if (i + 1 < p.size()) add_pair(pair_key(id, p[i + 1]), c, w);
        ++i;
      }
    }
    if (merging) merging->update(vocab.size(), "last: " + merged);
  }
  if (merging) merging->finish(std::to_string(r.merges) + " merges");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (report != nullptr) *report = r;
  return vocab;
}

}  // namespace edgebert::convert
