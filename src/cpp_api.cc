// The C++ API's functions and Conv2dPlan: thin wrappers over the C API that
// turn a failing status into an exception with the same message.
#include <string>

#include "src/dims_string.h"
#include "src/status.h"
#include "src/threading.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

// Raw data of an optional view: NULL when the view is empty.
float* DataOrNull(const TensorView& view) {
  return view.rank() == 0 ? nullptr : view.data();
}

void CheckDims(const char* name, const TensorView& view, const Dims& expected) {
  if (view.dims() == expected) return;
  throw InvalidArgument(
      XCORR_ERR_INVALID_ARGUMENT,
      detail::StrCat(name, " has dimensions ", detail::DimsString(view.dims()),
                     ", expected ", detail::DimsString(expected)));
}

// An optional view is either empty or of the expected dimensions.
void CheckOptionalDims(const char* name, const TensorView& view,
                       const Dims& expected) {
  if (view.rank() != 0) CheckDims(name, view, expected);
}

}  // namespace

void check(xcorr_status status) {
  if (status == XCORR_OK) return;
  const std::string message = xcorr_last_error();
  if (status == XCORR_ERR_INVALID_ARGUMENT)
    throw InvalidArgument(status, message);
  throw RuntimeError(status, message);
}

void use_caller_arena(bool enable) { detail::SetUseCallerArena(enable); }

Tensor corr2d(const TensorView& x, const TensorView& k) {
  if (x.rank() != 2 || k.rank() != 2) {
    throw InvalidArgument(XCORR_ERR_INVALID_ARGUMENT,
                          detail::StrCat("corr2d takes 2-d x and k, not ",
                                         x.rank(), "-d and ", k.rank(), "-d"));
  }
  const int64_t out_height = x.dim(0) - k.dim(0) + 1;
  const int64_t out_width = x.dim(1) - k.dim(1) + 1;
  // Let the C API report a kernel larger than the input.
  if (out_height <= 0 || out_width <= 0) {
    float unused = 0.0f;
    check(xcorr_corr2d(x.data(), x.dim(0), x.dim(1), k.data(), k.dim(0),
                       k.dim(1), &unused));
  }
  Tensor y({out_height, out_width});
  check(xcorr_corr2d(x.data(), x.dim(0), x.dim(1), k.data(), k.dim(0), k.dim(1),
                     y.data()));
  return y;
}

Conv2dPlan::Conv2dPlan(const Conv2dDesc& desc) : desc_(desc.get()) {
  xcorr_plan* plan = nullptr;
  check(xcorr_conv2d_plan_create(&desc_, &plan));
  plan_.reset(plan, PlanDelete());
  check(xcorr_conv2d_output_size(&desc_, &out_height_, &out_width_));
}

Dims Conv2dPlan::x_dims() const {
  const xcorr_conv2d_desc& d = desc_;
  return d.layout == XCORR_LAYOUT_NCHW
             ? Dims{d.batch, d.in_channels, d.in_height, d.in_width}
             : Dims{d.batch, d.in_height, d.in_width, d.in_channels};
}

Dims Conv2dPlan::w_dims() const {
  const xcorr_conv2d_desc& d = desc_;
  const int64_t per_group = d.in_channels / d.groups;
  return d.layout == XCORR_LAYOUT_NCHW
             ? Dims{d.out_channels, per_group, d.kernel_height, d.kernel_width}
             : Dims{d.out_channels, d.kernel_height, d.kernel_width, per_group};
}

Dims Conv2dPlan::y_dims() const {
  const xcorr_conv2d_desc& d = desc_;
  return d.layout == XCORR_LAYOUT_NCHW
             ? Dims{d.batch, d.out_channels, out_height_, out_width_}
             : Dims{d.batch, out_height_, out_width_, d.out_channels};
}

void Conv2dPlan::forward(const TensorView& x, const TensorView& w,
                         const TensorView& bias, const TensorView& y,
                         void* workspace) const {
  CheckDims("x", x, x_dims());
  CheckDims("w", w, w_dims());
  CheckOptionalDims("bias", bias, {desc_.out_channels});
  CheckDims("y", y, y_dims());
  check(xcorr_conv2d_forward(plan_.get(), x.data(), w.data(), DataOrNull(bias),
                             y.data(), workspace));
}

Tensor Conv2dPlan::forward(const TensorView& x, const TensorView& w,
                           const TensorView& bias) const {
  Tensor y(y_dims());
  forward(x, w, bias, y, nullptr);
  return y;
}

PackedWeights Conv2dPlan::pack_weights(const TensorView& w) const {
  CheckDims("w", w, w_dims());
  PackedWeights packed;
  packed.bytes_.resize(xcorr_plan_packed_weights_size(plan_.get()));
  check(xcorr_conv2d_pack_weights(plan_.get(), w.data(), packed.bytes_.data()));
  return packed;
}

void Conv2dPlan::forward(const TensorView& x, const PackedWeights& w,
                         const TensorView& bias, const TensorView& y,
                         void* workspace) const {
  CheckDims("x", x, x_dims());
  CheckOptionalDims("bias", bias, {desc_.out_channels});
  CheckDims("y", y, y_dims());
  check(xcorr_conv2d_forward_packed(plan_.get(), x.data(), w.data(),
                                    DataOrNull(bias), y.data(), workspace));
}

Tensor Conv2dPlan::forward(const TensorView& x, const PackedWeights& w,
                           const TensorView& bias) const {
  Tensor y(y_dims());
  forward(x, w, bias, y, nullptr);
  return y;
}

void Conv2dPlan::backward(const TensorView& x, const TensorView& w,
                          const TensorView& dy, const TensorView& dx,
                          const TensorView& dw, const TensorView& dbias,
                          void* workspace) const {
  CheckOptionalDims("x", x, x_dims());
  CheckOptionalDims("w", w, w_dims());
  CheckDims("dy", dy, y_dims());
  CheckOptionalDims("dx", dx, x_dims());
  CheckOptionalDims("dw", dw, w_dims());
  CheckOptionalDims("dbias", dbias, {desc_.out_channels});
  check(xcorr_conv2d_backward(plan_.get(), DataOrNull(x), DataOrNull(w),
                              dy.data(), DataOrNull(dx), DataOrNull(dw),
                              DataOrNull(dbias), workspace));
}

}  // namespace xcorr
