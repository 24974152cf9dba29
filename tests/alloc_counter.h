// Counts heap calls made by this process while a CountingScope is alive: malloc, calloc, realloc,
// free, aligned_alloc, posix_memalign, memalign, valloc, pvalloc and every operator new/delete
// form are replaced (alloc_counter.cc) and forwarded to glibc (under AddressSanitizer: counted
// through ASan's malloc/free hooks instead). Used to prove the runtime's
// "no heap" promise; keep test framework calls out of the counted region.
#ifndef EDGEBERT_TESTS_ALLOC_COUNTER_H_
#define EDGEBERT_TESTS_ALLOC_COUNTER_H_

#include <cstddef>

namespace edgebert::test {

struct HeapCalls {
  size_t allocations = 0;  // malloc, calloc, realloc, aligned forms, operator new
  size_t frees = 0;        // free, operator delete
  size_t total() const { return allocations + frees; }
};

// Counts between construction and calls(); not reentrant, one at a time.
class CountingScope {
 public:
  CountingScope();
  ~CountingScope();
  HeapCalls calls() const;  // stops counting
};

}  // namespace edgebert::test

#endif  // EDGEBERT_TESTS_ALLOC_COUNTER_H_
