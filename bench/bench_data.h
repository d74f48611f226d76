// The benchmark cases' data: conv2d descriptors built from a case's
// arguments, and their tensors filled with fixed pseudo-random values. Shared
// by the benchmark binaries (through bench_util.h) and the instruction-count
// driver, which links nothing else but xcorr.
#ifndef XCORR_BENCH_BENCH_DATA_H_
#define XCORR_BENCH_BENCH_DATA_H_

#include <cstdint>
#include <vector>

#include "src/random.h"
#include "src/shape.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace bench {

// Uniform values in [-1, 1) from a fixed generator (splitmix64).
using detail::RandomVector;

// A descriptor: one channel, valid, stride 1 (the seed's corr2d).
xcorr_conv2d_desc Corr2dDesc(int64_t size, int64_t kernel_height,
                             int64_t kernel_width);
// A descriptor: square image and kernel, symmetric padding, stride 1.
xcorr_conv2d_desc ConvDesc(int64_t batch, int64_t in_channels,
                           int64_t out_channels, int64_t size, int64_t kernel,
                           int64_t pad, bool nhwc);
// Validates a descriptor that the benchmarks built themselves (aborts if bad).
detail::ConvShape ShapeOf(const xcorr_conv2d_desc& desc);

// A case's tensors: x, w, bias (and dy) random in [-1, 1) with fixed seeds,
// the outputs (y, or dx, dw, dbias) zeroed.
struct ConvData {
  ConvData(const xcorr_conv2d_desc& desc, bool gradients);
  detail::ConvShape shape;
  std::vector<float> x, w, bias, y, dy, dx, dw, dbias;
};

}  // namespace bench
}  // namespace xcorr

#endif  // XCORR_BENCH_BENCH_DATA_H_
