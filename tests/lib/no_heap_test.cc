// The "no heap" promise, counted: model init, session init, tokenization and inference (text
// and token-id input) make zero heap calls. Runs in its own binary (edgebert_alloc_tests) because
// it replaces malloc and operator new for the whole process.
#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "alloc_counter.h"
#if EB_TEST_XNNPACK
#include <pthreadpool.h>
#endif
#include "edgebert/edgebert.hpp"
#include "calibrate.h"
#include "labelled_data.h"
#include "quantize.h"
#include "test_support.h"
#include "tokenizer/unigram_file.h"

namespace edgebert::test {
namespace {

// Texts that take every tokenizer path: SST-2 sentences, hard cases, pairs from the fixture.
struct Text {
  std::string a, b;
  bool pair;
};
std::vector<Text> texts() {
  std::vector<Text> out;
  std::ifstream in(fixture_path("tokenizer/parity.jsonl"));
  for (std::string line; std::getline(in, line) && out.size() < 2000;) {
    const nlohmann::json c = nlohmann::json::parse(line);
    if (c["vocab"] != "uncased") continue;
    out.push_back({c["text"], c.value("text_b", ""), c.contains("text_b")});
  }
  out.push_back({"invalid \xFF\xC0\xAF utf-8 \xED\xA0\x80 and NUL \0 bytes", "", false});
  out.push_back({std::string(100000, 'x') + " long", "", false});
  out.push_back({std::string(5000, 'y'), std::string(7000, 'z'), true});
  return out;
}

// The tiny text model in fp32, or quantized to int8 (kernel path), or to static int8 (XNNPACK).
convert::AlignedBytes text_model(bool int8, bool static_int8 = false) {
  convert::AlignedBytes fp32 = packed_text_model("tokenizer/uncased-vocab.txt", {});
  if (!int8) return fp32;  // moved
  fb::ModelT spec;
  fb::GetModel(fp32.data())->UnPackTo(&spec);
  if (static_int8) {
    const convert::Calibration calibration = convert::calibrate(
        fp32, convert::read_labelled_file(fixture_path("sst2_dev_sample.tsv")), 32);
    convert::quantize_model(spec, 8, &calibration);
  } else {
    convert::quantize_model(spec);
  }
  return convert::pack_model(spec);
}

// XNNPACK's first initialisation in a process allocates its CPU tables (cpuinfo), once: a first
// session takes that, uncounted; every later session init and every run is counted.
void warm_up_xnnpack(const convert::AlignedBytes& bytes, const eb_session_options& options) {
  eb_model first;
  eb_error error;
  REQUIRE(eb_model_init(&first, bytes.data(), bytes.size(), &error) == EB_OK);
  std::vector<uint8_t> first_arena(eb_session_arena_size(&first, &options));
  eb_session* warm = nullptr;
  REQUIRE(eb_session_init(&warm, &first, &options, first_arena.data(), first_arena.size(),
                          &error) == EB_OK);
}

// texts_limit: the first N texts and the three hard cases at the end (all texts when 0).
void check_no_heap(const convert::AlignedBytes& bytes, eb_provider provider,
                   void* threadpool = nullptr, uint32_t threads = 1, size_t texts_limit = 0) {
  std::vector<Text> inputs = texts();
  REQUIRE(inputs.size() > 1000);
  if (texts_limit != 0 && texts_limit + 3 < inputs.size()) {
    inputs.erase(inputs.begin() + static_cast<std::ptrdiff_t>(texts_limit), inputs.end() - 3);
  }
  eb_model model;
  std::vector<uint8_t> arena(1 << 22);
  eb_session* session = nullptr;
  eb_error error;
  eb_status init_model, init_session;
  eb_session_options options = eb_session_options_default();
  options.max_seq = 128;
  options.provider = provider;
  options.threads = threads;
  options.threadpool = threadpool;
  if (provider == EB_PROVIDER_XNNPACK) warm_up_xnnpack(bytes, options);
  {
    CountingScope scope;
    init_model = eb_model_init(&model, bytes.data(), bytes.size(), &error);
    if (init_model == EB_OK) init_model = eb_model_check_weights(&model, &error);
    const size_t need = eb_session_arena_size(&model, &options);
    init_session = need <= arena.size()
                       ? eb_session_init(&session, &model, &options, arena.data(), need, &error)
                       : EB_ERROR_ARENA_TOO_SMALL;
    const HeapCalls calls = scope.calls();
    CHECK(calls.total() == 0);
  }
  REQUIRE(init_model == EB_OK);
  REQUIRE(init_session == EB_OK);

  size_t failures = 0, tokens = 0;
  HeapCalls calls;
  {
    CountingScope scope;
    for (const Text& t : inputs) {
      failures += eb_session_run_text(session, t.a.data(), t.a.size(), t.pair ? t.b.data() : nullptr,
                                      t.b.size(), &error) != EB_OK;
      eb_tokens out;
      eb_session_tokens(session, &out);
      tokens += out.count;
      // Token-id input, and a refused input that formats an error message.
      const eb_input ids{out.ids, out.token_type_ids, out.attention_mask, out.count};
      failures += eb_session_run(session, &ids, &error) != EB_OK;
      const int32_t bad[2] = {101, 1 << 30};
      const eb_input bad_ids{bad, nullptr, nullptr, 2};
      failures += eb_session_run(session, &bad_ids, &error) != EB_ERROR_INVALID_INPUT;
      const float* embedding;
      size_t dimension;
      failures += eb_session_embed_text(session, t.a.data(), t.a.size(), &embedding, &dimension,
                                        &error) != EB_OK;
    }
    calls = scope.calls();
  }
  CHECK(std::string(eb_session_provider(session)) ==
        (provider == EB_PROVIDER_XNNPACK ? "xnnpack" : "native"));
  MESSAGE(std::string(eb_session_provider(session)) << " " << std::string(eb_session_kernels(session)) << ": " << inputs.size() << " texts, " << tokens
                                     << " tokens: " << calls.allocations << " allocations, "
                                     << calls.frees << " frees");
  CHECK(failures == 0);
  CHECK(calls.total() == 0);
}

TEST_CASE("No heap: fp32 model: init, tokenize and run allocate nothing") {
  check_no_heap(text_model(false), EB_PROVIDER_NATIVE);
}

TEST_CASE("No heap: SentencePiece Unigram tokenizer (XLM-R's pipeline): init, tokenize and run "
          "allocate nothing") {
  const convert::BertShape shape = tiny_text_shape(4000);
  fb::ModelT spec = convert::random_bert(shape, 1);
  spec.tokenizer = convert::read_unigram(fixture_path("tokenizer/unigram"), shape.vocab_size);
  check_no_heap(convert::pack_model(spec), EB_PROVIDER_NATIVE);
}

TEST_CASE("No heap: int8 model (kernel path): init, tokenize and run allocate nothing") {
  check_no_heap(text_model(true), EB_PROVIDER_NATIVE);
}

#if EB_TEST_XNNPACK
TEST_CASE("No heap: int8 model on a 2-thread pthreadpool: init, tokenize and run allocate nothing") {
  pthreadpool_t pool = pthreadpool_create(2);  // the caller's pool: made (and counted) outside
  REQUIRE(pool != nullptr);
  // 300 texts and the hard cases: what the threads do (and might allocate) does not depend on
  // the text, and under qemu-user each threaded run costs ~15x a single-threaded one (the whole
  // 2,000 took 150 s per emulated CPU); the single-threaded cases above take every text.
  check_no_heap(text_model(true), EB_PROVIDER_NATIVE, pool, 2, 300);
  check_no_heap(text_model(true, true), EB_PROVIDER_XNNPACK, pool, 2, 300);
  pthreadpool_destroy(pool);
}

TEST_CASE("No heap: XNNPACK provider, fp32 model: init, tokenize and run allocate nothing") {
  check_no_heap(text_model(false), EB_PROVIDER_XNNPACK);
}

TEST_CASE("No heap: XNNPACK provider, static int8 model: init, tokenize and run allocate nothing") {
  check_no_heap(text_model(true, true), EB_PROVIDER_XNNPACK);
}
#endif  // EB_TEST_XNNPACK: the provider's cases exist only in builds with it

// The task calls (answer with windows, tag with every aggregation, fill-mask, score in batches,
// batch runs) on the task fixtures, fp32 and int8, native and XNNPACK: init and every call
// allocate nothing, errors included.
// family: "tasks" (BERT, WordPiece) or "tasks_roberta" (byte-level BPE).
void check_tasks_no_heap(const std::string& task, bool int8, eb_provider provider,
                         const std::string& family = "tasks") {
  CAPTURE(family);
  CAPTURE(task);
  CAPTURE(int8);
  CAPTURE(provider);
  convert::ImportOptions import;
  import.dir = fixture_path(family + "/" + task);
  fb::ModelT spec = convert::import_hf(import);
  if (int8) convert::quantize_model(spec);
  const convert::AlignedBytes bytes = convert::pack_model(spec);
  eb_session_options options = eb_session_options_default();
  options.max_seq = 48;
  options.max_batch = 4;
  options.provider = provider;
  eb_error error;
  if (provider == EB_PROVIDER_XNNPACK) warm_up_xnnpack(bytes, options);
  const std::vector<Text> inputs = texts();
  // Made before counting: contexts of several windows, texts with masks.
  std::vector<std::string> contexts, masked;
  for (size_t i = 0; i + 1 < inputs.size() && i < 400; i += 2) {
    contexts.push_back(inputs[i + 1].a + " " + inputs[i].a + " " + inputs[i + 1].a);
    const std::string mask = family == "tasks" ? "[MASK]" : "<mask>";
    masked.push_back(mask + " " + inputs[i].a + " " + mask);
  }
  std::vector<uint8_t> arena(1 << 23);
  eb_answer answers[8];
  eb_entity entities[64];
  eb_token_score tokens[16];
  float scores[6];
  size_t failures = 0;
  HeapCalls calls;
  {
    CountingScope scope;
    eb_model model;
    eb_session* s = nullptr;
    failures += eb_model_init(&model, bytes.data(), bytes.size(), &error) != EB_OK;
    failures += eb_session_init(&s, &model, &options, arena.data(), arena.size(), &error) != EB_OK;
    for (size_t i = 0; s != nullptr && i + 1 < inputs.size() && i < 400; i += 2) {
      const std::string& a = inputs[i].a;
      const std::string& b = inputs[i + 1].a;
      size_t count = 0;
      if (task == "qa") {
        eb_answer_options o = eb_answer_options_default();
        o.top_k = 1 + i % 8;
        o.doc_stride = 8;
        o.handle_impossible_answer = static_cast<int>(i % 2);
        const std::string& context = contexts[i / 2];
        const eb_status status = eb_session_answer(s, a.data(), a.size(), context.data(),
                                                   context.size(), &o, answers, 8, &count, &error);
        failures += status != EB_OK && status != EB_ERROR_INVALID_INPUT;  // long questions
      } else if (task == "tagger") {
        eb_tag_options o = eb_tag_options_default();
        o.aggregation = static_cast<eb_aggregation>(i % 5);
        failures += eb_session_tag(s, a.data(), a.size(), &o, entities, 64, &count, &error) != EB_OK;
      } else if (task == "mlm") {
        const std::string& text = masked[i / 2];
        failures += eb_session_fill_mask(s, text.data(), text.size(), 5, tokens, 16, &count,
                                         &error) != EB_OK;
        failures += eb_session_fill_mask(s, b.data(), b.size(), 5, tokens, 16, &count, &error) !=
                    EB_ERROR_INVALID_INPUT;  // no mask
      } else {
        const char* passages[6];
        size_t lengths[6];
        for (size_t j = 0; j < 6; ++j) {
          passages[j] = inputs[(i + j) % inputs.size()].a.data();
          lengths[j] = inputs[(i + j) % inputs.size()].a.size();
        }
        failures += eb_session_score(s, a.data(), a.size(), passages, lengths, 6, scores, scores,
                                     &error) != EB_OK;
      }
    }
    calls = scope.calls();
  }
  MESSAGE(task << (int8 ? " int8" : " fp32") << ": " << calls.allocations << " allocations, "
               << calls.frees << " frees");
  CHECK(failures == 0);
  CHECK(calls.total() == 0);
}

TEST_CASE("No heap: the task calls (answer, tag, fill-mask, score in batches) allocate nothing, "
          "WordPiece and byte-level BPE") {
  for (const char* task : {"qa", "tagger", "mlm", "reranker"}) {
    for (const bool int8 : {false, true}) {
      check_tasks_no_heap(task, int8, EB_PROVIDER_NATIVE);
      check_tasks_no_heap(task, int8, EB_PROVIDER_NATIVE, "tasks_roberta");
#if EB_TEST_XNNPACK
      if (!int8) check_tasks_no_heap(task, int8, EB_PROVIDER_XNNPACK);
#endif
    }
  }
}

TEST_CASE("No heap: reading attention maps from the op observer allocates nothing") {
  // The hook reads every head at each layer's attention step into a buffer made beforehand.
  struct Reader {
    eb_session* session = nullptr;
    std::vector<float> map = std::vector<float>(128 * 128);
    size_t reads = 0, failures = 0;
    static void observe(void* user, const char* op, int32_t) {
      auto* r = static_cast<Reader*>(user);
      if (std::strcmp(op, "attention") != 0) return;
      for (uint32_t h = 0; h < 2; ++h) {
        size_t tokens = 0;
        const eb_status status = eb_session_attention(r->session, 0, h, r->map.data(),
                                                      r->map.size(), &tokens, nullptr);
        r->failures += status != EB_OK;
        r->reads += tokens;
      }
    }
  };
  for (const bool int8 : {false, true}) {
    const convert::AlignedBytes bytes = text_model(int8);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    Reader reader;
    eb_session_options options = eb_session_options_default();
    options.max_seq = 128;
    options.op_observer = &Reader::observe;
    options.op_observer_user = &reader;
    std::vector<uint8_t> arena(model.arena_size(options));
    Session session;
    REQUIRE(session.init(model, arena.data(), arena.size(), options) == EB_OK);
    reader.session = session.get();
    const std::vector<Text> inputs = texts();
    HeapCalls calls;
    {
      CountingScope scope;
      for (size_t i = 0; i < 200; ++i) {
        const Text& t = inputs[i];
        eb_session_run_text(session.get(), t.a.data(), t.a.size(), t.pair ? t.b.data() : nullptr,
                            t.b.size(), nullptr);
      }
      calls = scope.calls();
    }
    CAPTURE(int8);
    CHECK(reader.failures == 0);
    CHECK(reader.reads > 200);
    CHECK(calls.total() == 0);
  }
}

TEST_CASE("No heap: the counter itself sees allocations (guards the guard)") {
  HeapCalls calls;
  {
    CountingScope scope;
    auto* p = new std::vector<int>(100);
    delete p;
    void* q = std::malloc(10);
    std::free(q);
    calls = scope.calls();
  }
  CHECK(calls.allocations >= 3);
  CHECK(calls.frees >= 3);
}

}  // namespace
}  // namespace edgebert::test
