// What a dense op does after its product: the epilogue, the contract between the graph (which
// asks for it), the executors (which compute it) and the GEMM kernels (which fuse it into their
// stores, so dequantize + bias + GELU / residual never take an extra pass over memory).
#ifndef EDGEBERT_SRC_GRAPH_EPILOGUE_H_
#define EDGEBERT_SRC_GRAPH_EPILOGUE_H_

#include <cstddef>
#include <cstdint>

namespace edgebert {

enum class Epilogue : uint8_t {
  Int32,         // c[m][n] = int32 dot product (kernel tests only)
  Bias,          // c = x w^T + bias[n]            (int8: acc * sa[m] * sw[n] + bias[n])
  BiasGelu,      // c = gelu(x w^T + bias[n])      exact-erf GELU
  BiasResidual,  // c = x w^T + bias[n] + residual[m][n]
};

// For executors whose dense computes out = x w^T + bias alone (the fp32 oracle, XNNPACK, the
// calibration pass): the rest of the epilogue over out (count floats) in place, with `gelu`
// the executor's GELU (the oracle's exact erf or the kernels' polynomial); `residual` has out's
// layout. The GEMM kernels fuse the same steps into their stores instead.
template <typename Gelu>
inline void finish_epilogue(float* out, size_t count, Epilogue epilogue, const float* residual,
                            Gelu gelu) {
  if (epilogue == Epilogue::BiasGelu) {
    for (size_t i = 0; i < count; ++i) out[i] = gelu(out[i]);
  } else if (epilogue == Epilogue::BiasResidual) {
    for (size_t i = 0; i < count; ++i) out[i] += residual[i];
  }
}

}  // namespace edgebert

#endif  // EDGEBERT_SRC_GRAPH_EPILOGUE_H_
