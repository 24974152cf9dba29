// edgebert-bench: end-to-end latency of a model through the public C API.
//   edgebert-bench model.ebm [--seq 16,32,64,128] [--threads 1] [--warmup N] [--runs N]
//                  [--text "..."] [--kernels NAME] [--provider auto,native,xnnpack] [--per-op]
//                  [--batch B [--one-by-one]] [--json]
// Threads: a pthreadpool of that many threads (made here, passed in the session options) runs
// the int8 kernels' GEMM column blocks and attention heads, or XNNPACK's operators.
// Input: random token ids ([CLS] ... [SEP]) of exactly each sequence length, or --text repeated
// until it fills the length (tokenization then counts in the latency). Reports p50/p90/p99, mean,
// tokens/s, arena bytes, peak RSS, model bytes and the kernel set in use. --per-op adds a second
// pass of the same runs with the session's op observer on: mean time per run of each step
// (summed over layers) and its share. --batch B: each timed run is B sequences (different random
// ids) in one eb_session_run_batch, or with --one-by-one B eb_session_run calls: the latency of
// reranking B passages either way.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#if EB_BENCH_PTHREADPOOL
#include <pthreadpool.h>
#endif
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"

namespace {

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Accumulates the time between op-observer calls per op name, in first-seen order.
struct PerOpTimer {
  std::vector<std::pair<const char*, double>> ms;  // op name (static string) -> total ms
  std::chrono::steady_clock::time_point last;
  void start() { last = std::chrono::steady_clock::now(); }
  static void observe(void* user, const char* op, int32_t /*layer*/) {
    auto* self = static_cast<PerOpTimer*>(user);
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double, std::milli>(now - self->last).count();
    self->last = now;
    // strcmp, not std::string: nothing allocates between the timestamps.
    auto it = std::find_if(self->ms.begin(), self->ms.end(),
                           [op](const auto& entry) { return std::strcmp(entry.first, op) == 0; });
    if (it == self->ms.end()) {
      self->ms.emplace_back(op, elapsed);
    } else {
      it->second += elapsed;
    }
  }
};

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

// A pthreadpool for --threads N (none for one thread).
class ThreadPool {
 public:
  explicit ThreadPool(uint32_t threads) {
#if EB_BENCH_PTHREADPOOL
    if (threads > 1) pool_ = pthreadpool_create(threads);
#else
    if (threads > 1) throw std::runtime_error("--threads needs a build with XNNPACK (pthreadpool)");
#endif
  }
  ~ThreadPool() {
#if EB_BENCH_PTHREADPOOL
    if (pool_ != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pool_));
#endif
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  void* get() const { return pool_; }

 private:
  void* pool_ = nullptr;
};

int main(int argc, char** argv) {
  CLI::App app{"edgebert-bench: end-to-end latency of an edgebert model"};
  std::string path, seq_list = "16,32,64,128", thread_list = "1", text, kernels,
      provider_list = "auto";
  int warmup = 5, runs = 50;
  uint32_t batch = 1;
  bool as_json = false, per_op = false, one_by_one = false;
  app.add_option("model", path, ".ebm file")->required()->check(CLI::ExistingFile);
  app.add_option("--seq", seq_list, "Sequence lengths, comma separated")->capture_default_str();
  app.add_option("--threads", thread_list, "Thread counts, comma separated")->capture_default_str();
  app.add_option("--warmup", warmup, "Untimed runs first")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--runs", runs, "Timed runs")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--text", text, "Text input (repeated to fill each length) instead of random ids");
  app.add_option("--kernels", kernels, "Force a kernel set (reference, avx2, avx512vnni, ...)");
  app.add_option("--provider", provider_list,
                 "Providers, comma separated: auto, native (our kernels / fp32 reference), xnnpack")
      ->capture_default_str();
  app.add_flag("--per-op", per_op, "Also time each step (embeddings, qkv, attention, ...) per run");
  app.add_option("--batch", batch, "Sequences per timed run (one eb_session_run_batch)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  app.add_flag("--one-by-one", one_by_one, "With --batch: run the sequences one eb_session_run each");
  app.add_flag("--json", as_json, "One JSON object on stdout");
  CLI11_PARSE(app, argc, argv);

  try {
    std::vector<uint32_t> seqs, threads;
    auto parse_list = [](const std::string& list, std::vector<uint32_t>* out) {
      std::stringstream in(list);
      for (std::string item; std::getline(in, item, ',');) {
        out->push_back(static_cast<uint32_t>(std::stoul(item)));
      }
    };
    parse_list(seq_list, &seqs);
    parse_list(thread_list, &threads);
    std::vector<eb_provider> providers;
    {
      std::stringstream in(provider_list);
      for (std::string item; std::getline(in, item, ',');) {
        if (item == "auto") providers.push_back(EB_PROVIDER_AUTO);
        else if (item == "native") providers.push_back(EB_PROVIDER_NATIVE);
        else if (item == "xnnpack") providers.push_back(EB_PROVIDER_XNNPACK);
        else throw std::runtime_error("--provider " + item + ": expected auto, native or xnnpack");
        if (!eb_provider_available(providers.back())) {
          throw std::runtime_error("--provider " + item + ": this build has no XNNPACK");
        }
      }
    }
    // The model mmap'd read-only, as an app loads it (page-aligned, so EB_MODEL_ALIGNMENT too):
    // model init and the first run pay its page faults, which is what a cold start costs.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) throw std::runtime_error(path + ": cannot open");
    const size_t model_bytes = static_cast<size_t>(st.st_size);
    void* mapped = ::mmap(nullptr, model_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) throw std::runtime_error(path + ": mmap failed");
    const auto* data = static_cast<const uint8_t*>(mapped);
    edgebert::Model model;
    eb_error error;
    const auto init_start = std::chrono::steady_clock::now();
    if (model.init(data, model_bytes, &error) != EB_OK) throw std::runtime_error(error.message);
    const double model_init_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - init_start)
            .count();
    const eb_model_info info = model.info();
    if (!text.empty() && !info.has_tokenizer) throw std::runtime_error("--text: model has no tokenizer");

    nlohmann::json report;
    report["model"] = path;
    report["model_bytes"] = model_bytes;
    // eb_model_init from the mmap'd file (structure checks; the weights are not read).
    report["model_init_ms"] = model_init_ms;
    report["layers"] = info.num_layers;
    report["hidden"] = info.hidden;
    report["input"] = text.empty() ? "random token ids" : "text";
    report["results"] = nlohmann::json::array();
    std::mt19937 rng(7);
    for (const eb_provider provider : providers)
    for (const uint32_t thread_count : threads)
    for (uint32_t seq : seqs) {
      if (seq < 2 || seq > info.max_seq) {
        throw std::runtime_error("--seq " + std::to_string(seq) + " outside [2, " +
                                 std::to_string(info.max_seq) + "]");
      }
      eb_session_options options = eb_session_options_default();
      options.max_seq = seq;
      options.max_batch = one_by_one ? 1 : batch;
      options.kernels = kernels.empty() ? nullptr : kernels.c_str();
      options.provider = provider;
      ThreadPool pool(thread_count);
      options.threads = thread_count;
      options.threadpool = pool.get();
      const size_t arena_bytes = model.arena_size(options);
      if (arena_bytes == 0) {
        throw std::runtime_error("this provider cannot run the model (per-channel int8 models "
                                 "need --provider native; XNNPACK needs quantize --per-tensor --calib)");
      }
      std::vector<uint8_t> arena(arena_bytes);
      edgebert::Session session;
      const auto session_start = std::chrono::steady_clock::now();
      if (session.init(model, arena.data(), arena.size(), options, &error) != EB_OK) {
        throw std::runtime_error(error.message);
      }
      const double session_init_ms = std::chrono::duration<double, std::milli>(
                                         std::chrono::steady_clock::now() - session_start)
                                         .count();
      const std::string provider_name = eb_session_provider(session.get());
      if (thread_count != 1 && std::string(eb_session_kernels(session.get())) == "fp32-reference") {
        std::fprintf(stderr, "edgebert-bench: skipping the fp32 reference with %u threads: it is "
                     "single-threaded\n", thread_count);
        continue;
      }
      std::vector<int32_t> ids(size_t{seq} * batch);
      std::uniform_int_distribution<int32_t> token(999 < static_cast<int32_t>(info.vocab_size) ? 999 : 5,
                                                   static_cast<int32_t>(info.vocab_size) - 1);
      for (int32_t& id : ids) id = token(rng);
      std::vector<eb_input> inputs;
      for (uint32_t b = 0; b < batch; ++b) {
        ids[size_t{b} * seq] = 101 % static_cast<int32_t>(info.vocab_size);  // [CLS] in BERT vocabularies
        inputs.push_back(eb_input{ids.data() + size_t{b} * seq, nullptr, nullptr, seq});
      }
      std::string filled;
      while (!text.empty() && filled.size() < seq * 16) filled += text + " ";
      auto run_once = [&]() {
        eb_status status = EB_OK;
        if (!text.empty()) {
          for (uint32_t b = 0; b < batch && status == EB_OK; ++b) {
            status = eb_session_run_text(session.get(), filled.data(), filled.size(), nullptr, 0, &error);
          }
        } else if (batch > 1 && !one_by_one) {
          status = eb_session_run_batch(session.get(), inputs.data(), inputs.size(), &error);
        } else {
          for (uint32_t b = 0; b < batch && status == EB_OK; ++b) {
            status = eb_session_run(session.get(), &inputs[b], &error);
          }
        }
        if (status != EB_OK) throw std::runtime_error(error.message);
      };
      // Cold start: model init + session init + the first run (the first configuration run pays
      // the file's page faults; later ones find the weights resident, as a warm app would).
      const auto first_start = std::chrono::steady_clock::now();
      run_once();
      const double first_run_ms = std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - first_start)
                                      .count();
      for (int i = 0; i < warmup; ++i) run_once();
      std::vector<double> ms;
      for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        run_once();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
      double mean = 0;
      for (double v : ms) mean += v / static_cast<double>(ms.size());
      const double p50 = percentile(ms, 0.5);
      // Per-op pass: the same runs again in a session whose observer timestamps every step.
      nlohmann::json ops = nlohmann::json::array();
      if (per_op) {
        PerOpTimer timer;
        eb_session_options observed = options;
        observed.op_observer = &PerOpTimer::observe;
        observed.op_observer_user = &timer;
        edgebert::Session profiled;
        if (profiled.init(model, arena.data(), arena.size(), observed, &error) != EB_OK) {
          throw std::runtime_error(error.message);
        }
        std::swap(session, profiled);
        for (int i = 0; i < warmup; ++i) run_once();
        timer.ms.clear();
        for (int i = 0; i < runs; ++i) {
          timer.start();
          run_once();
        }
        double total = 0;
        for (const auto& [op, t] : timer.ms) total += t;
        for (const auto& [op, t] : timer.ms) {
          ops.push_back({{"op", op}, {"ms", t / runs}, {"percent", total > 0 ? 100 * t / total : 0}});
        }
      }
      report["results"].push_back({{"seq", seq},
                                   {"batch", batch},
                                   {"batched", batch > 1 && !one_by_one},
                                   {"threads", thread_count},
                                   {"provider", provider_name},
                                   {"kernels", eb_session_kernels(session.get())},
                                   {"min_ms", *std::min_element(ms.begin(), ms.end())},
                                   {"p50_ms", p50},
                                   {"p90_ms", percentile(ms, 0.9)},
                                   {"p99_ms", percentile(ms, 0.99)},
                                   {"mean_ms", mean},
                                   {"tokens_per_s", static_cast<double>(seq) * batch / p50 * 1e3},
                                   {"arena_bytes", arena.size()},
                                   {"session_init_ms", session_init_ms},
                                   {"first_run_ms", first_run_ms},
                                   {"cold_start_ms",
                                    model_init_ms + session_init_ms + first_run_ms},
                                   {"runs", runs}});
      if (per_op) report["results"].back()["per_op"] = ops;
    }
    if (report["results"].empty()) throw std::runtime_error("nothing to measure");
    report["peak_rss_kib"] = peak_rss_kib();
    if (as_json) {
      std::printf("%s\n", report.dump(2).c_str());
      return 0;
    }
    std::printf("%s: %u layers, hidden %u, %zu bytes, input %s, peak RSS %ld KiB\n", path.c_str(),
                info.num_layers, info.hidden, model_bytes, report["input"].get<std::string>().c_str(),
                report["peak_rss_kib"].get<long>());
    std::printf("model init %.3f ms (mmap'd file; cold start = model init + session init + "
                "first run)\n", model_init_ms);
    std::printf("%5s %7s %-8s %-15s %9s %9s %9s %11s %12s %13s\n", "seq", "threads", "provider",
                "kernels", "p50 ms", "p90 ms", "p99 ms", "tokens/s", "arena bytes",
                "cold start ms");
    for (const auto& r : report["results"]) {
      std::printf("%5u %7u %-8s %-15s %9.3f %9.3f %9.3f %11.0f %12zu %13.3f\n",
                  r["seq"].get<uint32_t>(), r["threads"].get<uint32_t>(),
                  r["provider"].get<std::string>().c_str(), r["kernels"].get<std::string>().c_str(),
                  r["p50_ms"].get<double>(), r["p90_ms"].get<double>(), r["p99_ms"].get<double>(),
                  r["tokens_per_s"].get<double>(), r["arena_bytes"].get<size_t>(),
                  r["cold_start_ms"].get<double>());
    }
    for (const auto& r : report["results"]) {
      if (!r.contains("per_op")) continue;
      std::printf("\nper op, seq %u, %s, %u thread(s) (mean ms per run, summed over layers):\n",
                  r["seq"].get<uint32_t>(), r["provider"].get<std::string>().c_str(),
                  r["threads"].get<uint32_t>());
      for (const auto& op : r["per_op"]) {
        std::printf("  %-18s %9.3f ms %6.1f%%\n", op["op"].get<std::string>().c_str(),
                    op["ms"].get<double>(), op["percent"].get<double>());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "edgebert-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
