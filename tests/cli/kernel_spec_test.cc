// Tests of --kernel parsing: every built-in's weights, kernel files, and the
// malformed specs and files.
#include "tools/cli/kernel_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tools/cli/errors.h"
#include "tools/cli/file_io.h"

namespace xcorr {
namespace cli {
namespace {

using testing_util::DataPath;
using testing_util::TempPath;

void ExpectKernel(const Kernel& kernel, int64_t height, int64_t width,
                  const std::vector<float>& weights) {
  EXPECT_EQ(height, kernel.height);
  EXPECT_EQ(width, kernel.width);
  EXPECT_EQ(weights, kernel.weights);
}

TEST(KernelSpecTest, BuiltIns) {
  ExpectKernel(ParseKernelSpec("edge-x"), 1, 2, {1, -1});
  ExpectKernel(ParseKernelSpec("edge-y"), 2, 1, {1, -1});
  ExpectKernel(ParseKernelSpec("sobel-x"), 3, 3,
               {-1, 0, 1, -2, 0, 2, -1, 0, 1});
  ExpectKernel(ParseKernelSpec("sobel-y"), 3, 3,
               {-1, -2, -1, 0, 0, 0, 1, 2, 1});
  ExpectKernel(ParseKernelSpec("laplace"), 3, 3, {0, 1, 0, 1, -4, 1, 0, 1, 0});
  ExpectKernel(ParseKernelSpec("box:2"), 2, 2, {0.25f, 0.25f, 0.25f, 0.25f});
  EXPECT_TRUE(ParseKernelSpec("laplace").has_negative_weight());
  EXPECT_FALSE(ParseKernelSpec("box:3").has_negative_weight());
}

TEST(KernelSpecTest, GaussMatchesOpenCvDefaultSigma) {
  const Kernel kernel = ParseKernelSpec("gauss:5");
  ASSERT_EQ(5, kernel.height);
  ASSERT_EQ(5, kernel.width);
  EXPECT_NEAR(
      1.0, std::accumulate(kernel.weights.begin(), kernel.weights.end(), 0.0),
      1e-6);
  // sigma = 0.3 * ((5 - 1) * 0.5 - 1) + 0.8 = 1.1; the centre row's taps
  // fall off as exp(-x^2 / (2 sigma^2)).
  const double sigma = 1.1;
  EXPECT_NEAR(std::exp(-1 / (2 * sigma * sigma)),
              kernel.weights[13] / kernel.weights[12], 1e-6);
  EXPECT_NEAR(std::exp(-4 / (2 * sigma * sigma)),
              kernel.weights[14] / kernel.weights[12], 1e-6);
  EXPECT_EQ(kernel.weights[2], kernel.weights[10]);  // symmetric
  EXPECT_EQ(1.0f, ParseKernelSpec("gauss:1").weights[0]);
}

TEST(KernelSpecTest, ReadsKernelFiles) {
  ExpectKernel(ParseKernelSpec(DataPath("edge_x.txt")), 1, 2, {1, -1});
  const std::string path = TempPath("k.txt");
  WriteFile(path,
            "# a 2x3 kernel\n\n 1 2.5\t-3\n4,5,6e-1  # trailing comment\n");
  ExpectKernel(ParseKernelSpec(path), 2, 3, {1, 2.5f, -3, 4, 5, 0.6f});
}

// The message of a spec that must throw E.
template <typename E>
std::string SpecError(const std::string& spec) {
  try {
    ParseKernelSpec(spec);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << spec;
  return "";
}

TEST(KernelSpecTest, RejectsBadBuiltIns) {
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("box:0").find("integer in 1..255"));
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("gauss:-3").find("integer in 1..255"));
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("box:").find("bad kernel 'box:'"));
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("box:3x").find("bad kernel"));
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("gauss:256").find("bad kernel"));
  EXPECT_NE(std::string::npos,
            SpecError<UsageError>("sobel").find("unknown kernel 'sobel'"));
}

TEST(KernelSpecTest, RejectsMalformedFiles) {
  const std::string path = TempPath("k.txt");
  WriteFile(path, "1 2\n3\n");
  EXPECT_NE(std::string::npos, SpecError<Error>(path).find(
                                   ":2: row has 1 numbers, the first row 2"));
  WriteFile(path, "1 two\n");
  EXPECT_NE(std::string::npos,
            SpecError<Error>(path).find(":1: not a finite number: 'two'"));
  WriteFile(path, "1 nan\n");
  EXPECT_NE(std::string::npos,
            SpecError<Error>(path).find("not a finite number: 'nan'"));
  WriteFile(path, "# nothing\n\n");
  EXPECT_NE(std::string::npos, SpecError<Error>(path).find("has no numbers"));
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "1 ";
  WriteFile(path, wide);
  EXPECT_NE(std::string::npos,
            SpecError<Error>(path).find("exceeds 255 per side"));
}

}  // namespace
}  // namespace cli
}  // namespace xcorr
