// `xcorr bench`: the seed's corr2d (one channel, valid, stride 1) timed at
// every SIMD target the library accepts here, in GFLOP/s.
#ifndef XCORR_TOOLS_CLI_BENCH_H_
#define XCORR_TOOLS_CLI_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

namespace xcorr {
namespace cli {

struct BenchRow {
  std::string target;
  double milliseconds;  // per corr2d call, best of the repetitions
  double gflops;        // 2 * outputs * kernel taps / time
};

// Times xcorr_corr2d on a size x size input and a kernel x kernel kernel at
// each available target (restoring the target in use afterwards), with a
// progress bar. Needs 1 <= kernel <= size.
std::vector<BenchRow> RunBench(int64_t size, int64_t kernel);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_BENCH_H_
