// Weights packed once (xcorr_conv2d_pack_weights) and forward on them
// (xcorr_conv2d_forward_packed): the same bits as xcorr_conv2d_forward on
// every compiled SIMD target, and every misuse refused.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

using test::Desc;
using test::Describe;
using test::Grouped;
using test::Nhwc;
using test::Padded;
using test::RandomVector;
using test::Strided;

class PackedWeightsTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(PackedWeightsTest);

// A plan that the test owns.
struct Plan {
  explicit Plan(const xcorr_conv2d_desc& desc) {
    EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
        << xcorr_last_error();
  }
  ~Plan() { xcorr_plan_destroy(plan); }
  xcorr_plan* plan = nullptr;
};

// forward's output on w as given.
std::vector<float> Forward(const xcorr_conv2d_desc& desc, const Plan& plan,
                           const std::vector<float>& x,
                           const std::vector<float>& w,
                           const std::vector<float>& bias) {
  std::vector<float> y(static_cast<size_t>(test::ShapeOf(desc).y_elements));
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan.plan, x.data(), w.data(),
                                           bias.data(), y.data(), nullptr))
      << xcorr_last_error();
  return y;
}

// Packs w with `packer` into a buffer `offset` bytes into its memory (any
// alignment is allowed), followed by a guard byte that must survive.
std::vector<unsigned char> Pack(const Plan& packer, const std::vector<float>& w,
                                size_t offset) {
  const size_t bytes = xcorr_plan_packed_weights_size(packer.plan);
  EXPECT_GT(bytes, w.size() * sizeof(float));
  std::vector<unsigned char> memory(offset + bytes + 1, 0xa5);
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_pack_weights(packer.plan, w.data(),
                                                memory.data() + offset))
      << xcorr_last_error();
  EXPECT_EQ(0xa5, memory.back());
  return memory;
}

// forward_packed's output, with and without a caller's workspace; both must
// agree bit for bit.
std::vector<float> ForwardPacked(const xcorr_conv2d_desc& desc,
                                 const Plan& plan, const std::vector<float>& x,
                                 const unsigned char* packed,
                                 const std::vector<float>& bias) {
  const size_t elements = static_cast<size_t>(test::ShapeOf(desc).y_elements);
  std::vector<float> y(elements, 1e30f), again(elements, 1e30f);
  std::vector<unsigned char> workspace(xcorr_plan_workspace_size(plan.plan) +
                                       1);
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward_packed(plan.plan, x.data(), packed,
                                                  bias.data(), y.data(),
                                                  workspace.data() + 1))
      << xcorr_last_error();
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_forward_packed(plan.plan, x.data(), packed,
                                        bias.data(), again.data(), nullptr))
      << xcorr_last_error();
  EXPECT_EQ(0, std::memcmp(y.data(), again.data(), elements * sizeof(float)))
      << Describe(desc);
  return y;
}

void ExpectSameBits(const std::vector<float>& want,
                    const std::vector<float>& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  EXPECT_EQ(0,
            std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
      << what;
}

// Every forward algorithm: one-channel planes, the NCHW direct kernel
// (padded, grouped, 1x1), the packed-weights kernel from OIHW and OHWI
// weights (groups, output channels that end in a partial vector, images
// small enough for it on every target), NHWC depthwise, and groups of 2
// and 4 channels (their own kernel per call, the packed-weights kernel on
// weights packed once), NHWC and NCHW (on channels-last copies).
std::vector<xcorr_conv2d_desc> EveryAlgorithm() {
  return {Desc(1, 1, 1, 40, 37, 3, 3),
          Padded(Desc(2, 1, 1, 30, 21, 5, 5), 2),
          Padded(Desc(1, 5, 7, 20, 17, 3, 3), 1),
          Desc(1, 64, 20, 17, 19, 1, 1),
          Padded(Desc(2, 64, 70, 12, 11, 3, 3), 1),
          Grouped(Padded(Desc(1, 2 * 67, 2 * 33, 7, 9, 3, 3), 1), 2),
          Nhwc(Padded(Desc(2, 5, 11, 13, 10, 3, 3), 1)),
          Nhwc(Grouped(Padded(Desc(1, 70, 70, 12, 13, 3, 3), 1), 2)),
          Nhwc(Grouped(Padded(Desc(1, 21, 21, 15, 11, 3, 3), 1), 21)),
          Nhwc(Grouped(Padded(Desc(2, 24, 24, 9, 14, 3, 3), 1), 6)),
          Nhwc(Grouped(Padded(Desc(1, 22, 22, 9, 14, 3, 3), 1), 11)),
          Grouped(Padded(Desc(2, 24, 24, 9, 14, 3, 3), 1), 6),
          Grouped(Strided(Padded(Desc(1, 16, 16, 9, 14, 3, 3), 1), 2, 2, 1, 1),
                  16)};
}

TEST_P(PackedWeightsTest, ForwardOnPackedWeightsIsForwardBitForBit) {
  uint64_t seed = 900;
  for (const xcorr_conv2d_desc& desc : EveryAlgorithm()) {
    const detail::ConvShape shape = test::ShapeOf(desc);
    const std::vector<float> x = RandomVector(shape.x_elements, seed++);
    const std::vector<float> w = RandomVector(shape.w_elements, seed++);
    const std::vector<float> bias = RandomVector(desc.out_channels, seed++);
    const Plan plan(desc);
    const std::vector<float> want = Forward(desc, plan, x, w, bias);
    // Oracle too: forward itself is checked elsewhere, but a test of
    // equality alone would pass if both were wrong the same way.
    const test::ForwardOracle oracle =
        test::ReferenceForward(desc, x, w, &bias);
    test::ExpectWithinBound(want, oracle.y, oracle.term_sums, Describe(desc));
    for (size_t offset : {size_t{0}, size_t{3}}) {
      const std::vector<unsigned char> packed = Pack(plan, w, offset);
      ExpectSameBits(want,
                     ForwardPacked(desc, plan, x, packed.data() + offset, bias),
                     Describe(desc));
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Packed once, the weights serve plans of other batch and image sizes, with
// other pads, strides and dilations: the packed form depends only on the
// weights' shape. (Small images: every target runs the packed-weights
// kernel on both plans.)
TEST_P(PackedWeightsTest, PackedWeightsServeOtherBatchAndImageSizes) {
  const xcorr_conv2d_desc packer_desc = Padded(Desc(1, 64, 64, 9, 9, 3, 3), 1);
  const std::vector<float> w =
      RandomVector(test::ShapeOf(packer_desc).w_elements, 950);
  const std::vector<float> bias = RandomVector(64, 951);
  const Plan packer(packer_desc);
  const std::vector<unsigned char> packed = Pack(packer, w, 0);
  xcorr_conv2d_desc other = Padded(Desc(3, 64, 64, 13, 11, 3, 3), 2);
  other.stride_height = 2;
  other.dilation_width = 2;
  const Plan plan(other);
  const std::vector<float> x =
      RandomVector(test::ShapeOf(other).x_elements, 952);
  ExpectSameBits(Forward(other, plan, x, w, bias),
                 ForwardPacked(other, plan, x, packed.data(), bias),
                 Describe(other));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The packed-weights kernel's rows serve only plans that run that kernel
// (here a padded 1x1 packs them; the unpadded 1x1 runs the direct kernel's
// matrix product, which reads w as given); weights packed as given serve
// every plan.
TEST_P(PackedWeightsTest, KernelRowsServeOnlyPlansOfThatKernel) {
  const xcorr_conv2d_desc rows_desc = Padded(Desc(1, 64, 64, 8, 8, 1, 1), 1);
  const xcorr_conv2d_desc pointwise_desc = Desc(2, 64, 64, 8, 9, 1, 1);
  const std::vector<float> w = RandomVector(64 * 64, 970);
  const std::vector<float> bias = RandomVector(64, 971);
  const Plan rows_plan(rows_desc), pointwise_plan(pointwise_desc);
  const std::vector<unsigned char> rows = Pack(rows_plan, w, 0);
  const std::vector<unsigned char> as_given = Pack(pointwise_plan, w, 0);
  const std::vector<float> x =
      RandomVector(test::ShapeOf(pointwise_desc).x_elements, 972);
  std::vector<float> y(static_cast<size_t>(2 * 64 * 8 * 9), 1e30f);
  EXPECT_EQ(
      XCORR_ERR_INVALID_ARGUMENT,
      xcorr_conv2d_forward_packed(pointwise_plan.plan, x.data(), rows.data(),
                                  bias.data(), y.data(), nullptr));
  EXPECT_NE(nullptr,
            std::strstr(xcorr_last_error(), "pack the weights with this plan"))
      << xcorr_last_error();
  EXPECT_EQ(1e30f, y[0]);
  ExpectSameBits(
      Forward(pointwise_desc, pointwise_plan, x, w, bias),
      ForwardPacked(pointwise_desc, pointwise_plan, x, as_given.data(), bias),
      Describe(pointwise_desc));
  const std::vector<float> x_rows =
      RandomVector(test::ShapeOf(rows_desc).x_elements, 973);
  ExpectSameBits(
      Forward(rows_desc, rows_plan, x_rows, w, bias),
      ForwardPacked(rows_desc, rows_plan, x_rows, as_given.data(), bias),
      Describe(rows_desc));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// A non-finite weight on a padded shape makes NaN where it meets the padding
// (PyTorch multiplies it by a real zero); forward sends such calls to the
// reference, and so must forward on the packed weights.
TEST_P(PackedWeightsTest, NonFiniteWeightsOnPaddedShapes) {
  for (const xcorr_conv2d_desc& desc : EveryAlgorithm()) {
    if (desc.pad_top == 0) continue;
    const detail::ConvShape shape = test::ShapeOf(desc);
    const std::vector<float> x = RandomVector(shape.x_elements, 960);
    std::vector<float> w = RandomVector(shape.w_elements, 961);
    w[0] = std::numeric_limits<float>::infinity();  // a corner tap
    const std::vector<float> bias = RandomVector(desc.out_channels, 962);
    const Plan plan(desc);
    const std::vector<float> want = Forward(desc, plan, x, w, bias);
    size_t nans = 0;
    for (float value : want) nans += std::isnan(value);
    EXPECT_GT(nans, 0u) << Describe(desc);
    const std::vector<unsigned char> packed = Pack(plan, w, 1);
    ExpectSameBits(want, ForwardPacked(desc, plan, x, packed.data() + 1, bias),
                   Describe(desc));
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The C API's checks, which do not depend on the target.
class PackedWeightsErrors : public ::testing::Test {
 protected:
  const xcorr_conv2d_desc desc = Padded(Desc(1, 64, 64, 6, 7, 3, 3), 1);
  const Plan plan{desc};
  const std::vector<float> x = std::vector<float>(64 * 6 * 7, 1.0f);
  const std::vector<float> w = std::vector<float>(64 * 64 * 9, 1.0f);
  std::vector<float> y = std::vector<float>(64 * 6 * 7, 5.0f);
  const size_t bytes = xcorr_plan_packed_weights_size(plan.plan);
  std::vector<unsigned char> packed = std::vector<unsigned char>(bytes);

  void ExpectRefused(xcorr_status got, const char* message) {
    EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, got);
    EXPECT_NE(nullptr, std::strstr(xcorr_last_error(), message))
        << xcorr_last_error();
    EXPECT_EQ(5.0f, y[0]);
    EXPECT_EQ(5.0f, y.back());
  }
  xcorr_status RunPacked(const unsigned char* weights) {
    return xcorr_conv2d_forward_packed(plan.plan, x.data(), weights, nullptr,
                                       y.data(), nullptr);
  }
};

TEST_F(PackedWeightsErrors, NullPointers) {
  EXPECT_EQ(0u, xcorr_plan_packed_weights_size(nullptr));
  ExpectRefused(xcorr_conv2d_pack_weights(nullptr, w.data(), packed.data()),
                "plan is NULL");
  ExpectRefused(xcorr_conv2d_pack_weights(plan.plan, nullptr, packed.data()),
                "w is NULL");
  ExpectRefused(xcorr_conv2d_pack_weights(plan.plan, w.data(), nullptr),
                "packed is NULL");
  ASSERT_EQ(XCORR_OK,
            xcorr_conv2d_pack_weights(plan.plan, w.data(), packed.data()));
  ExpectRefused(xcorr_conv2d_forward_packed(nullptr, x.data(), packed.data(),
                                            nullptr, y.data(), nullptr),
                "plan is NULL");
  ExpectRefused(xcorr_conv2d_forward_packed(plan.plan, nullptr, packed.data(),
                                            nullptr, y.data(), nullptr),
                "x is NULL");
  ExpectRefused(RunPacked(nullptr), "packed is NULL");
  ExpectRefused(xcorr_conv2d_forward_packed(plan.plan, x.data(), packed.data(),
                                            nullptr, nullptr, nullptr),
                "y is NULL");
}

TEST_F(PackedWeightsErrors, BuffersThatXcorrDidNotWrite) {
  ExpectRefused(RunPacked(packed.data()),
                "packed does not hold weights that xcorr_conv2d_pack_weights "
                "wrote");
  ASSERT_EQ(XCORR_OK,
            xcorr_conv2d_pack_weights(plan.plan, w.data(), packed.data()));
  std::vector<unsigned char> corrupt = packed;
  corrupt[0] ^= 1;  // the magic
  ExpectRefused(RunPacked(corrupt.data()), "packed does not hold weights");
  corrupt = packed;
  corrupt[16] ^= 0x40;  // the offset of the floats
  ExpectRefused(RunPacked(corrupt.data()), "packed does not hold weights");
}

TEST_F(PackedWeightsErrors, WeightsOfAnotherShapeOrLayout) {
  for (xcorr_conv2d_desc other : {Padded(Desc(1, 64, 65, 6, 7, 3, 3), 1),
                                  Padded(Desc(1, 64, 64, 6, 7, 3, 2), 1),
                                  Nhwc(Padded(Desc(1, 64, 64, 6, 7, 3, 3), 1)),
                                  Grouped(Desc(1, 64, 64, 6, 7, 3, 3), 2)}) {
    const Plan packer(other);
    std::vector<unsigned char> theirs(
        xcorr_plan_packed_weights_size(packer.plan));
    const std::vector<float> their_w(
        static_cast<size_t>(test::ShapeOf(other).w_elements), 1.0f);
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_pack_weights(packer.plan, their_w.data(),
                                                  theirs.data()));
    ExpectRefused(RunPacked(theirs.data()),
                  "packed holds weights of another shape or layout");
  }
}

// Copied elsewhere (memcpy), packed weights still serve where their floats
// stay aligned, and are refused where the copy misaligns them.
TEST_F(PackedWeightsErrors, CopiesThatMisalignTheFloats) {
  std::vector<unsigned char> memory(bytes + 8);
  ASSERT_EQ(XCORR_OK,
            xcorr_conv2d_pack_weights(plan.plan, w.data(), memory.data() + 4));
  std::memmove(memory.data() + 3, memory.data() + 4, bytes);
  ExpectRefused(RunPacked(memory.data() + 3),
                "packed was copied to an address that misaligns its floats");
  std::memmove(memory.data() + 8, memory.data() + 3, bytes);
  EXPECT_EQ(XCORR_OK, RunPacked(memory.data() + 8)) << xcorr_last_error();
  EXPECT_EQ(64.0f * 4, y[0]);  // a corner: 2 x 2 taps of 64 channels
}

TEST_F(PackedWeightsErrors, Overlaps) {
  std::vector<float> shared(w.size() + bytes / sizeof(float) + 1, 1.0f);
  ExpectRefused(
      xcorr_conv2d_pack_weights(plan.plan, shared.data(), shared.data() + 7),
      "packed overlaps w");
  ASSERT_EQ(XCORR_OK,
            xcorr_conv2d_pack_weights(plan.plan, w.data(), packed.data()));
  ExpectRefused(xcorr_conv2d_forward_packed(
                    plan.plan, x.data(), packed.data(), nullptr,
                    reinterpret_cast<float*>(packed.data() + 64), nullptr),
                "y overlaps packed");
}

// Weights packed as given (here by the unpadded 1x1's plan) are shorter
// than a kernel-rows plan's xcorr_plan_packed_weights_size (whose rows
// round 72 output channels up to 80); y right after
// their last float does not overlap them, y over it does.
TEST(PackedWeightsOverlap, CountsTheBytesThatThePackedWeightsHold) {
  // 9x9: pointwise planes of up to 8x8 run the packed kernel too.
  const xcorr_conv2d_desc rows_desc = Padded(Desc(1, 64, 72, 9, 9, 1, 1), 1);
  const Plan rows_plan(rows_desc), as_given_plan(Desc(1, 64, 72, 9, 9, 1, 1));
  const size_t bytes = xcorr_plan_packed_weights_size(as_given_plan.plan);
  ASSERT_LT(bytes, xcorr_plan_packed_weights_size(rows_plan.plan));
  const size_t w_elements = 72 * 64, y_elements = 72 * 11 * 11;
  std::vector<float> memory(bytes / sizeof(float) + y_elements + 16);
  const std::vector<float> w(w_elements, 0.5f), x(64 * 9 * 9, 1.0f);
  // At a 64-byte boundary, the floats follow the 64-byte header directly.
  const auto address = reinterpret_cast<uintptr_t>(memory.data());
  auto* packed = reinterpret_cast<unsigned char*>(memory.data()) +
                 (64 - address % 64) % 64;
  ASSERT_EQ(XCORR_OK,
            xcorr_conv2d_pack_weights(as_given_plan.plan, w.data(), packed));
  float* after = reinterpret_cast<float*>(packed + 64) + w_elements;
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_forward_packed(rows_plan.plan, x.data(), packed,
                                        nullptr, after, nullptr))
      << xcorr_last_error();
  EXPECT_EQ(32.0f, after[12]);  // an interior pixel: 64 channels x 0.5
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_forward_packed(rows_plan.plan, x.data(), packed,
                                        nullptr, after - 1, nullptr));
  EXPECT_STREQ("y overlaps packed", xcorr_last_error());
}

}  // namespace
}  // namespace xcorr
