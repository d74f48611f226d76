// The environment overrides of API.md, in a process of their own: ctest
// runs this binary with XCORR_TARGET and XCORR_NUM_THREADS set (see
// tests/CMakeLists.txt). XCORR_TARGET applies from the very first call,
// plan creation included, exactly as xcorr_force_target would.
#include <gtest/gtest.h>
#include <strings.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

// 64 -> 64 channels: the plan's algorithm depends on the target's register
// count, so a plan made for another target differs in workspace and bits.
xcorr_conv2d_desc ManyChannels() {
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.batch = 2;
  desc.in_channels = desc.out_channels = 64;
  desc.in_height = desc.in_width = 12;
  desc.kernel_height = desc.kernel_width = 3;
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  return desc;
}

struct Outputs {
  size_t workspace_bytes;
  std::vector<float> y, dx;
};

Outputs PlanAndRun(const xcorr_conv2d_desc& desc) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = test::RandomVector(shape.x_elements, 1);
  const std::vector<float> w = test::RandomVector(shape.w_elements, 2);
  const std::vector<float> dy = test::RandomVector(shape.y_elements, 3);
  Outputs run;
  run.y.resize(static_cast<size_t>(shape.y_elements));
  run.dx.resize(static_cast<size_t>(shape.x_elements));
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  run.workspace_bytes = xcorr_plan_workspace_size(plan);
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(), nullptr,
                                           run.y.data(), nullptr));
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, nullptr, w.data(), dy.data(),
                                  run.dx.data(), nullptr, nullptr, nullptr));
  xcorr_plan_destroy(plan);
  return run;
}

// Must be the process's first test: it makes the first xcorr call.
TEST(EnvironmentTest, TargetAppliesFromThePlanMadeFirst) {
  const char* name = std::getenv("XCORR_TARGET");
  if (name == nullptr) GTEST_SKIP() << "XCORR_TARGET is not set";
  const Outputs first = PlanAndRun(ManyChannels());
  if (strcasecmp(xcorr_target_name(), name) != 0) {
    GTEST_SKIP() << name << " is not available here (runs "
                 << xcorr_target_name() << ")";
  }
  ASSERT_EQ(XCORR_OK, xcorr_force_target(name));
  const Outputs forced = PlanAndRun(ManyChannels());
  EXPECT_EQ(forced.workspace_bytes, first.workspace_bytes);
  EXPECT_EQ(forced.y, first.y);
  EXPECT_EQ(forced.dx, first.dx);
}

TEST(EnvironmentTest, NumThreadsGivesTheSameBits) {
  if (std::getenv("XCORR_NUM_THREADS") == nullptr) {
    GTEST_SKIP() << "XCORR_NUM_THREADS is not set";
  }
  const Outputs from_environment = PlanAndRun(ManyChannels());
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  const Outputs one_thread = PlanAndRun(ManyChannels());
  EXPECT_EQ(one_thread.y, from_environment.y);
  EXPECT_EQ(one_thread.dx, from_environment.dx);
}

}  // namespace
}  // namespace xcorr
