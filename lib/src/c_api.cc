// C API entry points for models and statuses (sessions are in session.cc).
#include <cstring>

#include "edgebert/edgebert.h"
#include "error.h"
#include "model.h"
#include "session_plan.h"

extern "C" {

const char* eb_status_string(eb_status status) {
  switch (status) {
    case EB_OK: return "EB_OK";
    case EB_ERROR_INVALID_ARGUMENT: return "EB_ERROR_INVALID_ARGUMENT";
    case EB_ERROR_INVALID_MODEL: return "EB_ERROR_INVALID_MODEL";
    case EB_ERROR_UNSUPPORTED: return "EB_ERROR_UNSUPPORTED";
    case EB_ERROR_MISALIGNED: return "EB_ERROR_MISALIGNED";
    case EB_ERROR_ARENA_TOO_SMALL: return "EB_ERROR_ARENA_TOO_SMALL";
    case EB_ERROR_INVALID_INPUT: return "EB_ERROR_INVALID_INPUT";
  }
  return "EB_ERROR_UNKNOWN";
}

}  // extern "C"

namespace {

// One enum's names, indexed by value (the enums count from 0 without gaps).
template <typename Enum, size_t N>
const char* name_of(Enum value, const char* const (&names)[N]) {
  const auto index = static_cast<size_t>(value);
  return index < N ? names[index] : "unknown";
}

template <typename Enum, size_t N>
eb_status value_of(const char* name, const char* const (&names)[N], const char* what, Enum* out,
                   eb_error* error) {
  if (out == nullptr) return edgebert::fail(error, EB_ERROR_INVALID_ARGUMENT, "%s output is NULL", what);
  for (size_t i = 0; name != nullptr && i < N; ++i) {
    if (std::strcmp(name, names[i]) == 0) {
      *out = static_cast<Enum>(i);
      return edgebert::ok(error);
    }
  }
  char list[128];  // "a, b or c"
  size_t length = 0;
  auto append = [&](const char* text) {
    for (; *text != '\0' && length + 1 < sizeof(list); ++text) list[length++] = *text;
  };
  for (size_t i = 0; i < N; ++i) {
    append(i == 0 ? "" : i + 1 == N ? " or " : ", ");
    append(names[i]);
  }
  list[length] = '\0';
  return edgebert::fail(error, EB_ERROR_INVALID_ARGUMENT, "%s '%s': expected %s", what,
                        name == nullptr ? "(null)" : name, list);
}

constexpr const char* kTaskNames[] = {"encoder",          "classification",
                                      "embedding",        "question_answering",
                                      "token_classification", "masked_lm"};
constexpr const char* kProblemTypeNames[] = {"single_label", "multi_label", "regression"};
constexpr const char* kProviderNames[] = {"auto", "native", "xnnpack"};
constexpr const char* kAggregationNames[] = {"none", "simple", "first", "average", "max"};
constexpr const char* kOutputNames[] = {"last_hidden",   "pooled",    "logits",
                                        "probabilities", "embedding", "token_logits"};
static_assert(sizeof(kTaskNames) / sizeof(kTaskNames[0]) == EB_TASK_MASKED_LM + 1);
static_assert(sizeof(kProblemTypeNames) / sizeof(kProblemTypeNames[0]) == EB_PROBLEM_REGRESSION + 1);
static_assert(sizeof(kProviderNames) / sizeof(kProviderNames[0]) == EB_PROVIDER_XNNPACK + 1);
static_assert(sizeof(kAggregationNames) / sizeof(kAggregationNames[0]) == EB_AGGREGATION_MAX + 1);
static_assert(sizeof(kOutputNames) / sizeof(kOutputNames[0]) == EB_OUTPUT_TOKEN_LOGITS + 1);

}  // namespace

extern "C" {

const char* eb_task_name(eb_task_kind task) { return name_of(task, kTaskNames); }
const char* eb_problem_type_name(eb_problem_type type) { return name_of(type, kProblemTypeNames); }
const char* eb_provider_name(eb_provider provider) { return name_of(provider, kProviderNames); }
const char* eb_aggregation_name(eb_aggregation a) { return name_of(a, kAggregationNames); }
const char* eb_output_name(eb_output output) { return name_of(output, kOutputNames); }

eb_status eb_provider_from_name(const char* name, eb_provider* provider, eb_error* error) {
  return value_of(name, kProviderNames, "provider", provider, error);
}

eb_status eb_aggregation_from_name(const char* name, eb_aggregation* aggregation, eb_error* error) {
  return value_of(name, kAggregationNames, "aggregation", aggregation, error);
}

eb_status eb_output_from_name(const char* name, eb_output* output, eb_error* error) {
  return value_of(name, kOutputNames, "output", output, error);
}

eb_status eb_model_init(eb_model* model, const void* data, size_t size, eb_error* error) {
  if (model == nullptr) {
    return edgebert::fail(error, EB_ERROR_INVALID_ARGUMENT, "model storage is NULL");
  }
  // The loader checks the file (model.cc); the stored memory plan is checked against what the
  // graph and the executors declare (session_plan.cc), a layer above both.
  auto* view = reinterpret_cast<edgebert::ModelView*>(model);
  eb_status status = edgebert::model_view_init(view, data, size, error);
  if (status != EB_OK) return status;
  status = edgebert::check_model_plan(*view, error);
  if (status != EB_OK) view->magic = 0;  // not ready
  return status;
}

eb_status eb_model_check_weights(const eb_model* model, eb_error* error) {
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view)) {
    return edgebert::fail(error, EB_ERROR_INVALID_ARGUMENT, "model is NULL or not initialised");
  }
  edgebert::ModelWeights weights{};  // layers == nullptr: check every layer, store none
  const eb_status status = edgebert::resolve_weights(*view, &weights, true, error);
  return status != EB_OK ? status : edgebert::ok(error);
}

void eb_model_get_info(const eb_model* model, eb_model_info* info) {
  if (info == nullptr) return;
  *info = eb_model_info{};
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view)) return;
  const edgebert::ModelDims& d = view->dims;
  info->schema_version = view->root->schema_version();
  info->num_layers = d.num_layers;
  info->hidden = d.hidden;
  info->num_heads = d.num_heads;
  info->head_dim = d.head_dim;
  info->intermediate = d.intermediate;
  info->vocab_size = d.vocab_size;
  info->max_positions = d.max_positions;
  info->type_vocab_size = d.type_vocab_size;
  info->max_seq = d.max_seq;
  info->task = static_cast<eb_task_kind>(view->task);
  info->num_labels = d.num_labels;
  info->problem_type = static_cast<eb_problem_type>(view->problem_type);
  info->has_pooler = view->has_pooler ? 1 : 0;
  info->has_tokenizer = view->tokenizer_word_chars > 0 ? 1 : 0;
}

const char* eb_model_token(const eb_model* model, int32_t id) {
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view) || view->root->tokenizer() == nullptr || id < 0 ||
      static_cast<uint32_t>(id) >= view->dims.vocab_size) {
    return nullptr;
  }
  return view->root->tokenizer()->vocab()->Get(static_cast<uint32_t>(id))->c_str();
}

const char* eb_model_label(const eb_model* model, uint32_t index) {
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view) || index >= view->dims.num_labels) return nullptr;
  return view->root->task()->labels()->Get(index)->c_str();
}

static const char* provenance_string(const eb_model* model, bool producer) {
  const edgebert::ModelView* view = edgebert::as_view(model);
  if (!edgebert::model_view_ready(view) || view->root->provenance() == nullptr) return "";
  const flatbuffers::String* s =
      producer ? view->root->provenance()->producer() : view->root->provenance()->source();
  return s == nullptr ? "" : s->c_str();
}

const char* eb_model_producer(const eb_model* model) { return provenance_string(model, true); }
const char* eb_model_source(const eb_model* model) { return provenance_string(model, false); }

}  // extern "C"
