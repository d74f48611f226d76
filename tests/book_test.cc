// The book's follow-up examples (D2L "Multiple Input and Multiple Output
// Channels") through conv2d, exactly, on every compiled target.
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

class BookTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(BookTest);

const Tensor& TwoChannelX() {
  static const Tensor x = Tensor::from(
      {1, 2, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  return x;
}

std::vector<float> Values(const Tensor& t) {
  return {t.data(), t.data() + t.size()};
}

TEST_P(BookTest, MultipleInputChannels) {
  const Tensor k = Tensor::from({1, 2, 2, 2}, {0, 1, 2, 3, 1, 2, 3, 4});
  const Conv2dPlan plan(Conv2dDesc().channels(2, 1).input(3, 3).kernel(2, 2));
  EXPECT_EQ((std::vector<float>{56, 72, 104, 120}),
            Values(plan.forward(TwoChannelX(), k)));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BookTest, MultipleOutputChannelsStackKPlusOnePlusTwo) {
  std::vector<float> k;
  for (float offset : {0.0f, 1.0f, 2.0f}) {
    for (float value : {0.0f, 1.0f, 2.0f, 3.0f, 1.0f, 2.0f, 3.0f, 4.0f})
      k.push_back(value + offset);
  }
  const Conv2dPlan plan(Conv2dDesc().channels(2, 3).input(3, 3).kernel(2, 2));
  const Tensor y = plan.forward(TwoChannelX(), Tensor::from({3, 2, 2, 2}, k));
  EXPECT_EQ((Dims{1, 3, 2, 2}), y.dims());
  EXPECT_EQ((std::vector<float>{56, 72, 104, 120, 76, 100, 148, 172, 96, 128,
                                192, 224}),
            Values(y));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BookTest, OneByOneConvolutionIsAMatrixProduct) {
  // y[o][p] = sum_c w[o][c] x[c][p]: 3 input channels, 2 outputs, 3x3 pixels.
  const size_t channels = 3, outputs = 2, pixels = 9;
  std::vector<float> x(channels * pixels), w(outputs * channels);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) - 2.0f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) - 3.0f;
  std::vector<float> product(outputs * pixels, 0.0f);
  for (size_t o = 0; o < outputs; ++o) {
    for (size_t c = 0; c < channels; ++c) {
      for (size_t p = 0; p < pixels; ++p) {
        product[o * pixels + p] += w[o * channels + c] * x[c * pixels + p];
      }
    }
  }
  const auto in = static_cast<int64_t>(channels),
             out = static_cast<int64_t>(outputs);
  const Conv2dPlan plan(
      Conv2dDesc().channels(in, out).input(3, 3).kernel(1, 1));
  EXPECT_EQ(product, Values(plan.forward(Tensor::from({1, in, 3, 3}, x),
                                         Tensor::from({out, in, 1, 1}, w))));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

}  // namespace
}  // namespace xcorr
