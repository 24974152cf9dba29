// Concurrency: several threads, each with its own session and arena, over one shared model (the
// sharing rule of edgebert.h). Every thread must get bit-identical results to one thread.
// A standalone program over model files, linking only the runtime, so scripts/sanitize_test.sh
// can run it under ThreadSanitizer without building the converter.
// usage: edgebert_threads_test MODEL.ebm...   (classifiers with a tokenizer)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "edgebert/edgebert.hpp"

namespace {

const std::vector<std::string> kTexts = {
    "the movie was great",  "a dull , lifeless film", "hello world",
    "",                     "unaffable jumps over",    "THE END!!!",
    "h\xc3\xa9llo w\xc3\xb6rld caf\xc3\xa9", "ice cream and cake",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p",
    "not bad at all",       "\xff\xfe broken utf-8",   "[CLS] [SEP] [MASK]"};

// Probabilities of every text (index order), concatenated, from one new session whose texts run
// in `order`. Returns false on any error.
bool classify_all(const edgebert::Model& model, const std::vector<size_t>& order,
                  std::vector<float>* out) {
  std::vector<uint8_t> arena(model.arena_size());
  edgebert::Session session;
  if (session.init(model, arena.data(), arena.size()) != EB_OK) return false;
  out->assign(kTexts.size() * model.info().num_labels, -1.0f);
  for (size_t i : order) {
    eb_classification result;
    if (eb_session_classify_text(session.get(), kTexts[i].data(), kTexts[i].size(), nullptr, 0,
                                 &result, nullptr) != EB_OK) {
      return false;
    }
    std::memcpy(&(*out)[i * result.num_labels], result.probabilities,
                result.num_labels * sizeof(float));
  }
  return true;
}

// Returns the number of (thread, round) results that differ from the one-thread result.
int check_model(const char* path) {
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  void* bytes = nullptr;
  if (file.empty() || posix_memalign(&bytes, EB_MODEL_ALIGNMENT, file.size()) != 0) {
    std::fprintf(stderr, "%s: cannot read\n", path);
    return 1;
  }
  std::memcpy(bytes, file.data(), file.size());
  edgebert::Model model;
  eb_error error;
  if (model.init(bytes, file.size(), &error) != EB_OK) {
    std::fprintf(stderr, "%s: %s\n", path, error.message);
    std::free(bytes);
    return 1;
  }
  std::vector<size_t> in_order(kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) in_order[i] = i;
  std::vector<float> expected;
  if (!classify_all(model, in_order, &expected)) {
    std::fprintf(stderr, "%s: one-thread run failed\n", path);
    std::free(bytes);
    return 1;
  }

  constexpr int kThreads = 4, kRounds = 3;
  std::vector<std::vector<float>> results(kThreads * kRounds);
  std::vector<char> ok(kThreads * kRounds, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        // Each thread walks the texts in its own rotation, so different texts run at once.
        std::vector<size_t> order(kTexts.size());
        for (size_t i = 0; i < kTexts.size(); ++i) order[i] = (i + 5 * t + round) % kTexts.size();
        const int slot = t * kRounds + round;
        ok[slot] = classify_all(model, order, &results[slot]);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int mismatches = 0;
  for (size_t slot = 0; slot < results.size(); ++slot) {
    if (!ok[slot] || results[slot].size() != expected.size() ||
        std::memcmp(results[slot].data(), expected.data(), expected.size() * sizeof(float)) != 0) {
      std::fprintf(stderr, "%s: thread %zu round %zu differs from one thread\n", path,
                   slot / kRounds, slot % kRounds);
      ++mismatches;
    }
  }
  std::printf("%s: %d threads x %d rounds x %zu texts: %s\n", path, kThreads, kRounds,
              kTexts.size(), mismatches ? "results DIFFER" : "identical to one thread");
  std::free(bytes);
  return mismatches;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.ebm...\n", argv[0]);
    return 2;
  }
  int failures = 0;
  for (int i = 1; i < argc; ++i) failures += check_model(argv[i]);
  return failures == 0 ? 0 : 1;
}
