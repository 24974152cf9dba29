#include "host_session.h"

#include <stdexcept>

namespace edgebert::convert {

HostSession::HostSession(AlignedBytes bytes, const std::string& what, uint32_t max_seq,
                         const std::string& kernels, eb_provider provider, uint32_t max_batch,
                         Observer observer, void* observer_user)
    : bytes_(std::move(bytes)) {
  eb_error error;
  if (model_.init(bytes_.data(), bytes_.size(), &error) != EB_OK) {
    throw std::runtime_error(what + ": " + error.message);
  }
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  options.kernels = kernels.empty() ? nullptr : kernels.c_str();
  options.provider = provider;
  options.max_batch = max_batch;
  options.op_observer = observer;
  options.op_observer_user = observer_user;
  arena_.resize(model_.arena_size(options));
  if (arena_.empty()) {
    if (max_seq > model_.info().max_seq) throw std::runtime_error("--max-seq exceeds the model's max_seq");
    // Let session init say why the provider cannot run the model.
    arena_.resize(model_.arena_size(max_seq));
  }
  if (session_.init(model_, arena_.data(), arena_.size(), options, &error) != EB_OK) {
    throw std::runtime_error(what + ": " + error.message);
  }
}

}  // namespace edgebert::convert
