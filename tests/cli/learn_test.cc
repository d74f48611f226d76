// Tests of `xcorr learn`'s training loop: the seed's experiment recovers
// [1, -1], with the seed's settings and with the tool's defaults.
#include "tools/cli/learn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tools/cli/errors.h"
#include "tools/cli/filter.h"
#include "tools/cli/image_io.h"

namespace xcorr {
namespace cli {
namespace {

using testing_util::DataPath;

TEST(LearnTest, RecoversTheSeedKernelWithTheSeedsSettings) {
  LearnOptions options;
  options.kernel_height = 1;
  options.kernel_width = 2;
  options.steps = 10;
  options.learning_rate = 3e-2f;
  options.map = OutputMap::kOffset;
  std::vector<float> losses;
  const LearnResult result = LearnKernel(
      ReadImage(DataPath("seed.pgm")), ReadImage(DataPath("seed_y.pgm")),
      options, [&](int64_t step, float loss) {
        EXPECT_EQ(static_cast<int64_t>(losses.size()) + 1, step);
        losses.push_back(loss);
      });
  ASSERT_EQ(10u, losses.size());
  // The seed prints 0.003 from its random start; ours starts elsewhere.
  EXPECT_LT(losses.back(), 0.1f);
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_NEAR(1.0f, result.kernel.weights[0], 0.05f);
  EXPECT_NEAR(-1.0f, result.kernel.weights[1], 0.05f);
}

TEST(LearnTest, RecoversEdgeXWithAThreeByThreeKernelAndSamePadding) {
  const Image x = ReadImage(DataPath("seed.pgm"));
  const Image y = Correlate(x, ParseKernelSpec("edge-x"), Padding::kSame);
  LearnOptions options;  // 3x3, automatic rate
  options.steps = 2000;
  const LearnResult result = LearnKernel(x, y, options, [](int64_t, float) {});
  EXPECT_LT(result.loss, 1e-3f);
  // Every output y[i][j] = x[i][j] - x[i][j+1]; the seed image's rows are
  // all alike, so only column sums of the kernel are determined.
  const std::vector<float>& w = result.kernel.weights;
  EXPECT_NEAR(0.0f, w[0] + w[3] + w[6], 0.05f);
  EXPECT_NEAR(1.0f, w[1] + w[4] + w[7], 0.05f);
  EXPECT_NEAR(-1.0f, w[2] + w[5] + w[8], 0.05f);
}

// A natural-looking image: smooth shading, so neighbouring pixels are
// strongly correlated, plus a few sharp shapes.
Image SmoothScene() {
  Image image{48, 32, 1, 8, {}};
  for (int64_t y = 0; y < image.height; ++y) {
    for (int64_t x = 0; x < image.width; ++x) {
      const bool disc = (x - 30) * (x - 30) + (y - 12) * (y - 12) < 49;
      const bool box = x > 6 && x < 20 && y > 14 && y < 28;
      image.pixels.push_back(
          disc  ? 0.95f
          : box ? 0.3f
                : 0.5f + 0.3f * std::sin(0.2f * static_cast<float>(x)) *
                             std::cos(0.15f * static_cast<float>(y)));
    }
  }
  return image;
}

TEST(LearnTest, MomentumRecoversSobelOnACorrelatedImage) {
  const Image x = SmoothScene();
  const Kernel sobel = ParseKernelSpec("sobel-y");
  const Image y = Correlate(x, sobel, Padding::kSame);
  LearnOptions options;  // 3x3, automatic rate, no output map
  options.steps = 1000;
  options.momentum = 0.99f;
  const LearnResult result = LearnKernel(x, y, options, [](int64_t, float) {});
  for (size_t i = 0; i < sobel.weights.size(); ++i) {
    EXPECT_NEAR(sobel.weights[i], result.kernel.weights[i], 0.05f) << i;
  }
}

TEST(LearnTest, RejectsMismatchedImages) {
  const Image x = ReadImage(DataPath("seed.pgm"));
  const Image card = ReadImage(DataPath("card.ppm"));
  LearnOptions options;
  const auto ignore = [](int64_t, float) {};
  EXPECT_THROW(LearnKernel(x, card, options, ignore), Error);  // channels
  Image gray_card = x;
  gray_card.width = 7;
  gray_card.height = 5;
  gray_card.pixels.resize(35);
  EXPECT_THROW(LearnKernel(x, gray_card, options, ignore), Error);  // size
  options.kernel_height = 7;
  EXPECT_THROW(LearnKernel(x, x, options, ignore), Error);  // kernel too big
  Image black = x;
  black.pixels.assign(black.pixels.size(), 0.0f);
  EXPECT_THROW(LearnKernel(black, x, LearnOptions(), ignore), Error);
}

}  // namespace
}  // namespace cli
}  // namespace xcorr
