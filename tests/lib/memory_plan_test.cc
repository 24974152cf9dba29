// Memory plan: the planner's placements, stored plans checked at load, and an arena exactly
// eb_arena_size() bytes long with canaries and a guard page after it.
#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "kernels/qd8_attention.h"
#include "edgebert/edgebert.hpp"
#include "memory_plan.h"
#include "session_plan.h"
#include "model.h"
#include "quantize.h"
#include "test_support.h"

namespace edgebert::test {
namespace {

bool intersect(const BufferSpec& a, const BufferSpec& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

// Every pair of buffers live at the same step occupies disjoint bytes inside the head.
void check_no_live_overlap(const MemoryPlan& plan) {
  for (size_t i = 0; i < plan.count; ++i) {
    CHECK(plan.offsets[i] % kPlanAlignment == 0);
    CHECK(plan.offsets[i] + plan.buffers[i].size <= plan.head_bytes);
    for (size_t j = i + 1; j < plan.count; ++j) {
      if (!intersect(plan.buffers[i], plan.buffers[j])) continue;
      const bool disjoint = plan.offsets[i] + plan.buffers[i].size <= plan.offsets[j] ||
                            plan.offsets[j] + plan.buffers[j].size <= plan.offsets[i];
      INFO("buffers " << fb::EnumNameArenaBuffer(plan.buffers[i].buffer) << " and "
                      << fb::EnumNameArenaBuffer(plan.buffers[j].buffer));
      CHECK(disjoint);
    }
  }
}

TEST_CASE("Memory plan: greedy placement never overlaps live buffers and meets BERT's bound") {
  for (const convert::BertShape& shape :
       {convert::BertShape{2, 128, 2, 64, 512, 1000, 128, 2, 2},    // BERT-Tiny
        convert::BertShape{4, 256, 4, 64, 1024, 1000, 256, 2, 3},   // BERT-Mini
        convert::BertShape{1, 96, 3, 64, 100, 1000, 64, 2, 0},     // A != H, I < 4H, encoder
        convert::BertShape{2, 32, 4, 8, 48, 1000, 64, 2, 2}}) {      // the fixture's odd shape
    fb::ModelT spec = convert::random_bert(shape, 2);
    const convert::AlignedBytes bytes = convert::pack_model(spec);
    Model model;
    REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
    const ModelView& view = *as_view(model.get());
    for (uint32_t max_seq : {1u, 7u, shape.max_positions}) {
      MemoryPlan plan;
      plan.count = required_buffers(view, max_seq, 1, 1, plan.buffers);
      plan_greedy(&plan);
      check_no_live_overlap(plan);
      CHECK(plan.head_bytes >= plan.lower_bound);
      if (shape.intermediate == 4 * shape.hidden && max_seq > 1) {
        CHECK(plan.head_bytes == plan.lower_bound);  // BERT proportions: optimal
      }
    }
  }
}

TEST_CASE("Memory plan: the converter stores it, the runtime checks it and uses it") {
  fb::ModelT spec = import_fixture("classifier");
  convert::AlignedBytes bytes = convert::pack_model(spec);
  const fb::MemoryPlan* stored = fb::GetModel(bytes.data())->memory_plan();
  REQUIRE(stored != nullptr);
  CHECK(stored->max_seq() == 64);
  CHECK(stored->head_bytes() >= stored->lower_bound());
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  // Sessions at the planned max_seq use the stored plan; shorter ones plan less memory. (The
  // native provider: XNNPACK's region adds its packed weights.)
  eb_session_options native = eb_session_options_default();
  native.provider = EB_PROVIDER_NATIVE;
  native.max_seq = 64;
  CHECK(model.arena_size(native) < stored->head_bytes() + 64 + 1024 + 2048);
  eb_session_options shorter = native;
  shorter.max_seq = 16;
  CHECK(model.arena_size(shorter) < model.arena_size(native));
  CHECK(model.arena_size(16) < model.arena_size(64));

  eb_error error;
  // int8: quantized with fp32 attention, or with `attention` products.
  auto refused = [&](const std::function<void(fb::MemoryPlanT&)>& tamper, bool int8 = false,
                     fb::DType attention = fb::DType::Float32) {
    fb::ModelT copy = import_fixture("classifier");
    if (int8) convert::quantize_model(copy, 8, nullptr, attention);
    convert::attach_memory_plan(copy);
    tamper(*copy.memory_plan);
    const convert::AlignedBytes tampered = convert::serialize_model(copy);
    eb_model m;
    return eb_model_init(&m, tampered.data(), tampered.size(), &error);
  };
  // A copy of a stored buffer with one field changed (the structs are immutable).
  auto moved = [](const fb::PlannedBuffer& b, uint64_t offset) {
    return fb::PlannedBuffer(b.buffer(), b.first_step(), b.last_step(), offset, b.size());
  };
  auto resized = [](const fb::PlannedBuffer& b, uint64_t size) {
    return fb::PlannedBuffer(b.buffer(), b.first_step(), b.last_step(), b.offset(), size);
  };
  auto resized_half = [](const fb::PlannedBuffer& b) {
    return fb::PlannedBuffer(b.buffer(), b.first_step(), b.last_step(), b.offset(), b.size() / 2);
  };
  auto relived = [](const fb::PlannedBuffer& b, uint32_t last) {
    return fb::PlannedBuffer(b.buffer(), b.first_step(), last, b.offset(), b.size());
  };
  CHECK(refused([](fb::MemoryPlanT&) {}) == EB_OK);
  CHECK(refused([&](fb::MemoryPlanT& p) {  // Key onto Query: both live at steps 2..3
          REQUIRE(p.buffers[3].buffer() == fb::ArenaBuffer::Query);
          REQUIRE(p.buffers[4].buffer() == fb::ArenaBuffer::Key);
          p.buffers[4] = moved(p.buffers[4], p.buffers[3].offset());
        }) == EB_ERROR_INVALID_MODEL);
  CHECK(std::string(error.message) == "memory plan: two live buffers overlap");
  CHECK(refused([&](fb::MemoryPlanT& p) { p.buffers[2] = resized(p.buffers[2], 64); }) ==
        EB_ERROR_INVALID_MODEL);
  CHECK(refused([](fb::MemoryPlanT& p) { p.head_bytes = 1024; }) == EB_ERROR_INVALID_MODEL);
  CHECK(refused([](fb::MemoryPlanT& p) { p.threads = 0; }) == EB_ERROR_INVALID_MODEL);
  // Plans for another length or buffer set (another converter version) do not apply: the model
  // loads and sessions plan for themselves.
  CHECK(refused([&](fb::MemoryPlanT& p) { p.buffers[3] = relived(p.buffers[3], 9); }) == EB_OK);
  CHECK(refused([](fb::MemoryPlanT& p) { p.max_seq = 32; }) == EB_OK);
  CHECK(refused([](fb::MemoryPlanT& p) { p.buffers.pop_back(); }) == EB_OK);
  // Older converters planned KeysTransposed, then AttentionScratch (both retired; the latter
  // smaller than today's AttentionWorkspace) for int8 models.
  CHECK(refused([](fb::MemoryPlanT& p) {
          p.buffers.emplace_back(fb::ArenaBuffer::KeysTransposed, 3, 3, p.head_bytes, 0);
        }) == EB_OK);
  size_t workspaces = 0;
  CHECK(refused(
            [&](fb::MemoryPlanT& p) {
              for (fb::PlannedBuffer& b : p.buffers) {
                if (b.buffer() != fb::ArenaBuffer::AttentionWorkspace) continue;
                b = fb::PlannedBuffer(fb::ArenaBuffer::AttentionScratch, b.first_step(),
                                      b.last_step(), b.offset(), b.size() / 2);
                ++workspaces;
              }
            },
            /*int8=*/true) == EB_OK);
  CHECK(workspaces == 1);
  // The same int8 plan with the current buffer kind but too small is a defect, not an old plan.
  CHECK(refused(
            [&](fb::MemoryPlanT& p) {
              for (fb::PlannedBuffer& b : p.buffers) {
                if (b.buffer() == fb::ArenaBuffer::AttentionWorkspace) b = resized_half(b);
              }
            },
            /*int8=*/true) == EB_ERROR_INVALID_MODEL);
  // Int8 attention plans its own workspace, and fp32 attention's only for the inputs shorter
  // than kQd8AttentionMinTokens; too small is a defect too.
  size_t qd8_workspaces = 0;
  uint64_t scores_bytes = 0;
  CHECK(refused(
            [&](fb::MemoryPlanT& p) {
              for (const fb::PlannedBuffer& b : p.buffers) {
                qd8_workspaces += b.buffer() == fb::ArenaBuffer::Qd8AttentionWorkspace;
                if (b.buffer() == fb::ArenaBuffer::Scores) scores_bytes = b.size();
              }
            },
            /*int8=*/true, fb::DType::Int8) == EB_OK);
  CHECK(qd8_workspaces == 1);
  CHECK(scores_bytes == ((kQd8AttentionMinTokens - 1) * sizeof(float) + 63) / 64 * 64);  // 1 task
  CHECK(refused(
            [&](fb::MemoryPlanT& p) {
              for (fb::PlannedBuffer& b : p.buffers) {
                if (b.buffer() == fb::ArenaBuffer::Qd8AttentionWorkspace) b = resized_half(b);
              }
            },
            /*int8=*/true, fb::DType::Int8) == EB_ERROR_INVALID_MODEL);
}

// Runs every kind of input through a session whose arena is exactly eb_arena_size() bytes.
void exercise(eb_session* session, uint32_t max_seq) {
  const std::string long_text(20000, 'a');
  const std::string texts[] = {"", "The movie was GREAT!", long_text,
                               "mixed 中文 ÀÉ \xFF\xFE emoji 😀 [MASK] punctuation!!!"};
  for (const std::string& t : texts) {
    REQUIRE(eb_session_run_text(session, t.data(), t.size(), nullptr, 0, nullptr) == EB_OK);
    REQUIRE(eb_session_run_text(session, t.data(), t.size(), t.data(), t.size(), nullptr) == EB_OK);
  }
  std::vector<int32_t> ids(max_seq, 5);
  std::vector<int32_t> mask(max_seq, 1);
  mask.back() = 0;
  const eb_input input{ids.data(), nullptr, mask.data(), ids.size()};
  REQUIRE(eb_session_run(session, &input, nullptr) == EB_OK);
}

TEST_CASE("Memory plan: nothing is written past an arena of exactly eb_arena_size() bytes") {
  const convert::AlignedBytes bytes = packed_fixture("classifier");
  Model model;
  REQUIRE(model.init(bytes.data(), bytes.size()) == EB_OK);
  for (uint32_t max_seq : {64u, 9u}) {
    const size_t need = model.arena_size(max_seq);
    eb_session_options options = eb_session_options_default();
    options.max_seq = max_seq;
    SUBCASE("canaries after the arena, every start alignment") {
      constexpr size_t kCanary = 4096;
      std::vector<uint8_t> storage(need + kCanary + 64);
      for (size_t shift = 0; shift < 64; shift += 13) {
        uint8_t* arena = storage.data() + shift;
        std::memset(arena + need, 0xA5, kCanary);
        eb_session* session = nullptr;
        REQUIRE(eb_session_init(&session, model.get(), &options, arena, need, nullptr) == EB_OK);
        exercise(session, max_seq);
        size_t damaged = 0;
        for (size_t i = 0; i < kCanary; ++i) damaged += arena[need + i] != 0xA5;
        INFO("max_seq " << max_seq << ", shift " << shift);
        CHECK(damaged == 0);
      }
    }
    SUBCASE("a guard page right after the arena") {
      const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
      const size_t pages = (need + page - 1) / page + 1;
      auto* region = static_cast<uint8_t*>(
          ::mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      REQUIRE(region != MAP_FAILED);
      uint8_t* guard = region + (pages - 1) * page;
      REQUIRE(::mprotect(guard, page, PROT_NONE) == 0);  // any write past the end faults
      uint8_t* arena = guard - need;
      eb_session* session = nullptr;
      REQUIRE(eb_session_init(&session, model.get(), &options, arena, need, nullptr) == EB_OK);
      exercise(session, max_seq);
      ::munmap(region, pages * page);
    }
  }
}

}  // namespace
}  // namespace edgebert::test
