// Tests of `xcorr filter`'s computation: known outputs on tiny images (the
// seed's edge detection), both paddings, per-channel filtering, and the
// output mappings.
#include "tools/cli/filter.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tools/cli/errors.h"
#include "tools/cli/image_io.h"
#include "tools/cli/output_map.h"

namespace xcorr {
namespace cli {
namespace {

using testing_util::DataPath;

TEST(FilterTest, EdgeXOnTheSeedImageGivesTheSeedY) {
  const Image y = Correlate(ReadImage(DataPath("seed.pgm")),
                            ParseKernelSpec("edge-x"), Padding::kValid);
  ASSERT_EQ(7, y.width);
  ASSERT_EQ(6, y.height);
  const float row[] = {0, 1, 0, 0, 0, -1, 0};
  for (size_t i = 0; i < y.pixels.size(); ++i)
    EXPECT_EQ(row[i % 7], y.pixels[i]) << i;
}

TEST(FilterTest, SamePaddingPutsAnEvenKernelsExtraColumnOnTheRight) {
  // Padded with one zero column on the right only: the last output column is
  // x[:, 7] - 0 = 1, and the rest is the valid result.
  const Image y = Correlate(ReadImage(DataPath("seed.pgm")),
                            ParseKernelSpec("edge-x"), Padding::kSame);
  ASSERT_EQ(8, y.width);
  ASSERT_EQ(6, y.height);
  const float row[] = {0, 1, 0, 0, 0, -1, 0, 1};
  for (size_t i = 0; i < y.pixels.size(); ++i)
    EXPECT_EQ(row[i % 8], y.pixels[i]) << i;
}

TEST(FilterTest, SamePaddingCentersAnOddKernel) {
  Image flat{5, 4, 1, 8, std::vector<float>(20, 1.0f)};
  const Image y = Correlate(flat, ParseKernelSpec("box:3"), Padding::kSame);
  ASSERT_EQ(5, y.width);
  ASSERT_EQ(4, y.height);
  EXPECT_FLOAT_EQ(4.0f / 9, y.pixels[0]);      // corner: 4 of 9 taps inside
  EXPECT_FLOAT_EQ(6.0f / 9, y.pixels[1]);      // top edge
  EXPECT_FLOAT_EQ(1.0f, y.pixels[1 * 5 + 2]);  // interior
  const Image edges =
      Correlate(flat, ParseKernelSpec("laplace"), Padding::kSame);
  EXPECT_EQ(0.0f, edges.pixels[1 * 5 + 2]);
  EXPECT_EQ(-2.0f, edges.pixels[0]);
}

TEST(FilterTest, FiltersEachChannelSeparately) {
  const Image card = ReadImage(DataPath("card.ppm"));
  const Image y = Correlate(card, ParseKernelSpec("edge-y"), Padding::kValid);
  ASSERT_EQ(3, y.channels);
  ASSERT_EQ(3, y.width);
  ASSERT_EQ(1, y.height);
  // Top row minus bottom row, per channel: red (1,0,0)-(0,128/255,1), ...
  const float gray = 128.0f / 255.0f;
  const std::vector<float> expected = {1,  -gray, -1,    0, 1 - gray,
                                       -1, 0,     -gray, 0};
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_FLOAT_EQ(expected[i], y.pixels[i]) << i;
}

TEST(FilterTest, RejectsKernelLargerThanImageWhenValid) {
  const Image card = ReadImage(DataPath("card.ppm"));
  try {
    Correlate(card, ParseKernelSpec("box:3"), Padding::kValid);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ("kernel 3x3 larger than image 2x3 with --pad valid", e.what());
  }
  EXPECT_EQ(2,
            Correlate(card, ParseKernelSpec("box:3"), Padding::kSame).height);
}

TEST(OutputMapTest, MapsAndInverts) {
  std::vector<float> v = {-1, 0, 0.5f, 2};
  ApplyOutputMap(OutputMap::kOffset, v);
  EXPECT_EQ((std::vector<float>{0, 0.5f, 0.75f, 1.5f}), v);
  InvertOutputMap(OutputMap::kOffset, v);
  EXPECT_EQ((std::vector<float>{-1, 0, 0.5f, 2}), v);
  ApplyOutputMap(OutputMap::kAbs, v);
  EXPECT_EQ((std::vector<float>{1, 0, 0.5f, 2}), v);
  ApplyOutputMap(OutputMap::kNormalize, v);
  EXPECT_EQ((std::vector<float>{0.5f, 0, 0.25f, 1}), v);
  std::vector<float> flat = {3, 3};
  ApplyOutputMap(OutputMap::kNormalize, flat);
  EXPECT_EQ((std::vector<float>{0, 0}), flat);
  EXPECT_THROW(InvertOutputMap(OutputMap::kAbs, v), UsageError);
}

TEST(OutputMapTest, ParsesNames) {
  EXPECT_EQ(OutputMap::kClamp, ParseOutputMap("clamp"));
  EXPECT_EQ(OutputMap::kNormalize, ParseOutputMap("normalize"));
  EXPECT_THROW(ParseOutputMap("log"), UsageError);
  EXPECT_EQ(Padding::kValid, ParsePadding("valid"));
  EXPECT_THROW(ParsePadding("full"), UsageError);
}

}  // namespace
}  // namespace cli
}  // namespace xcorr
