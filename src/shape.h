// ConvShape: a validated conv2d descriptor and the sizes derived from it.
//
// Validation happens once, here, before any work: every later stage (plans,
// kernels, the reference) may trust a ConvShape's sizes and element strides,
// and every element count and byte count in it fits in int64_t and size_t.
#ifndef XCORR_SRC_SHAPE_H_
#define XCORR_SRC_SHAPE_H_

#include <cstdint>

#include "src/status.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace detail {

// Element strides of a 4-D tensor, named for activations: batch, channel, row,
// column. For weights they read output channel, input channel, row, column.
struct Strides4 {
  int64_t n, c, h, w;
};

struct ConvShape {
  xcorr_conv2d_desc desc;
  xcorr_layout layout;  // desc.layout, read safely once (NCHW for one channel)
  int64_t out_height, out_width;
  int64_t in_channels_per_group, out_channels_per_group;
  int64_t x_elements, w_elements, y_elements;
  Strides4 x_strides, w_strides, y_strides;
  // Degenerate geometry: padding, stride or dilated kernel extent more than
  // 16 times the tensors' extent (plus 1024) along an axis, e.g. a 2^60 pad
  // and dilation on a 4-wide input, which is valid and makes small tensors.
  // Such shapes run the scalar reference, whose cost and index arithmetic
  // follow the tensors and the taps; the kernels' staging, strides and
  // pointer offsets then stay within a small multiple of the tensors.
  bool degenerate;
};

// Checks every field of `desc` and fills `shape`. Messages name the value and
// the rule, e.g. "kernel 9x3 (dilated 9x3) is larger than the padded input
// 8x8".
Status ValidateConvDesc(const xcorr_conv2d_desc* desc, ConvShape* shape);

// A 1x1, stride-1, unpadded convolution: a matrix product per image.
bool IsPointwise(const xcorr_conv2d_desc& d);

// The seed's corr2d (one channel, stride 1, no padding) as a conv2d
// descriptor, not yet validated.
xcorr_conv2d_desc Corr2dDesc(int64_t height, int64_t width,
                             int64_t kernel_height, int64_t kernel_width);

// Validates the seed's corr2d arguments and describes them as a conv2d.
Status Corr2dShape(int64_t height, int64_t width, int64_t kernel_height,
                   int64_t kernel_width, ConvShape* shape);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_SHAPE_H_
