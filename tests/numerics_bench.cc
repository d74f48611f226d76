// A timing program (not a test): forward with denormal x against normal x,
// on every compiled target, single-threaded. Denormal operands can cost
// x86 cores a microcode assist per operation; if the ratio printed here is
// above 2, flushing denormals inside our calls (FTZ/DAZ, restoring the
// caller's MXCSR) would be worth weighing against the contract's bound,
// which the flushed results would break when S itself is denormal.
// Usage: build/tests/xcorr_numerics_bench [repeats]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "hwy/targets.h"
#include "src/median_seconds.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace {

// Median seconds of one forward over `repeats` runs.
double MedianSeconds(const xcorr_plan* plan, const std::vector<float>& x,
                     const std::vector<float>& w, std::vector<float>* y,
                     int repeats) {
  return xcorr::detail::MedianSeconds(repeats, [&] {
    if (xcorr_conv2d_forward(plan, x.data(), w.data(), nullptr, y->data(),
                             nullptr) != XCORR_OK) {
      std::fprintf(stderr, "forward: %s\n", xcorr_last_error());
      std::exit(1);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
  if (xcorr_set_num_threads(1) != XCORR_OK) return 1;
  // Stride-1 NCHW 3x3 on 128x128: 4 -> 4 channels run the direct kernel,
  // 64 -> 64 the kernel picked when the plan is made, before any target is
  // forced (the packed-weights kernel on an AVX-512 machine), on every
  // target.
  for (const int64_t channels : {4, 64}) {
    const xcorr_conv2d_desc desc =
        xcorr::test::Desc(1, channels, channels, 128, 128, 3, 3);
    const xcorr::detail::ConvShape shape = xcorr::test::ShapeOf(desc);
    const std::vector<float> normal =
        xcorr::test::RandomVector(shape.x_elements, 1);
    std::vector<float> denormal = normal;
    for (float& value : denormal) value *= 1e-39f;  // below FLT_MIN: denormal
    const std::vector<float> w = xcorr::test::RandomVector(shape.w_elements, 2);
    std::vector<float> y(static_cast<size_t>(shape.y_elements));
    xcorr_plan* plan = nullptr;
    if (xcorr_conv2d_plan_create(&desc, &plan) != XCORR_OK) {
      std::fprintf(stderr, "setup: %s\n", xcorr_last_error());
      return 1;
    }
    std::printf("%s\n%-8s %12s %12s %8s\n", xcorr::test::Describe(desc).c_str(),
                "target", "normal ms", "denormal ms", "ratio");
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
      if (xcorr_force_target(hwy::TargetName(target)) != XCORR_OK) continue;
      MedianSeconds(plan, normal, w, &y, 1);  // warm up
      const double normal_s = MedianSeconds(plan, normal, w, &y, repeats);
      const double denormal_s = MedianSeconds(plan, denormal, w, &y, repeats);
      std::printf("%-8s %12.3f %12.3f %8.2f\n", xcorr_target_name(),
                  normal_s * 1e3, denormal_s * 1e3, denormal_s / normal_s);
    }
    xcorr_force_target(nullptr);
    xcorr_plan_destroy(plan);
  }
  return 0;
}
