// A model and one session over it for host commands (eval, tokenize): owns the model bytes, the
// model view and the arena, and turns the runtime's errors into std::runtime_error("<what>: ...").
// Not copyable or movable: the session points into the arena and at the model view.
#ifndef EDGEBERT_CONVERTER_HOST_SESSION_H_
#define EDGEBERT_CONVERTER_HOST_SESSION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "edgebert/edgebert.hpp"
#include "file_io.h"

namespace edgebert::convert {

class HostSession {
 public:
  // max_seq 0 = the model's; kernels "" = the best set of this CPU; provider AUTO = the default;
  // max_batch: sequences per run (eb_session_run_batch, eb_session_score); observer: the
  // session's op observer (eb_session_options.op_observer, its user pointer), or none.
  using Observer = void (*)(void* user, const char* op, int32_t layer);
  HostSession(AlignedBytes bytes, const std::string& what, uint32_t max_seq,
              const std::string& kernels = "", eb_provider provider = EB_PROVIDER_AUTO,
              uint32_t max_batch = 1, Observer observer = nullptr, void* observer_user = nullptr);
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;

  const Model& model() const { return model_; }
  Session& session() { return session_; }
  size_t file_bytes() const { return bytes_.size(); }
  const AlignedBytes& bytes() const { return bytes_; }

 private:
  AlignedBytes bytes_;
  Model model_;
  std::vector<uint8_t> arena_;
  Session session_;
};

}  // namespace edgebert::convert

#endif  // EDGEBERT_CONVERTER_HOST_SESSION_H_
