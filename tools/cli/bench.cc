// Timing corr2d per SIMD target; see bench.h.
#include "tools/cli/bench.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "tools/cli/progress.h"
#include "tools/cli/targets.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace cli {
namespace {

// Best of kRepetitions batches of about kBatchSeconds each: the minimum
// filters out interference from other processes on a shared machine.
constexpr int kRepetitions = 7;
constexpr double kBatchSeconds = 0.04;

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<BenchRow> RunBench(int64_t size, int64_t kernel) {
  std::mt19937 random(42);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  const int64_t out = size - kernel + 1;
  std::vector<float> x(static_cast<size_t>(size * size)),
      k(static_cast<size_t>(kernel * kernel)),
      y(static_cast<size_t>(out * out));
  for (float& v : x) v = uniform(random);
  for (float& v : k) v = uniform(random);
  const auto run = [&] {
    check(
        xcorr_corr2d(x.data(), size, size, k.data(), kernel, kernel, y.data()));
  };

  const std::vector<std::string> targets = AvailableTargets();
  ProgressBar bar("bench", static_cast<int64_t>(targets.size()) * kRepetitions);
  std::vector<BenchRow> rows;
  for (const std::string& target : targets) {
    const ScopedTarget forced(target);
    // The first call also warms caches and the thread pool.
    const Clock::time_point warm_start = Clock::now();
    run();
    const double one_call = std::max(SecondsSince(warm_start), 1e-9);
    const int calls = std::max(1, static_cast<int>(kBatchSeconds / one_call));
    double best = 1e300;
    for (int r = 0; r < kRepetitions; ++r) {
      const Clock::time_point start = Clock::now();
      for (int c = 0; c < calls; ++c) run();
      best = std::min(best, SecondsSince(start) / calls);
      bar.Advance();
    }
    const double flops = 2.0 * static_cast<double>(out * out * kernel * kernel);
    rows.push_back({target, best * 1e3, flops / best * 1e-9});
  }
  return rows;
}

}  // namespace cli
}  // namespace xcorr
