// edgebert-bench-tasks: latency of the task calls end to end (tokenize, run, decode) on
// MiniLM-L6-shaped (6/384) int8 models with random weights and the bert-base-uncased tokenizer,
// made here in memory:
//   answer      question + a context filling one 384-token window, and one of ~3 windows
//   tag         a 128-token text, aggregation simple
//   fill_mask   a 128-token text with one [MASK], top 5
//   rerank      a query and 20 short passages: one eb_session_score with max_batch 20, and the
//               same 20 as single runs (max_batch 1), side by side
// Rounds alternate the cases (a shared machine's noise spreads over all of them); reports the
// median over rounds of each case's p50 and min, in ms, as JSON lines or a table.
//   build/bench/edgebert-bench-tasks [--threads 1,2] [--rounds 3] [--runs 10] [--json]
#include <CLI/CLI.hpp>
#if EB_BENCH_PTHREADPOOL
#include <pthreadpool.h>
#endif
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench_shapes.h"
#include "edgebert/edgebert.hpp"
#include "labelled_data.h"
#include "model_file.h"
#include "quantize.h"
#include "random_model.h"
#include "tokenizer/vocab_file.h"

namespace convert = edgebert::convert;

namespace {

convert::AlignedBytes task_model(edgebert::fb::TaskKind task, uint32_t labels) {
  convert::BertShape shape = edgebert::bench::kBenchShapes[1].shape;  // MiniLM-L6
  shape.task = task;
  shape.num_labels = labels;
  edgebert::fb::ModelT model = convert::random_bert(shape, 42);
  model.config->max_seq = 384;
  const auto vocab =
      convert::read_vocab_file(std::string(EB_FIXTURES_DIR) + "/tokenizer/uncased-vocab.txt");
  model.tokenizer = convert::make_tokenizer(vocab, vocab.size(), {}, "uncased-vocab.txt");
  convert::quantize_model(model);
  return convert::pack_model(model);
}

struct Loaded {
  convert::AlignedBytes bytes;
  edgebert::Model model;
  explicit Loaded(convert::AlignedBytes b) : bytes(std::move(b)) {
    if (model.init(bytes.data(), bytes.size()) != EB_OK) throw std::runtime_error("model init");
  }
};

struct Pool {
  void* pool = nullptr;
  explicit Pool(uint32_t threads) {
#if EB_BENCH_PTHREADPOOL
    if (threads > 1) pool = pthreadpool_create(threads);
#else
    if (threads > 1) throw std::runtime_error("--threads needs a build with pthreadpool");
#endif
  }
  ~Pool() {
#if EB_BENCH_PTHREADPOOL
    if (pool != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pool));
#endif
  }
};

struct SessionBox {
  std::vector<uint8_t> arena;
  edgebert::Session session;
  SessionBox(const edgebert::Model& model, uint32_t max_seq, uint32_t max_batch, uint32_t threads,
             void* pool) {
    eb_session_options o = eb_session_options_default();
    o.max_seq = max_seq;
    o.max_batch = max_batch;
    o.threads = threads;
    o.threadpool = pool;
    arena.resize(model.arena_size(o));
    eb_error error;
    if (session.init(model, arena.data(), arena.size(), o, &error) != EB_OK) {
      throw std::runtime_error(error.message);
    }
  }
};

void check(eb_status status, const eb_error& error) {
  if (status != EB_OK) throw std::runtime_error(error.message);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edgebert-bench-tasks: latency of answer, tag, fill-mask and batched reranking"};
  std::string thread_list = "1,2";
  int rounds = 3, runs = 10;
  bool as_json = false;
  app.add_option("--threads", thread_list, "Thread counts, comma separated")->capture_default_str();
  app.add_option("--rounds", rounds, "Alternating rounds")->capture_default_str();
  app.add_option("--runs", runs, "Timed runs per case and round")->capture_default_str();
  app.add_flag("--json", as_json, "One JSON line per case");
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<uint32_t> threads;
    std::stringstream in(thread_list);
    for (std::string item; std::getline(in, item, ',');) threads.push_back(std::stoul(item));
    // Texts: SST-2 sentences joined until they fill what each case needs.
    const auto sentences =
        convert::read_labelled_file(std::string(EB_FIXTURES_DIR) + "/sst2_dev_sample.tsv");
    auto words = [&](size_t approx_tokens, size_t offset) {
      std::string text;
      for (size_t i = offset; text.size() < approx_tokens * 5; ++i) {
        text += sentences[i % sentences.size()].text + " ";
      }
      return text;
    };
    const std::string question = "what is the film about and who is it for ?";
    const std::string context_one = words(330, 0), context_long = words(900, 40);
    const std::string tag_text = words(110, 80);
    std::string mask_text = words(110, 120);
    mask_text.insert(mask_text.size() / 2, " [MASK] ");
    std::vector<std::string> passages;
    for (size_t i = 0; i < 20; ++i) passages.push_back(sentences[(7 * i + 3) % sentences.size()].text);
    std::vector<const char*> passage_data;
    std::vector<size_t> passage_bytes;
    for (const std::string& p : passages) passage_data.push_back(p.data()), passage_bytes.push_back(p.size());
    const std::string query = "a moving , funny film";

    using edgebert::fb::TaskKind;
    Loaded qa(task_model(TaskKind::QuestionAnswering, 0)), tagger(task_model(TaskKind::TokenClassification, 9)),
        mlm(task_model(TaskKind::MaskedLM, 0)), reranker(task_model(TaskKind::Classification, 1));

    nlohmann::json out = nlohmann::json::array();
    for (const uint32_t t : threads) {
      Pool pool(t);
      SessionBox answer(qa.model, 384, 1, t, pool.pool), tag(tagger.model, 128, 1, t, pool.pool),
          fill(mlm.model, 128, 1, t, pool.pool), batched(reranker.model, 64, 20, t, pool.pool),
          single(reranker.model, 64, 1, t, pool.pool);
      eb_error error;
      size_t count = 0;
      eb_answer answers[1];
      eb_entity entities[128];
      eb_token_score tokens[5];
      float scores[20];
      eb_tag_options simple = eb_tag_options_default();
      simple.aggregation = EB_AGGREGATION_SIMPLE;
      const std::vector<std::pair<std::string, std::function<void()>>> cases = {
          {"answer_384", [&] {
             check(answer.session.answer(question, context_one, answers, 1, &count,
                                         eb_answer_options_default(), &error), error);
           }},
          {"answer_long", [&] {
             check(answer.session.answer(question, context_long, answers, 1, &count,
                                         eb_answer_options_default(), &error), error);
           }},
          {"tag_128", [&] {
             check(tag.session.tag(tag_text, entities, 128, &count, simple, &error), error);
           }},
          {"fill_mask_128", [&] {
             check(fill.session.fill_mask(mask_text, 5, tokens, 5, &count, &error), error);
           }},
          {"rerank_20_batched", [&] {
             check(batched.session.score(query, passage_data.data(), passage_bytes.data(), 20,
                                         scores, nullptr, &error), error);
           }},
          {"rerank_20_single", [&] {
             check(single.session.score(query, passage_data.data(), passage_bytes.data(), 20,
                                        scores, nullptr, &error), error);
           }},
      };
      std::map<std::string, std::vector<double>> p50, best;
      for (int r = 0; r < rounds; ++r) {
        for (const auto& [name, run] : cases) {
          run();  // warm
          std::vector<double> ms;
          for (int i = 0; i < runs; ++i) {
            const auto start = std::chrono::steady_clock::now();
            run();
            ms.push_back(std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - start).count());
          }
          p50[name].push_back(median(ms));
          best[name].push_back(*std::min_element(ms.begin(), ms.end()));
        }
      }
      for (const auto& [name, run] : cases) {
        out.push_back({{"case", name}, {"threads", t}, {"p50_ms", median(p50[name])},
                       {"min_ms", median(best[name])}, {"rounds", rounds}, {"runs", runs},
                       {"kernels", eb_session_kernels(answer.session.get())}});
      }
    }
    if (as_json) {
      for (const auto& line : out) std::printf("%s\n", line.dump().c_str());
      return 0;
    }
    std::printf("%-20s %7s %9s %9s\n", "case", "threads", "p50 ms", "min ms");
    for (const auto& r : out) {
      std::printf("%-20s %7u %9.3f %9.3f\n", r["case"].get<std::string>().c_str(),
                  r["threads"].get<uint32_t>(), r["p50_ms"].get<double>(), r["min_ms"].get<double>());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgebert-bench-tasks: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
