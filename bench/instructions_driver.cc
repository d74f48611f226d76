// The noise-free half of the regression gate: a driver that runs one small
// case exactly once inside XcorrBenchMeasured, so that
//   valgrind --tool=callgrind --toggle-collect=XcorrBenchMeasured
//   xcorr_instructions_driver CASE
// counts the instructions (Ir) of that call alone: no timing loop, one
// thread, the plan, workspace and dispatch set up by a warm-up call outside
// the measured region. tools/bench_gate.py --instructions runs every case.
//
// Usage: xcorr_instructions_driver --list | CASE [TARGET]
// prints "CASE TARGET" (the Highway target that ran) and exits 0, or a
// message and 1. Cases are small so that all of them run in well under a
// minute under callgrind (about 50x slower than native).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "xcorr/xcorr.h"

// Valgrind 3.19 rejects RDTSCP where CPUID hides it (as in our KVM guests),
// and Debian's libhwy 1.0.3 runs it in a static initializer through this
// function, called via the PLT. The driver times nothing, so it interposes a
// constant (the executable exports it: ENABLE_EXPORTS in CMake).
namespace hwy {
namespace platform {
uint64_t TimerResolution() { return 1; }
}  // namespace platform
}  // namespace hwy

// Kept out of line (noipa: no inlining, cloning or splitting) and with C
// linkage, so that callgrind's --toggle-collect finds it by this plain name.
extern "C" __attribute__((noipa)) void XcorrBenchMeasured(
    const std::function<bool()>& run) {
  if (!run())
    std::fprintf(stderr, "measured call failed: %s\n", xcorr_last_error());
}

namespace xcorr {
namespace bench {
namespace {

enum class Pass { kCorr2d, kForward, kBackward };

struct Case {
  const char* name;
  Pass pass;
  xcorr_conv2d_desc desc;
};

// desc with `groups` groups.
xcorr_conv2d_desc Grouped(xcorr_conv2d_desc desc, int64_t groups) {
  desc.groups = groups;
  return desc;
}

std::vector<Case> Cases() {
  return {{"corr2d_64x64_k3x3", Pass::kCorr2d, Corr2dDesc(64, 3, 3)},
          {"corr2d_256x256_k1x2", Pass::kCorr2d, Corr2dDesc(256, 1, 2)},
          {"corr2d_256x256_k5x5", Pass::kCorr2d, Corr2dDesc(256, 5, 5)},
          {"forward_nchw_16to16_32x32_k3x3_pad1", Pass::kForward,
           ConvDesc(1, 16, 16, 32, 3, 1, false)},
          {"forward_nhwc_16to16_32x32_k3x3_pad1", Pass::kForward,
           ConvDesc(1, 16, 16, 32, 3, 1, true)},
          {"backward_nchw_8to8_32x32_k3x3_pad1", Pass::kBackward,
           ConvDesc(1, 8, 8, 32, 3, 1, false)},
          {"backward_1to1_64x64_k3x3", Pass::kBackward,
           ConvDesc(1, 1, 1, 64, 3, 0, false)},
          // The depthwise and small-group kernel, NHWC and on NCHW copies,
          // and the depthwise NHWC backward on NCHW copies.
          {"forward_nhwc_depthwise32_32x32_k3x3_pad1", Pass::kForward,
           Grouped(ConvDesc(1, 32, 32, 32, 3, 1, true), 32)},
          {"forward_nchw_groups4x8_32x32_k3x3_pad1", Pass::kForward,
           Grouped(ConvDesc(1, 32, 32, 32, 3, 1, false), 8)},
          {"backward_nhwc_depthwise16_32x32_k3x3_pad1", Pass::kBackward,
           Grouped(ConvDesc(1, 16, 16, 32, 3, 1, true), 16)}};
}

bool Ok(xcorr_status status) { return status == XCORR_OK; }

int Run(const Case& c, const char* target) {
  if (!Ok(xcorr_force_target(target)) || !Ok(xcorr_set_num_threads(1))) {
    std::fprintf(stderr, "%s\n", xcorr_last_error());
    return 1;
  }
  ConvData data(c.desc, c.pass == Pass::kBackward);
  xcorr_plan* plan = nullptr;
  if (c.pass != Pass::kCorr2d &&
      !Ok(xcorr_conv2d_plan_create(&c.desc, &plan))) {
    std::fprintf(stderr, "%s\n", xcorr_last_error());
    return 1;
  }
  std::vector<char> workspace(plan != nullptr ? xcorr_plan_workspace_size(plan)
                                              : 0);
  const std::function<bool()> run = [&] {
    const xcorr_conv2d_desc& d = c.desc;
    switch (c.pass) {
      case Pass::kCorr2d:
        return Ok(xcorr_corr2d(data.x.data(), d.in_height, d.in_width,
                               data.w.data(), d.kernel_height, d.kernel_width,
                               data.y.data()));
      case Pass::kForward:
        return Ok(xcorr_conv2d_forward(plan, data.x.data(), data.w.data(),
                                       data.bias.data(), data.y.data(),
                                       workspace.data()));
      case Pass::kBackward:
        return Ok(xcorr_conv2d_backward(
            plan, data.x.data(), data.w.data(), data.dy.data(), data.dx.data(),
            data.dw.data(), data.dbias.data(), workspace.data()));
    }
    return false;
  };
  const bool warm = run();  // first-call setup stays outside the count
  if (warm) XcorrBenchMeasured(run);
  xcorr_plan_destroy(plan);
  if (!warm) {
    std::fprintf(stderr, "%s: %s\n", c.name, xcorr_last_error());
    return 1;
  }
  std::printf("%s %s\n", c.name, xcorr_target_name());
  return 0;
}

int Main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const Case& c : Cases()) std::printf("%s\n", c.name);
    return 0;
  }
  if (argc == 2 || argc == 3) {
    for (const Case& c : Cases()) {
      if (argv[1] == std::string(c.name))
        return Run(c, argc == 3 ? argv[2] : nullptr);
    }
  }
  std::fprintf(stderr, "usage: %s --list | CASE [TARGET]\n", argv[0]);
  return 1;
}

}  // namespace
}  // namespace bench
}  // namespace xcorr

int main(int argc, char** argv) { return xcorr::bench::Main(argc, argv); }
