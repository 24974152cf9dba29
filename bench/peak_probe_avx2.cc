// Peak probes for x86 AVX2, one thread: 12 independent dependency chains of one instruction,
// written in inline assembly so the compiler cannot hoist or fold anything (an intrinsics loop
// like acc += madd(a, b) with constant a, b has its multiply hoisted and measures only vpaddd).
//   vpmaddwd   ymm: 16 multiply-adds (the avx2 kernel's multiply)   -> 32 int8 ops
//   vpmaddubsw ymm: 32 multiply-adds (u8 x s8, saturating)          -> 64 int8 ops
//   vfmadd231ps ymm: 8 fp32 multiply-adds                            -> 16 flops
#include <time.h>

#include <cstddef>

namespace edgebert::bench {
namespace {

// This thread's CPU seconds: like Google Benchmark's default CPU time, so a probe and the GEMM
// it is compared with count the same time when the VM's other core is busy or the vCPU waits.
double thread_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

#define EB_CHAIN12(op)                                                                        \
  op " %%ymm12, %%ymm0, %%ymm0\n" op " %%ymm12, %%ymm1, %%ymm1\n" op " %%ymm12, %%ymm2, %%ymm2\n" \
  op " %%ymm12, %%ymm3, %%ymm3\n" op " %%ymm12, %%ymm4, %%ymm4\n" op " %%ymm12, %%ymm5, %%ymm5\n" \
  op " %%ymm12, %%ymm6, %%ymm6\n" op " %%ymm12, %%ymm7, %%ymm7\n" op " %%ymm12, %%ymm8, %%ymm8\n" \
  op " %%ymm12, %%ymm9, %%ymm9\n" op " %%ymm12, %%ymm10, %%ymm10\n" op " %%ymm12, %%ymm11, %%ymm11\n"
#define EB_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                    "xmm9", "xmm10", "xmm11"

enum class Probe { kMaddwd, kMaddubsw, kFma };

// Operations per second (in G) of `probe`, best of 3 runs of `iterations` x 12 instructions.
double peak_probe_avx2(Probe probe, size_t iterations) {
  double best = 0.0;
  for (int trial = 0; trial < 3; ++trial) {
    const double start = thread_seconds();
    for (size_t i = 0; i < iterations; ++i) {
      switch (probe) {
        case Probe::kMaddwd: __asm__ volatile(EB_CHAIN12("vpmaddwd") ::: EB_CLOBBERS); break;
        case Probe::kMaddubsw: __asm__ volatile(EB_CHAIN12("vpmaddubsw") ::: EB_CLOBBERS); break;
        case Probe::kFma: __asm__ volatile(EB_CHAIN12("vfmadd231ps") ::: EB_CLOBBERS); break;
      }
    }
    const double seconds = thread_seconds() - start;
    const double ops_per_instruction =
        probe == Probe::kMaddwd ? 32.0 : probe == Probe::kMaddubsw ? 64.0 : 16.0;
    const double rate = ops_per_instruction * 12.0 * static_cast<double>(iterations) / seconds / 1e9;
    best = rate > best ? rate : best;
  }
  return best;
}

}  // namespace edgebert::bench
