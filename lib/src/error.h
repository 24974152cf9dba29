// Error reporting for the C API: a status code plus an optional formatted message written into the
// caller's eb_error. No allocation; messages are short and use integer/string formats only.
#ifndef EDGEBERT_SRC_ERROR_H_
#define EDGEBERT_SRC_ERROR_H_

#include "edgebert/edgebert.h"

namespace edgebert {

// Writes the message (printf-style) into `error` if it is not NULL and returns `status`.
eb_status fail(eb_error* error, eb_status status, const char* format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

// Clears the message of `error` (if not NULL) and returns EB_OK.
eb_status ok(eb_error* error);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_ERROR_H_
