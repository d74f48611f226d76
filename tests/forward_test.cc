// Forward conv2d against the scalar reference, on every compiled SIMD target.
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

using test::Describe;
using test::RandomVector;

class ForwardTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ForwardTest);

// Runs forward through the C API and checks it against the reference.
void CheckForward(const xcorr_conv2d_desc& desc, bool with_bias, uint64_t seed) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = RandomVector(shape.x_elements, seed);
  const std::vector<float> w = RandomVector(shape.w_elements, seed + 1);
  const std::vector<float> bias = RandomVector(desc.out_channels, seed + 2);
  const test::ForwardOracle oracle =
      test::ReferenceForward(desc, x, w, with_bias ? &bias : nullptr);
  // Poison the output: every element must be written.
  std::vector<float> y(static_cast<size_t>(shape.y_elements), 1e30f);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan)) << xcorr_last_error();
  std::vector<unsigned char> workspace(xcorr_plan_workspace_size(plan));
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(),
                                           with_bias ? bias.data() : nullptr, y.data(),
                                           workspace.empty() ? nullptr : workspace.data()))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
  test::ExpectWithinBound(y, oracle.y, oracle.term_sums, Describe(desc));
}

xcorr_conv2d_desc Desc(int64_t batch, int64_t in_channels, int64_t out_channels,
                       int64_t height, int64_t width, int64_t kernel_height,
                       int64_t kernel_width) {
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.batch = batch;
  desc.in_channels = in_channels;
  desc.out_channels = out_channels;
  desc.in_height = height;
  desc.in_width = width;
  desc.kernel_height = kernel_height;
  desc.kernel_width = kernel_width;
  return desc;
}

TEST_P(ForwardTest, OneChannelValidMatchesReferenceAtEveryWidth) {
  // Widths around one and two vectors of every target (up to 16 lanes).
  for (int64_t width = 1; width <= 40; ++width) {
    for (int64_t kernel : {1, 2, 3, 5}) {
      if (kernel > width) continue;
      CheckForward(Desc(1, 1, 1, 7, width, kernel, kernel), width % 2 == 0,
                   static_cast<uint64_t>(width * 10 + kernel));
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, StridePadDilationGroupsAndLayoutsMatchReference) {
  uint64_t seed = 1;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    for (int64_t stride = 1; stride <= 3; ++stride) {
      for (int64_t dilation = 1; dilation <= 3; ++dilation) {
        for (int64_t pad : {0, 1, 2}) {
          for (int64_t groups : {1, 2}) {
            xcorr_conv2d_desc desc = Desc(2, 2 * groups, 3 * groups, 11, 13, 3, 2);
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
            CheckForward(desc, groups == 1, seed++);
          }
        }
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, DepthwiseAndOneByOneMatchReference) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc depthwise = Desc(2, 5, 10, 9, 17, 3, 3);
    depthwise.groups = 5;
    depthwise.pad_top = depthwise.pad_bottom = depthwise.pad_left = depthwise.pad_right = 1;
    depthwise.layout = layout;
    CheckForward(depthwise, true, 7);
    xcorr_conv2d_desc pointwise = Desc(3, 7, 5, 6, 19, 1, 1);
    pointwise.layout = layout;
    CheckForward(pointwise, true, 8);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, KernelAsLargeAsThePaddedInput) {
  xcorr_conv2d_desc desc = Desc(1, 2, 3, 5, 6, 7, 8);
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  CheckForward(desc, true, 11);
  CheckForward(Desc(1, 1, 1, 33, 35, 33, 35), false, 12);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, LargerImagesRunInParallelTilesAndMatchReference) {
  CheckForward(Desc(2, 3, 4, 70, 90, 3, 3), true, 21);
  CheckForward(Desc(1, 1, 1, 300, 257, 5, 7), true, 22);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

}  // namespace
}  // namespace xcorr
