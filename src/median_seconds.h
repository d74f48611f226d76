// The median wall time of repeated runs, for the timing programs that are not
// Google Benchmark suites (the walkthrough's benchmark line, the denormal
// timing).
#ifndef XCORR_SRC_MEDIAN_SECONDS_H_
#define XCORR_SRC_MEDIAN_SECONDS_H_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace xcorr {
namespace detail {

// Median seconds of `repeats` (at least 1) runs of `body`.
template <typename Body>
double MedianSeconds(int repeats, const Body& body) {
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::nth_element(seconds.begin(), seconds.begin() + repeats / 2,
                   seconds.end());
  return seconds[static_cast<size_t>(repeats / 2)];
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_MEDIAN_SECONDS_H_
