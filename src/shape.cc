// Descriptor validation and overflow-checked size arithmetic.
#include "src/shape.h"

#include <cstring>
#include <initializer_list>
#include <limits>

#include "src/int_math.h"

namespace xcorr {
namespace detail {
namespace {

// Largest element count whose f32 byte size fits in int64_t (and size_t).
constexpr int64_t kMaxElements = std::numeric_limits<int64_t>::max() / 4;

Status CheckAtLeast(const char* name, int64_t value, int64_t minimum) {
  if (value >= minimum) return Status();
  return InvalidArgument(
      name, " ", value,
      minimum == 0 ? " must be non-negative" : " must be positive");
}

// Multiplies `factors` into `*product`, failing if it passes kMaxElements.
Status CheckedElements(const char* what, std::initializer_list<int64_t> factors,
                       int64_t* product) {
  int64_t result = 1;
  for (int64_t factor : factors) {
    if (__builtin_mul_overflow(result, factor, &result) ||
        result > kMaxElements) {
      return InvalidArgument(what,
                             " has too many elements: its byte size overflows");
    }
  }
  *product = result;
  return Status();
}

Strides4 ActivationStrides(xcorr_layout layout, int64_t channels,
                           int64_t height, int64_t width) {
  if (layout == XCORR_LAYOUT_NCHW) {
    return {channels * height * width, height * width, width, 1};
  }
  return {height * width * channels, 1, width * channels, channels};
}

// See ConvShape::degenerate. Ordinary shapes stay far below the limit.
constexpr int64_t kDegenerateRatio = 16;
constexpr int64_t kDegenerateSlack = 1024;

// One axis of ConvShape::degenerate.
bool IsDegenerate(int64_t stride, int64_t dilated_extent, int64_t pad_before,
                  int64_t pad_after, int64_t in_size, int64_t out_size) {
  const int64_t limit = SaturatingAdd(
      SaturatingMul(kDegenerateRatio, SaturatingAdd(in_size, out_size)),
      kDegenerateSlack);
  return stride > limit || dilated_extent > limit ||
         SaturatingAdd(pad_before, pad_after) > limit;
}

}  // namespace

Status ValidateConvDesc(const xcorr_conv2d_desc* desc, ConvShape* shape) {
  if (desc == nullptr) return InvalidArgument("desc is NULL");
  const xcorr_conv2d_desc& d = *desc;
  // A C caller may store any int in the enum; read it as an int so that an
  // out-of-range value is reported rather than being undefined behaviour.
  static_assert(sizeof(xcorr_layout) == sizeof(int), "xcorr_layout is an int");
  int layout = 0;
  std::memcpy(&layout, &d.layout, sizeof(layout));
  if (layout != XCORR_LAYOUT_NCHW && layout != XCORR_LAYOUT_NHWC) {
    return InvalidArgument(
        "layout ", layout,
        " is neither XCORR_LAYOUT_NCHW (0) nor XCORR_LAYOUT_NHWC (1)");
  }
  XCORR_RETURN_IF_ERROR(CheckAtLeast("batch", d.batch, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("in_channels", d.in_channels, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("out_channels", d.out_channels, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("in_height", d.in_height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("in_width", d.in_width, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("kernel_height", d.kernel_height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("kernel_width", d.kernel_width, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("stride_height", d.stride_height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("stride_width", d.stride_width, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("pad_top", d.pad_top, 0));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("pad_bottom", d.pad_bottom, 0));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("pad_left", d.pad_left, 0));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("pad_right", d.pad_right, 0));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("dilation_height", d.dilation_height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("dilation_width", d.dilation_width, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("groups", d.groups, 1));
  if (d.in_channels % d.groups != 0) {
    return InvalidArgument("in_channels ", d.in_channels,
                           " is not divisible by groups ", d.groups);
  }
  if (d.out_channels % d.groups != 0) {
    return InvalidArgument("out_channels ", d.out_channels,
                           " is not divisible by groups ", d.groups);
  }

  int64_t padded_height = 0, padded_width = 0;
  int64_t dilated_height = 0, dilated_width = 0;
  if (__builtin_add_overflow(d.in_height, d.pad_top, &padded_height) ||
      __builtin_add_overflow(padded_height, d.pad_bottom, &padded_height) ||
      __builtin_add_overflow(d.in_width, d.pad_left, &padded_width) ||
      __builtin_add_overflow(padded_width, d.pad_right, &padded_width)) {
    return InvalidArgument("padded input size overflows: in ", d.in_height, "x",
                           d.in_width, ", pads (top, bottom, left, right) ",
                           d.pad_top, ", ", d.pad_bottom, ", ", d.pad_left,
                           ", ", d.pad_right);
  }
  if (__builtin_mul_overflow(d.kernel_height - 1, d.dilation_height,
                             &dilated_height) ||
      __builtin_add_overflow(dilated_height, 1, &dilated_height) ||
      __builtin_mul_overflow(d.kernel_width - 1, d.dilation_width,
                             &dilated_width) ||
      __builtin_add_overflow(dilated_width, 1, &dilated_width)) {
    return InvalidArgument("dilated kernel size overflows: kernel ",
                           d.kernel_height, "x", d.kernel_width, ", dilation ",
                           d.dilation_height, "x", d.dilation_width);
  }
  if (dilated_height > padded_height || dilated_width > padded_width) {
    return InvalidArgument("kernel ", d.kernel_height, "x", d.kernel_width,
                           " (dilated ", dilated_height, "x", dilated_width,
                           ") is larger than the padded input ", padded_height,
                           "x", padded_width);
  }

  ConvShape s;
  s.desc = d;
  s.layout = static_cast<xcorr_layout>(layout);
  // One input and one output channel: NHWC tensors and OHWI weights are the
  // same bytes as NCHW and OIHW, and the one-channel kernels are NCHW's.
  if (d.in_channels == 1 && d.out_channels == 1) s.layout = XCORR_LAYOUT_NCHW;
  s.out_height = (padded_height - dilated_height) / d.stride_height + 1;
  s.out_width = (padded_width - dilated_width) / d.stride_width + 1;
  // With one tap along an axis dilation changes nothing: 1 is the same
  // convolution, and keeps the kernels' index arithmetic (tap * dilation *
  // row pitch) small whatever the caller gave.
  if (d.kernel_height == 1) s.desc.dilation_height = 1;
  if (d.kernel_width == 1) s.desc.dilation_width = 1;
  s.degenerate = IsDegenerate(d.stride_height, dilated_height, d.pad_top,
                              d.pad_bottom, d.in_height, s.out_height) ||
                 IsDegenerate(d.stride_width, dilated_width, d.pad_left,
                              d.pad_right, d.in_width, s.out_width);
  s.in_channels_per_group = d.in_channels / d.groups;
  s.out_channels_per_group = d.out_channels / d.groups;
  XCORR_RETURN_IF_ERROR(CheckedElements(
      "x", {d.batch, d.in_channels, d.in_height, d.in_width}, &s.x_elements));
  XCORR_RETURN_IF_ERROR(
      CheckedElements("w",
                      {d.out_channels, s.in_channels_per_group, d.kernel_height,
                       d.kernel_width},
                      &s.w_elements));
  XCORR_RETURN_IF_ERROR(
      CheckedElements("y", {d.batch, d.out_channels, s.out_height, s.out_width},
                      &s.y_elements));
  s.x_strides =
      ActivationStrides(s.layout, d.in_channels, d.in_height, d.in_width);
  s.y_strides =
      ActivationStrides(s.layout, d.out_channels, s.out_height, s.out_width);
  // OIHW weights have the same strides as NCHW activations, OHWI as NHWC.
  s.w_strides = ActivationStrides(s.layout, s.in_channels_per_group,
                                  d.kernel_height, d.kernel_width);
  *shape = s;
  return Status();
}

bool IsPointwise(const xcorr_conv2d_desc& d) {
  return d.kernel_height == 1 && d.kernel_width == 1 && d.stride_height == 1 &&
         d.stride_width == 1 && d.pad_top == 0 && d.pad_bottom == 0 &&
         d.pad_left == 0 && d.pad_right == 0;
}

xcorr_conv2d_desc Corr2dDesc(int64_t height, int64_t width,
                             int64_t kernel_height, int64_t kernel_width) {
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.in_height = height;
  desc.in_width = width;
  desc.kernel_height = kernel_height;
  desc.kernel_width = kernel_width;
  return desc;
}

Status Corr2dShape(int64_t height, int64_t width, int64_t kernel_height,
                   int64_t kernel_width, ConvShape* shape) {
  // Messages in xcorr_corr2d's own names (h, w, kh, kw) where they can be.
  XCORR_RETURN_IF_ERROR(CheckAtLeast("h", height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("w", width, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("kh", kernel_height, 1));
  XCORR_RETURN_IF_ERROR(CheckAtLeast("kw", kernel_width, 1));
  if (kernel_height > height || kernel_width > width) {
    return InvalidArgument("kernel ", kernel_height, "x", kernel_width,
                           " is larger than the image ", height, "x", width);
  }
  const xcorr_conv2d_desc desc =
      Corr2dDesc(height, width, kernel_height, kernel_width);
  return ValidateConvDesc(&desc, shape);
}

}  // namespace detail
}  // namespace xcorr
