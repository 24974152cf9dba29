// JNI shim of the Java binding (bindings/java/src/main/java/dev/edgebert): each native method of
// Model and Session over the C API. Java passes text as UTF-8 byte arrays (String.getBytes), so
// no modified UTF-8 reaches the tokenizer; results go back as primitive arrays that the Java
// classes turn into objects (byte offsets become String indices there). Allocates what the
// binding owns: the Model and Session records, a session's arena and (threads > 1) its
// pthreadpool, and per call the result arrays; never the model bytes.
#include <fcntl.h>
#include <jni.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "edgebert/edgebert.h"

#ifdef EB_JNI_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace {

struct ModelRecord {
  eb_model model{};
  eb_model_info info{};
  void* map = nullptr;  // mmap'd file, or nullptr for a wrapped buffer
  size_t size = 0;
};

struct SessionRecord {
  eb_session* session = nullptr;
  const ModelRecord* model = nullptr;
  std::unique_ptr<std::byte[]> arena;
  size_t arena_bytes = 0;
  void* pool = nullptr;
  uint32_t max_seq = 0;

  ~SessionRecord() {
#ifdef EB_JNI_PTHREADPOOL
    if (pool != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pool));
#endif
  }
};

void throw_status(JNIEnv* env, eb_status status, const char* message) {
  jclass type = env->FindClass("dev/edgebert/EdgebertException");
  if (type == nullptr) return;  // NoClassDefFoundError pending
  jmethodID init = env->GetMethodID(type, "<init>", "(Ljava/lang/String;Ljava/lang/String;)V");
  jstring s = env->NewStringUTF(eb_status_string(status));
  jstring m = env->NewStringUTF(message);
  env->Throw(static_cast<jthrowable>(env->NewObject(type, init, s, m)));
}

void throw_java(JNIEnv* env, const char* type, const std::string& message) {
  jclass c = env->FindClass(type);
  if (c != nullptr) env->ThrowNew(c, message.c_str());
}

void throw_argument(JNIEnv* env, const std::string& message) {
  throw_java(env, "java/lang/IllegalArgumentException", message);
}

// Throws the runtime's error as an EdgebertException; true if there was one.
bool failed(JNIEnv* env, eb_status status, const eb_error& error) {
  if (status == EB_OK) return false;
  throw_status(env, status, error.message);
  return true;
}

// A Java primitive array held for the duration of a call (copied or pinned, as the JVM chooses).
template <typename Array, typename Element, Element* (JNIEnv::*Get)(Array, jboolean*),
          void (JNIEnv::*Release)(Array, Element*, jint)>
class Held {
 public:
  Held(JNIEnv* env, Array array) : env_(env), array_(array) {
    if (array == nullptr) return;
    size_ = static_cast<size_t>(env->GetArrayLength(array));
    data_ = (env->*Get)(array, nullptr);
  }
  ~Held() {
    if (data_ != nullptr) (env_->*Release)(array_, data_, JNI_ABORT);
  }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  const Element* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  JNIEnv* env_;
  Array array_;
  Element* data_ = nullptr;
  size_t size_ = 0;
};

using HeldInts = Held<jintArray, jint, &JNIEnv::GetIntArrayElements, &JNIEnv::ReleaseIntArrayElements>;

// A text as UTF-8 bytes (null stays null: the C API's "no pair").
class Text : public Held<jbyteArray, jbyte, &JNIEnv::GetByteArrayElements,
                         &JNIEnv::ReleaseByteArrayElements> {
 public:
  using Held::Held;
  const char* chars() const { return reinterpret_cast<const char*>(data()); }
};

std::string string_of(JNIEnv* env, jstring s) {
  const char* chars = env->GetStringUTFChars(s, nullptr);
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

ModelRecord* model_of(jlong handle) { return reinterpret_cast<ModelRecord*>(handle); }
SessionRecord* session_of(jlong handle) { return reinterpret_cast<SessionRecord*>(handle); }
eb_session* runtime_of(jlong handle) { return session_of(handle)->session; }

jfloatArray float_array(JNIEnv* env, const float* data, size_t n) {
  jfloatArray out = env->NewFloatArray(static_cast<jsize>(n));
  if (out != nullptr && n > 0) env->SetFloatArrayRegion(out, 0, static_cast<jsize>(n), data);
  return out;
}

template <typename T>
jintArray int_array(JNIEnv* env, const T* data, size_t n) {
  std::vector<jint> ints(data, data + n);
  jintArray out = env->NewIntArray(static_cast<jsize>(n));
  if (out != nullptr && n > 0) env->SetIntArrayRegion(out, 0, static_cast<jsize>(n), ints.data());
  return out;
}

// An Object[] (or, with element_class "[I", an int[][]) of the items.
jobjectArray object_array(JNIEnv* env, std::initializer_list<jobject> items,
                          const char* element_class = "java/lang/Object") {
  jobjectArray out =
      env->NewObjectArray(static_cast<jsize>(items.size()), env->FindClass(element_class), nullptr);
  jsize i = 0;
  for (jobject item : items) env->SetObjectArrayElement(out, i++, item);
  return out;
}

jobjectArray string_array(JNIEnv* env, const std::vector<const char*>& strings) {
  jobjectArray out = env->NewObjectArray(static_cast<jsize>(strings.size()),
                                         env->FindClass("java/lang/String"), nullptr);
  for (size_t i = 0; out != nullptr && i < strings.size(); ++i) {
    jstring string = env->NewStringUTF(strings[i]);
    env->SetObjectArrayElement(out, static_cast<jsize>(i), string);
    env->DeleteLocalRef(string);  // a call has room for 16 local references by default
  }
  return out;
}

jlong init_model(JNIEnv* env, std::unique_ptr<ModelRecord> record, const void* data,
                 const std::string& name) {
  eb_error error;
  const eb_status status = eb_model_init(&record->model, data, record->size, &error);
  if (status != EB_OK) {
    if (record->map != nullptr) munmap(record->map, record->size);
    throw_status(env, status, (name + ": " + error.message).c_str());
    return 0;
  }
  eb_model_get_info(&record->model, &record->info);
  return reinterpret_cast<jlong>(record.release());
}

// Checks one sequence's ids and optional type ids / mask for eb_input; false (and a pending
// exception) if they are unusable.
bool make_input(JNIEnv* env, const HeldInts& ids, const HeldInts& types, const HeldInts& mask,
                jintArray types_array, jintArray mask_array, const std::string& what, eb_input* in) {
  if (ids.data() == nullptr) return throw_java(env, "java/lang/NullPointerException", what + "ids"), false;
  if ((types_array != nullptr && types.size() != ids.size()) ||
      (mask_array != nullptr && mask.size() != ids.size())) {
    throw_argument(env, what + "tokenTypeIds and attentionMask must be as long as inputIds (" +
                            std::to_string(ids.size()) + ")");
    return false;
  }
  in->input_ids = ids.data();
  in->token_type_ids = types_array != nullptr ? types.data() : nullptr;
  in->attention_mask = mask_array != nullptr ? mask.data() : nullptr;
  in->num_tokens = ids.size();
  return true;
}

}  // namespace

extern "C" {

// ---- Model ----

JNIEXPORT jlong JNICALL Java_dev_edgebert_Model_nativeOpen(JNIEnv* env, jclass, jstring jpath) {
  const std::string path = string_of(env, jpath);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_argument(env, path + ": " + std::strerror(errno)), 0;
  struct stat st;
  auto record = std::make_unique<ModelRecord>();
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    close(fd);
    throw_status(env, EB_ERROR_INVALID_MODEL, (path + ": empty or unreadable file").c_str());
    return 0;
  }
  record->size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, record->size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return throw_argument(env, path + ": mmap failed"), 0;
  record->map = map;
  return init_model(env, std::move(record), map, path);
}

JNIEXPORT jlong JNICALL Java_dev_edgebert_Model_nativeWrap(JNIEnv* env, jclass, jobject buffer,
                                                           jint offset, jint size) {
  auto* base = static_cast<const char*>(env->GetDirectBufferAddress(buffer));
  if (base == nullptr) return throw_argument(env, "not a direct buffer"), 0;
  auto record = std::make_unique<ModelRecord>();
  record->size = static_cast<size_t>(size);
  return init_model(env, std::move(record), base + offset, "<ByteBuffer>");
}

JNIEXPORT void JNICALL Java_dev_edgebert_Model_nativeClose(JNIEnv*, jclass, jlong handle) {
  ModelRecord* record = model_of(handle);
  if (record->map != nullptr) munmap(record->map, record->size);
  delete record;
}

JNIEXPORT void JNICALL Java_dev_edgebert_Model_nativeCheckWeights(JNIEnv* env, jclass, jlong handle) {
  eb_error error;
  failed(env, eb_model_check_weights(&model_of(handle)->model, &error), error);
}

// eb_model_info in field order (Model.java names them), then the model's byte size.
JNIEXPORT jlongArray JNICALL Java_dev_edgebert_Model_nativeInfo(JNIEnv* env, jclass, jlong handle) {
  const ModelRecord* m = model_of(handle);
  const eb_model_info& i = m->info;
  const jlong fields[] = {i.schema_version, i.num_layers,      i.hidden,      i.num_heads,
                          i.head_dim,       i.intermediate,    i.vocab_size,  i.max_positions,
                          i.type_vocab_size, i.max_seq,        i.num_labels,  i.has_pooler,
                          i.has_tokenizer,  static_cast<jlong>(m->size)};
  const jsize n = sizeof(fields) / sizeof(fields[0]);
  jlongArray out = env->NewLongArray(n);
  if (out != nullptr) env->SetLongArrayRegion(out, 0, n, fields);
  return out;
}

// {task, problem type, producer, source, label 0, label 1, ...}
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Model_nativeStrings(JNIEnv* env, jclass, jlong handle) {
  const ModelRecord* m = model_of(handle);
  std::vector<const char*> strings = {eb_task_name(m->info.task), eb_problem_type_name(m->info.problem_type),
                                      eb_model_producer(&m->model), eb_model_source(&m->model)};
  for (uint32_t i = 0; i < m->info.num_labels; ++i) strings.push_back(eb_model_label(&m->model, i));
  return string_array(env, strings);
}

JNIEXPORT jstring JNICALL Java_dev_edgebert_Model_nativeToken(JNIEnv* env, jclass, jlong handle, jint id) {
  const char* piece = eb_model_token(&model_of(handle)->model, id);
  if (piece == nullptr) {
    throw_java(env, "java/lang/IndexOutOfBoundsException", "token id " + std::to_string(id));
    return nullptr;
  }
  return env->NewStringUTF(piece);
}

JNIEXPORT jboolean JNICALL Java_dev_edgebert_Model_nativeProviderAvailable(JNIEnv* env, jclass,
                                                                           jstring jname) {
  eb_provider provider;
  eb_error error;
  if (eb_provider_from_name(string_of(env, jname).c_str(), &provider, &error) != EB_OK) {
    return throw_argument(env, error.message), JNI_FALSE;
  }
  return eb_provider_available(provider) != 0 ? JNI_TRUE : JNI_FALSE;
}

// ---- Session ----

JNIEXPORT jlong JNICALL Java_dev_edgebert_Session_nativeCreate(JNIEnv* env, jclass, jlong model,
                                                               jint max_seq, jint threads,
                                                               jstring jkernels, jstring jprovider,
                                                               jint max_batch) {
  if (max_seq < 0 || threads < 0 || max_batch < 0) {
    return throw_argument(env, "maxSeq, threads and maxBatch must be >= 0"), 0;
  }
  auto record = std::make_unique<SessionRecord>();
  record->model = model_of(model);
  if (static_cast<uint32_t>(max_seq) > record->model->info.max_seq) {
    throw_argument(env, "maxSeq " + std::to_string(max_seq) + " is longer than the model's " +
                            std::to_string(record->model->info.max_seq));
    return 0;
  }
  eb_session_options options = eb_session_options_default();
  options.max_seq = static_cast<uint32_t>(max_seq);
  options.threads = static_cast<uint32_t>(threads);
  options.max_batch = static_cast<uint32_t>(max_batch);
  eb_error error;
  const std::string kernels = jkernels != nullptr ? string_of(env, jkernels) : "";
  if (jkernels != nullptr) options.kernels = kernels.c_str();
  if (eb_provider_from_name(string_of(env, jprovider).c_str(), &options.provider, &error) != EB_OK) {
    return throw_argument(env, error.message), 0;
  }
  if (threads > 1) {
#ifdef EB_JNI_PTHREADPOOL
    record->pool = pthreadpool_create(static_cast<size_t>(threads));
    options.threadpool = record->pool;
#else
    throw_status(env, EB_ERROR_UNSUPPORTED, "threads > 1 needs a library built with pthreadpool");
    return 0;
#endif
  }
  record->arena_bytes = eb_session_arena_size(&record->model->model, &options);
  if (record->arena_bytes == 0) {
    throw_status(env, EB_ERROR_UNSUPPORTED,
                 (std::string("provider ") + eb_provider_name(options.provider) +
                  " cannot run this model in this library, or the options do not fit it")
                     .c_str());
    return 0;
  }
  record->arena.reset(new std::byte[record->arena_bytes]);
  if (failed(env, eb_session_init(&record->session, &record->model->model, &options, record->arena.get(),
                                  record->arena_bytes, &error),
             error)) {
    return 0;
  }
  record->max_seq = max_seq == 0 ? record->model->info.max_seq : static_cast<uint32_t>(max_seq);
  return reinterpret_cast<jlong>(record.release());
}

JNIEXPORT void JNICALL Java_dev_edgebert_Session_nativeDestroy(JNIEnv*, jclass, jlong handle) {
  delete session_of(handle);
}

// {kernels, provider}
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeStrings(JNIEnv* env, jclass, jlong handle) {
  return string_array(env, {eb_session_kernels(runtime_of(handle)), eb_session_provider(runtime_of(handle))});
}

JNIEXPORT jlong JNICALL Java_dev_edgebert_Session_nativeArenaBytes(JNIEnv*, jclass, jlong handle) {
  return static_cast<jlong>(session_of(handle)->arena_bytes);
}

JNIEXPORT jint JNICALL Java_dev_edgebert_Session_nativeLabel(JNIEnv*, jclass, jlong handle) {
  return eb_session_label(runtime_of(handle));
}

JNIEXPORT void JNICALL Java_dev_edgebert_Session_nativeRun(JNIEnv* env, jclass, jlong handle, jintArray ids,
                                                           jintArray types, jintArray mask) {
  HeldInts i(env, ids), t(env, types), m(env, mask);
  eb_input input;
  if (!make_input(env, i, t, m, types, mask, "", &input)) return;
  eb_error error;
  failed(env, eb_session_run(runtime_of(handle), &input, &error), error);
}

JNIEXPORT void JNICALL Java_dev_edgebert_Session_nativeRunBatch(JNIEnv* env, jclass, jlong handle,
                                                                jobjectArray ids, jobjectArray types,
                                                                jobjectArray mask) {
  const jsize count = env->GetArrayLength(ids);
  if ((types != nullptr && env->GetArrayLength(types) != count) ||
      (mask != nullptr && env->GetArrayLength(mask) != count)) {
    return throw_argument(env, "tokenTypeIds and attentionMask must list as many sequences as inputIds");
  }
  if (env->EnsureLocalCapacity(3 * count) != 0) return;  // each sequence's arrays held through the call
  std::vector<std::unique_ptr<HeldInts>> held;
  std::vector<eb_input> inputs(static_cast<size_t>(count));
  for (jsize s = 0; s < count; ++s) {
    auto row = [&](jobjectArray rows) {
      return rows == nullptr ? nullptr : static_cast<jintArray>(env->GetObjectArrayElement(rows, s));
    };
    jintArray row_ids = row(ids), row_types = row(types), row_mask = row(mask);
    for (jintArray a : {row_ids, row_types, row_mask}) held.push_back(std::make_unique<HeldInts>(env, a));
    const size_t n = held.size();
    if (!make_input(env, *held[n - 3], *held[n - 2], *held[n - 1], row_types, row_mask,
                    "sequence " + std::to_string(s) + ": ", &inputs[static_cast<size_t>(s)])) {
      return;
    }
  }
  eb_error error;
  failed(env, eb_session_run_batch(runtime_of(handle), inputs.data(), inputs.size(), &error), error);
}

// A copy of an output of the last run, or null if the model has none.
JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeOutput(JNIEnv* env, jclass, jlong handle,
                                                                     jstring jname) {
  eb_output which;
  eb_error error;
  if (eb_output_from_name(string_of(env, jname).c_str(), &which, &error) != EB_OK) {
    return throw_argument(env, error.message), nullptr;
  }
  size_t count = 0;
  const float* data = eb_session_output(runtime_of(handle), which, &count);
  return data == nullptr ? nullptr : float_array(env, data, count);
}

// {ids, token type ids, attention mask, byte offsets (2 per token), sequence}
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeTokenize(JNIEnv* env, jclass, jlong handle,
                                                                        jbyteArray text, jbyteArray pair) {
  Text a(env, text), b(env, pair);
  eb_error error;
  eb_session* s = runtime_of(handle);
  if (failed(env, eb_session_tokenize(s, a.chars(), a.size(), b.chars(), b.size(), &error), error)) {
    return nullptr;
  }
  eb_tokens t;
  eb_session_tokens(s, &t);
  return object_array(env, {int_array(env, t.ids, t.count), int_array(env, t.token_type_ids, t.count),
                            int_array(env, t.attention_mask, t.count), int_array(env, t.offsets, 2 * t.count),
                            int_array(env, t.sequence, t.count)},
                      "[I");
}

// Probabilities; out[0] = the label index, out[1] = windows read. stride < 0: one window.
JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeClassify(JNIEnv* env, jclass, jlong handle,
                                                                       jbyteArray text, jbyteArray pair,
                                                                       jint stride, jintArray out) {
  Text a(env, text), b(env, pair);
  eb_classification result;
  size_t windows = 1;
  eb_error error;
  eb_session* s = runtime_of(handle);
  const eb_status status =
      stride >= 0 ? eb_session_classify_long(s, a.chars(), a.size(), static_cast<uint32_t>(stride), &result,
                                             &windows, &error)
                  : eb_session_classify_text(s, a.chars(), a.size(), b.chars(), b.size(), &result, &error);
  if (failed(env, status, error)) return nullptr;
  const jint label_windows[2] = {result.label, static_cast<jint>(windows)};
  env->SetIntArrayRegion(out, 0, 2, label_windows);
  return float_array(env, result.probabilities, result.num_labels);
}

// The embedding. stride < 0: one window.
JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeEmbed(JNIEnv* env, jclass, jlong handle,
                                                                    jbyteArray text, jint stride) {
  Text a(env, text);
  const float* embedding = nullptr;
  size_t dimension = 0;
  eb_error error;
  eb_session* s = runtime_of(handle);
  const eb_status status =
      stride >= 0 ? eb_session_embed_long(s, a.chars(), a.size(), static_cast<uint32_t>(stride), &embedding,
                                          &dimension, nullptr, &error)
                  : eb_session_embed_text(s, a.chars(), a.size(), &embedding, &dimension, &error);
  if (failed(env, status, error)) return nullptr;
  return float_array(env, embedding, dimension);
}

JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeScore(JNIEnv* env, jclass, jlong handle,
                                                                    jbyteArray query, jobjectArray passages,
                                                                    jboolean sigmoid) {
  Text q(env, query);
  const jsize count = env->GetArrayLength(passages);
  if (env->EnsureLocalCapacity(count) != 0) return nullptr;  // each passage held through the call
  std::vector<std::unique_ptr<Text>> held;
  std::vector<const char*> texts;
  std::vector<size_t> sizes;
  for (jsize i = 0; i < count; ++i) {
    held.push_back(std::make_unique<Text>(env, static_cast<jbyteArray>(env->GetObjectArrayElement(passages, i))));
    texts.push_back(held.back()->chars());
    sizes.push_back(held.back()->size());
  }
  std::vector<float> scores(static_cast<size_t>(count));
  eb_error error;
  const eb_status status =
      eb_session_score(runtime_of(handle), q.chars(), q.size(), texts.data(), sizes.data(), scores.size(),
                       sigmoid ? nullptr : scores.data(), sigmoid ? scores.data() : nullptr, &error);
  if (failed(env, status, error)) return nullptr;
  return float_array(env, scores.data(), scores.size());
}

// {float[] scores, int[] byte spans (start, end per answer)}. doc_stride < 0: the pipeline's.
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeAnswer(JNIEnv* env, jclass, jlong handle,
                                                                      jbyteArray question, jbyteArray context,
                                                                      jint top_k, jint max_answer_len,
                                                                      jint doc_stride, jboolean impossible,
                                                                      jboolean align_to_words) {
  if (top_k < 1 || max_answer_len < 1) return throw_argument(env, "topK and maxAnswerLen must be >= 1"), nullptr;
  Text q(env, question), c(env, context);
  eb_answer_options options = eb_answer_options_default();
  options.top_k = static_cast<uint32_t>(top_k);
  options.max_answer_len = static_cast<uint32_t>(max_answer_len);
  if (doc_stride >= 0) options.doc_stride = static_cast<uint32_t>(doc_stride);
  options.handle_impossible_answer = impossible ? 1 : 0;
  options.align_to_words = align_to_words ? 1 : 0;
  std::vector<eb_answer> answers(static_cast<size_t>(top_k));
  size_t count = 0;
  eb_error error;
  if (failed(env, eb_session_answer(runtime_of(handle), q.chars(), q.size(), c.chars(), c.size(), &options,
                                    answers.data(), answers.size(), &count, &error),
             error)) {
    return nullptr;
  }
  answers.resize(count < answers.size() ? count : answers.size());
  std::vector<float> scores;
  std::vector<uint32_t> spans;
  for (const eb_answer& a : answers) {
    scores.push_back(a.score);
    spans.insert(spans.end(), {a.start, a.end});
  }
  return object_array(env, {float_array(env, scores.data(), scores.size()),
                            int_array(env, spans.data(), spans.size())});
}

// {String[] labels, float[] scores, int[] (label index, byte start, byte end, first token,
// tokens) per entity}. ignore_label null keeps every entity.
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeTag(JNIEnv* env, jclass, jlong handle,
                                                                   jbyteArray text, jstring jaggregation,
                                                                   jstring jignore) {
  eb_tag_options options = eb_tag_options_default();
  eb_error error;
  if (eb_aggregation_from_name(string_of(env, jaggregation).c_str(), &options.aggregation, &error) != EB_OK) {
    return throw_argument(env, error.message), nullptr;
  }
  const std::string ignore = jignore != nullptr ? string_of(env, jignore) : "";
  options.ignore_label = jignore != nullptr ? ignore.c_str() : nullptr;
  SessionRecord* s = session_of(handle);
  Text t(env, text);
  std::vector<eb_entity> entities(s->max_seq);  // at most one per token
  size_t count = 0;
  if (failed(env, eb_session_tag(s->session, t.chars(), t.size(), &options, entities.data(), entities.size(),
                                 &count, &error),
             error)) {
    return nullptr;
  }
  entities.resize(count < entities.size() ? count : entities.size());
  std::vector<const char*> labels;
  std::vector<float> scores;
  std::vector<int64_t> fields;
  for (const eb_entity& e : entities) {
    labels.push_back(e.label);
    scores.push_back(e.score);
    fields.insert(fields.end(), {e.label_index, e.start, e.end, e.first_token, e.tokens});
  }
  return object_array(env, {string_array(env, labels), float_array(env, scores.data(), scores.size()),
                            int_array(env, fields.data(), fields.size())});
}

// {int[] token ids, float[] probabilities, int[] mask positions}: top_k per mask, mask by mask.
JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeFillMask(JNIEnv* env, jclass, jlong handle,
                                                                        jbyteArray text, jint top_k) {
  SessionRecord* s = session_of(handle);
  if (top_k < 1 || static_cast<uint32_t>(top_k) > s->model->info.vocab_size) {
    throw_argument(env, "topK must be in [1, " + std::to_string(s->model->info.vocab_size) + "], not " +
                            std::to_string(top_k));
    return nullptr;
  }
  Text t(env, text);
  std::vector<eb_token_score> scores(static_cast<size_t>(top_k) * s->max_seq);  // <= max_seq masks
  size_t count = 0;
  eb_error error;
  if (failed(env, eb_session_fill_mask(s->session, t.chars(), t.size(), static_cast<uint32_t>(top_k),
                                       scores.data(), scores.size(), &count, &error),
             error)) {
    return nullptr;
  }
  scores.resize(count < scores.size() ? count : scores.size());
  std::vector<int32_t> tokens;
  std::vector<float> probabilities;
  std::vector<uint32_t> positions;
  for (const eb_token_score& score : scores) {
    tokens.push_back(score.token);
    probabilities.push_back(score.probability);
    positions.push_back(score.position);
  }
  return object_array(env, {int_array(env, tokens.data(), tokens.size()),
                            float_array(env, probabilities.data(), probabilities.size()),
                            int_array(env, positions.data(), positions.size())});
}

}  // extern "C"
