// The C boundary: checks every pointer, turns Status into xcorr_status plus
// the thread's last-error message, and lets no C++ exception out.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "hwy/targets.h"
#include "src/backward.h"
#include "src/forward.h"
#include "src/kernels.h"
#include "src/packed_weights.h"
#include "src/plan.h"
#include "src/shape.h"
#include "src/status.h"
#include "src/threading.h"
#include "xcorr/xcorr.h"

namespace {

using xcorr::detail::InvalidArgument;
using xcorr::detail::Status;

// This thread's last failure. A fixed buffer, so that recording a failure
// (out of memory above all) never allocates; longer messages are cut.
constexpr size_t kMaxErrorBytes = 512;
char* LastError() {
  thread_local char message[kMaxErrorBytes] = "";
  return message;
}

template <typename... Args>
void SetLastError(const char* format, const Args&... args) {
  std::snprintf(LastError(), kMaxErrorBytes, format, args...);
}

xcorr_status Report(const Status& status) {
  if (!status.ok()) SetLastError("%s", status.message().c_str());
  return status.code();
}

// Runs `body` (returning Status) and reports its outcome; exceptions become
// XCORR_ERR_OUT_OF_MEMORY or XCORR_ERR_INTERNAL.
template <typename Body>
xcorr_status Guarded(const char* function, const Body& body) {
  try {
    return Report(body());
  } catch (const std::bad_alloc&) {
    SetLastError("%s: out of memory", function);
    return XCORR_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    SetLastError("%s: internal error: %s", function, e.what());
    return XCORR_ERR_INTERNAL;
  } catch (...) {
    SetLastError("%s: internal error", function);
    return XCORR_ERR_INTERNAL;
  }
}

// A caller's buffer: its name for messages and the bytes it spans.
struct Buffer {
  const char* name;
  const void* data;
  int64_t elements;
};

bool Overlap(const Buffer& a, const Buffer& b) {
  const auto a_begin = reinterpret_cast<uintptr_t>(a.data);
  const auto b_begin = reinterpret_cast<uintptr_t>(b.data);
  const auto a_bytes = static_cast<uintptr_t>(a.elements) * sizeof(float);
  const auto b_bytes =
      static_cast<uintptr_t>(b.data ? b.elements : 0) * sizeof(float);
  return a.data != nullptr && b.data != nullptr &&
         a_begin < b_begin + b_bytes && b_begin < a_begin + a_bytes;
}

// Each output must be distinct from every input and from the outputs after it.
Status CheckNoOverlap(std::initializer_list<Buffer> outputs,
                      std::initializer_list<Buffer> inputs) {
  for (auto out = outputs.begin(); out != outputs.end(); ++out) {
    for (const Buffer& in : inputs) {
      if (Overlap(*out, in))
        return InvalidArgument(out->name, " overlaps ", in.name);
    }
    for (auto other = out + 1; other != outputs.end(); ++other) {
      if (Overlap(*out, *other))
        return InvalidArgument(out->name, " overlaps ", other->name);
    }
  }
  return Status();
}

// `bytes` of packed weights at `packed`, as a buffer of floats.
Buffer PackedBuffer(const void* packed, size_t bytes) {
  const size_t floats = bytes / sizeof(float) + (bytes % sizeof(float) != 0);
  return {"packed", packed,
          static_cast<int64_t>(std::min<size_t>(floats, INT64_MAX / 4))};
}

Status CheckNotNull(const void* pointer, const char* name) {
  return pointer != nullptr ? Status() : InvalidArgument(name, " is NULL");
}

// The caller's workspace, or for NULL, when the call needs `bytes`, a new
// one that `owned` keeps (a bad_alloc here becomes OUT_OF_MEMORY).
void* WorkspaceOrOwned(void* workspace, size_t bytes,
                       std::unique_ptr<unsigned char[]>* owned) {
  if (workspace != nullptr || bytes == 0) return workspace;
  owned->reset(new unsigned char[bytes]);
  return owned->get();
}

}  // namespace

extern "C" {

void xcorr_conv2d_desc_init(xcorr_conv2d_desc* desc) {
  if (desc == nullptr) return;
  std::memset(desc, 0, sizeof(*desc));
  desc->batch = desc->in_channels = desc->out_channels = 1;
  desc->stride_height = desc->stride_width = 1;
  desc->dilation_height = desc->dilation_width = 1;
  desc->groups = 1;
  desc->layout = XCORR_LAYOUT_NCHW;
}

xcorr_status xcorr_conv2d_output_size(const xcorr_conv2d_desc* desc,
                                      int64_t* out_height, int64_t* out_width) {
  return Guarded("xcorr_conv2d_output_size", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(out_height, "out_height"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(out_width, "out_width"));
    xcorr::detail::ConvShape shape;
    XCORR_RETURN_IF_ERROR(xcorr::detail::ValidateConvDesc(desc, &shape));
    *out_height = shape.out_height;
    *out_width = shape.out_width;
    return Status();
  });
}

xcorr_status xcorr_conv2d_plan_create(const xcorr_conv2d_desc* desc,
                                      xcorr_plan** plan) {
  return Guarded("xcorr_conv2d_plan_create", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(plan, "plan"));
    *plan = nullptr;
    xcorr::detail::ConvShape shape;
    XCORR_RETURN_IF_ERROR(xcorr::detail::ValidateConvDesc(desc, &shape));
    *plan = new xcorr_plan{xcorr::detail::MakePlan(shape)};
    return Status();
  });
}

void xcorr_plan_destroy(xcorr_plan* plan) { delete plan; }

size_t xcorr_plan_workspace_size(const xcorr_plan* plan) {
  return plan != nullptr ? plan->plan.workspace_bytes : 0;
}

xcorr_status xcorr_conv2d_forward(const xcorr_plan* plan, const float* x,
                                  const float* w, const float* bias, float* y,
                                  void* workspace) {
  return Guarded("xcorr_conv2d_forward", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(plan, "plan"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(x, "x"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(w, "w"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(y, "y"));
    const xcorr::detail::ConvShape& s = plan->plan.shape;
    XCORR_RETURN_IF_ERROR(CheckNoOverlap(
        {{"y", y, s.y_elements}}, {{"x", x, s.x_elements},
                                   {"w", w, s.w_elements},
                                   {"bias", bias, s.desc.out_channels}}));
    std::unique_ptr<unsigned char[]> owned;
    xcorr::detail::Forward(
        plan->plan, x, w, bias, y,
        WorkspaceOrOwned(workspace, plan->plan.forward_workspace_bytes,
                         &owned));
    return Status();
  });
}

size_t xcorr_plan_packed_weights_size(const xcorr_plan* plan) {
  return plan != nullptr ? xcorr::detail::PackedWeightsBytes(plan->plan) : 0;
}

xcorr_status xcorr_conv2d_pack_weights(const xcorr_plan* plan, const float* w,
                                       void* packed) {
  return Guarded("xcorr_conv2d_pack_weights", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(plan, "plan"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(w, "w"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(packed, "packed"));
    XCORR_RETURN_IF_ERROR(CheckNoOverlap(
        {PackedBuffer(packed, xcorr::detail::PackedWeightsBytes(plan->plan))},
        {{"w", w, plan->plan.shape.w_elements}}));
    xcorr::detail::WritePackedWeights(plan->plan, w, packed);
    return Status();
  });
}

xcorr_status xcorr_conv2d_forward_packed(const xcorr_plan* plan, const float* x,
                                         const void* packed, const float* bias,
                                         float* y, void* workspace) {
  return Guarded("xcorr_conv2d_forward_packed", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(plan, "plan"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(x, "x"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(packed, "packed"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(y, "y"));
    xcorr::detail::PackedWeightsView view;
    XCORR_RETURN_IF_ERROR(
        xcorr::detail::ReadPackedWeights(plan->plan, packed, &view));
    const xcorr::detail::ConvShape& s = plan->plan.shape;
    XCORR_RETURN_IF_ERROR(CheckNoOverlap(
        {{"y", y, s.y_elements}}, {{"x", x, s.x_elements},
                                   PackedBuffer(packed, view.bytes),
                                   {"bias", bias, s.desc.out_channels}}));
    std::unique_ptr<unsigned char[]> owned;
    xcorr::detail::ForwardPacked(
        plan->plan, x, view, bias, y,
        WorkspaceOrOwned(
            workspace,
            xcorr::detail::ForwardPackedWorkspaceBytes(plan->plan, view),
            &owned));
    return Status();
  });
}

xcorr_status xcorr_conv2d_backward(const xcorr_plan* plan, const float* x,
                                   const float* w, const float* dy, float* dx,
                                   float* dw, float* dbias, void* workspace) {
  return Guarded("xcorr_conv2d_backward", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(plan, "plan"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(dy, "dy"));
    if (dw != nullptr)
      XCORR_RETURN_IF_ERROR(CheckNotNull(x, "x (needed for dw)"));
    if (dx != nullptr)
      XCORR_RETURN_IF_ERROR(CheckNotNull(w, "w (needed for dx)"));
    const xcorr::detail::ConvShape& s = plan->plan.shape;
    XCORR_RETURN_IF_ERROR(
        CheckNoOverlap({{"dx", dx, s.x_elements},
                        {"dw", dw, s.w_elements},
                        {"dbias", dbias, s.desc.out_channels}},
                       {{"x", x, s.x_elements},
                        {"w", w, s.w_elements},
                        {"dy", dy, s.y_elements}}));
    if (dx == nullptr && dw == nullptr && dbias == nullptr) return Status();
    std::unique_ptr<unsigned char[]> owned;
    xcorr::detail::Backward(
        plan->plan, x, w, dy, dx, dw, dbias,
        WorkspaceOrOwned(workspace,
                         xcorr::detail::BackwardWorkspaceBytes(
                             plan->plan.backward, dx != nullptr,
                             dw != nullptr || dbias != nullptr),
                         &owned));
    return Status();
  });
}

xcorr_status xcorr_corr2d(const float* x, int64_t h, int64_t w, const float* k,
                          int64_t kh, int64_t kw, float* y) {
  return Guarded("xcorr_corr2d", [&] {
    XCORR_RETURN_IF_ERROR(CheckNotNull(x, "x"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(k, "k"));
    XCORR_RETURN_IF_ERROR(CheckNotNull(y, "y"));
    xcorr::detail::ConvShape shape;
    XCORR_RETURN_IF_ERROR(xcorr::detail::Corr2dShape(h, w, kh, kw, &shape));
    XCORR_RETURN_IF_ERROR(CheckNoOverlap(
        {{"y", y, shape.y_elements}},
        {{"x", x, shape.x_elements}, {"k", k, shape.w_elements}}));
    // One channel, NCHW: no workspace.
    xcorr::detail::Forward(xcorr::detail::MakePlan(shape), x, k, nullptr, y,
                           nullptr);
    return Status();
  });
}

const char* xcorr_status_string(xcorr_status status) {
  // Read as an int: a C caller may pass any value.
  int code = 0;
  std::memcpy(&code, &status, sizeof(code));
  switch (code) {
    case XCORR_OK:
      return "ok";
    case XCORR_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    case XCORR_ERR_UNSUPPORTED:
      return "unsupported";
    case XCORR_ERR_OUT_OF_MEMORY:
      return "out of memory";
    case XCORR_ERR_INTERNAL:
      return "internal error";
    default:
      return "unknown status";
  }
}

const char* xcorr_last_error(void) { return LastError(); }

const char* xcorr_version(void) { return XCORR_VERSION_STRING; }

const char* xcorr_target_name(void) {
  xcorr::detail::ApplyTargetFromEnvironment();
  return hwy::TargetName(xcorr::detail::DispatchedTarget());
}

xcorr_status xcorr_force_target(const char* name) {
  return Guarded("xcorr_force_target", [&] {
    xcorr::detail::ApplyTargetFromEnvironment();
    return xcorr::detail::ForceTarget(name);
  });
}

xcorr_status xcorr_set_num_threads(int n) {
  return Guarded("xcorr_set_num_threads",
                 [&] { return xcorr::detail::SetNumThreads(n); });
}

}  // extern "C"
