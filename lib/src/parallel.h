// Threads for the native kernels: a caller-owned pthreadpool (eb_session_options.threadpool)
// runs independent tasks — column blocks of a GEMM, heads of attention — each computed by the
// same code as on one thread, so results never depend on the thread count. Nothing allocates:
// pthreadpool_parallelize_1d only signals the pool's existing threads.
#ifndef EDGEBERT_SRC_PARALLEL_H_
#define EDGEBERT_SRC_PARALLEL_H_

#include <cstddef>

namespace edgebert {

struct Parallel {
  void* pool = nullptr;  // pthreadpool_t; null: run every task on the calling thread

  // task(context, i) for every i in [0, count), in any order, on any of the pool's threads.
  void for_each(size_t count, void (*task)(void* context, size_t i), void* context) const;
};

// Whether this library can run tasks on a pthreadpool (built with pthreadpool).
bool parallel_built();

// Threads of `pool` (1 for null or without pthreadpool).
size_t parallel_threads(void* pool);

}  // namespace edgebert

#endif  // EDGEBERT_SRC_PARALLEL_H_
