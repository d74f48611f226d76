// Concurrency stress: several threads run forward and backward on one shared
// plan, each with its own outputs and workspace, while another thread keeps
// changing the thread count with xcorr_set_num_threads. Every result must be
// bitwise equal to a single-threaded run (API.md: plans are immutable, results
// do not depend on the thread count). tools/tsan.sh runs this binary under
// ThreadSanitizer.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

// Every output of one forward and one backward call.
struct Results {
  std::vector<float> y, dx, dw, dbias;
};

bool BitwiseEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class Runner {
 public:
  explicit Runner(const xcorr_conv2d_desc& desc) : shape_(test::ShapeOf(desc)) {
    EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan_))
        << xcorr_last_error();
    x_ = test::RandomVector(shape_.x_elements, 1);
    w_ = test::RandomVector(shape_.w_elements, 2);
    bias_ = test::RandomVector(desc.out_channels, 3);
    dy_ = test::RandomVector(shape_.y_elements, 4);
  }
  ~Runner() { xcorr_plan_destroy(plan_); }

  // One forward and one backward into fresh outputs; false on any failure.
  bool Run(Results* r, std::vector<unsigned char>* workspace) const {
    r->y.assign(static_cast<size_t>(shape_.y_elements), 0.0f);
    r->dx.assign(x_.size(), 0.0f);
    r->dw.assign(w_.size(), 0.0f);
    r->dbias.assign(bias_.size(), 0.0f);
    workspace->assign(xcorr_plan_workspace_size(plan_), 0);
    void* scratch = workspace->empty() ? nullptr : workspace->data();
    return xcorr_conv2d_forward(plan_, x_.data(), w_.data(), bias_.data(),
                                r->y.data(), scratch) == XCORR_OK &&
           xcorr_conv2d_backward(plan_, x_.data(), w_.data(), dy_.data(),
                                 r->dx.data(), r->dw.data(), r->dbias.data(),
                                 scratch) == XCORR_OK;
  }

 private:
  detail::ConvShape shape_;
  xcorr_plan* plan_ = nullptr;
  std::vector<float> x_, w_, bias_, dy_;
};

bool Same(const Results& a, const Results& b) {
  return BitwiseEqual(a.y, b.y) && BitwiseEqual(a.dx, b.dx) &&
         BitwiseEqual(a.dw, b.dw) && BitwiseEqual(a.dbias, b.dbias);
}

void StressOnePlan(const xcorr_conv2d_desc& desc, int callers, int repeats) {
  const Runner runner(desc);
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  Results want;
  std::vector<unsigned char> workspace;
  ASSERT_TRUE(runner.Run(&want, &workspace)) << xcorr_last_error();

  std::atomic<int> running{callers};
  std::atomic<int> failures{0}, mismatches{0}, resizes{0};
  std::vector<std::thread> threads;
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&] {
      // Start once the resizer runs, so that calls and resizes overlap.
      while (resizes.load() == 0) std::this_thread::yield();
      Results got;
      std::vector<unsigned char> own_workspace;
      for (int repeat = 0; repeat < repeats; ++repeat) {
        if (!runner.Run(&got, &own_workspace)) {
          ++failures;
        } else if (!Same(got, want)) {
          ++mismatches;
        }
      }
      --running;
    });
  }
  // Resizes the arena under the callers' feet until they are all done; calls
  // in flight keep the arena they started with.
  threads.emplace_back([&] {
    static const int kCounts[] = {2, 1, 3, 0, 4, 1};
    for (int k = 0; running.load() > 0; ++k) {
      if (xcorr_set_num_threads(kCounts[k % 6]) != XCORR_OK) ++failures;
      ++resizes;
      std::this_thread::yield();
    }
  });
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(0, mismatches.load())
      << "of " << callers * repeats << " runs of " << test::Describe(desc);
  EXPECT_GT(resizes.load(), 0);
  EXPECT_EQ(XCORR_OK, xcorr_set_num_threads(0));
}

xcorr_conv2d_desc StressDesc() { return test::Desc(2, 3, 4, 61, 47, 3, 3); }

// Stride 1, unpadded NCHW: the tiled SIMD path, split into many TBB tasks.
TEST(StressTest, SharedPlanUnderThreadCountChanges) {
  StressOnePlan(StressDesc(), 4, 6);
}

// Padding, stride, groups and NHWC take the other forward paths.
TEST(StressTest, SharedPaddedGroupedNhwcPlanUnderThreadCountChanges) {
  xcorr_conv2d_desc desc = StressDesc();
  desc.in_channels = desc.out_channels = 4;
  desc.groups = 2;
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  desc.stride_width = 2;
  desc.layout = XCORR_LAYOUT_NHWC;
  StressOnePlan(desc, 3, 4);
}

}  // namespace
}  // namespace xcorr
