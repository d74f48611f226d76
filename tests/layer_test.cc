// The layer API on the seed's example: Conv2D, SquaredLoss and SGD reproduce
// "learning a kernel", and each piece follows PyTorch's semantics.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

TEST(LayerTest, SeedLoopLearnsTheEdgeKernel) {
  Tensor X = Tensor::ones({6, 8});
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 2; j < 6; ++j) X.at({i, j}) = 0.0f;
  }
  const Tensor Y = corr2d(X, Tensor::from({1, 2}, {1.0f, -1.0f}));

  Conv2D conv2d(1, 1, {1, 2}, Conv2DOptions().bias(false).seed(42));
  SGD sgd(conv2d.parameters(), 3e-2f);
  std::vector<float> losses;
  for (int i = 0; i < 10; ++i) {
    const Tensor Y_hat = conv2d(X.reshape({1, 1, 6, 8}));
    const SquaredLoss l(Y_hat, Y.reshape({1, 1, 6, 7}));
    conv2d.zero_grad();
    conv2d.backward(l.gradient());
    sgd.step();
    losses.push_back(l.value());
  }
  for (size_t i = 1; i < losses.size(); ++i)
    EXPECT_LT(losses[i], losses[i - 1]);
  EXPECT_LT(losses.back(), 0.05f);
  EXPECT_NEAR(1.0f, conv2d.weight.at({0, 0, 0, 0}), 0.1f);
  EXPECT_NEAR(-1.0f, conv2d.weight.at({0, 0, 0, 1}), 0.1f);
}

TEST(LayerTest, GradientsAccumulateUntilZeroGrad) {
  Conv2D conv(1, 2, {2, 2}, Conv2DOptions().seed(1));
  const Tensor x = Tensor::ones({1, 1, 3, 3});
  const Tensor y = conv(x);
  const Tensor dy = Tensor::ones(y.dims());
  conv.backward(dy);
  const Tensor once = conv.weight_grad;
  conv.backward(dy);
  for (int64_t k = 0; k < once.size(); ++k) {
    EXPECT_EQ(4.0f, once.data()[k]);  // 4 outputs, each tap sees a 1
    EXPECT_EQ(2 * once.data()[k], conv.weight_grad.data()[k]);
  }
  EXPECT_EQ(8.0f, conv.bias_grad.at({1}));
  conv.zero_grad();
  EXPECT_EQ(0.0f, conv.weight_grad.sum());
  EXPECT_EQ(0.0f, conv.bias_grad.sum());
}

TEST(LayerTest, InitIsSeededAndBoundedLikePyTorch) {
  const Conv2D a(3, 4, {3, 3}, Conv2DOptions().seed(7));
  const Conv2D b(3, 4, {3, 3}, Conv2DOptions().seed(7));
  const float bound = 1.0f / std::sqrt(27.0f);
  for (int64_t k = 0; k < a.weight.size(); ++k) {
    EXPECT_EQ(a.weight.data()[k], b.weight.data()[k]);
    EXPECT_LE(std::fabs(a.weight.data()[k]), bound);
  }
  EXPECT_EQ(0.0f, a.bias.sum());
  EXPECT_THROW(Conv2D(3, 4, {3, 3}, Conv2DOptions().groups(2)),
               InvalidArgument);
}

TEST(LayerTest, ForwardRejectsTheWrongChannelCount) {
  Conv2D conv(2, 1, {1, 1});
  EXPECT_THROW(conv(Tensor({1, 3, 4, 4})), InvalidArgument);
  EXPECT_THROW(conv(Tensor({3, 4, 4})), InvalidArgument);
  EXPECT_THROW(conv.backward(Tensor({1, 1, 4, 4})), InvalidArgument);
}

TEST(OptimizerTest, SgdRejectsNegativeOrNaNSettings) {
  Tensor value = Tensor::ones({1}), grad = Tensor::ones({1});
  const std::vector<Parameter> params = {{&value, &grad}};
  EXPECT_THROW(SGD(params, -0.1f), InvalidArgument);
  EXPECT_THROW(SGD(params, 0.1f, -0.9f), InvalidArgument);
  EXPECT_THROW(SGD(params, 0.1f, 0.0f, -1e-4f), InvalidArgument);
  EXPECT_THROW(SGD(params, NAN), InvalidArgument);
  try {
    SGD(params, -0.5f);
    FAIL() << "a negative learning rate was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ("SGD learning rate -0.5 must be non-negative", e.what());
  }
  SGD zero(params, 0.0f);  // no update, as torch allows
  zero.step();
  EXPECT_EQ(1.0f, value.data()[0]);
}

TEST(OptimizerTest, SgdMatchesTorchWithMomentumAndWeightDecay) {
  // torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01), grad 1:
  // step 1: g = 1 + 0.01*1 = 1.01, buf = 1.01, p = 1 - 0.101 = 0.899
  // step 2: g = 1 + 0.00899 = 1.00899, buf = 0.909 + 1.00899 = 1.91799,
  //         p = 0.899 - 0.191799 = 0.707201
  Tensor value = Tensor::ones({1}), grad = Tensor::ones({1});
  SGD sgd({{&value, &grad}}, 0.1f, 0.9f, 0.01f);
  sgd.step();
  EXPECT_NEAR(0.899f, value.at({0}), 1e-6f);
  sgd.step();
  EXPECT_NEAR(0.707201f, value.at({0}), 1e-6f);
  sgd.zero_grad();
  EXPECT_EQ(0.0f, grad.at({0}));
}

TEST(LossTest, SquaredLossValueAndGradient) {
  const Tensor y_hat = Tensor::from({3}, {1, 2, 3}),
               y = Tensor::from({3}, {0, 2, 5});
  const SquaredLoss loss(y_hat, y);
  EXPECT_EQ(5.0f, loss.value());
  EXPECT_EQ(2.0f, loss.gradient().at({0}));
  EXPECT_EQ(0.0f, loss.gradient().at({1}));
  EXPECT_EQ(-4.0f, loss.gradient().at({2}));
  EXPECT_THROW(SquaredLoss(y_hat, Tensor({2})), InvalidArgument);
}

}  // namespace
}  // namespace xcorr
