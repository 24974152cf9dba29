// Peak probes for the VNNI kernel sets, one thread: 12 independent vpdpbusd chains in inline
// assembly (as peak_probe_avx2.cc, so nothing is hoisted), the instruction the avx512vnni (zmm,
// EVEX) and avxvnni (ymm, VEX) GEMM tiles issue. Each vpdpbusd does 4 u8 x s8 multiply-adds per
// 32-bit lane: zmm 64, ymm 32 multiply-adds, i.e. 128 / 64 int8 ops. Call only on a CPU that has
// the instruction (kernels_supported() of the set).
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

#define EB_CHAIN12(op, r)                                                                    \
  op " %%" r "12, %%" r "13, %%" r "0\n" op " %%" r "12, %%" r "13, %%" r "1\n"            \
  op " %%" r "12, %%" r "13, %%" r "2\n" op " %%" r "12, %%" r "13, %%" r "3\n"            \
  op " %%" r "12, %%" r "13, %%" r "4\n" op " %%" r "12, %%" r "13, %%" r "5\n"            \
  op " %%" r "12, %%" r "13, %%" r "6\n" op " %%" r "12, %%" r "13, %%" r "7\n"            \
  op " %%" r "12, %%" r "13, %%" r "8\n" op " %%" r "12, %%" r "13, %%" r "9\n"            \
  op " %%" r "12, %%" r "13, %%" r "10\n" op " %%" r "12, %%" r "13, %%" r "11\n"
#define EB_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                    "xmm9", "xmm10", "xmm11"

// int8 GOPS of vpdpbusd on zmm (zmm = true, AVX-512 VNNI) or VEX ymm (AVX-VNNI; "%{vex%}" is
// the assembler's {vex} prefix, braces escaped in extended asm), best of 3.
double peak_probe_vnni(bool zmm, size_t iterations) {
  double best = 0.0;
  for (int trial = 0; trial < 3; ++trial) {
    const double start = thread_seconds();
    for (size_t i = 0; i < iterations; ++i) {
      if (zmm) {
        __asm__ volatile(EB_CHAIN12("vpdpbusd", "zmm") ::: EB_CLOBBERS);
      } else {
        __asm__ volatile(EB_CHAIN12("%{vex%} vpdpbusd", "ymm") ::: EB_CLOBBERS);
      }
    }
    const double seconds = thread_seconds() - start;
    const double ops = (zmm ? 128.0 : 64.0) * 12.0 * static_cast<double>(iterations);
    const double rate = ops / seconds / 1e9;
    best = rate > best ? rate : best;
  }
  return best;
}

}  // namespace edgebert::bench
