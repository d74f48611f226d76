// The C API's edges: statuses, messages, pointer checks, overlap checks,
// version, targets, threads and the thread-local last error.
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "xcorr/xcorr.h"

namespace {

// A valid 2->4 channel 3x3 conv on 6x7 inputs with its buffers.
struct Fixture {
  Fixture() {
    xcorr_conv2d_desc_init(&desc);
    desc.in_channels = 2;
    desc.out_channels = 4;
    desc.in_height = 6;
    desc.in_width = 7;
    desc.kernel_height = desc.kernel_width = 3;
    EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  }
  ~Fixture() { xcorr_plan_destroy(plan); }
  xcorr_conv2d_desc desc;
  xcorr_plan* plan = nullptr;
  std::vector<float> x = std::vector<float>(2 * 6 * 7, 1.0f);
  std::vector<float> w = std::vector<float>(4 * 2 * 9, 1.0f);
  std::vector<float> bias = std::vector<float>(4, 1.0f);
  std::vector<float> y = std::vector<float>(4 * 4 * 5, 0.0f);
};

void ExpectError(xcorr_status want, xcorr_status got, const char* message) {
  EXPECT_EQ(want, got);
  EXPECT_STREQ(message, xcorr_last_error());
}

TEST(CApiTest, StatusStrings) {
  EXPECT_STREQ("ok", xcorr_status_string(XCORR_OK));
  EXPECT_STREQ("invalid argument",
               xcorr_status_string(XCORR_ERR_INVALID_ARGUMENT));
  EXPECT_STREQ("unsupported", xcorr_status_string(XCORR_ERR_UNSUPPORTED));
  EXPECT_STREQ("out of memory", xcorr_status_string(XCORR_ERR_OUT_OF_MEMORY));
  EXPECT_STREQ("internal error", xcorr_status_string(XCORR_ERR_INTERNAL));
  xcorr_status unknown;
  const int value = 99;
  std::memcpy(&unknown, &value, sizeof(value));
  EXPECT_STREQ("unknown status", xcorr_status_string(unknown));
}

TEST(CApiTest, VersionIsMajorMinorPatch) {
  int major = -1, minor = -1, patch = -1, end = 0;
  ASSERT_EQ(3, std::sscanf(xcorr_version(), "%d.%d.%d%n", &major, &minor,
                           &patch, &end));
  EXPECT_EQ(std::strlen(xcorr_version()), static_cast<size_t>(end))
      << xcorr_version();
  EXPECT_GE(major, 0);
  EXPECT_GE(minor, 0);
  EXPECT_GE(patch, 0);
}

TEST(CApiTest, LastErrorIsPerThreadAndEmptyUntilAFailure) {
  std::string other_thread_before, other_thread_after;
  std::thread([&] {
    other_thread_before = xcorr_last_error();
    xcorr_set_num_threads(-3);
    other_thread_after = xcorr_last_error();
  }).join();
  EXPECT_EQ("", other_thread_before);
  EXPECT_EQ("thread count -3 must be non-negative", other_thread_after);
  std::string fresh;
  std::thread([&] { fresh = xcorr_last_error(); }).join();
  EXPECT_EQ("", fresh);
}

TEST(CApiTest, ThreadCounts) {
  ExpectError(XCORR_ERR_INVALID_ARGUMENT, xcorr_set_num_threads(-1),
              "thread count -1 must be non-negative");
  EXPECT_EQ(XCORR_OK, xcorr_set_num_threads(1));
  EXPECT_EQ(XCORR_OK, xcorr_set_num_threads(3));
  EXPECT_EQ(XCORR_OK, xcorr_set_num_threads(0));
}

TEST(CApiTest, ForceEveryCompiledTargetThenTheBest) {
  const std::string best = xcorr_target_name();
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    ASSERT_EQ(XCORR_OK, xcorr_force_target(hwy::TargetName(target)))
        << xcorr_last_error();
    EXPECT_STREQ(hwy::TargetName(target), xcorr_target_name());
  }
  ASSERT_EQ(XCORR_OK,
            xcorr_force_target("scalar"));  // case-insensitive, fallback alias
  const std::string fallback = xcorr_target_name();
  EXPECT_TRUE(fallback == "SCALAR" || fallback == "EMU128") << fallback;
  ASSERT_EQ(XCORR_OK, xcorr_force_target("EMU128"));
  EXPECT_EQ(fallback, xcorr_target_name());
  EXPECT_EQ(XCORR_OK, xcorr_force_target(nullptr));
  EXPECT_EQ(best, xcorr_target_name());
}

TEST(CApiTest, UnknownTargetIsUnsupportedAndChangesNothing) {
  const char* worst =
      hwy::TargetName(hwy::SupportedAndGeneratedTargets().back());
  ASSERT_EQ(XCORR_OK, xcorr_force_target(worst));
  EXPECT_EQ(XCORR_ERR_UNSUPPORTED, xcorr_force_target("AVX9000"));
  EXPECT_EQ(
      0u, std::string(xcorr_last_error()).find("target \"AVX9000\" is unknown"))
      << xcorr_last_error();
  EXPECT_EQ(XCORR_ERR_UNSUPPORTED, xcorr_force_target(""));
  EXPECT_STREQ(worst, xcorr_target_name());
  EXPECT_EQ(XCORR_OK, xcorr_force_target(nullptr));
}

TEST(CApiTest, PlanHandlesAndWorkspace) {
  xcorr_plan_destroy(nullptr);
  EXPECT_EQ(0u, xcorr_plan_workspace_size(nullptr));
}

TEST(CApiTest, ForwardChecksEveryPointer) {
  Fixture f;
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(nullptr, f.x.data(), f.w.data(), nullptr,
                                   f.y.data(), nullptr),
              "plan is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(f.plan, nullptr, f.w.data(), nullptr,
                                   f.y.data(), nullptr),
              "x is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(f.plan, f.x.data(), nullptr, nullptr,
                                   f.y.data(), nullptr),
              "w is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(f.plan, f.x.data(), f.w.data(), nullptr,
                                   nullptr, nullptr),
              "y is NULL");
  for (float value : f.y) EXPECT_EQ(0.0f, value);
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_forward(f.plan, f.x.data(), f.w.data(),
                                           f.bias.data(), f.y.data(), nullptr));
  for (float value : f.y) EXPECT_EQ(19.0f, value);  // 2 * 9 ones + bias 1
}

TEST(CApiTest, ForwardRejectsOutputsThatOverlapInputs) {
  Fixture f;
  std::vector<float> buffer(f.x.size() + f.y.size());
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(f.plan, buffer.data(), f.w.data(), nullptr,
                                   buffer.data() + f.x.size() - 1, nullptr),
              "y overlaps x");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_forward(f.plan, f.x.data(), f.w.data(),
                                   f.y.data() + 3, f.y.data(), nullptr),
              "y overlaps bias");
  // Adjacent is fine.
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_forward(f.plan, buffer.data(), f.w.data(), nullptr,
                                 buffer.data() + f.x.size(), nullptr));
}

TEST(CApiTest, BackwardChecksPointersItNeeds) {
  Fixture f;
  std::vector<float> dx(f.x.size()), dw(f.w.size()), dbias(4);
  const float* dy = f.y.data();
  ExpectError(
      XCORR_ERR_INVALID_ARGUMENT,
      xcorr_conv2d_backward(nullptr, f.x.data(), f.w.data(), dy, dx.data(),
                            dw.data(), dbias.data(), nullptr),
      "plan is NULL");
  ExpectError(
      XCORR_ERR_INVALID_ARGUMENT,
      xcorr_conv2d_backward(f.plan, f.x.data(), f.w.data(), nullptr, dx.data(),
                            dw.data(), dbias.data(), nullptr),
      "dy is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_backward(f.plan, nullptr, f.w.data(), dy, nullptr,
                                    dw.data(), nullptr, nullptr),
              "x (needed for dw) is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_backward(f.plan, f.x.data(), nullptr, dy, dx.data(),
                                    nullptr, nullptr, nullptr),
              "w (needed for dx) is NULL");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_backward(f.plan, f.x.data(), f.w.data(), dy,
                                    f.x.data(), nullptr, nullptr, nullptr),
              "dx overlaps x");
  ExpectError(XCORR_ERR_INVALID_ARGUMENT,
              xcorr_conv2d_backward(f.plan, f.x.data(), f.w.data(), dy,
                                    dx.data(), dx.data() + 1, nullptr, nullptr),
              "dx overlaps dw");
  // Only dbias: x and w are not needed.
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(f.plan, nullptr, nullptr, dy, nullptr,
                                  nullptr, dbias.data(), nullptr));
  // Nothing requested is a valid no-op.
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(f.plan, nullptr, nullptr, dy, nullptr,
                                  nullptr, nullptr, nullptr));
}

}  // namespace
