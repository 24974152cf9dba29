#include "xnnpack_executor.h"

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>

#include "../align.h"
#include "../error.h"
#include "../kernels/packing.h"

#if EB_HAVE_XNNPACK
#include <xnnpack.h>
#endif

namespace edgebert {
namespace {

constexpr size_t kRegionAlignment = 64;
// XNNPACK reads up to this many bytes past an input row (XNN_EXTRA_BYTES in xnnpack.h).
constexpr size_t kExtraBytes = 16;
// Upper bound of one operator's own allocation (struct xnn_operator and its params), checked on
// every test run against what XNNPACK really took (XnnpackSession.used_bytes).
constexpr size_t kOperatorBytes = 8192;

size_t op_count(const ModelView& m) {
  DenseSlot slots[kMaxModelSlots];
  return m.dims.num_layers * kDenseSlotsPerLayer + model_dense_slots(m.dims, m.has_pooler, slots);
}

// Upper bound of XNNPACK's packed weights for an (n, k) fully connected operator: output channels
// padded to the widest register tile of any ISA (64), k to the widest k-block (32), the bias (4
// bytes per channel) and slack for each allocation's alignment and over-read padding.
size_t packed_bound(size_t n, size_t k, bool int8) {
  const size_t channels = align_up(n, 64);
  const size_t per_channel = int8 ? align_up(k, 32) + 16 : (align_up(k, 32) + 4) * sizeof(float);
  return kOperatorBytes + channels * per_channel + 4 * kRegionAlignment;
}

// Scratch to unpack one int8 weight (n, k) row-major, then its int32 bias (n <= widest): the
// largest is H x max(I, A, E).
size_t unpack_scratch_bytes(const ModelDims& d) {
  size_t other = d.intermediate > d.attention ? d.intermediate : d.attention;
  if (d.embedding > other) other = d.embedding;
  const size_t largest = size_t{d.hidden} * other;
  return align_up(largest, kRegionAlignment) + align_up(widest_features(d) * sizeof(int32_t), kRegionAlignment);
}

// The region: the session struct at offset 0, its operator array, then the int8 models' input
// and output rows (or the fp32 models' attention scratch), then XNNPACK's bump area, and the
// int8 unpack scratch at the very end. One function lays it out for both the size computation
// and the session init, so the two cannot drift apart.
struct RegionLayout {
  size_t ops = 0;           // XnnpackDense[op_count]
  size_t attention_scratch = 0;  // fp32 models: one head's scratch per head (heads may be tasks)
  size_t q_in = 0, q_out = 0;  // int8 models: (max_seq, widest) + XNN_EXTRA_BYTES each
  size_t bump = 0;          // XNNPACK's operators and packed weights from here on
  size_t unpack_bytes = 0;  // int8 models: at the region's end
};

RegionLayout region_layout(const ModelView& m, uint32_t max_seq, uint32_t max_batch) {
  const ModelDims& d = m.dims;
  RegionLayout r;
  size_t offset = 0;
  auto take = [&offset](size_t bytes) {
    const size_t at = offset;
    offset = align_up(offset + bytes, kRegionAlignment);
    return at;
  };
  take(sizeof(XnnpackSession));
  r.ops = take(op_count(m) * sizeof(XnnpackDense));
  if (m.int8) {
    const size_t io_bytes = size_t{max_seq} * max_batch * widest_features(d) + kExtraBytes;
    r.q_in = take(io_bytes);
    r.q_out = take(io_bytes);
    r.unpack_bytes = unpack_scratch_bytes(d);
  } else {
    r.attention_scratch =
        take(attention_scratch_floats(max_seq, d.head_dim) * d.num_heads * sizeof(float));
  }
  r.bump = offset;
  return r;
}

}  // namespace

size_t xnnpack_region_bytes(const ModelView& m, uint32_t max_seq, uint32_t max_batch) {
  const ModelDims& d = m.dims;
  const RegionLayout layout = region_layout(m, max_seq, max_batch);
  // One operator per dense layer, at the layout's shapes.
  const auto bound = [&](DenseSlot slot) {
    uint32_t n, k;
    dense_slot_shape(d, slot, &n, &k);
    return packed_bound(n, k, m.int8);
  };
  size_t per_layer = 0;
  for (size_t s = 0; s < kDenseSlotsPerLayer; ++s) per_layer += bound(static_cast<DenseSlot>(s));
  size_t bytes = layout.bump + d.num_layers * per_layer;
  DenseSlot slots[kMaxModelSlots];
  const size_t slot_count = model_dense_slots(d, m.has_pooler, slots);
  for (size_t i = 0; i < slot_count; ++i) bytes += bound(slots[i]);
  return bytes + layout.unpack_bytes;
}

// Planned in every build: a model's stored plan must not depend on the converter's build.
void request_xnnpack_scratch(const ModelView& model, uint32_t max_seq, uint32_t threads,
                             BufferRequests* r) {
  if (model.int8) return;  // int8 models: the native executor plans its attention's buffers
  const uint64_t tasks = attention_tasks(threads, model.dims.num_heads);
  r->request(fb::ArenaBuffer::Scores, uint64_t{max_seq} * sizeof(float) * tasks, kStepAttention,
             kStepAttention);
}

#if !EB_HAVE_XNNPACK

bool xnnpack_built() { return false; }

eb_status xnnpack_session_init(XnnpackSession** x, uint8_t*, size_t, const ModelView&,
                               const ModelWeights&, NativeExecutor*, uint32_t, uint32_t,
                               void*, eb_error* error) {
  *x = nullptr;
  return fail(error, EB_ERROR_UNSUPPORTED, "this library was built without XNNPACK "
              "(cmake -DEDGEBERT_WITH_XNNPACK=ON)");
}
eb_status XnnpackSession::dense(const DenseCall&, eb_error* error) {
  return fail(error, EB_ERROR_UNSUPPORTED, "built without XNNPACK");
}
void XnnpackSession::attention(const AttentionCall&) {}
void XnnpackSession::layer_norm(float*, const LayerNormWeights&, size_t) {}
eb_status xnnpack_run_dense(XnnpackSession&, size_t, float*, const float*, size_t,
                            eb_error* error) {
  return fail(error, EB_ERROR_UNSUPPORTED, "built without XNNPACK");
}

#else  // EB_HAVE_XNNPACK

bool xnnpack_built() { return true; }

namespace {

// ---- The arena allocator XNNPACK allocates through ----

struct BumpRegion {
  uint8_t* begin;
  uint8_t* next;
  uint8_t* limit;
};

// The region of the session being initialised on this thread, or null (other XNNPACK users).
thread_local BumpRegion* t_region = nullptr;

void* region_take(BumpRegion* r, size_t alignment, size_t size) {
  if (alignment < 16) alignment = 16;
  const uintptr_t at = (reinterpret_cast<uintptr_t>(r->next) + alignment - 1) & ~(alignment - 1);
  if (at > reinterpret_cast<uintptr_t>(r->limit) ||
      size > reinterpret_cast<uintptr_t>(r->limit) - at) {
    return nullptr;  // XNNPACK reports xnn_status_out_of_memory
  }
  r->next = reinterpret_cast<uint8_t*>(at + size);
  return reinterpret_cast<void*>(at);
}

bool in_region(const void* p) {
  const BumpRegion* r = t_region;
  return r != nullptr && p >= r->begin && p < r->limit;
}

void* arena_allocate(void*, size_t size) {
  return t_region != nullptr ? region_take(t_region, kRegionAlignment, size) : std::malloc(size);
}

void* arena_reallocate(void*, void* pointer, size_t size) {
  // Operator creation never reallocates; refuse inside a region rather than lose track of sizes.
  if (t_region != nullptr) return pointer == nullptr ? arena_allocate(nullptr, size) : nullptr;
  return std::realloc(pointer, size);
}

void arena_deallocate(void*, void* pointer) {
  if (pointer != nullptr && !in_region(pointer)) std::free(pointer);  // region memory dies with the arena
}

void* arena_aligned_allocate(void*, size_t alignment, size_t size) {
  if (t_region != nullptr) return region_take(t_region, alignment, size);
  void* p = nullptr;
  return posix_memalign(&p, alignment < sizeof(void*) ? sizeof(void*) : alignment, size) == 0 ? p
                                                                                            : nullptr;
}

const xnn_allocator kArenaAllocator = {nullptr, arena_allocate, arena_reallocate, arena_deallocate,
                                       arena_aligned_allocate, arena_deallocate};

// Sets this thread's region for the duration of a session init.
struct RegionScope {
  explicit RegionScope(BumpRegion* r) { t_region = r; }
  ~RegionScope() { t_region = nullptr; }
};

const char* xnn_status_name(xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory (arena region too small)";
  }
  return "unknown status";
}

int8_t quantize_one(float x, float inv_scale, int32_t zero_point) {
  float q = std::nearbyint(x * inv_scale) + static_cast<float>(zero_point);
  q = q < -128.0f ? -128.0f : (q > 127.0f ? 127.0f : q);  // NaN stays NaN below: map it to 0
  return q == q ? static_cast<int8_t>(q) : static_cast<int8_t>(zero_point);
}

// q (rows, k) contiguous <- x (rows, k) with the layer's static input quantization.
void quantize_input(const XnnpackDense& op, const float* x, size_t rows, int8_t* q) {
  const float inv = 1.0f / op.input_scale;
  for (size_t i = 0; i < rows * op.k; ++i) q[i] = quantize_one(x[i], inv, op.input_zero_point);
}

// Points `op` at `rows` rows of `in` / `out` (int8: the session's q_in / q_out) unless it is set
// up so already. Each slot always passes the same planned buffers, so this runs at the first
// run of a new length only; setting up writes sizes and pointers, it allocates nothing.
xnn_status setup(const XnnpackSession& x, XnnpackDense& op, size_t rows, const float* in,
                 float* out) {
  if (op.int8) in = nullptr, out = nullptr;  // XNNPACK reads q_in and writes q_out
  if (op.setup_rows == rows && op.setup_in == in && op.setup_out == out) return xnn_status_success;
  auto* handle = static_cast<xnn_operator_t>(op.op);
  auto* pool = static_cast<pthreadpool_t>(x.threadpool);
  const xnn_status status =
      op.int8 ? xnn_setup_fully_connected_nc_qs8(handle, rows, x.q_in, x.q_out, pool)
              : xnn_setup_fully_connected_nc_f32(handle, rows, in, out, pool);
  if (status == xnn_status_success) op.setup_rows = rows, op.setup_in = in, op.setup_out = out;
  return status;
}

// Runs `op`, the operator of dense layer `id`, on `rows` rows of `in` into `out`, then the
// epilogue. The layer's name is formatted only for an error message (runs stay off snprintf).
eb_status run(const XnnpackSession& x, XnnpackDense& op, float* out, const float* in, size_t rows,
              Epilogue epilogue, const float* residual, DenseId id, eb_error* error) {
  char what[96];
  xnn_status status = setup(x, op, rows, in, out);
  if (status != xnn_status_success) {
    return fail(error, EB_ERROR_UNSUPPORTED, "XNNPACK setup of %s for %zu rows failed: %s",
                dense_tensor_name(id, what, sizeof what), rows, xnn_status_name(status));
  }
  if (op.int8) quantize_input(op, in, rows, x.q_in);
  status =
      xnn_run_operator(static_cast<xnn_operator_t>(op.op), static_cast<pthreadpool_t>(x.threadpool));
  if (status != xnn_status_success) {
    return fail(error, EB_ERROR_UNSUPPORTED, "XNNPACK run of %s failed: %s",
                dense_tensor_name(id, what, sizeof what), xnn_status_name(status));
  }
  const size_t count = rows * op.n;
  if (op.int8) {
    const float scale = op.output_scale;
    const int32_t zero = op.output_zero_point;
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(x.q_out[i] - zero) * scale;
  }
  finish_epilogue(out, count, epilogue, residual, gelu_poly);
  return EB_OK;
}

// The dense layer operator `index` of `x.ops` computes.
DenseId dense_id_of(const XnnpackSession& x, size_t index) {
  for (size_t m = 0; m < kModelSlots; ++m) {
    if (x.model_op[m] == index) {
      return {0, static_cast<DenseSlot>(static_cast<size_t>(kFirstModelSlot) + m)};
    }
  }
  return {static_cast<uint32_t>(index / kDenseSlotsPerLayer),
          static_cast<DenseSlot>(index % kDenseSlotsPerLayer)};
}

// Creates the operator for `w` (n, k); `unpack` (n * k bytes) is scratch for int8 weights.
eb_status create(const DenseWeights& w, size_t n, size_t k, int8_t* unpack, XnnpackDense* op,
                 const char* what, eb_error* error) {
  *op = XnnpackDense{nullptr, k, n, w.packed != nullptr, 0.0f, 0.0f, 0, 0, 0, nullptr, nullptr};
  xnn_operator_t handle = nullptr;
  xnn_status status;
  if (w.packed == nullptr) {
    const float inf = INFINITY;
    status = xnn_create_fully_connected_nc_f32(k, n, k, n, w.weight, w.bias, -inf, inf, 0, &handle);
  } else {
    if (!w.static_int8) {
      return fail(error, EB_ERROR_UNSUPPORTED, "%s is int8 with per-channel scales; XNNPACK runs "
                  "int8 only per tensor with static scales (quantize --per-tensor --calib)", what);
    }
    op->input_scale = w.input_scale;
    op->output_scale = w.output_scale;
    op->input_zero_point = w.input_zero_point;
    op->output_zero_point = w.output_zero_point;
    // K4N16 -> row-major (n, k); the bias becomes int32 at scale input_scale * weight_scale.
    const size_t kp = packed_k(k);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < k; ++c) unpack[r * k + c] = w.packed[packed_index(r, c, kp)];
    }
    // XNNPACK copies the bias while packing, so the int32 bias can live in the unpack scratch too.
    auto* bias = reinterpret_cast<int32_t*>(unpack + align_up(n * k, 64));
    const double bias_scale = static_cast<double>(w.input_scale) * w.scales[0];
    for (size_t r = 0; r < n; ++r) {
      const double q = std::nearbyint(static_cast<double>(w.bias[r]) / bias_scale);
      bias[r] = static_cast<int32_t>(q > 2147483647.0 ? 2147483647.0 : (q < -2147483648.0 ? -2147483648.0 : q));
    }
    status = xnn_create_fully_connected_nc_qs8(
        k, n, k, n, w.input_zero_point, w.input_scale, w.scales[0], unpack, bias,
        w.output_zero_point, w.output_scale, -128, 127, 0, &handle);
  }
  if (status != xnn_status_success) {
    return fail(error, EB_ERROR_UNSUPPORTED, "XNNPACK cannot create the operator of %s: %s", what,
                xnn_status_name(status));
  }
  op->op = handle;
  return EB_OK;
}

}  // namespace

eb_status xnnpack_session_init(XnnpackSession** out, uint8_t* region, size_t region_bytes,
                               const ModelView& model, const ModelWeights& weights,
                               NativeExecutor* native,
                               uint32_t max_seq, uint32_t max_batch, void* threadpool,
                               eb_error* error) {
  *out = nullptr;
  const ModelDims& d = model.dims;
  if (!model.all_dense_static) {
    return fail(error, EB_ERROR_UNSUPPORTED,
                "the model's int8 (or 4-bit) layers have per-channel scales and "
                "dynamic activations; XNNPACK runs int8 only per tensor with static scales "
                "(edgebert-convert quantize --per-tensor --calib DATA)");
  }
  const xnn_status init = xnn_initialize(&kArenaAllocator);
  if (init != xnn_status_success) {
    return fail(error, EB_ERROR_UNSUPPORTED, "xnn_initialize failed: %s", xnn_status_name(init));
  }
  const RegionLayout layout = region_layout(model, max_seq, max_batch);
  if (layout.bump + layout.unpack_bytes > region_bytes) {
    return fail(error, EB_ERROR_ARENA_TOO_SMALL, "XNNPACK region of %zu bytes is too small",
                region_bytes);
  }
  auto* x = new (region) XnnpackSession{};
  x->count = op_count(model);
  x->ops = reinterpret_cast<XnnpackDense*>(region + layout.ops);
  x->threadpool = threadpool;
  x->native = native;
  x->region_bytes = region_bytes;
  DenseSlot slots[kMaxModelSlots];
  const size_t slot_count = model_dense_slots(d, model.has_pooler, slots);
  for (size_t m = 0; m < kModelSlots; ++m) x->model_op[m] = SIZE_MAX;
  for (size_t m = 0; m < slot_count; ++m) {
    x->model_op[model_slot_index(slots[m])] = d.num_layers * kDenseSlotsPerLayer + m;
  }
  if (model.int8) {
    x->q_in = reinterpret_cast<int8_t*>(region + layout.q_in);
    x->q_out = reinterpret_cast<int8_t*>(region + layout.q_out);
  } else {
    x->attention_scratch = reinterpret_cast<float*>(region + layout.attention_scratch);
    if (native->attention_scratch == nullptr) native->attention_scratch = x->attention_scratch;
  }
  const size_t unpack_bytes = layout.unpack_bytes;
  int8_t* unpack = reinterpret_cast<int8_t*>(region + region_bytes - unpack_bytes);
  BumpRegion bump{region + layout.bump, region + layout.bump, region + region_bytes - unpack_bytes};
  eb_status status = EB_OK;
  {
    RegionScope scope(&bump);
    char what[96];
    for (size_t i = 0; i < x->count && status == EB_OK; ++i) {
      const DenseId id = dense_id_of(*x, i);
      const DenseSlotInfo slot = dense_slot(weights, d, id);
      status = create(*slot.weights, slot.n, slot.k, unpack, &x->ops[i],
                      dense_tensor_name(id, what, sizeof what), error);
    }
  }
  if (status != EB_OK) return status;
  if (bump.next == bump.begin) {
    return fail(error, EB_ERROR_UNSUPPORTED, "XNNPACK was initialised by another component with "
                "its own allocator; the XNNPACK provider only runs with its arena allocator");
  }
  x->used_bytes = static_cast<size_t>(bump.next - region) + unpack_bytes;
  *out = x;
  return EB_OK;
}

eb_status XnnpackSession::dense(const DenseCall& call, eb_error* error) {
  const DenseSlot slot = call.id.slot;
  const size_t index = slot >= kFirstModelSlot
                           ? model_op[model_slot_index(slot)]
                           : call.id.layer * kDenseSlotsPerLayer + static_cast<size_t>(slot);
  return run(*this, ops[index], call.out, call.in, call.rows, call.epilogue, call.residual,
             call.id, error);
}

void XnnpackSession::attention(const AttentionCall& call) { native->attention(call); }

void XnnpackSession::layer_norm(float* x, const LayerNormWeights& norm, size_t rows) {
  native->layer_norm(x, norm, rows);
}

eb_status xnnpack_run_dense(XnnpackSession& x, size_t index, float* out, const float* in,
                            size_t rows, eb_error* error) {
  return run(x, x.ops[index], out, in, rows, Epilogue::Bias, nullptr, dense_id_of(x, index),
             error);
}

#endif  // EB_HAVE_XNNPACK

}  // namespace edgebert
