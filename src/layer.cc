// Conv2D: the layer of the seed chapter, on conv2d plans.
#include <cmath>

#include "src/loss.h"
#include "src/random.h"
#include "src/status.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

void AddInto(const Tensor& from, Tensor* to) {
  for (int64_t k = 0; k < to->size(); ++k) to->data()[k] += from.data()[k];
}

// Makes `t` a tensor of `dims`, reusing its storage when they already match.
void Reshape(const Dims& dims, Tensor* t) {
  if (t->dims() != dims) *t = Tensor(dims);
}

}  // namespace

Conv2D::Conv2D(int64_t in_channels, int64_t out_channels,
               std::pair<int64_t, int64_t> kernel_size,
               const Conv2DOptions& options)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      options_(options) {
  if (in_channels <= 0 || out_channels <= 0 || options.groups_ <= 0 ||
      in_channels % options.groups_ != 0 ||
      out_channels % options.groups_ != 0) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat("Conv2D channels ", in_channels, " -> ", out_channels,
                       " must be positive and divisible by groups ",
                       options.groups_));
  }
  const int64_t per_group = in_channels / options.groups_;
  const Dims dims =
      options.layout_ == XCORR_LAYOUT_NHWC
          ? Dims{out_channels, kernel_size.first, kernel_size.second, per_group}
          : Dims{out_channels, per_group, kernel_size.first,
                 kernel_size.second};
  weight = Tensor(dims);
  weight_grad = Tensor(dims);
  // PyTorch's default: uniform in +-1/sqrt(fan_in).
  const double bound =
      1.0 / std::sqrt(static_cast<double>(weight.size() / out_channels));
  uint64_t state = options.seed_;
  for (int64_t k = 0; k < weight.size(); ++k) {
    const double unit =
        static_cast<double>(detail::SplitMix64(&state) >> 11) * 0x1.0p-53;
    weight.data()[k] = static_cast<float>((2.0 * unit - 1.0) * bound);
  }
  if (options.bias_) {
    bias = Tensor({out_channels});
    bias_grad = Tensor({out_channels});
  }
}

const Conv2dPlan& Conv2D::PlanFor(const TensorView& x) {
  if (x.rank() != 4) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat("Conv2D takes a 4-d input, not ", x.rank(), "-d"));
  }
  const bool nhwc = options_.layout_ == XCORR_LAYOUT_NHWC;
  const Conv2dDesc desc =
      Conv2dDesc()
          .batch(x.dim(0))
          .channels(nhwc ? x.dim(3) : x.dim(1), out_channels_)
          .input(nhwc ? x.dim(1) : x.dim(2), nhwc ? x.dim(2) : x.dim(3))
          .kernel(kernel_size_.first, kernel_size_.second)
          .stride(options_.stride_)
          .padding(options_.padding_)
          .dilation(options_.dilation_)
          .groups(options_.groups_)
          .layout(options_.layout_);
  if (desc.get().in_channels != in_channels_) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat("Conv2D expects ", in_channels_, " input channels, got ",
                       desc.get().in_channels));
  }
  if (plan_ == nullptr || plan_->x_dims() != x.dims()) {
    plan_ = std::make_unique<Conv2dPlan>(desc);
  }
  return *plan_;
}

Tensor Conv2D::forward(const TensorView& x) {
  const Conv2dPlan& plan = PlanFor(x);
  Tensor y = plan.forward(x, weight, bias);
  input_ = Tensor::copy_of(x);
  return y;
}

void Conv2D::backward(const TensorView& dy, const TensorView& dx) {
  if (plan_ == nullptr) {
    // A call out of order is bad input, as a NULL x would be to the C API.
    throw InvalidArgument(XCORR_ERR_INVALID_ARGUMENT,
                          "Conv2D::backward before forward: no input to "
                          "differentiate at");
  }
  if (grads_are_zero_) {
    plan_->backward(input_, weight, dy, dx, weight_grad, bias_grad);
  } else {
    // Accumulate as PyTorch does: backward overwrites, so compute aside.
    Reshape(weight.dims(), &weight_delta_);
    if (bias.size() > 0) Reshape(bias.dims(), &bias_delta_);
    plan_->backward(input_, weight, dy, dx, weight_delta_, bias_delta_);
    AddInto(weight_delta_, &weight_grad);
    if (bias.size() > 0) AddInto(bias_delta_, &bias_grad);
  }
  grads_are_zero_ = false;
}

float Conv2D::loss_and_backward(const TensorView& y_hat, const TensorView& y,
                                const TensorView& dx) {
  if (y_hat.rank() == 0) {
    throw InvalidArgument(XCORR_ERR_INVALID_ARGUMENT,
                          "Conv2D::loss_and_backward of no y_hat");
  }
  Reshape(y_hat.dims(), &dy_);
  const float loss = detail::SquaredLossAndGradient(y_hat, y, dy_.data());
  backward(dy_, dx);
  return loss;
}

void Conv2D::zero_grad() {
  weight_grad = Tensor(weight.dims());
  if (bias.size() > 0) bias_grad = Tensor(bias.dims());
  grads_are_zero_ = true;
}

std::vector<Parameter> Conv2D::parameters() {
  std::vector<Parameter> parameters{{&weight, &weight_grad}};
  if (bias.size() > 0) parameters.push_back({&bias, &bias_grad});
  return parameters;
}

}  // namespace xcorr
