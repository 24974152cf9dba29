#include "host_session.h"

#include <stdexcept>

namespace edgebert::convert {

HostSession::HostSession(AlignedBytes bytes, const std::string& what, uint32_t max_seq,
                         const std::string& kernels)
    : bytes_(std::move(bytes)) {
  eb_error error;
  if (model_.init(bytes_.data(), bytes_.size(), &error) != EB_OK) {
    throw std::runtime_error(what + ": " + error.message);
  }
  arena_.resize(model_.arena_size(max_seq));
  if (arena_.empty()) throw std::runtime_error("--max-seq exceeds the model's max_seq");
  eb_session_options options = eb_session_options_default();
  options.max_seq = max_seq;
  options.kernels = kernels.empty() ? nullptr : kernels.c_str();
  if (session_.init(model_, arena_.data(), arena_.size(), options, &error) != EB_OK) {
    throw std::runtime_error(what + ": " + error.message);
  }
}

}  // namespace edgebert::convert
