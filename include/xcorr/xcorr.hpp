// xcorr's C++ API: tensors, corr2d, conv2d plans, and a minimal layer /
// optimizer / loss API in which the seed's training loop reads like the
// Python (see README.md).
//
// It is built on the C API in xcorr.h and has the same semantics, layouts and
// messages. Failures throw xcorr::InvalidArgument (a std::invalid_argument)
// for bad input and xcorr::RuntimeError (a std::runtime_error) otherwise; both
// carry the C status and xcorr_last_error()'s message.
//
// Example (the seed's edge detection and one training step):
//   xcorr::Tensor X = xcorr::Tensor::ones({6, 8});
//   for (int64_t i = 0; i < 6; ++i)
//     for (int64_t j = 2; j < 6; ++j) X.at({i, j}) = 0;
//   xcorr::Tensor K = xcorr::Tensor::from({1, 2}, {1.0f, -1.0f});
//   xcorr::Tensor Y = xcorr::corr2d(X, K);
//   xcorr::Conv2D conv2d(1, 1, {1, 2}, xcorr::Conv2DOptions().bias(false));
//   xcorr::SGD sgd(conv2d.parameters(), 3e-2f);
//   xcorr::Tensor Y_hat = conv2d(X.reshape({1, 1, 6, 8}));
//   xcorr::SquaredLoss loss(Y_hat, Y.reshape({1, 1, 6, 7}));
//   conv2d.zero_grad();
//   conv2d.backward(loss.gradient());
//   sgd.step();
// or, with the loss's gradient fused into the layer's backward:
//   conv2d.zero_grad();
//   float l = conv2d.loss_and_backward(Y_hat, Y.reshape({1, 1, 6, 7}));
//   sgd.step();
//
// Thread safety: Conv2dPlan is immutable and may be shared; Tensor, Conv2D and
// SGD are plain values, like std::vector.
#ifndef XCORR_XCORR_HPP_
#define XCORR_XCORR_HPP_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "xcorr/xcorr.h"

namespace xcorr {

// ---------------------------------------------------------------- errors

class XCORR_API InvalidArgument : public std::invalid_argument {
 public:
  InvalidArgument(xcorr_status status, const std::string& message)
      : std::invalid_argument(message), status_(status) {}
  xcorr_status status() const { return status_; }

 private:
  xcorr_status status_;
};

class XCORR_API RuntimeError : public std::runtime_error {
 public:
  RuntimeError(xcorr_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  xcorr_status status() const { return status_; }

 private:
  xcorr_status status_;
};

// Throws the exception for `status` with xcorr_last_error()'s message; does
// nothing for XCORR_OK. Use it to wrap C calls (oneDNN's wrap_c_api).
XCORR_API void check(xcorr_status status);

// ---------------------------------------------------------------- tensors

using Dims = std::vector<int64_t>;

// A non-owning, dense, row-major f32 view of 1 to 4 dimensions.
class XCORR_API TensorView {
 public:
  TensorView() = default;
  TensorView(float* data, Dims dims);  // throws if dims are not all positive

  float* data() const { return data_; }
  const Dims& dims() const { return dims_; }
  int64_t dim(size_t axis) const { return dims_.at(axis); }
  size_t rank() const { return dims_.size(); }
  int64_t size() const;  // number of elements

  // The element at `index` (one coordinate per dimension), bounds-checked.
  float& at(std::initializer_list<int64_t> index) const;
  // The same data with other dimensions of the same element count.
  TensorView reshape(Dims dims) const;

 private:
  float* data_ = nullptr;
  Dims dims_;
};

// An owning tensor whose data is 64-byte aligned. Copies are deep.
class XCORR_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Dims dims);  // zero-filled
  static Tensor zeros(Dims dims) { return Tensor(std::move(dims)); }
  static Tensor ones(Dims dims) { return full(std::move(dims), 1.0f); }
  static Tensor full(Dims dims, float value);
  // Row-major values; their count must match dims.
  static Tensor from(Dims dims, std::initializer_list<float> values);
  static Tensor from(Dims dims, const std::vector<float>& values);
  // A copy of `view`.
  static Tensor copy_of(const TensorView& view);

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&& other) noexcept = default;
  Tensor& operator=(Tensor&& other) noexcept = default;
  ~Tensor() = default;

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  const Dims& dims() const { return dims_; }
  int64_t dim(size_t axis) const { return dims_.at(axis); }
  size_t rank() const { return dims_.size(); }
  int64_t size() const;
  float& at(std::initializer_list<int64_t> index) { return view().at(index); }
  float at(std::initializer_list<int64_t> index) const;

  // An empty tensor gives an empty view.
  TensorView view() const {
    return data_ != nullptr ? TensorView(data_.get(), dims_) : TensorView();
  }
  operator TensorView() const {
    return view();
  }  // NOLINT: views convert freely
  // A view of the same data with other dimensions (like torch's reshape).
  TensorView reshape(Dims dims) const {
    return view().reshape(std::move(dims));
  }

  float sum() const;  // accumulated in double

 private:
  struct AlignedDelete {
    void operator()(float* data) const;
  };
  std::unique_ptr<float[], AlignedDelete> data_;
  Dims dims_;
};

// ---------------------------------------------------------------- functions

// The seed's corr2d: 2-D x (h x w) and k (kh x kw), valid, stride 1.
XCORR_API Tensor corr2d(const TensorView& x, const TensorView& k);

// SIMD targets: the one in use, and forcing one (nullptr: the best).
inline std::string target_name() { return xcorr_target_name(); }
inline void force_target(const char* name) { check(xcorr_force_target(name)); }
inline void set_num_threads(int n) { check(xcorr_set_num_threads(n)); }
inline std::string version() { return xcorr_version(); }

// For engines that already run oneTBB: when enabled, xcorr's parallel loops
// run in the task arena of the thread that calls xcorr, instead of xcorr's
// own arena (sized by set_num_threads). Call xcorr from inside your arena,
//   engine_arena.execute([&] { plan.forward(x, w, bias, y); });
// so that both share its threads and its concurrency limit. Results stay
// bitwise the same: the tile grid never depends on the threads. Process-wide;
// off by default.
XCORR_API void use_caller_arena(bool enable);

// ---------------------------------------------------------------- conv2d

// Builds an xcorr_conv2d_desc fluently:
//   Conv2dDesc().channels(3, 8).input(32, 32).kernel(3, 3).padding(1)
class Conv2dDesc {
 public:
  Conv2dDesc() { xcorr_conv2d_desc_init(&desc_); }
  explicit Conv2dDesc(const xcorr_conv2d_desc& desc) : desc_(desc) {}
  Conv2dDesc& batch(int64_t n) {
    desc_.batch = n;
    return *this;
  }
  Conv2dDesc& channels(int64_t in, int64_t out) {
    desc_.in_channels = in;
    desc_.out_channels = out;
    return *this;
  }
  Conv2dDesc& input(int64_t height, int64_t width) {
    desc_.in_height = height;
    desc_.in_width = width;
    return *this;
  }
  Conv2dDesc& kernel(int64_t height, int64_t width) {
    desc_.kernel_height = height;
    desc_.kernel_width = width;
    return *this;
  }
  Conv2dDesc& stride(int64_t height, int64_t width) {
    desc_.stride_height = height;
    desc_.stride_width = width;
    return *this;
  }
  Conv2dDesc& stride(int64_t both) { return stride(both, both); }
  Conv2dDesc& padding(int64_t top, int64_t bottom, int64_t left,
                      int64_t right) {
    desc_.pad_top = top;
    desc_.pad_bottom = bottom;
    desc_.pad_left = left;
    desc_.pad_right = right;
    return *this;
  }
  Conv2dDesc& padding(int64_t height, int64_t width) {
    return padding(height, height, width, width);
  }
  Conv2dDesc& padding(int64_t all) { return padding(all, all); }
  Conv2dDesc& dilation(int64_t height, int64_t width) {
    desc_.dilation_height = height;
    desc_.dilation_width = width;
    return *this;
  }
  Conv2dDesc& dilation(int64_t both) { return dilation(both, both); }
  Conv2dDesc& groups(int64_t g) {
    desc_.groups = g;
    return *this;
  }
  Conv2dDesc& layout(xcorr_layout l) {
    desc_.layout = l;
    return *this;
  }
  const xcorr_conv2d_desc& get() const { return desc_; }

 private:
  xcorr_conv2d_desc desc_;
};

// Weights packed once by Conv2dPlan::pack_weights (xcorr_conv2d_pack_weights)
// for forward calls with constant weights: opaque bytes that serve any plan of
// the same weight shape and layout whose kernel reads their form.
class PackedWeights {
 public:
  const void* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  friend class Conv2dPlan;
  std::vector<unsigned char> bytes_;
};

// An immutable conv2d plan (owns an xcorr_plan). Tensors must have the
// dimensions of the descriptor's layout; x_dims() etc. say which.
class XCORR_API Conv2dPlan {
 public:
  explicit Conv2dPlan(const Conv2dDesc& desc);
  const xcorr_conv2d_desc& desc() const { return desc_; }
  int64_t out_height() const { return out_height_; }
  int64_t out_width() const { return out_width_; }
  Dims x_dims() const;
  Dims w_dims() const;
  Dims y_dims() const;
  size_t workspace_size() const {
    return xcorr_plan_workspace_size(plan_.get());
  }
  const xcorr_plan* get() const { return plan_.get(); }

  // y = corr(x, w) + bias (bias may be an empty view).
  void forward(const TensorView& x, const TensorView& w, const TensorView& bias,
               const TensorView& y, void* workspace = nullptr) const;
  Tensor forward(const TensorView& x, const TensorView& w,
                 const TensorView& bias = TensorView()) const;
  // Inference with constant weights: packs w once, so that forward on the
  // packed weights skips the per-call repacking (the same bits).
  PackedWeights pack_weights(const TensorView& w) const;
  void forward(const TensorView& x, const PackedWeights& w,
               const TensorView& bias, const TensorView& y,
               void* workspace = nullptr) const;
  Tensor forward(const TensorView& x, const PackedWeights& w,
                 const TensorView& bias = TensorView()) const;
  // Overwrites the non-empty views among dx, dw, dbias.
  void backward(const TensorView& x, const TensorView& w, const TensorView& dy,
                const TensorView& dx, const TensorView& dw,
                const TensorView& dbias, void* workspace = nullptr) const;

 private:
  struct PlanDelete {
    void operator()(xcorr_plan* plan) const { xcorr_plan_destroy(plan); }
  };
  xcorr_conv2d_desc desc_;
  int64_t out_height_ = 0, out_width_ = 0;
  std::shared_ptr<xcorr_plan> plan_;
};

// ---------------------------------------------------------------- layers

// A trainable tensor and its gradient, as an optimizer sees it.
struct Parameter {
  Tensor* value;
  Tensor* grad;
};

class Conv2DOptions {
 public:
  Conv2DOptions& stride(int64_t s) {
    stride_ = s;
    return *this;
  }
  Conv2DOptions& padding(int64_t p) {
    padding_ = p;
    return *this;
  }
  Conv2DOptions& dilation(int64_t d) {
    dilation_ = d;
    return *this;
  }
  Conv2DOptions& groups(int64_t g) {
    groups_ = g;
    return *this;
  }
  Conv2DOptions& bias(bool b) {
    bias_ = b;
    return *this;
  }
  Conv2DOptions& layout(xcorr_layout l) {
    layout_ = l;
    return *this;
  }
  Conv2DOptions& seed(uint64_t s) {
    seed_ = s;
    return *this;
  }

  int64_t stride_ = 1, padding_ = 0, dilation_ = 1, groups_ = 1;
  bool bias_ = true;
  xcorr_layout layout_ = XCORR_LAYOUT_NCHW;
  uint64_t seed_ = 0;
};

// A 2-D convolution layer, like torch.nn.Conv2d: weight (OIHW, or OHWI for
// NHWC) initialized uniformly in +-1/sqrt(fan_in) from options.seed, bias
// zero. forward() plans for the input's size (cached while it stays the same)
// and keeps the input for backward(), which accumulates into weight_grad and
// bias_grad as PyTorch does; zero_grad() clears them.
class XCORR_API Conv2D {
 public:
  Conv2D(int64_t in_channels, int64_t out_channels,
         std::pair<int64_t, int64_t> kernel_size,
         const Conv2DOptions& options = Conv2DOptions());

  Tensor forward(const TensorView& x);
  Tensor operator()(const TensorView& x) { return forward(x); }
  // Given dy = dL/dy of the last forward(), adds dL/dw and dL/dbias into the
  // gradients and, when dx is non-empty, overwrites it with dL/dx; one pass.
  void backward(const TensorView& dy, const TensorView& dx = TensorView());
  // The seed's squared loss sum((y_hat - y)^2) of this layer's output y_hat
  // (the last forward()'s) against y, fused with its backward: the loss and
  // its gradient 2 * (y_hat - y) come from one pass into a buffer the layer
  // keeps between steps, which backward() then reads. Returns the loss.
  //   float l = conv2d.loss_and_backward(conv2d(X), Y);  sgd.step();
  float loss_and_backward(const TensorView& y_hat, const TensorView& y,
                          const TensorView& dx = TensorView());
  void zero_grad();
  std::vector<Parameter> parameters();

  Tensor weight, bias, weight_grad, bias_grad;  // bias empty without bias

 private:
  const Conv2dPlan& PlanFor(const TensorView& x);

  int64_t in_channels_, out_channels_;
  std::pair<int64_t, int64_t> kernel_size_;
  Conv2DOptions options_;
  std::unique_ptr<Conv2dPlan> plan_;
  Tensor input_;                // the last forward()'s input
  bool grads_are_zero_ = true;  // lets backward() write instead of accumulate
  // Kept between steps: loss_and_backward()'s dy, and backward()'s fresh
  // gradients when it must add them to earlier ones.
  Tensor dy_, weight_delta_, bias_delta_;
};

// Stochastic gradient descent as torch.optim.SGD: with weight decay wd and
// momentum m, g = grad + wd * value; buf = m * buf + g (buf = g at first);
// value -= lr * (m > 0 ? buf : g).
class XCORR_API SGD {
 public:
  SGD(std::vector<Parameter> parameters, float learning_rate,
      float momentum = 0.0f, float weight_decay = 0.0f);
  void zero_grad();
  void step();
  float learning_rate() const { return learning_rate_; }
  void set_learning_rate(float lr) { learning_rate_ = lr; }

 private:
  std::vector<Parameter> parameters_;
  std::vector<Tensor> momentum_buffers_;
  float learning_rate_, momentum_, weight_decay_;
  bool first_step_ = true;
};

// The seed's squared loss l = sum((y_hat - y)^2), computed once:
// value() is the sum and gradient() is dl/dy_hat = 2 * (y_hat - y).
class XCORR_API SquaredLoss {
 public:
  SquaredLoss(const TensorView& y_hat, const TensorView& y);
  float value() const { return value_; }
  const Tensor& gradient() const { return gradient_; }

 private:
  float value_;
  Tensor gradient_;
};

}  // namespace xcorr

#endif  // XCORR_XCORR_HPP_
