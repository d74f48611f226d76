// Output sizes (the book's examples) and descriptor validation: each bad field
// gets XCORR_ERR_INVALID_ARGUMENT and a message naming the value and the rule.
#include "src/shape.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "xcorr/xcorr.h"

namespace {

xcorr_conv2d_desc Square(int64_t size, int64_t kernel_height,
                         int64_t kernel_width) {
  return xcorr::detail::Corr2dDesc(size, size, kernel_height, kernel_width);
}

void ExpectOutputSize(const xcorr_conv2d_desc& desc, int64_t height,
                      int64_t width) {
  int64_t out_height = -1, out_width = -1;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_output_size(&desc, &out_height, &out_width))
      << xcorr_last_error();
  EXPECT_EQ(height, out_height);
  EXPECT_EQ(width, out_width);
}

void ExpectInvalid(const xcorr_conv2d_desc& desc, const std::string& message) {
  int64_t out_height = -1, out_width = -1;
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(&desc, &out_height, &out_width));
  EXPECT_EQ(message, xcorr_last_error());
  EXPECT_EQ(-1, out_height);  // untouched on failure
  xcorr_plan* plan = reinterpret_cast<xcorr_plan*>(&out_height);
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_conv2d_plan_create(&desc, &plan));
  EXPECT_EQ(message, xcorr_last_error());
  EXPECT_EQ(nullptr, plan);
}

TEST(ShapeTest, DescInitSetsTheDocumentedDefaults) {
  xcorr_conv2d_desc desc;
  std::memset(&desc, 0x5a, sizeof(desc));
  xcorr_conv2d_desc_init(&desc);
  EXPECT_EQ(1, desc.batch);
  EXPECT_EQ(1, desc.in_channels);
  EXPECT_EQ(1, desc.out_channels);
  EXPECT_EQ(1, desc.stride_height);
  EXPECT_EQ(1, desc.stride_width);
  EXPECT_EQ(1, desc.dilation_height);
  EXPECT_EQ(1, desc.dilation_width);
  EXPECT_EQ(1, desc.groups);
  EXPECT_EQ(0, desc.pad_top + desc.pad_bottom + desc.pad_left + desc.pad_right);
  EXPECT_EQ(XCORR_LAYOUT_NCHW, desc.layout);
  xcorr_conv2d_desc_init(nullptr);  // no-op
}

// D2L "Padding and Stride": 8x8 inputs.
TEST(ShapeTest, BookPaddingAndStrideExamples) {
  xcorr_conv2d_desc desc = Square(8, 3, 3);
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  ExpectOutputSize(desc, 8, 8);

  desc = Square(8, 5, 3);
  desc.pad_top = desc.pad_bottom = 2;
  desc.pad_left = desc.pad_right = 1;
  ExpectOutputSize(desc, 8, 8);

  desc = Square(8, 3, 3);
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  desc.stride_height = desc.stride_width = 2;
  ExpectOutputSize(desc, 4, 4);

  desc = Square(8, 3, 5);
  desc.pad_left = desc.pad_right = 1;
  desc.stride_height = 3;
  desc.stride_width = 4;
  ExpectOutputSize(desc, 2, 2);
}

TEST(ShapeTest, SeedAndDilationSizes) {
  ExpectOutputSize(Square(3, 2, 2), 2, 2);
  xcorr_conv2d_desc desc = Square(6, 1, 2);
  desc.in_width = 8;
  ExpectOutputSize(desc, 6, 7);
  desc = Square(10, 3, 3);
  desc.dilation_height = 2;
  desc.dilation_width = 4;
  ExpectOutputSize(desc, 6, 2);
  desc = Square(7, 7, 7);  // kernel == input
  ExpectOutputSize(desc, 1, 1);
  desc.pad_bottom = 5;  // asymmetric: floor((7 + 5 - 7) / 3) + 1 = 2
  desc.stride_height = 3;
  ExpectOutputSize(desc, 2, 1);
}

TEST(ShapeTest, RejectsEachBadFieldWithItsRule) {
  ExpectInvalid(Square(8, 9, 3),
                "kernel 9x3 (dilated 9x3) is larger than the padded input 8x8");
  xcorr_conv2d_desc desc = Square(8, 3, 3);
  desc.dilation_width = 4;
  ExpectInvalid(desc,
                "kernel 3x3 (dilated 3x9) is larger than the padded input 8x8");
  desc = Square(8, 3, 3);
  desc.batch = 0;
  ExpectInvalid(desc, "batch 0 must be positive");
  desc = Square(8, 3, 3);
  desc.in_channels = -2;
  ExpectInvalid(desc, "in_channels -2 must be positive");
  desc = Square(0, 3, 3);
  ExpectInvalid(desc, "in_height 0 must be positive");
  desc = Square(8, 0, 3);
  ExpectInvalid(desc, "kernel_height 0 must be positive");
  desc = Square(8, 3, 3);
  desc.stride_width = 0;
  ExpectInvalid(desc, "stride_width 0 must be positive");
  desc = Square(8, 3, 3);
  desc.pad_left = -1;
  ExpectInvalid(desc, "pad_left -1 must be non-negative");
  desc = Square(8, 3, 3);
  desc.dilation_height = -5;
  ExpectInvalid(desc, "dilation_height -5 must be positive");
  desc = Square(8, 3, 3);
  desc.groups = 0;
  ExpectInvalid(desc, "groups 0 must be positive");
  desc = Square(8, 3, 3);
  desc.in_channels = 6;
  desc.out_channels = 4;
  desc.groups = 4;
  ExpectInvalid(desc, "in_channels 6 is not divisible by groups 4");
  desc.in_channels = 8;
  desc.out_channels = 6;
  ExpectInvalid(desc, "out_channels 6 is not divisible by groups 4");
}

TEST(ShapeTest, RejectsAnUnknownLayoutValue) {
  xcorr_conv2d_desc desc = Square(8, 3, 3);
  const int bad_layout = 7;
  std::memcpy(&desc.layout, &bad_layout, sizeof(bad_layout));
  ExpectInvalid(
      desc,
      "layout 7 is neither XCORR_LAYOUT_NCHW (0) nor XCORR_LAYOUT_NHWC (1)");
}

TEST(ShapeTest, RejectsSizesWhoseArithmeticOverflows) {
  const int64_t huge = std::numeric_limits<int64_t>::max();
  xcorr_conv2d_desc desc = Square(8, 3, 3);
  desc.pad_bottom = huge;
  ExpectInvalid(desc,
                "padded input size overflows: in 8x8, pads (top, bottom, left, "
                "right) 0, " +
                    std::to_string(huge) + ", 0, 0");
  desc = Square(8, 3, 3);
  desc.dilation_width = huge;
  ExpectInvalid(desc, "dilated kernel size overflows: kernel 3x3, dilation 1x" +
                          std::to_string(huge));
  desc = Square(1 << 20, 1, 1);
  desc.batch = 1 << 20;
  desc.in_channels = desc.out_channels = 1 << 20;
  ExpectInvalid(desc, "x has too many elements: its byte size overflows");
  desc = Square(1 << 20, 1 << 20, 1 << 20);
  desc.in_channels = desc.out_channels = 1 << 12;  // x is 2^52 elements, w 2^64
  ExpectInvalid(desc, "w has too many elements: its byte size overflows");
}

TEST(ShapeTest, NullPointersAreReported) {
  int64_t out_height = 0, out_width = 0;
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(nullptr, &out_height, &out_width));
  EXPECT_STREQ("desc is NULL", xcorr_last_error());
  const xcorr_conv2d_desc desc = Square(8, 3, 3);
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(&desc, nullptr, &out_width));
  EXPECT_STREQ("out_height is NULL", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(&desc, &out_height, nullptr));
  EXPECT_STREQ("out_width is NULL", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_plan_create(&desc, nullptr));
  EXPECT_STREQ("plan is NULL", xcorr_last_error());
}

}  // namespace
