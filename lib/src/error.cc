#include "error.h"

#include <cstdarg>
#include <cstdio>

namespace edgebert {

eb_status fail(eb_error* error, eb_status status, const char* format, ...) {
  if (error != nullptr) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(error->message, sizeof(error->message), format, args);
    va_end(args);
  }
  return status;
}

eb_status ok(eb_error* error) {
  if (error != nullptr) error->message[0] = '\0';
  return EB_OK;
}

}  // namespace edgebert
