#include "session_plan.h"

#include "executors/native_executor.h"
#include "executors/oracle_executor.h"
#include "executors/xnnpack_executor.h"
#include "graph/bert_graph.h"
#include "tokenizer/tokenizer.h"

namespace edgebert {

uint64_t batch_encoding_bytes(uint32_t max_seq, uint32_t max_batch) {
  return max_batch > 1 ? 2 * uint64_t{max_seq} * max_batch * sizeof(int32_t) : 0;
}

size_t required_buffers(const ModelView& model, uint32_t max_seq, uint32_t max_batch,
                        uint32_t threads, BufferSpec* out) {
  BufferRequests requests;
  if (model.tokenizer_word_chars > 0) {
    requests.request(fb::ArenaBuffer::Encoding, encoding_bytes(max_seq), kStepTokenize, kLastStep);
    requests.request(fb::ArenaBuffer::TokenizerScratch,
                     tokenizer_scratch_bytes(model.tokenizer_word_chars, max_seq, model.tokenizer_model),
                     kStepTokenize,
                     kStepTokenize);
    requests.request(fb::ArenaBuffer::BatchEncoding, batch_encoding_bytes(max_seq, max_batch),
                     kStepTokenize, kLastStep);
  }
  request_graph_buffers(model, max_seq, max_batch, &requests);
  if (model.int8) {
    request_native_scratch(model, max_seq, max_batch, threads, &requests);
  } else {
    request_oracle_scratch(model, max_seq, &requests);
  }
  request_xnnpack_scratch(model, max_seq, threads, &requests);
  return requests.finish(out);
}

namespace {

PlanCheck check(const ModelView& model, const fb::MemoryPlan* stored, MemoryPlan* plan,
                eb_error* error) {
  BufferSpec required[kMaxPlanBuffers];
  const size_t count = required_buffers(model, stored->max_seq(), 1, stored->threads(), required);
  return check_stored_plan(stored, model.dims.max_seq, required, count, plan, error);
}

}  // namespace

eb_status check_model_plan(const ModelView& model, eb_error* error) {
  const fb::MemoryPlan* stored = model.root->memory_plan();
  if (stored != nullptr && check(model, stored, nullptr, error) == PlanCheck::kCorrupt) {
    return EB_ERROR_INVALID_MODEL;
  }
  return EB_OK;
}

void session_plan(const ModelView& model, uint32_t max_seq, uint32_t max_batch, uint32_t threads,
                  MemoryPlan* plan) {
  const fb::MemoryPlan* stored = model.root->memory_plan();
  if (stored != nullptr && max_batch == 1 && stored->max_seq() == max_seq &&
      stored->threads() == threads &&
      check(model, stored, plan, nullptr) == PlanCheck::kUsable) {
    return;  // checked at model init already; cheap to re-read
  }
  plan->count = required_buffers(model, max_seq, max_batch, threads, plan->buffers);
  plan_greedy(plan);
}

}  // namespace edgebert
