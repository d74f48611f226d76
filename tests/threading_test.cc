// Threads: bitwise-identical results whatever the thread count, and one plan
// shared by several threads at once.
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

// A shape large enough to be split into many tiles.
xcorr_conv2d_desc ParallelDesc() {
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.batch = 2;
  desc.in_channels = 3;
  desc.out_channels = 4;
  desc.in_height = 131;
  desc.in_width = 97;
  desc.kernel_height = desc.kernel_width = 3;
  return desc;
}

std::vector<float> Forward(const xcorr_plan* plan, const std::vector<float>& x,
                           const std::vector<float>& w, size_t y_size) {
  std::vector<float> y(y_size);
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(), nullptr, y.data(), nullptr));
  return y;
}

TEST(ThreadingTest, ForwardIsBitwiseIdenticalForAnyThreadCount) {
  const xcorr_conv2d_desc desc = ParallelDesc();
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = test::RandomVector(shape.x_elements, 1);
  const std::vector<float> w = test::RandomVector(shape.w_elements, 2);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  const std::vector<float> serial = Forward(plan, x, w, static_cast<size_t>(shape.y_elements));
  for (int threads : {2, 3, 5, 16, 0}) {
    ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(threads));
    const std::vector<float> y = Forward(plan, x, w, serial.size());
    EXPECT_EQ(0, std::memcmp(serial.data(), y.data(), y.size() * sizeof(float)))
        << threads << " threads";
  }
  xcorr_plan_destroy(plan);
}

TEST(ThreadingTest, OnePlanSharedByConcurrentCallers) {
  const xcorr_conv2d_desc desc = ParallelDesc();
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = test::RandomVector(shape.x_elements, 3);
  const std::vector<float> w = test::RandomVector(shape.w_elements, 4);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  const std::vector<float> want = Forward(plan, x, w, static_cast<size_t>(shape.y_elements));
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> callers;
  for (auto& result : results) {
    callers.emplace_back([&] {
      for (int repeat = 0; repeat < 5; ++repeat) result = Forward(plan, x, w, want.size());
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (const auto& result : results) EXPECT_EQ(want, result);
  xcorr_plan_destroy(plan);
}

}  // namespace
}  // namespace xcorr
