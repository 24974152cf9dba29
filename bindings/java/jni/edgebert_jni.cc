// JNI shim of the Java binding (bindings/java/src/main/java/dev/edgebert): each native method of
// Model and Session over the C API. Java passes text as UTF-8 byte arrays (String.getBytes), so
// no modified UTF-8 reaches the tokenizer. Allocates what the binding owns: the Model and
// Session records, a session's arena and (threads > 1) its pthreadpool; never the model bytes.
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
  void* pool = nullptr;
  uint32_t max_seq = 0;
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

// A Java byte[] held for the duration of a call (copied or pinned, as the JVM chooses).
class Bytes {
 public:
  Bytes(JNIEnv* env, jbyteArray array) : env_(env), array_(array) {
    if (array == nullptr) return;
    size_ = static_cast<size_t>(env->GetArrayLength(array));
    data_ = env->GetByteArrayElements(array, nullptr);
  }
  ~Bytes() {
    if (data_ != nullptr) env_->ReleaseByteArrayElements(array_, data_, JNI_ABORT);
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  const char* data() const { return reinterpret_cast<const char*>(data_); }
  size_t size() const { return size_; }

 private:
  JNIEnv* env_;
  jbyteArray array_;
  jbyte* data_ = nullptr;
  size_t size_ = 0;
};

ModelRecord* model_of(jlong handle) { return reinterpret_cast<ModelRecord*>(handle); }
SessionRecord* session_of(jlong handle) { return reinterpret_cast<SessionRecord*>(handle); }

jfloatArray float_array(JNIEnv* env, const float* data, size_t n) {
  jfloatArray out = env->NewFloatArray(static_cast<jsize>(n));
  if (out != nullptr) env->SetFloatArrayRegion(out, 0, static_cast<jsize>(n), data);
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

}  // namespace

extern "C" {

// ---- Model ----

JNIEXPORT jlong JNICALL Java_dev_edgebert_Model_nativeOpen(JNIEnv* env, jclass, jstring jpath) {
  if (jpath == nullptr) return throw_java(env, "java/lang/NullPointerException", "path"), 0;
  const char* chars = env->GetStringUTFChars(jpath, nullptr);
  const std::string path(chars);
  env->ReleaseStringUTFChars(jpath, chars);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_java(env, "java/lang/IllegalArgumentException", path + ": " + std::strerror(errno));
    return 0;
  }
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
  if (map == MAP_FAILED) {
    throw_java(env, "java/lang/IllegalArgumentException", path + ": mmap failed");
    return 0;
  }
  record->map = map;
  return init_model(env, std::move(record), map, path);
}

JNIEXPORT jlong JNICALL Java_dev_edgebert_Model_nativeWrap(JNIEnv* env, jclass, jobject buffer,
                                                           jint offset, jint size) {
  auto* base = static_cast<const char*>(env->GetDirectBufferAddress(buffer));
  if (base == nullptr) return throw_java(env, "java/lang/IllegalArgumentException", "not a direct buffer"), 0;
  auto record = std::make_unique<ModelRecord>();
  record->size = static_cast<size_t>(size);
  return init_model(env, std::move(record), base + offset, "<ByteBuffer>");
}

JNIEXPORT void JNICALL Java_dev_edgebert_Model_nativeClose(JNIEnv*, jclass, jlong handle) {
  ModelRecord* record = model_of(handle);
  if (record->map != nullptr) munmap(record->map, record->size);
  delete record;
}

JNIEXPORT jstring JNICALL Java_dev_edgebert_Model_nativeTask(JNIEnv* env, jclass, jlong handle) {
  static const char* const kNames[] = {"encoder", "classification", "embedding",
                                       "question_answering", "token_classification", "masked_lm"};
  const unsigned task = static_cast<unsigned>(model_of(handle)->info.task);
  return env->NewStringUTF(task < 6 ? kNames[task] : "unknown");
}

JNIEXPORT jint JNICALL Java_dev_edgebert_Model_nativeInfo(JNIEnv*, jclass, jlong handle, jint field) {
  const eb_model_info& i = model_of(handle)->info;
  switch (field) {
    case 0: return static_cast<jint>(i.hidden);
    case 1: return static_cast<jint>(i.num_layers);
    case 2: return static_cast<jint>(i.max_seq);
    case 3: return static_cast<jint>(i.vocab_size);
  }
  return -1;
}

JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Model_nativeLabels(JNIEnv* env, jclass, jlong handle) {
  const ModelRecord* m = model_of(handle);
  jobjectArray out = env->NewObjectArray(static_cast<jsize>(m->info.num_labels),
                                         env->FindClass("java/lang/String"), nullptr);
  for (uint32_t i = 0; out != nullptr && i < m->info.num_labels; ++i) {
    env->SetObjectArrayElement(out, static_cast<jsize>(i), env->NewStringUTF(eb_model_label(&m->model, i)));
  }
  return out;
}

JNIEXPORT jstring JNICALL Java_dev_edgebert_Model_nativeToken(JNIEnv* env, jclass, jlong handle, jint id) {
  const char* piece = eb_model_token(&model_of(handle)->model, id);
  if (piece == nullptr) {
    throw_java(env, "java/lang/IndexOutOfBoundsException", "token id " + std::to_string(id));
    return nullptr;
  }
  return env->NewStringUTF(piece);
}

// ---- Session ----

JNIEXPORT jlong JNICALL Java_dev_edgebert_Session_nativeCreate(JNIEnv* env, jclass, jlong model,
                                                               jint max_seq, jint threads,
                                                               jint max_batch) {
  if (max_seq < 0 || threads < 0 || max_batch < 0) {
    throw_java(env, "java/lang/IllegalArgumentException", "maxSeq, threads and maxBatch must be >= 0");
    return 0;
  }
  auto record = std::make_unique<SessionRecord>();
  record->model = model_of(model);
  if (static_cast<uint32_t>(max_seq) > record->model->info.max_seq) {
    throw_java(env, "java/lang/IllegalArgumentException",
               "maxSeq " + std::to_string(max_seq) + " is longer than the model's " +
                   std::to_string(record->model->info.max_seq));
    return 0;
  }
  eb_session_options options = eb_session_options_default();
  options.max_seq = static_cast<uint32_t>(max_seq);
  options.threads = static_cast<uint32_t>(threads);
  options.max_batch = static_cast<uint32_t>(max_batch);
  if (threads > 1) {
#ifdef EB_JNI_PTHREADPOOL
    record->pool = pthreadpool_create(static_cast<size_t>(threads));
    options.threadpool = record->pool;
#else
    throw_status(env, EB_ERROR_UNSUPPORTED, "threads > 1 needs a library built with pthreadpool");
    return 0;
#endif
  }
  const size_t bytes = eb_session_arena_size(&record->model->model, &options);
  if (bytes == 0) {
    throw_status(env, EB_ERROR_INVALID_ARGUMENT, "options invalid for this model (max_seq too long?)");
    return 0;
  }
  record->arena.reset(new std::byte[bytes]);
  eb_error error;
  const eb_status status =
      eb_session_init(&record->session, &record->model->model, &options, record->arena.get(), bytes, &error);
  if (status != EB_OK) {
#ifdef EB_JNI_PTHREADPOOL
    if (record->pool != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(record->pool));
#endif
    throw_status(env, status, error.message);
    return 0;
  }
  record->max_seq = max_seq == 0 ? record->model->info.max_seq : static_cast<uint32_t>(max_seq);
  return reinterpret_cast<jlong>(record.release());
}

JNIEXPORT void JNICALL Java_dev_edgebert_Session_nativeDestroy(JNIEnv*, jclass, jlong handle) {
  SessionRecord* record = session_of(handle);
#ifdef EB_JNI_PTHREADPOOL
  if (record->pool != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(record->pool));
#endif
  delete record;
}

JNIEXPORT jstring JNICALL Java_dev_edgebert_Session_nativeKernels(JNIEnv* env, jclass, jlong handle) {
  return env->NewStringUTF(eb_session_kernels(session_of(handle)->session));
}

JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeClassify(JNIEnv* env, jclass, jlong handle,
                                                                       jbyteArray text, jbyteArray pair) {
  Bytes a(env, text), b(env, pair);
  eb_classification result;
  eb_error error;
  const eb_status status = eb_session_classify_text(session_of(handle)->session, a.data(), a.size(),
                                                    pair ? b.data() : nullptr, b.size(), &result, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), nullptr;
  return float_array(env, result.probabilities, result.num_labels);
}

JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeEmbed(JNIEnv* env, jclass, jlong handle,
                                                                    jbyteArray text) {
  Bytes a(env, text);
  const float* embedding = nullptr;
  size_t dimension = 0;
  eb_error error;
  const eb_status status =
      eb_session_embed_text(session_of(handle)->session, a.data(), a.size(), &embedding, &dimension, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), nullptr;
  return float_array(env, embedding, dimension);
}

JNIEXPORT jfloatArray JNICALL Java_dev_edgebert_Session_nativeScore(JNIEnv* env, jclass, jlong handle,
                                                                    jbyteArray query, jobjectArray passages) {
  Bytes q(env, query);
  const jsize count = env->GetArrayLength(passages);
  std::vector<std::unique_ptr<Bytes>> held;
  std::vector<const char*> texts;
  std::vector<size_t> sizes;
  for (jsize i = 0; i < count; ++i) {
    held.push_back(std::make_unique<Bytes>(env, static_cast<jbyteArray>(env->GetObjectArrayElement(passages, i))));
    texts.push_back(held.back()->data());
    sizes.push_back(held.back()->size());
  }
  std::vector<float> logits(static_cast<size_t>(count));
  eb_error error;
  const eb_status status = eb_session_score(session_of(handle)->session, q.data(), q.size(), texts.data(),
                                            sizes.data(), logits.size(), logits.data(), nullptr, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), nullptr;
  return float_array(env, logits.data(), logits.size());
}

JNIEXPORT jint JNICALL Java_dev_edgebert_Session_nativeAnswer(JNIEnv* env, jclass, jlong handle,
                                                              jbyteArray question, jbyteArray context,
                                                              jint top_k, jfloatArray scores, jintArray spans) {
  if (top_k < 1) return throw_java(env, "java/lang/IllegalArgumentException", "topK must be >= 1"), 0;
  Bytes q(env, question), c(env, context);
  eb_answer_options options = eb_answer_options_default();
  options.top_k = static_cast<uint32_t>(top_k);
  std::vector<eb_answer> answers(static_cast<size_t>(top_k));
  size_t count = 0;
  eb_error error;
  const eb_status status = eb_session_answer(session_of(handle)->session, q.data(), q.size(), c.data(), c.size(),
                                             &options, answers.data(), answers.size(), &count, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), 0;
  const size_t n = count < answers.size() ? count : answers.size();
  for (size_t i = 0; i < n; ++i) {
    const jfloat score = answers[i].score;
    const jint span[2] = {static_cast<jint>(answers[i].start), static_cast<jint>(answers[i].end)};
    env->SetFloatArrayRegion(scores, static_cast<jsize>(i), 1, &score);
    env->SetIntArrayRegion(spans, static_cast<jsize>(2 * i), 2, span);
  }
  return static_cast<jint>(n);
}

JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeTag(JNIEnv* env, jclass, jlong handle,
                                                                   jbyteArray text, jstring jaggregation) {
  static const char* const kNames[] = {"none", "simple", "first", "average", "max"};
  const char* chars = env->GetStringUTFChars(jaggregation, nullptr);
  int aggregation = -1;
  for (int i = 0; i < 5; ++i) if (std::strcmp(chars, kNames[i]) == 0) aggregation = i;
  const std::string name(chars);
  env->ReleaseStringUTFChars(jaggregation, chars);
  if (aggregation < 0) {
    throw_java(env, "java/lang/IllegalArgumentException",
               "aggregation must be none, simple, first, average or max, not " + name);
    return nullptr;
  }
  SessionRecord* s = session_of(handle);
  Bytes t(env, text);
  eb_tag_options options = eb_tag_options_default();
  options.aggregation = static_cast<eb_aggregation>(aggregation);
  std::vector<eb_entity> entities(s->max_seq);
  size_t count = 0;
  eb_error error;
  const eb_status status =
      eb_session_tag(s->session, t.data(), t.size(), &options, entities.data(), entities.size(), &count, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), nullptr;
  const jsize n = static_cast<jsize>(count < entities.size() ? count : entities.size());
  jobjectArray labels = env->NewObjectArray(n, env->FindClass("java/lang/String"), nullptr);
  std::vector<float> scores;
  std::vector<jint> spans;
  for (jsize i = 0; i < n; ++i) {
    env->SetObjectArrayElement(labels, i, env->NewStringUTF(entities[i].label));
    scores.push_back(entities[i].score);
    spans.push_back(static_cast<jint>(entities[i].start));
    spans.push_back(static_cast<jint>(entities[i].end));
  }
  jintArray span_array = env->NewIntArray(2 * n);
  env->SetIntArrayRegion(span_array, 0, 2 * n, spans.data());
  jobjectArray out = env->NewObjectArray(3, env->FindClass("java/lang/Object"), nullptr);
  env->SetObjectArrayElement(out, 0, labels);
  env->SetObjectArrayElement(out, 1, float_array(env, scores.data(), scores.size()));
  env->SetObjectArrayElement(out, 2, span_array);
  return out;
}

JNIEXPORT jobjectArray JNICALL Java_dev_edgebert_Session_nativeFillMask(JNIEnv* env, jclass, jlong handle,
                                                                        jbyteArray text, jint top_k) {
  if (top_k < 1) return throw_java(env, "java/lang/IllegalArgumentException", "topK must be >= 1"), nullptr;
  SessionRecord* s = session_of(handle);
  Bytes t(env, text);
  std::vector<eb_token_score> scores(static_cast<size_t>(top_k) * s->max_seq);
  size_t count = 0;
  eb_error error;
  const eb_status status = eb_session_fill_mask(s->session, t.data(), t.size(), static_cast<uint32_t>(top_k),
                                                scores.data(), scores.size(), &count, &error);
  if (status != EB_OK) return throw_status(env, status, error.message), nullptr;
  const size_t k = static_cast<size_t>(top_k);
  const jsize masks = static_cast<jsize>(count / k);
  jobjectArray out = env->NewObjectArray(masks, env->FindClass("[I"), nullptr);
  for (jsize m = 0; m < masks; ++m) {
    std::vector<jint> ids(k);
    for (size_t j = 0; j < k; ++j) ids[j] = scores[static_cast<size_t>(m) * k + j].token;
    jintArray row = env->NewIntArray(top_k);
    env->SetIntArrayRegion(row, 0, top_k, ids.data());
    env->SetObjectArrayElement(out, m, row);
  }
  return out;
}

}  // extern "C"
