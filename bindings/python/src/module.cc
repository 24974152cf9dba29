// edgebert._edgebert: the Python binding (nanobind) over the C API in edgebert/edgebert.h.
//
// What it allocates (the runtime itself never does): each Session's arena (one block of exactly
// eb_session_arena_size() bytes) and, with threads > 1, its pthreadpool; each call's result
// objects and the arrays they return. Model bytes are never copied: a path is mmap'd read-only,
// a bytes-like object is viewed through the buffer protocol (and kept alive, and locked against
// resizing, while the Model lives).
//
// The GIL is released while the runtime works, so sessions on different threads run in
// parallel. A session is not thread-safe (the C API's rule): a second thread entering a session
// that is running gets a RuntimeError instead of undefined behaviour.
#include <fcntl.h>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "edgebert/edgebert.h"

#ifdef EB_PYTHON_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// ---- errors ----------------------------------------------------------------------------------

// edgebert.Error (a RuntimeError): every eb_status other than EB_OK. Attributes: status (the
// status' name, e.g. "EB_ERROR_INVALID_INPUT") and message (the runtime's message).
PyObject* g_error_type = nullptr;

struct StatusError : std::exception {
  eb_status status;
  std::string message;
  StatusError(eb_status s, std::string m) : status(s), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

void check(eb_status status, const eb_error& error, const std::string& context = {}) {
  if (status == EB_OK) return;
  throw StatusError(status, context.empty() ? std::string(error.message)
                                            : context + ": " + error.message);
}

void translate_status_error(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const StatusError& e) {
    const char* name = eb_status_string(e.status);
    const std::string text = std::string(name) + ": " + e.message;
    nb::object exc = nb::steal(PyObject_CallFunction(g_error_type, "s", text.c_str()));
    if (!exc.is_valid()) return;  // the Python error from the call stays set
    exc.attr("status") = nb::str(name);
    exc.attr("message") = nb::str(e.message.c_str());
    PyErr_SetObject(g_error_type, exc.ptr());
  }
}

// ---- small conversions -----------------------------------------------------------------------

struct Utf8 {
  const char* data;
  size_t size;
};

// UTF-8 of a str, cached inside the str object (ASCII strings are their own UTF-8): valid while
// the str lives, which the caller's argument guarantees for the call.
Utf8 utf8(const nb::str& s) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(s.ptr(), &size);
  if (data == nullptr) throw nb::python_error();  // lone surrogates cannot be UTF-8
  return {data, static_cast<size_t>(size)};
}

// str(x) of any object.
std::string python_str(nb::handle x) {
  nb::str s = nb::steal<nb::str>(PyObject_Str(x.ptr()));
  if (!s.is_valid()) throw nb::python_error();
  return s.c_str();
}

// Character (code point) index in a str of byte offset `byte` of its UTF-8.
size_t char_index(const Utf8& text, bool ascii, uint32_t byte) {
  if (ascii) return byte;
  size_t n = 0;
  for (uint32_t i = 0; i < byte && i < text.size; ++i) {
    n += (static_cast<uint8_t>(text.data[i]) & 0xC0) != 0x80;
  }
  return n;
}

// A numpy array owning a copy of the data (shape `shape`).
template <typename T>
nb::ndarray<nb::numpy, T> owned_array(const T* data, std::initializer_list<size_t> shape) {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  T* copy = new T[n > 0 ? n : 1];
  if (n > 0) std::memcpy(copy, data, n * sizeof(T));
  nb::capsule owner(copy, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  return nb::ndarray<nb::numpy, T>(copy, shape, owner);
}

// The runtime's name parsers (eb_provider_from_name, ...), their errors as ValueError.
eb_provider parse_provider(const std::string& name) {
  eb_provider provider;
  eb_error error;
  if (eb_provider_from_name(name.c_str(), &provider, &error) != EB_OK) {
    throw std::invalid_argument(error.message);
  }
  return provider;
}

eb_aggregation parse_aggregation(const std::string& name) {
  eb_aggregation aggregation;
  eb_error error;
  if (eb_aggregation_from_name(name.c_str(), &aggregation, &error) != EB_OK) {
    throw std::invalid_argument(error.message);
  }
  return aggregation;
}

// ---- Model -----------------------------------------------------------------------------------

class Model {
 public:
  Model(nb::handle source, bool check_weights) {
    if (nb::isinstance<nb::str>(source) || PyObject_HasAttrString(source.ptr(), "__fspath__")) {
      nb::object path = nb::module_::import_("os").attr("fspath")(source);
      if (!nb::isinstance<nb::str>(path)) {
        throw nb::type_error("Model(): a path must be str or os.PathLike[str]");
      }
      name_ = nb::cast<std::string>(path);
      map_file();
    } else {
      if (PyObject_GetBuffer(source.ptr(), &view_, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        throw nb::type_error(
            ("Model() takes a path (str, os.PathLike) or a bytes-like object, not " +
             nb::cast<std::string>(nb::str(source.type().attr("__name__"))))
                .c_str());
      }
      has_view_ = true;
      data_ = view_.buf;
      size_ = static_cast<size_t>(view_.len);
      name_ = "<bytes>";
    }
    eb_error error;
    check(eb_model_init(&model_, data_, size_, &error), error, name_);
    if (check_weights) check(eb_model_check_weights(&model_, &error), error, name_);
    eb_model_get_info(&model_, &info_);
  }
  ~Model() {
    if (map_ != nullptr) munmap(map_, size_);
    if (has_view_) PyBuffer_Release(&view_);
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const eb_model* get() const { return &model_; }
  const eb_model_info& info() const { return info_; }
  const std::string& name() const { return name_; }
  size_t size() const { return size_; }

  std::vector<std::string> labels() const {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < info_.num_labels; ++i) out.emplace_back(eb_model_label(&model_, i));
    return out;
  }
  std::string token(int32_t id) const {
    const char* piece = eb_model_token(&model_, id);
    if (piece == nullptr) {
      throw nb::index_error(("token id " + std::to_string(id) + " is not in the vocabulary (0.." +
                             std::to_string(info_.vocab_size) + ")")
                                .c_str());
    }
    return piece;
  }
  void check_weights() const {
    eb_error error;
    check(eb_model_check_weights(&model_, &error), error, name_);
  }

 private:
  void map_file() {
    const int fd = open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, name_.c_str());
      throw nb::python_error();
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, name_.c_str());
      throw nb::python_error();
    }
    if (st.st_size <= 0) {
      close(fd);
      throw StatusError(EB_ERROR_INVALID_MODEL, name_ + ": the file is empty");
    }
    size_ = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int saved = errno;
    close(fd);
    if (map == MAP_FAILED) {
      errno = saved;
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, name_.c_str());
      throw nb::python_error();
    }
    map_ = map;
    data_ = map;
  }

  eb_model model_{};
  eb_model_info info_{};
  std::string name_;
  const void* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;
  Py_buffer view_{};
  bool has_view_ = false;
};

// ---- results ---------------------------------------------------------------------------------

struct Classification {
  nb::str label;
  int32_t index;
  std::vector<float> probabilities;
  size_t windows;
};

struct Tokens {
  std::vector<int32_t> ids, token_type_ids, attention_mask;
  std::vector<uint32_t> offsets;  // (count, 2)
  std::vector<int8_t> sequence;
  std::vector<nb::str> pieces;
};

struct Answer {
  float score;
  size_t start, end;  // characters of the context
  uint32_t byte_start, byte_end;
  nb::str text;
};

struct Entity {
  nb::str label;
  int32_t label_index;
  float score;
  size_t start, end;  // characters of the text
  uint32_t byte_start, byte_end;
  uint32_t first_token, tokens;
  nb::str word;
};

struct TokenScore {
  int32_t token;
  nb::str token_str;
  float score;
  uint32_t position;
};

// ---- Session ---------------------------------------------------------------------------------

class Session {
 public:
  Session(nb::handle model_object, uint32_t max_seq, uint32_t threads,
          std::optional<std::string> kernels, const std::string& provider, uint32_t max_batch)
      : model_object_(nb::borrow(model_object)),
        model_(as_model(model_object)),
        kernels_request_(kernels ? *kernels : std::string()) {
    const eb_model_info& info = model_->info();
    options_ = eb_session_options_default();
    options_.max_seq = max_seq;
    options_.threads = threads;
    options_.kernels = kernels ? kernels_request_.c_str() : nullptr;
    options_.provider = parse_provider(provider);
    options_.max_batch = max_batch;
    if (max_seq > info.max_seq) {
      throw std::invalid_argument("max_seq " + std::to_string(max_seq) +
                                  " is longer than the model's " + std::to_string(info.max_seq));
    }
    if (max_batch > 256) throw std::invalid_argument("max_batch must be at most 256");
    if (!eb_provider_available(options_.provider)) {
      throw StatusError(EB_ERROR_UNSUPPORTED,
                        "provider '" + provider + "' is not built into this library");
    }
    if (threads > 1) {
#ifdef EB_PYTHON_PTHREADPOOL
      pool_ = pthreadpool_create(threads);
      if (pool_ == nullptr) throw std::runtime_error("pthreadpool_create failed");
      options_.threadpool = pool_;
#else
      throw StatusError(EB_ERROR_UNSUPPORTED,
                        "threads > 1 needs a library built with pthreadpool (XNNPACK)");
#endif
    }
    arena_bytes_ = eb_session_arena_size(model_->get(), &options_);
    if (arena_bytes_ == 0) {
      throw StatusError(EB_ERROR_UNSUPPORTED,
                        "provider '" + provider + "' cannot run this model with these options");
    }
    arena_.reset(new std::byte[arena_bytes_]);
    eb_error error;
    check(eb_session_init(&session_, model_->get(), &options_, arena_.get(), arena_bytes_, &error),
          error, model_->name());
    max_seq_ = max_seq == 0 ? info.max_seq : max_seq;
    max_batch_ = max_batch == 0 ? 1 : max_batch;
    for (uint32_t i = 0; i < info.num_labels; ++i) {
      label_names_.push_back(nb::str(eb_model_label(model_->get(), i)));
    }
  }
  ~Session() {
#ifdef EB_PYTHON_PTHREADPOOL
    if (pool_ != nullptr) pthreadpool_destroy(static_cast<pthreadpool_t>(pool_));
#endif
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const nb::object& model() const { return model_object_; }
  const char* kernels() const { return eb_session_kernels(session_); }
  const char* provider() const { return eb_session_provider(session_); }
  size_t arena_bytes() const { return arena_bytes_; }
  uint32_t max_seq() const { return max_seq_; }
  uint32_t max_batch() const { return max_batch_; }
  uint32_t threads() const { return options_.threads == 0 ? 1 : options_.threads; }
  int32_t label() const { return eb_session_label(session_); }

  // ---- token ids ----
  void run(nb::handle input_ids, nb::handle token_type_ids, nb::handle attention_mask) {
    IdArray ids = as_ids(input_ids, "input_ids");
    IdArray types = as_ids(token_type_ids, "token_type_ids", ids.size);
    IdArray mask = as_ids(attention_mask, "attention_mask", ids.size);
    const eb_input input{ids.data, types.data, mask.data, ids.size};
    call_runtime([&](eb_error* error) {
      return eb_session_run(session_, &input, error);
    });
    last_batch_ = 1;
  }

  void run_batch(nb::handle input_ids, nb::handle token_type_ids, nb::handle attention_mask) {
    std::vector<nb::object> id_list = as_list(input_ids, "input_ids");
    const size_t count = id_list.size();
    if (count == 0) throw std::invalid_argument("run_batch needs at least one sequence");
    std::vector<nb::object> type_list = optional_list(token_type_ids, "token_type_ids", count);
    std::vector<nb::object> mask_list = optional_list(attention_mask, "attention_mask", count);
    std::vector<IdArray> arrays;
    std::vector<eb_input> inputs(count);
    arrays.reserve(3 * count);
    for (size_t i = 0; i < count; ++i) {
      const std::string what = "input_ids[" + std::to_string(i) + "]";
      arrays.push_back(as_ids(id_list[i], what.c_str()));
      const size_t n = arrays.back().size;
      inputs[i].input_ids = arrays.back().data;
      inputs[i].num_tokens = n;
      arrays.push_back(as_ids(type_list.empty() ? nb::none() : type_list[i], "token_type_ids", n));
      inputs[i].token_type_ids = arrays.back().data;
      arrays.push_back(as_ids(mask_list.empty() ? nb::none() : mask_list[i], "attention_mask", n));
      inputs[i].attention_mask = arrays.back().data;
    }
    call_runtime([&](eb_error* error) {
      return eb_session_run_batch(session_, inputs.data(), count, error);
    });
    last_batch_ = count;
  }

  // A read-only view of an output of the last run, inside the arena (no copy): overwritten by
  // the session's next call. Token outputs are (rows, width); the others (width,), or
  // (sequences, width) after run_batch.
  nb::object output(const std::string& name, nb::handle self) const {
    eb_output which;
    eb_error error;
    if (eb_output_from_name(name.c_str(), &which, &error) != EB_OK) {
      throw std::invalid_argument(error.message);
    }
    size_t count = 0;
    const float* data = eb_session_output(session_, which, &count);
    if (data == nullptr) return nb::none();
    const eb_model_info& info = model_->info();
    size_t width = 0;
    if (which == EB_OUTPUT_LAST_HIDDEN) width = info.hidden;
    if (which == EB_OUTPUT_TOKEN_LOGITS) {
      width = info.task == EB_TASK_QUESTION_ANSWERING ? 2 : info.num_labels;
    }
    if (which == EB_OUTPUT_PROBABILITIES && info.task == EB_TASK_TOKEN_CLASSIFICATION) {
      width = info.num_labels;
    }
    if (width == 0 && last_batch_ > 1 && count % last_batch_ == 0) width = count / last_batch_;
    using View = nb::ndarray<nb::numpy, const float>;
    if (width == 0 || width == count) return nb::cast(View(data, {count}, self));
    return nb::cast(View(data, {count / width, width}, self));
  }

  // ---- text ----
  Tokens tokenize(const nb::str& text, std::optional<nb::str> pair) {
    const Utf8 a = utf8(text);
    const Utf8 b = pair ? utf8(*pair) : Utf8{nullptr, 0};
    call_runtime([&](eb_error* error) {
      return eb_session_tokenize(session_, a.data, a.size, b.data, b.size, error);
    });
    eb_tokens t;
    eb_session_tokens(session_, &t);
    Tokens out;
    out.ids.assign(t.ids, t.ids + t.count);
    out.token_type_ids.assign(t.token_type_ids, t.token_type_ids + t.count);
    out.attention_mask.assign(t.attention_mask, t.attention_mask + t.count);
    out.offsets.assign(t.offsets, t.offsets + 2 * t.count);
    out.sequence.assign(t.sequence, t.sequence + t.count);
    for (size_t i = 0; i < t.count; ++i) {
      out.pieces.push_back(nb::str(eb_model_token(model_->get(), t.ids[i])));
    }
    return out;
  }

  Classification classify(const nb::str& text, std::optional<nb::str> pair,
                          std::optional<uint32_t> stride) {
    if (pair && stride) {
      throw std::invalid_argument("classify: stride (long texts) takes one text, not a pair");
    }
    const Utf8 a = utf8(text);
    const Utf8 b = pair ? utf8(*pair) : Utf8{nullptr, 0};
    eb_classification result;
    size_t windows = 1;
    call_runtime([&](eb_error* error) {
      return stride ? eb_session_classify_long(session_, a.data, a.size, *stride, &result,
                                               &windows, error)
                    : eb_session_classify_text(session_, a.data, a.size, b.data, b.size,
                                               &result, error);
    });
    last_batch_ = 0;
    return Classification{label_names_[static_cast<size_t>(result.label)], result.label,
                          std::vector<float>(result.probabilities,
                                             result.probabilities + result.num_labels),
                          windows};
  }

  nb::ndarray<nb::numpy, float> embed(const nb::str& text, std::optional<uint32_t> stride) {
    const Utf8 a = utf8(text);
    const float* embedding = nullptr;
    size_t dimension = 0;
    size_t windows = 1;
    call_runtime([&](eb_error* error) {
      return stride ? eb_session_embed_long(session_, a.data, a.size, *stride, &embedding,
                                            &dimension, &windows, error)
                    : eb_session_embed_text(session_, a.data, a.size, &embedding, &dimension,
                                            error);
    });
    last_batch_ = 0;
    return owned_array(embedding, {dimension});
  }

  // ---- tasks ----
  std::vector<Answer> answer(const nb::str& question, const nb::str& context, uint32_t top_k,
                             uint32_t max_answer_len, std::optional<uint32_t> doc_stride,
                             bool handle_impossible_answer, bool align_to_words) {
    if (top_k == 0) throw std::invalid_argument("top_k must be at least 1");
    const Utf8 q = utf8(question);
    const Utf8 c = utf8(context);
    eb_answer_options options = eb_answer_options_default();
    options.top_k = top_k;
    options.max_answer_len = max_answer_len;
    if (doc_stride) options.doc_stride = *doc_stride;
    options.handle_impossible_answer = handle_impossible_answer;
    options.align_to_words = align_to_words;
    std::vector<eb_answer> answers(top_k);
    size_t count = 0;
    call_runtime([&](eb_error* error) {
      return eb_session_answer(session_, q.data, q.size, c.data, c.size, &options,
                               answers.data(), answers.size(), &count, error);
    });
    last_batch_ = 0;
    const bool ascii = PyUnicode_IS_ASCII(context.ptr());
    std::vector<Answer> out;
    for (size_t i = 0; i < count && i < answers.size(); ++i) {
      const eb_answer& a = answers[i];
      const size_t start = char_index(c, ascii, a.start);
      const size_t end = char_index(c, ascii, a.end);
      out.push_back(Answer{a.score, start, end, a.start, a.end, substring(context, start, end)});
    }
    return out;
  }

  std::vector<Entity> tag(const nb::str& text, const std::string& aggregation,
                          std::optional<std::string> ignore_label) {
    eb_tag_options options = eb_tag_options_default();
    options.aggregation = parse_aggregation(aggregation);
    options.ignore_label = ignore_label ? ignore_label->c_str() : nullptr;
    const Utf8 t = utf8(text);
    std::vector<eb_entity> entities(max_seq_);  // at most one per token
    size_t count = 0;
    call_runtime([&](eb_error* error) {
      return eb_session_tag(session_, t.data, t.size, &options, entities.data(),
                            entities.size(), &count, error);
    });
    last_batch_ = 0;
    const bool ascii = PyUnicode_IS_ASCII(text.ptr());
    std::vector<Entity> out;
    for (size_t i = 0; i < count && i < entities.size(); ++i) {
      const eb_entity& e = entities[i];
      const size_t start = char_index(t, ascii, e.start);
      const size_t end = char_index(t, ascii, e.end);
      out.push_back(Entity{nb::str(e.label), e.label_index, e.score, start, end, e.start, e.end,
                           e.first_token, e.tokens, substring(text, start, end)});
    }
    return out;
  }

  std::vector<std::vector<TokenScore>> fill_mask(const nb::str& text, uint32_t top_k) {
    if (top_k == 0) throw std::invalid_argument("top_k must be at least 1");
    const Utf8 t = utf8(text);
    if (top_k > model_->info().vocab_size) {
      throw std::invalid_argument("top_k " + std::to_string(top_k) + " exceeds the vocabulary (" +
                                  std::to_string(model_->info().vocab_size) + ")");
    }
    // At most max_seq - 2 masks fit a window.
    std::vector<eb_token_score> scores(static_cast<size_t>(top_k) * max_seq_);
    size_t count = 0;
    call_runtime([&](eb_error* error) {
      return eb_session_fill_mask(session_, t.data, t.size, top_k, scores.data(), scores.size(),
                                  &count, error);
    });
    last_batch_ = 0;
    std::vector<std::vector<TokenScore>> out;
    for (size_t i = 0; i < count && i < scores.size(); ++i) {
      if (i % top_k == 0) out.emplace_back();
      const eb_token_score& s = scores[i];
      out.back().push_back(TokenScore{s.token, nb::str(eb_model_token(model_->get(), s.token)),
                                      s.probability, s.position});
    }
    return out;
  }

  nb::ndarray<nb::numpy, float> score(const nb::str& query, nb::handle passages, bool sigmoid) {
    const Utf8 q = utf8(query);
    // Own a reference to every passage while the GIL is released.
    std::vector<nb::object> held = as_list(passages, "passages");
    std::vector<const char*> texts;
    std::vector<size_t> bytes;
    for (size_t i = 0; i < held.size(); ++i) {
      if (!nb::isinstance<nb::str>(held[i])) {
        throw nb::type_error(("passages[" + std::to_string(i) + "] must be str").c_str());
      }
      const Utf8 p = utf8(nb::borrow<nb::str>(held[i]));
      texts.push_back(p.data);
      bytes.push_back(p.size);
    }
    std::vector<float> values(held.size());
    call_runtime([&](eb_error* error) {
      return eb_session_score(session_, q.data, q.size, texts.data(), bytes.data(), held.size(),
                              sigmoid ? nullptr : values.data(),
                              sigmoid ? values.data() : nullptr, error);
    });
    last_batch_ = 0;
    return owned_array(values.data(), {values.size()});
  }

  // Times `runs` classify calls made from C++ on this session: the C API's own latency, for
  // measuring the binding's overhead side by side (bench/python_overhead.py). Seconds per call.
  double time_classify_in_c(const nb::str& text, uint32_t runs) {
    const Utf8 a = utf8(text);
    Busy busy(this);
    eb_classification result;
    eb_error error;
    eb_status status = EB_OK;
    struct timespec t0, t1;
    {
      nb::gil_scoped_release release;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      for (uint32_t i = 0; i < runs && status == EB_OK; ++i) {
        status = eb_session_classify_text(session_, a.data, a.size, nullptr, 0, &result, &error);
      }
      clock_gettime(CLOCK_MONOTONIC, &t1);
    }
    check(status, error);
    return ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9) / (runs ? runs : 1);
  }

 private:
  static Model* as_model(nb::handle x) {
    if (!nb::isinstance<Model>(x)) throw nb::type_error("Session(): model must be an edgebert.Model");
    return nb::cast<Model*>(x);
  }

  // Runs `call(eb_error*) -> eb_status` on the runtime with the session marked busy and the GIL
  // released; a failure raises edgebert.Error.
  template <typename Call>
  void call_runtime(const Call& call) {
    Busy busy(this);
    eb_error error;
    eb_status status;
    {
      nb::gil_scoped_release release;
      status = call(&error);
    }
    check(status, error);
  }

  // Marks the session as running for the duration of a call (see the file comment).
  struct Busy {
    Session* s;
    explicit Busy(Session* session) : s(session) {
      if (s->busy_.exchange(true)) {
        throw std::runtime_error(
            "this Session is running on another thread: a session runs one call at a time; "
            "give each thread its own (Model.session())");
      }
    }
    ~Busy() { s->busy_.store(false); }
  };

  // int32 token ids of a 1-D array-like: numpy int32 arrays are used in place, anything else
  // (lists, other integer dtypes) converted once, refusing values outside int32.
  struct IdArray {
    nb::object holder;
    const int32_t* data = nullptr;
    size_t size = 0;
  };
  static IdArray as_ids(nb::handle x, const char* what, size_t expected = SIZE_MAX) {
    IdArray out;
    if (x.is_none()) {
      if (expected == SIZE_MAX) throw nb::type_error((std::string(what) + " is None").c_str());
      return out;
    }
    nb::module_ np = nb::module_::import_("numpy");
    nb::object array = np.attr("asarray")(x);
    const std::string kind = python_str(array.attr("dtype").attr("kind"));
    const std::string dtype = python_str(array.attr("dtype"));
    const size_t n = PyLong_AsSize_t(nb::object(array.attr("size")).ptr());
    if (kind != "i" && kind != "u" && !(kind == "f" && n == 0)) {
      throw nb::type_error((std::string(what) + " must hold integers, not dtype " + dtype).c_str());
    }
    if (PyLong_AsSize_t(nb::object(array.attr("ndim")).ptr()) != 1) {
      throw std::invalid_argument(std::string(what) + " must be one-dimensional");
    }
    if (n > 0 && dtype != "int32") {
      // Python ints of numpy scalars: uint64 values beyond int64 stay exact.
      const nb::int_ lo(array.attr("min")()), hi(array.attr("max")());
      if (lo < nb::int_(INT32_MIN) || hi > nb::int_(INT32_MAX)) {
        throw std::invalid_argument(std::string(what) + " holds values outside int32");
      }
    }
    out.holder = np.attr("ascontiguousarray")(array, "dtype"_a = np.attr("int32"));
    out.data = static_cast<const int32_t*>(
        PyLong_AsVoidPtr(nb::object(out.holder.attr("ctypes").attr("data")).ptr()));
    out.size = n;
    if (expected != SIZE_MAX && out.size != expected) {
      throw std::invalid_argument(std::string(what) + " has " + std::to_string(out.size) +
                                  " entries; input_ids has " + std::to_string(expected));
    }
    return out;
  }

  static std::vector<nb::object> as_list(nb::handle x, const char* what) {
    if (nb::isinstance<nb::str>(x)) {
      throw nb::type_error((std::string(what) + " must be a sequence of them, not one str").c_str());
    }
    std::vector<nb::object> out;
    for (nb::handle item : nb::iter(x)) out.push_back(nb::borrow(item));
    return out;
  }
  static std::vector<nb::object> optional_list(nb::handle x, const char* what, size_t count) {
    if (x.is_none()) return {};
    std::vector<nb::object> out = as_list(x, what);
    if (out.size() != count) {
      throw std::invalid_argument(std::string(what) + " has " + std::to_string(out.size()) +
                                  " sequences; input_ids has " + std::to_string(count));
    }
    return out;
  }

  static nb::str substring(const nb::str& s, size_t start, size_t end) {
    return nb::steal<nb::str>(PyUnicode_Substring(s.ptr(), static_cast<Py_ssize_t>(start),
                                         static_cast<Py_ssize_t>(end)));
  }

  nb::object model_object_;  // keeps the Model (and its bytes) alive
  Model* model_;
  std::string kernels_request_;
  eb_session_options options_{};
  std::unique_ptr<std::byte[]> arena_;
  size_t arena_bytes_ = 0;
  eb_session* session_ = nullptr;
  void* pool_ = nullptr;
  uint32_t max_seq_ = 0, max_batch_ = 1;
  size_t last_batch_ = 0;  // sequences of the last run_batch / run (0: a text call)
  std::vector<nb::str> label_names_;
  std::atomic<bool> busy_{false};
};

}  // namespace

NB_MODULE(_edgebert, m) {
  m.doc() = "edgebert: BERT inference on small devices (binding over the C API).";
  g_error_type = PyErr_NewExceptionWithDoc(
      "edgebert.Error",
      "An edgebert runtime error. `status` is the eb_status name (e.g. "
      "'EB_ERROR_INVALID_INPUT'), `message` the runtime's message.",
      PyExc_RuntimeError, nullptr);
  m.attr("Error") = nb::handle(g_error_type);
  nb::register_exception_translator(translate_status_error);

  m.attr("__version__") = nb::str((std::to_string(EB_VERSION_MAJOR) + "." +
                                   std::to_string(EB_VERSION_MINOR) + "." +
                                   std::to_string(EB_VERSION_PATCH))
                                      .c_str());
  m.attr("SCHEMA_VERSION") = EB_SCHEMA_VERSION;
  m.def(
      "provider_available",
      [](const std::string& provider) { return eb_provider_available(parse_provider(provider)) != 0; },
      "provider"_a, "True if this library was built with the provider ('auto', 'native', 'xnnpack').");

  nb::class_<Model>(m, "Model",
                    "A verified, zero-copy view of an edgebert model (.ebm).\n\n"
                    "`source` is a path (mmap'd read-only) or a bytes-like object, which must be "
                    "16-byte aligned and is kept (not copied) while the model lives. "
                    "check_weights=True also reads every int8 weight against the file's claims "
                    "(eb_model_check_weights), for files from an untrusted source.")
      .def(nb::init<nb::handle, bool>(), "source"_a, "check_weights"_a = false,
           nb::sig("def __init__(self, source: str | os.PathLike[str] | bytes | bytearray | "
                   "memoryview | mmap.mmap, check_weights: bool = False) -> None"))
      .def("check_weights", &Model::check_weights,
           "Reads every int8 weight against the file's claims; raises edgebert.Error if one "
           "breaks them.")
      .def("token", &Model::token, "id"_a, "The vocabulary piece of a token id, e.g. '##ing'.")
      .def(
          "session",
          [](nb::handle self, uint32_t max_seq, uint32_t threads, std::optional<std::string> kernels,
             const std::string& provider, uint32_t max_batch) {
            return new Session(self, max_seq, threads, std::move(kernels), provider, max_batch);
          },
          "max_seq"_a = 0, "threads"_a = 1, "kernels"_a = nb::none(), "provider"_a = "auto",
          "max_batch"_a = 1, "Shorthand for Session(model, ...).")
      .def(
          "arena_size",
          [](const Model& model, uint32_t max_seq, uint32_t threads,
             std::optional<std::string> kernels, const std::string& provider, uint32_t max_batch) {
            eb_session_options o = eb_session_options_default();
            o.max_seq = max_seq;
            o.threads = threads;
            o.kernels = kernels ? kernels->c_str() : nullptr;
            o.provider = parse_provider(provider);
            o.max_batch = max_batch;
            return eb_session_arena_size(model.get(), &o);
          },
          "max_seq"_a = 0, "threads"_a = 1, "kernels"_a = nb::none(), "provider"_a = "auto",
          "max_batch"_a = 1,
          "Exact arena bytes a session with these options needs (0: options invalid for the "
          "model).")
      .def_prop_ro("path", [](const Model& m) { return m.name(); },
                   "The file the model was mapped from, or '<bytes>'.")
      .def_prop_ro("size", &Model::size, "Bytes of the model.")
      .def_prop_ro("labels", &Model::labels, "Label names of a (token) classifier, else [].")
      .def_prop_ro("task", [](const Model& m) { return eb_task_name(m.info().task); },
                   "encoder, classification, embedding, question_answering, "
                   "token_classification or masked_lm.")
      .def_prop_ro("problem_type", [](const Model& m) { return eb_problem_type_name(m.info().problem_type); },
                   "Classifiers: single_label, multi_label or regression.")
      .def_prop_ro("num_layers", [](const Model& m) { return m.info().num_layers; })
      .def_prop_ro("hidden", [](const Model& m) { return m.info().hidden; })
      .def_prop_ro("num_heads", [](const Model& m) { return m.info().num_heads; })
      .def_prop_ro("head_dim", [](const Model& m) { return m.info().head_dim; })
      .def_prop_ro("intermediate", [](const Model& m) { return m.info().intermediate; })
      .def_prop_ro("vocab_size", [](const Model& m) { return m.info().vocab_size; })
      .def_prop_ro("max_positions", [](const Model& m) { return m.info().max_positions; })
      .def_prop_ro("type_vocab_size", [](const Model& m) { return m.info().type_vocab_size; })
      .def_prop_ro("max_seq", [](const Model& m) { return m.info().max_seq; },
                   "Longest input the model runs at.")
      .def_prop_ro("num_labels", [](const Model& m) { return m.info().num_labels; })
      .def_prop_ro("has_pooler", [](const Model& m) { return m.info().has_pooler != 0; })
      .def_prop_ro("has_tokenizer", [](const Model& m) { return m.info().has_tokenizer != 0; })
      .def_prop_ro("producer", [](const Model& m) { return std::string(eb_model_producer(m.get())); })
      .def_prop_ro("source", [](const Model& m) { return std::string(eb_model_source(m.get())); })
      .def("__repr__", [](const Model& m) {
        const eb_model_info& i = m.info();
        return "<edgebert.Model " + m.name() + ": " + eb_task_name(i.task) + ", " +
               std::to_string(i.num_layers) + " layers x " + std::to_string(i.hidden) +
               ", max_seq " + std::to_string(i.max_seq) + ">";
      });

  nb::class_<Classification>(m, "Classification", "Result of Session.classify.")
      .def_ro("label", &Classification::label, "Name of the most probable label.")
      .def_ro("index", &Classification::index, "Its index.")
      .def_prop_ro(
          "probabilities",
          [](const Classification& c) {
            return nb::ndarray<nb::numpy, const float, nb::ndim<1>>(c.probabilities.data(),
                                                                    {c.probabilities.size()});
          },
          nb::rv_policy::reference_internal,
          "Per label: softmax, or sigmoid for multi-label and one-output models (read-only).")
      .def_ro("windows", &Classification::windows, "Windows read (stride=...: long texts).")
      .def("__repr__", [](const Classification& c) {
        return "Classification(label=" + nb::cast<std::string>(nb::repr(c.label)) +
               ", index=" + std::to_string(c.index) + ", p=" +
               std::to_string(c.probabilities[static_cast<size_t>(c.index)]) + ")";
      });

  nb::class_<Tokens>(m, "Tokens", "Result of Session.tokenize (arrays are copies).")
      .def_prop_ro("ids", [](const Tokens& t) { return owned_array(t.ids.data(), {t.ids.size()}); },
                   nb::rv_policy::automatic)
      .def_prop_ro("token_type_ids", [](const Tokens& t) {
        return owned_array(t.token_type_ids.data(), {t.token_type_ids.size()});
      }, nb::rv_policy::automatic)
      .def_prop_ro("attention_mask", [](const Tokens& t) {
        return owned_array(t.attention_mask.data(), {t.attention_mask.size()});
      }, nb::rv_policy::automatic)
      .def_prop_ro(
          "offsets",
          [](const Tokens& t) { return owned_array(t.offsets.data(), {t.ids.size(), size_t{2}}); },
          nb::rv_policy::automatic,
          "(tokens, 2) UTF-8 byte [begin, end) in its text; special tokens 0, 0.")
      .def_prop_ro(
          "sequence",
          [](const Tokens& t) { return owned_array(t.sequence.data(), {t.sequence.size()}); },
          nb::rv_policy::automatic,
          "0 = text, 1 = pair text, -1 = special token.")
      .def_ro("pieces", &Tokens::pieces, "The vocabulary piece of each token.")
      .def("__len__", [](const Tokens& t) { return t.ids.size(); })
      .def("__repr__", [](const Tokens& t) {
        std::string s = "Tokens([";
        for (size_t i = 0; i < t.pieces.size(); ++i) {
          s += (i ? ", " : "") + nb::cast<std::string>(nb::repr(t.pieces[i]));
        }
        return s + "])";
      });

  nb::class_<Answer>(m, "Answer", "One answer of Session.answer.")
      .def_ro("score", &Answer::score)
      .def_ro("start", &Answer::start, "Character index in the context (the empty answer: 0).")
      .def_ro("end", &Answer::end)
      .def_ro("byte_start", &Answer::byte_start, "UTF-8 byte offset in the context.")
      .def_ro("byte_end", &Answer::byte_end)
      .def_ro("answer", &Answer::text, "context[start:end]")
      .def("__repr__", [](const Answer& a) {
        return "Answer(" + nb::cast<std::string>(nb::repr(a.text)) + ", score=" +
               std::to_string(a.score) + ", start=" + std::to_string(a.start) +
               ", end=" + std::to_string(a.end) + ")";
      });

  nb::class_<Entity>(m, "Entity", "One entity (or token) of Session.tag.")
      .def_ro("label", &Entity::label,
              "aggregation 'none': the token's label ('B-PER'); others: the group ('PER').")
      .def_ro("label_index", &Entity::label_index)
      .def_ro("score", &Entity::score)
      .def_ro("start", &Entity::start, "Character index in the text.")
      .def_ro("end", &Entity::end)
      .def_ro("byte_start", &Entity::byte_start)
      .def_ro("byte_end", &Entity::byte_end)
      .def_ro("first_token", &Entity::first_token, "Index of its first token.")
      .def_ro("tokens", &Entity::tokens, "Tokens it spans.")
      .def_ro("word", &Entity::word, "text[start:end]")
      .def("__repr__", [](const Entity& e) {
        return "Entity(" + nb::cast<std::string>(nb::repr(e.label)) + ", " +
               nb::cast<std::string>(nb::repr(e.word)) + ", score=" + std::to_string(e.score) +
               ", start=" + std::to_string(e.start) + ", end=" + std::to_string(e.end) + ")";
      });

  nb::class_<TokenScore>(m, "TokenScore", "One candidate of Session.fill_mask.")
      .def_ro("token", &TokenScore::token, "Vocabulary id.")
      .def_ro("token_str", &TokenScore::token_str, "Its piece.")
      .def_ro("score", &TokenScore::score, "Probability (softmax over the vocabulary).")
      .def_ro("position", &TokenScore::position, "Index of the mask token.")
      .def("__repr__", [](const TokenScore& t) {
        return "TokenScore(" + nb::cast<std::string>(nb::repr(t.token_str)) +
               ", token=" + std::to_string(t.token) + ", score=" + std::to_string(t.score) + ")";
      });

  nb::class_<Session>(m, "Session",
                      "A model's inference session: one arena of exactly the planned size (the "
                      "binding allocates it; the runtime allocates nothing). One call at a time; "
                      "the GIL is released while it runs, so give each thread its own session.")
      .def(nb::init<nb::handle, uint32_t, uint32_t, std::optional<std::string>,
                    const std::string&, uint32_t>(),
           "model"_a, "max_seq"_a = 0, "threads"_a = 1, "kernels"_a = nb::none(),
           "provider"_a = "auto", "max_batch"_a = 1,
           nb::sig("def __init__(self, model: Model, max_seq: int = 0, threads: int = 1, kernels: "
                   "str | None = None, provider: str = 'auto', max_batch: int = 1) -> None"),
           "max_seq 0: the model's. threads > 1: a thread pool of the session's own. kernels: "
           "force a kernel set ('reference', 'avx2', ...). provider: 'auto', 'native', "
           "'xnnpack'. max_batch: sequences one run_batch / score run may take.")
      .def_prop_ro("model", &Session::model, nb::sig("def model(self) -> Model"))
      .def_prop_ro("kernels", &Session::kernels, "Kernel set running the model, e.g. 'avx2'.")
      .def_prop_ro("provider", &Session::provider, "'native' or 'xnnpack'.")
      .def_prop_ro("arena_bytes", &Session::arena_bytes, "Bytes of this session's arena.")
      .def_prop_ro("max_seq", &Session::max_seq)
      .def_prop_ro("max_batch", &Session::max_batch)
      .def_prop_ro("threads", &Session::threads)
      .def_prop_ro("label", &Session::label,
                   "Most probable label index of the last run (-1: not a classifier).")
      .def("run", &Session::run, "input_ids"_a, "token_type_ids"_a = nb::none(),
           "attention_mask"_a = nb::none(),
           nb::sig("def run(self, input_ids: numpy.typing.ArrayLike, token_type_ids: "
                   "numpy.typing.ArrayLike | None = None, attention_mask: numpy.typing.ArrayLike "
                   "| None = None) -> None"),
           "Runs token ids (1-D integers; numpy int32 used in place). Read results with "
           "output().")
      .def("run_batch", &Session::run_batch, "input_ids"_a, "token_type_ids"_a = nb::none(),
           "attention_mask"_a = nb::none(),
           nb::sig("def run_batch(self, input_ids: collections.abc.Sequence[numpy.typing.ArrayLike], "
                   "token_type_ids: collections.abc.Sequence[numpy.typing.ArrayLike] | None = None, "
                   "attention_mask: collections.abc.Sequence[numpy.typing.ArrayLike] | None = "
                   "None) -> None"),
           "Runs up to max_batch sequences in one pass; each gets exactly the outputs it gets "
           "alone.")
      .def(
          "output",
          [](nb::handle self, const std::string& name) {
            return nb::cast<Session&>(self).output(name, self);
          },
          "name"_a,
          nb::sig("def output(self, name: str) -> numpy.typing.NDArray[numpy.float32] | None"),
          "A read-only numpy view of an output of the last run inside the arena (no copy; "
          "overwritten by the next call: copy() to keep it): last_hidden, pooled, logits, "
          "probabilities, embedding or token_logits; None if the model has no such output.")
      .def("tokenize", &Session::tokenize, "text"_a, "pair"_a = nb::none(),
           "Hugging Face BertTokenizerFast's encoding of text (and a pair), truncated to "
           "max_seq.")
      .def("classify", &Session::classify, "text"_a, "pair"_a = nb::none(), nb::kw_only(),
           "stride"_a = nb::none(),
           "Classifies a text or pair. stride=N: reads a long text in windows sharing N "
           "tokens and averages their logits.")
      .def("embed", &Session::embed, "text"_a, nb::kw_only(), "stride"_a = nb::none(),
           "Sentence embedding (a float32 array of its own). stride=N: long texts in windows, "
           "averaged.")
      .def("answer", &Session::answer, "question"_a, "context"_a, nb::kw_only(), "top_k"_a = 1,
           "max_answer_len"_a = 15, "doc_stride"_a = nb::none(),
           "handle_impossible_answer"_a = false, "align_to_words"_a = true,
           "Extractive question answering as transformers' question-answering pipeline: the "
           "top_k answers, best first, with character offsets into the context.")
      .def("tag", &Session::tag, "text"_a, nb::kw_only(), "aggregation"_a = "none",
           "ignore_label"_a = "O",
           "Token classification as transformers' token-classification pipeline "
           "(aggregation none, simple, first, average, max).")
      .def("fill_mask", &Session::fill_mask, "text"_a, nb::kw_only(), "top_k"_a = 5,
           "For each [MASK] of the text, the top_k tokens (a list per mask).")
      .def("score", &Session::score, "query"_a, "passages"_a, nb::kw_only(),
           "sigmoid"_a = false,
           nb::sig("def score(self, query: str, passages: collections.abc.Sequence[str], *, "
                   "sigmoid: bool = False) -> numpy.typing.NDArray[numpy.float32]"),
           "Cross-encoder scores of (query, passage) pairs, max_batch passages per run: the "
           "raw logits, or their sigmoid.")
      .def("_time_classify_in_c", &Session::time_classify_in_c, "text"_a, "runs"_a,
           "Seconds per eb_session_classify_text call made from C on this session "
           "(bench/python_overhead.py).");
}
