// The C++ API: tensors and views, exceptions carrying the C status and
// message, and conv2d plans on Tensors.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

TEST(TensorTest, IsZeroFilledAlignedAndDeepCopied) {
  Tensor t({2, 3, 5});
  EXPECT_EQ(30, t.size());
  EXPECT_EQ(3u, t.rank());
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(t.data()) % 64);
  for (int64_t k = 0; k < t.size(); ++k) EXPECT_EQ(0.0f, t.data()[k]);
  t.at({1, 2, 4}) = 7.0f;
  EXPECT_EQ(7.0f, t.data()[29]);
  const Tensor copy = t;
  t.at({1, 2, 4}) = 1.0f;
  EXPECT_EQ(7.0f, copy.at({1, 2, 4}));
  EXPECT_EQ(7.0f, copy.sum());
  EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(copy.data()) % 64);
}

TEST(TensorTest, FromOnesReshapeAndViews) {
  const Tensor t = Tensor::from({2, 3}, {1, 2, 3, 4, 5, 6});
  const TensorView v = t.reshape({1, 1, 3, 2});
  EXPECT_EQ((Dims{1, 1, 3, 2}), v.dims());
  EXPECT_EQ(t.data(), v.data());
  EXPECT_EQ(4.0f, v.at({0, 0, 1, 1}));
  EXPECT_EQ(6.0f, Tensor::ones({2, 3}).sum());
  EXPECT_EQ(2.5f, Tensor::full({1}, 2.5f).at({0}));
  const Tensor empty;
  EXPECT_EQ(0, empty.size());
  EXPECT_EQ(0u, empty.view().rank());
}

TEST(TensorTest, BadShapesAndIndicesThrowInvalidArgument) {
  EXPECT_THROW(Tensor({2, 0}), InvalidArgument);
  EXPECT_THROW(Tensor({-1}), std::invalid_argument);
  EXPECT_THROW(Tensor({1, 1, 1, 1, 1}), InvalidArgument);
  EXPECT_THROW(Tensor({int64_t{1} << 40, int64_t{1} << 30}), InvalidArgument);
  EXPECT_THROW(Tensor::from({2, 2}, {1, 2, 3}), InvalidArgument);
  Tensor t({2, 3});
  EXPECT_THROW(t.at({2, 0}), InvalidArgument);
  EXPECT_THROW(t.at({0}), InvalidArgument);
  EXPECT_THROW(t.reshape({4, 2}), InvalidArgument);
  EXPECT_THROW(TensorView(nullptr, {1}), InvalidArgument);
}

// A size that fits int64_t but no memory: the API's RuntimeError with the C
// API's status, not a std::bad_alloc.
TEST(TensorTest, OutOfMemoryIsARuntimeError) {
  try {
    Tensor huge({int64_t{1} << 60});
    FAIL() << "allocated 4 EiB";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(XCORR_ERR_OUT_OF_MEMORY, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find("out of memory"))
        << e.what();
  }
}

TEST(CppApiTest, ExceptionsCarryStatusAndTheCMessage) {
  try {
    Conv2dPlan plan(
        Conv2dDesc().channels(6, 4).groups(4).input(8, 8).kernel(3, 3));
    FAIL() << "expected an exception";
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, e.status());
    EXPECT_STREQ("in_channels 6 is not divisible by groups 4", e.what());
  }
  try {
    force_target("NOT-A-TARGET");
    FAIL() << "expected an exception";
  } catch (const RuntimeError& e) {
    EXPECT_EQ(XCORR_ERR_UNSUPPORTED, e.status());
  }
  EXPECT_THROW(set_num_threads(-1), std::invalid_argument);
  EXPECT_NO_THROW(check(XCORR_OK));
  EXPECT_THROW(check(XCORR_ERR_INTERNAL), std::runtime_error);
}

TEST(CppApiTest, PlanDimsForBothLayouts) {
  const Conv2dPlan nchw(Conv2dDesc()
                            .batch(2)
                            .channels(4, 6)
                            .groups(2)
                            .input(9, 8)
                            .kernel(3, 2)
                            .padding(1));
  EXPECT_EQ((Dims{2, 4, 9, 8}), nchw.x_dims());
  EXPECT_EQ((Dims{6, 2, 3, 2}), nchw.w_dims());
  EXPECT_EQ((Dims{2, 6, 9, 9}), nchw.y_dims());
  const Conv2dPlan nhwc(Conv2dDesc()
                            .batch(2)
                            .channels(4, 6)
                            .groups(2)
                            .input(9, 8)
                            .kernel(3, 2)
                            .padding(1)
                            .layout(XCORR_LAYOUT_NHWC));
  EXPECT_EQ((Dims{2, 9, 8, 4}), nhwc.x_dims());
  EXPECT_EQ((Dims{6, 3, 2, 2}), nhwc.w_dims());
  EXPECT_EQ((Dims{2, 9, 9, 6}), nhwc.y_dims());
}

TEST(CppApiTest, PlanChecksTensorDims) {
  const Conv2dPlan plan(Conv2dDesc().channels(1, 2).input(4, 4).kernel(3, 3));
  const Tensor x({1, 1, 4, 4}), w({2, 1, 3, 3});
  EXPECT_EQ((Dims{1, 2, 2, 2}), plan.forward(x, w).dims());
  try {
    plan.forward(Tensor({1, 1, 4, 5}), w);
    FAIL() << "expected an exception";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ("x has dimensions 1x1x4x5, expected 1x1x4x4", e.what());
  }
  EXPECT_THROW(plan.forward(x, w, Tensor({3})), InvalidArgument);
  Tensor dx({1, 1, 4, 4}), dw({2, 1, 3, 3}), dbias({2});
  const Tensor dy = Tensor::ones({1, 2, 2, 2});
  plan.backward(x, w, dy, dx, dw, dbias);
  EXPECT_EQ(4.0f, dbias.at({1}));
  EXPECT_THROW(plan.backward(x, w, Tensor({1, 2, 2, 3}), dx, dw, dbias),
               InvalidArgument);
}

// Packed once, weights give forward's bits, on this plan and on a plan of
// another batch and image size; misuse throws InvalidArgument.
TEST(CppApiTest, ForwardOnPackedWeights) {
  const Conv2dDesc desc =
      Conv2dDesc().channels(64, 70).input(10, 9).kernel(3, 3).padding(1);
  const Conv2dPlan plan(desc);
  Tensor x(plan.x_dims()), w(plan.w_dims()), bias({70});
  for (int64_t k = 0; k < x.size(); ++k) x.data()[k] = float(k % 7) - 3.0f;
  for (int64_t k = 0; k < w.size(); ++k) w.data()[k] = float(k % 5) * 0.25f;
  bias.at({3}) = 2.0f;
  const PackedWeights packed = plan.pack_weights(w);
  EXPECT_EQ(xcorr_plan_packed_weights_size(plan.get()), packed.size());
  const Tensor want = plan.forward(x, w, bias);
  const Tensor got = plan.forward(x, packed, bias);
  ASSERT_EQ(want.dims(), got.dims());
  for (int64_t k = 0; k < want.size(); ++k)
    ASSERT_EQ(want.data()[k], got.data()[k]) << k;
  const Conv2dPlan other(Conv2dDesc(desc).batch(2).input(5, 12));
  const Tensor other_x = Tensor::ones(other.x_dims());
  const Tensor other_want = other.forward(other_x, w);
  const Tensor other_got = other.forward(other_x, packed);
  for (int64_t k = 0; k < other_want.size(); ++k)
    ASSERT_EQ(other_want.data()[k], other_got.data()[k]) << k;
  EXPECT_THROW(plan.pack_weights(Tensor({70, 64, 3, 2})), InvalidArgument);
  EXPECT_THROW(plan.forward(x, PackedWeights()), InvalidArgument);
  const Conv2dPlan wider(Conv2dDesc(desc).channels(64, 71));
  EXPECT_THROW(wider.forward(Tensor(wider.x_dims()), packed), InvalidArgument);
}

}  // namespace
}  // namespace xcorr
