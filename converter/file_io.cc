#include "file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "edgebert/edgebert.h"

namespace edgebert::convert {

AlignedBytes::AlignedBytes(size_t size) : size_(size) {
  // aligned_alloc needs a size that is a multiple of the alignment.
  const size_t rounded = (size + EB_MODEL_ALIGNMENT - 1) / EB_MODEL_ALIGNMENT * EB_MODEL_ALIGNMENT;
  data_.reset(static_cast<uint8_t*>(
      std::aligned_alloc(EB_MODEL_ALIGNMENT, rounded != 0 ? rounded : EB_MODEL_ALIGNMENT)));
  if (!data_) throw std::runtime_error("out of memory reading " + std::to_string(size) + " bytes");
}

AlignedBytes read_file_aligned(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error(path + ": cannot determine size");
  AlignedBytes bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw std::runtime_error(path + ": read failed");
  }
  return bytes;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(temp + ": cannot create (" + std::strerror(errno) + ")");
  const auto* p = static_cast<const uint8_t*>(data);
  size_t left = size;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      throw std::runtime_error(path + ": write failed (" + reason + ")");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    throw std::runtime_error(path + ": flush failed (" + reason + ")");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    throw std::runtime_error(path + ": rename failed (" + reason + ")");
  }
}

}  // namespace edgebert::convert
