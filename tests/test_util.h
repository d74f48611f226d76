// Shared test helpers: random data, the contract's error bound, and running
// the scalar reference as the oracle.
#ifndef XCORR_TESTS_TEST_UTIL_H_
#define XCORR_TESTS_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/random.h"
#include "src/reference.h"
#include "src/shape.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace test {

using detail::RandomVector;

inline std::vector<float> Abs(const std::vector<float>& values) {
  std::vector<float> result(values.size());
  for (size_t k = 0; k < values.size(); ++k) result[k] = std::fabs(values[k]);
  return result;
}

// The contract (API.md): each output within 1e-4 * S of the f64 reference,
// S being the sum of the |terms| that make it.
inline void ExpectWithinBound(const std::vector<float>& got,
                              const std::vector<float>& want,
                              const std::vector<float>& term_sums,
                              const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    const double error = std::fabs(static_cast<double>(got[k]) - want[k]);
    const double bound = 1e-4 * term_sums[k];
    if (!(error <= bound) && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << k << " is " << got[k]
                    << ", reference " << want[k] << ", error " << error
                    << " > bound " << bound;
    }
  }
}

inline detail::ConvShape ShapeOf(const xcorr_conv2d_desc& desc) {
  detail::ConvShape shape;
  const detail::Status status = detail::ValidateConvDesc(&desc, &shape);
  EXPECT_TRUE(status.ok()) << status.message();
  return shape;
}

// The reference forward and its term sums, for checking a forward result.
struct ForwardOracle {
  std::vector<float> y, term_sums;
};
inline ForwardOracle ReferenceForward(const xcorr_conv2d_desc& desc,
                                      const std::vector<float>& x,
                                      const std::vector<float>& w,
                                      const std::vector<float>* bias) {
  const detail::ConvShape shape = ShapeOf(desc);
  ForwardOracle oracle;
  oracle.y.resize(static_cast<size_t>(shape.y_elements));
  oracle.term_sums.resize(oracle.y.size());
  reference::Forward(shape, x.data(), w.data(), bias ? bias->data() : nullptr,
                     oracle.y.data());
  const std::vector<float> abs_bias = bias ? Abs(*bias) : std::vector<float>();
  reference::Forward(shape, Abs(x).data(), Abs(w).data(),
                     bias ? abs_bias.data() : nullptr, oracle.term_sums.data());
  return oracle;
}

// The reference gradients and their term sums.
struct BackwardOracle {
  std::vector<float> dx, dw, dbias, dx_sums, dw_sums, dbias_sums;
};
inline BackwardOracle ReferenceBackward(const xcorr_conv2d_desc& desc,
                                        const std::vector<float>& x,
                                        const std::vector<float>& w,
                                        const std::vector<float>& dy) {
  const detail::ConvShape shape = ShapeOf(desc);
  BackwardOracle o;
  o.dx.resize(x.size());
  o.dw.resize(w.size());
  o.dbias.resize(static_cast<size_t>(desc.out_channels));
  o.dx_sums.resize(x.size());
  o.dw_sums.resize(w.size());
  o.dbias_sums.resize(o.dbias.size());
  reference::Backward(shape, x.data(), w.data(), dy.data(), o.dx.data(),
                      o.dw.data(), o.dbias.data());
  reference::Backward(shape, Abs(x).data(), Abs(w).data(), Abs(dy).data(),
                      o.dx_sums.data(), o.dw_sums.data(), o.dbias_sums.data());
  return o;
}

// A stride-1, unpadded descriptor of the given sizes (NCHW); tests then set
// the fields they vary.
inline xcorr_conv2d_desc Desc(int64_t batch, int64_t in_channels,
                              int64_t out_channels, int64_t height,
                              int64_t width, int64_t kernel_height,
                              int64_t kernel_width) {
  xcorr_conv2d_desc desc =
      detail::Corr2dDesc(height, width, kernel_height, kernel_width);
  desc.batch = batch;
  desc.in_channels = in_channels;
  desc.out_channels = out_channels;
  return desc;
}

// desc with the given pads, strides and dilations, layout or groups.
inline xcorr_conv2d_desc Padded(xcorr_conv2d_desc desc, int64_t top,
                                int64_t bottom, int64_t left, int64_t right) {
  desc.pad_top = top;
  desc.pad_bottom = bottom;
  desc.pad_left = left;
  desc.pad_right = right;
  return desc;
}

inline xcorr_conv2d_desc Padded(xcorr_conv2d_desc desc, int64_t all) {
  return Padded(desc, all, all, all, all);
}

inline xcorr_conv2d_desc Strided(xcorr_conv2d_desc desc, int64_t stride_height,
                                 int64_t stride_width, int64_t dilation_height,
                                 int64_t dilation_width) {
  desc.stride_height = stride_height;
  desc.stride_width = stride_width;
  desc.dilation_height = dilation_height;
  desc.dilation_width = dilation_width;
  return desc;
}

inline xcorr_conv2d_desc Nhwc(xcorr_conv2d_desc desc) {
  desc.layout = XCORR_LAYOUT_NHWC;
  return desc;
}

inline xcorr_conv2d_desc Grouped(xcorr_conv2d_desc desc, int64_t groups) {
  desc.groups = groups;
  return desc;
}

// A readable name for a descriptor, for failure messages.
inline std::string Describe(const xcorr_conv2d_desc& d) {
  return "N" + std::to_string(d.batch) + " " + std::to_string(d.in_channels) +
         "->" + std::to_string(d.out_channels) + " in " +
         std::to_string(d.in_height) + "x" + std::to_string(d.in_width) +
         " k " + std::to_string(d.kernel_height) + "x" +
         std::to_string(d.kernel_width) + " s " +
         std::to_string(d.stride_height) + "," +
         std::to_string(d.stride_width) + " p " + std::to_string(d.pad_top) +
         "," + std::to_string(d.pad_bottom) + "," + std::to_string(d.pad_left) +
         "," + std::to_string(d.pad_right) + " d " +
         std::to_string(d.dilation_height) + "," +
         std::to_string(d.dilation_width) + " g " + std::to_string(d.groups) +
         (d.layout == XCORR_LAYOUT_NHWC ? " NHWC" : " NCHW");
}

// Calls visit(desc) for every combination of layout, stride (1 to 3; the
// width's cycles), dilation (1 to 3; the width's is 4 minus the height's),
// padding `pad` from `pads` (top pad, bottom (pad + 1) % 3, left 2 - pad,
// right pad) and 1 or 2 groups, on batch 2 of 11x13 images with 3x2
// kernels and `channels` -> `channels + 1` channels per group.
template <class Visit>
void ForEachGeometry(int64_t channels, std::initializer_list<int64_t> pads,
                     const Visit& visit) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    for (int64_t stride = 1; stride <= 3; ++stride) {
      for (int64_t dilation = 1; dilation <= 3; ++dilation) {
        for (int64_t pad : pads) {
          for (int64_t groups : {1, 2}) {
            xcorr_conv2d_desc desc = Desc(
                2, channels * groups, (channels + 1) * groups, 11, 13, 3, 2);
            desc.stride_height = stride;
            desc.stride_width = stride % 3 + 1;
            desc.dilation_height = dilation;
            desc.dilation_width = 4 - dilation;
            desc.pad_top = pad;
            desc.pad_bottom = (pad + 1) % 3;
            desc.pad_left = 2 - pad;
            desc.pad_right = pad;
            desc.groups = groups;
            desc.layout = layout;
            visit(desc);
          }
        }
      }
    }
  }
}

}  // namespace test
}  // namespace xcorr

#endif  // XCORR_TESTS_TEST_UTIL_H_
