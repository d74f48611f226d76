// The --kernel argument of `xcorr filter`: a built-in name (edge-x, edge-y,
// sobel-x, sobel-y, laplace, box:N, gauss:N) or a text file of rows of
// numbers, turned into the weights the library correlates with.
#ifndef XCORR_TOOLS_CLI_KERNEL_SPEC_H_
#define XCORR_TOOLS_CLI_KERNEL_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

namespace xcorr {
namespace cli {

// A height x width kernel, row-major.
struct Kernel {
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> weights;

  bool has_negative_weight() const;
};

// The largest side accepted (box:N, gauss:N, files), far beyond any useful
// filter.
constexpr int64_t kMaxKernelSide = 255;

// Built-ins, as correlations (the library does not flip kernels):
//   edge-x  [[1, -1]], the seed's vertical-edge detector; edge-y its transpose
//   sobel-x [[-1,0,1],[-2,0,2],[-1,0,1]]; sobel-y its transpose
//   laplace [[0,1,0],[1,-4,1],[0,1,0]]
//   box:N   N x N, every weight 1/N^2
//   gauss:N N x N outer product of OpenCV's getGaussianKernel(N, sigma) with
//           sigma = 0.3*((N-1)*0.5 - 1) + 0.8 (OpenCV's default), normalized
//           to sum 1. OpenCV uses fixed tables for N = 3, 5, 7 instead.
// Anything else is a file: one row per line, numbers separated by spaces,
// tabs or commas, '#' starting a comment, blank lines ignored, every row the
// same length. Throws UsageError for a malformed built-in (box:0, gauss:-3)
// or an unknown name that is no file, Error for a malformed file.
Kernel ParseKernelSpec(const std::string& spec);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_KERNEL_SPEC_H_
