// Threads: bitwise-identical results whatever the thread count, and one plan
// shared by several threads at once.
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tbb/task_arena.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

// A shape large enough to be split into many tiles.
xcorr_conv2d_desc ParallelDesc() { return test::Desc(2, 3, 4, 131, 97, 3, 3); }

// One plan with random x and w, and a forward run on it.
class ThreadingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc_, &plan_));
  }
  void TearDown() override { xcorr_plan_destroy(plan_); }

  std::vector<float> Forward() const {
    std::vector<float> y(static_cast<size_t>(shape_.y_elements));
    EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan_, x_.data(), w_.data(),
                                             nullptr, y.data(), nullptr));
    return y;
  }

  const xcorr_conv2d_desc desc_ = ParallelDesc();
  const detail::ConvShape shape_ = test::ShapeOf(desc_);
  const std::vector<float> x_ = test::RandomVector(shape_.x_elements, 1);
  const std::vector<float> w_ = test::RandomVector(shape_.w_elements, 2);
  xcorr_plan* plan_ = nullptr;
};

TEST_F(ThreadingTest, ForwardIsBitwiseIdenticalForAnyThreadCount) {
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  const std::vector<float> serial = Forward();
  for (int threads : {2, 3, 5, 16, 0}) {
    ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(threads));
    const std::vector<float> y = Forward();
    EXPECT_EQ(0, std::memcmp(serial.data(), y.data(), y.size() * sizeof(float)))
        << threads << " threads";
  }
}

TEST_F(ThreadingTest, OnePlanSharedByConcurrentCallers) {
  const std::vector<float> want = Forward();
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> callers;
  for (auto& result : results) {
    callers.emplace_back([&] {
      for (int repeat = 0; repeat < 5; ++repeat) result = Forward();
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (const auto& result : results) EXPECT_EQ(want, result);
}

TEST_F(ThreadingTest, CallerArenaModeGivesTheSameBits) {
  const std::vector<float> want = Forward();
  use_caller_arena(true);
  // An engine's arenas, from one thread to more threads than cores.
  for (int threads : {1, 3}) {
    tbb::task_arena engine(threads);
    std::vector<float> y;
    engine.execute([&] { y = Forward(); });
    EXPECT_EQ(0, std::memcmp(want.data(), y.data(), y.size() * sizeof(float)))
        << threads << " threads";
  }
  use_caller_arena(false);
}

}  // namespace
}  // namespace xcorr
