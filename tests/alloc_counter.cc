#include "alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define EB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EB_ASAN 1
#endif
#endif

#if defined(EB_ASAN)
#include <sanitizer/allocator_interface.h>
#endif

namespace {

std::atomic<bool> counting{false};
std::atomic<size_t> allocations{0}, frees{0};

void count_allocation() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
}
void count_free(void* p) {
  if (p != nullptr && counting.load(std::memory_order_relaxed)) frees.fetch_add(1);
}

}  // namespace

namespace edgebert::test {

CountingScope::CountingScope() {
  allocations = 0;
  frees = 0;
  counting = true;
}
CountingScope::~CountingScope() { counting = false; }
HeapCalls CountingScope::calls() const {
  counting = false;
  HeapCalls c;
  c.allocations = allocations.load();
  c.frees = frees.load();
  return c;
}

}  // namespace edgebert::test

#if defined(EB_ASAN)
// Under AddressSanitizer the allocator is ASan's: count through its hooks instead of replacing
// malloc and operator new (which would bypass ASan and break its bookkeeping).
namespace {
void on_allocate(const volatile void*, size_t) { count_allocation(); }
void on_free(const volatile void* p) { count_free(const_cast<void*>(p)); }
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_allocate, on_free);
}  // namespace
#else
// glibc's own entry points, which our replacements forward to.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {
void* new_or_throw(size_t size, size_t alignment) {
  void* p = alignment > alignof(std::max_align_t) ? __libc_memalign(alignment, size ? size : 1)
                                                  : __libc_malloc(size ? size : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

extern "C" {

void* malloc(size_t size) {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* p, size_t size) {
  count_allocation();
  return __libc_realloc(p, size);
}
void free(void* p) {
  count_free(p);
  __libc_free(p);
}
void* aligned_alloc(size_t alignment, size_t size) {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* memalign(size_t alignment, size_t size) {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  count_allocation();
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) {
  count_allocation();
  return __libc_memalign(4096, size);
}
void* pvalloc(size_t size) {
  count_allocation();
  return __libc_memalign(4096, (size + 4095) & ~size_t{4095});
}

}  // extern "C"

void* operator new(size_t size) {
  count_allocation();
  return new_or_throw(size, 0);
}
void* operator new[](size_t size) {
  count_allocation();
  return new_or_throw(size, 0);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  count_allocation();
  return __libc_malloc(size ? size : 1);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  count_allocation();
  return __libc_malloc(size ? size : 1);
}
void* operator new(size_t size, std::align_val_t a) {
  count_allocation();
  return new_or_throw(size, static_cast<size_t>(a));
}
void* operator new[](size_t size, std::align_val_t a) {
  count_allocation();
  return new_or_throw(size, static_cast<size_t>(a));
}
void* operator new(size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  count_allocation();
  return __libc_memalign(static_cast<size_t>(a), size ? size : 1);
}
void* operator new[](size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  count_allocation();
  return __libc_memalign(static_cast<size_t>(a), size ? size : 1);
}
void operator delete(void* p) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete(void* p, size_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p, size_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  count_free(p);
  __libc_free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  count_free(p);
  __libc_free(p);
}
#endif  // EB_ASAN
