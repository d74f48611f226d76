// The seed's corr2d through the C and C++ APIs, on every compiled target:
// the chapter's printed results exactly, random shapes against the reference.
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

class Corr2dTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(Corr2dTest);

// The seed's 6x8 image: ones with a black band in columns 2..5.
Tensor EdgeImage() {
  Tensor x = Tensor::ones({6, 8});
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 2; j < 6; ++j) x.at({i, j}) = 0.0f;
  }
  return x;
}

TEST_P(Corr2dTest, SeedExample) {
  const Tensor x = Tensor::from({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor k = Tensor::from({2, 2}, {0, 1, 2, 3});
  const Tensor y = corr2d(x, k);
  EXPECT_EQ((Dims{2, 2}), y.dims());
  EXPECT_EQ((std::vector<float>{19, 25, 37, 43}),
            std::vector<float>(y.data(), y.data() + 4));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(Corr2dTest, SeedEdgeDetection) {
  const Tensor y = corr2d(EdgeImage(), Tensor::from({1, 2}, {1.0f, -1.0f}));
  ASSERT_EQ((Dims{6, 7}), y.dims());
  const std::vector<float> row = {0, 1, 0, 0, 0, -1, 0};
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(row, std::vector<float>(y.data() + i * 7, y.data() + i * 7 + 7))
        << "row " << i;
  }
  // The transposed image has horizontal edges only: the kernel sees none.
  Tensor transposed({8, 6});
  const Tensor x = EdgeImage();
  for (int64_t i = 0; i < 8; ++i) {
    for (int64_t j = 0; j < 6; ++j) transposed.at({i, j}) = x.at({j, i});
  }
  const Tensor none = corr2d(transposed, Tensor::from({1, 2}, {1.0f, -1.0f}));
  ASSERT_EQ((Dims{8, 5}), none.dims());
  for (int64_t k = 0; k < none.size(); ++k) EXPECT_EQ(0.0f, none.data()[k]);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(Corr2dTest, RandomShapesMatchReference) {
  uint64_t seed = 100;
  for (int64_t height : {1, 2, 5, 9, 33}) {
    for (int64_t width = 1; width <= 37; width += 3) {
      for (int64_t kernel_height : {1, 2, 3, 7}) {
        for (int64_t kernel_width : {1, 2, 3, 5, 11}) {
          if (kernel_height > height || kernel_width > width) continue;
          const xcorr_conv2d_desc desc =
              test::Desc(1, 1, 1, height, width, kernel_height, kernel_width);
          const std::vector<float> x =
              test::RandomVector(height * width, seed++);
          const std::vector<float> k =
              test::RandomVector(kernel_height * kernel_width, seed++);
          const test::ForwardOracle oracle =
              test::ReferenceForward(desc, x, k, nullptr);
          // Offset by one float: the kernels must not assume aligned rows.
          std::vector<float> y(oracle.y.size() + 1, 1e30f);
          ASSERT_EQ(XCORR_OK,
                    xcorr_corr2d(x.data(), height, width, k.data(),
                                 kernel_height, kernel_width, y.data() + 1))
              << xcorr_last_error();
          EXPECT_EQ(1e30f, y[0]);
          test::ExpectWithinBound(std::vector<float>(y.begin() + 1, y.end()),
                                  oracle.y, oracle.term_sums,
                                  test::Describe(desc));
        }
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(Corr2dTest, IntegerValuedDataIsExact) {
  // Small integers: every partial sum is exact in f32, whatever the order.
  const int64_t height = 40, width = 45, kh = 5, kw = 4;
  std::vector<float> x(static_cast<size_t>(height * width)),
      k(static_cast<size_t>(kh * kw));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
  for (size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
  std::vector<float> want((height - kh + 1) * (width - kw + 1)),
      got(want.size());
  reference::Corr2d(x.data(), height, width, k.data(), kh, kw, want.data());
  ASSERT_EQ(XCORR_OK, xcorr_corr2d(x.data(), height, width, k.data(), kh, kw,
                                   got.data()));
  EXPECT_EQ(want, got);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST(Corr2dErrorsTest, BadArgumentsAreRejected) {
  const float x[4] = {1, 2, 3, 4};
  float y[4] = {0, 0, 0, 0};
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_corr2d(nullptr, 2, 2, x, 1, 1, y));
  EXPECT_STREQ("x is NULL", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_corr2d(x, 2, 2, nullptr, 1, 1, y));
  EXPECT_STREQ("k is NULL", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_corr2d(x, 2, 2, x, 1, 1, nullptr));
  EXPECT_STREQ("y is NULL", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(x, 2, 2, x, 3, 1, y));
  EXPECT_STREQ("kernel 3x1 is larger than the image 2x2", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(x, -2, 2, x, 1, 1, y));
  EXPECT_STREQ("h -2 must be positive", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(x, 2, 0, x, 1, 1, y));
  EXPECT_STREQ("w 0 must be positive", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(x, 2, 2, x, 0, 1, y));
  EXPECT_STREQ("kh 0 must be positive", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(x, 2, 2, x, 1, 0, y));
  EXPECT_STREQ("kw 0 must be positive", xcorr_last_error());
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_corr2d(y, 2, 2, x, 1, 1, y + 1));
  EXPECT_STREQ("y overlaps x", xcorr_last_error());
  EXPECT_EQ((std::vector<float>{0, 0, 0, 0}), std::vector<float>(y, y + 4));
  EXPECT_THROW(corr2d(Tensor({2, 2}), Tensor({3, 3})), InvalidArgument);
  EXPECT_THROW(corr2d(Tensor({2, 2, 1}), Tensor({1, 1})), InvalidArgument);
}

}  // namespace
}  // namespace xcorr
