#include "parallel.h"

#if EB_HAVE_PTHREADPOOL
#include <pthreadpool.h>
#endif

namespace edgebert {

void Parallel::for_each(size_t count, void (*task)(void*, size_t), void* context) const {
#if EB_HAVE_PTHREADPOOL
  if (pool != nullptr && count > 1) {
    pthreadpool_parallelize_1d(static_cast<pthreadpool_t>(pool), task, context, count, 0);
    return;
  }
#endif
  for (size_t i = 0; i < count; ++i) task(context, i);
}

bool parallel_built() {
#if EB_HAVE_PTHREADPOOL
  return true;
#else
  return false;
#endif
}

size_t parallel_threads(void* pool) {
#if EB_HAVE_PTHREADPOOL
  if (pool != nullptr) return pthreadpool_get_threads_count(static_cast<pthreadpool_t>(pool));
#endif
  (void)pool;
  return 1;
}

}  // namespace edgebert
