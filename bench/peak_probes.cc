// Peak probes, one thread: 12 independent dependency chains of one instruction, written in
// inline assembly so the compiler cannot hoist or fold anything (an intrinsics loop like
// acc += madd(a, b) with constant a, b has its multiply hoisted and measures only vpaddd).
//   vpmaddwd   ymm: 16 multiply-adds (the avx2 kernel's multiply)   -> 32 int8 ops
//   vpmaddubsw ymm: 32 multiply-adds (u8 x s8, saturating)          -> 64 int8 ops
//   vfmadd231ps ymm / zmm: 8 / 16 fp32 multiply-adds                 -> 16 / 32 flops
//   vpdpbusd   zmm (avx512vnni) / VEX ymm (avxvnni): 4 u8 x s8 multiply-adds per 32-bit lane,
//              64 / 32 multiply-adds                                 -> 128 / 64 int8 ops
//   tdpbssd    tiles (amx): 16 rows x 16 columns x 64 k s8 x s8      -> 32768 int8 ops; here 6
//              accumulator tiles (tmm0-5) in turn, each a chain, over tmm6 x tmm7
// Call a probe only on a CPU that has its instruction (kernels_supported() of the set).
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

// Rate in G operations per second of `body` (12 instructions of `ops` each), best of 3 runs of
// `iterations`.
template <typename Body>
double best_rate(size_t iterations, double ops, Body body) {
  double best = 0.0;
  for (int trial = 0; trial < 3; ++trial) {
    const double start = thread_seconds();
    for (size_t i = 0; i < iterations; ++i) body();
    const double seconds = thread_seconds() - start;
    const double rate = ops * 12.0 * static_cast<double>(iterations) / seconds / 1e9;
    best = rate > best ? rate : best;
  }
  return best;
}

}  // namespace

// op r12, rI, rI for I = 0..11: 12 chains, each instruction depending on its own register's last.
#define EB_CHAIN12(op, r)                                                                    \
  op " %%" r "12, %%" r "0, %%" r "0\n" op " %%" r "12, %%" r "1, %%" r "1\n"              \
  op " %%" r "12, %%" r "2, %%" r "2\n" op " %%" r "12, %%" r "3, %%" r "3\n"              \
  op " %%" r "12, %%" r "4, %%" r "4\n" op " %%" r "12, %%" r "5, %%" r "5\n"              \
  op " %%" r "12, %%" r "6, %%" r "6\n" op " %%" r "12, %%" r "7, %%" r "7\n"              \
  op " %%" r "12, %%" r "8, %%" r "8\n" op " %%" r "12, %%" r "9, %%" r "9\n"              \
  op " %%" r "12, %%" r "10, %%" r "10\n" op " %%" r "12, %%" r "11, %%" r "11\n"
#define EB_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", \
                    "xmm9", "xmm10", "xmm11"

enum class Probe { kMaddwd, kMaddubsw, kFma };

// Operations per second (in G) of `probe`, best of 3 runs of `iterations` x 12 instructions.
double peak_probe_avx2(Probe probe, size_t iterations) {
  switch (probe) {
    case Probe::kMaddwd:
      return best_rate(iterations, 32.0, [] {
        __asm__ volatile(EB_CHAIN12("vpmaddwd", "ymm") ::: EB_CLOBBERS);
      });
    case Probe::kMaddubsw:
      return best_rate(iterations, 64.0, [] {
        __asm__ volatile(EB_CHAIN12("vpmaddubsw", "ymm") ::: EB_CLOBBERS);
      });
    case Probe::kFma:
      break;
  }
  return best_rate(iterations, 16.0, [] {
    __asm__ volatile(EB_CHAIN12("vfmadd231ps", "ymm") ::: EB_CLOBBERS);
  });
}

// fp32 GFLOPS of vfmadd231ps on zmm (16 multiply-adds, 32 flops): the AVX-512 trainer GEMM's.
double peak_probe_fma_zmm(size_t iterations) {
  return best_rate(iterations, 32.0, [] {
    __asm__ volatile(EB_CHAIN12("vfmadd231ps", "zmm") ::: EB_CLOBBERS);
  });
}

// int8 GOPS of vpdpbusd on zmm (zmm = true, AVX-512 VNNI) or VEX ymm (AVX-VNNI; "%{vex%}" is the
// assembler's {vex} prefix, braces escaped in extended asm).
double peak_probe_vnni(bool zmm, size_t iterations) {
  if (zmm) {
    return best_rate(iterations, 128.0, [] {
      __asm__ volatile(EB_CHAIN12("vpdpbusd", "zmm") ::: EB_CLOBBERS);
    });
  }
  return best_rate(iterations, 64.0, [] {
    __asm__ volatile(EB_CHAIN12("%{vex%} vpdpbusd", "ymm") ::: EB_CLOBBERS);
  });
}

// Linux must have granted the process tile data first (dispatch's amx check does).
double peak_probe_amx(size_t iterations) {
  alignas(64) unsigned char config[64] = {};
  config[0] = 1;  // palette 1; 8 tiles of 16 rows x 64 bytes
  for (int t = 0; t < 8; ++t) {
    config[16 + 2 * t] = 64;
    config[48 + t] = 16;
  }
  __asm__ volatile("ldtilecfg %0" ::"m"(config) : "memory");
  __asm__ volatile("tilezero %%tmm6\n\ttilezero %%tmm7" ::);
  const double rate = best_rate(iterations, 32768.0, [] {
    __asm__ volatile(
        "tdpbssd %%tmm7, %%tmm6, %%tmm0\n\ttdpbssd %%tmm7, %%tmm6, %%tmm1\n\t"
        "tdpbssd %%tmm7, %%tmm6, %%tmm2\n\ttdpbssd %%tmm7, %%tmm6, %%tmm3\n\t"
        "tdpbssd %%tmm7, %%tmm6, %%tmm4\n\ttdpbssd %%tmm7, %%tmm6, %%tmm5\n\t"
        "tdpbssd %%tmm7, %%tmm6, %%tmm0\n\ttdpbssd %%tmm7, %%tmm6, %%tmm1\n\t"
        "tdpbssd %%tmm7, %%tmm6, %%tmm2\n\ttdpbssd %%tmm7, %%tmm6, %%tmm3\n\t"
        "tdpbssd %%tmm7, %%tmm6, %%tmm4\n\ttdpbssd %%tmm7, %%tmm6, %%tmm5" ::);
  });
  __asm__ volatile("tilerelease" ::);
  return rate;
}

}  // namespace edgebert::bench
