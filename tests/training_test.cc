// Training on the fused backward: the seed's "learning a kernel" loop, a
// two-channel layer learning Sobel-x and a box blur at once, the fused
// loss_and_backward against SquaredLoss + backward, and SGD against
// torch.optim.SGD's update rule on hand-computed values.
#include <cmath>
#include <cstdio>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

// The seed's data: X is 6x8 ones with columns 2..5 zero, Y = corr2d(X, [1,
// -1]).
Tensor SeedImage() {
  Tensor X = Tensor::ones({6, 8});
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 2; j < 6; ++j) X.at({i, j}) = 0.0f;
  }
  return X;
}

// The seed's loop, almost line for line:
//   conv2d = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
//   for i in range(10):
//       Y_hat = conv2d(X); l = (Y_hat - Y) ** 2
//       conv2d.zero_grad(); l.sum().backward()
//       conv2d.weight.data[:] -= lr * conv2d.weight.grad
TEST(TrainingTest, SeedLoopLearnsTheEdgeKernel) {
  const Tensor X = SeedImage();
  const Tensor K = Tensor::from({1, 2}, {1.0f, -1.0f});
  const Tensor Y = corr2d(X, K);
  Conv2D conv2d(1, 1, {1, 2}, Conv2DOptions().bias(false).seed(42));
  SGD sgd(conv2d.parameters(), 3e-2f);
  std::vector<float> losses;
  for (int epoch = 0; epoch < 10; ++epoch) {
    const Tensor Y_hat = conv2d(X.reshape({1, 1, 6, 8}));
    const SquaredLoss loss(Y_hat, Y.reshape({1, 1, 6, 7}));
    conv2d.zero_grad();
    conv2d.backward(loss.gradient());
    sgd.step();
    losses.push_back(loss.value());
    if ((epoch + 1) % 2 == 0)
      std::printf("epoch %d, loss %.3f\n", epoch + 1, loss.value());
  }
  for (size_t k = 1; k < losses.size(); ++k)
    EXPECT_LT(losses[k], losses[k - 1]) << k;
  std::printf("weight %.4f %.4f\n", conv2d.weight.data()[0],
              conv2d.weight.data()[1]);
  EXPECT_NEAR(conv2d.weight.data()[0], 1.0f, 0.1f);
  EXPECT_NEAR(conv2d.weight.data()[1], -1.0f, 0.1f);
}

// The same loop on loss_and_backward gives bitwise the same weights.
TEST(TrainingTest, FusedLossAndBackwardMatchesSquaredLossThenBackward) {
  const Tensor X = SeedImage();
  const Tensor Y = corr2d(X, Tensor::from({1, 2}, {1.0f, -1.0f}));
  Conv2D plain(1, 1, {1, 2}, Conv2DOptions().seed(7));
  Conv2D fused(1, 1, {1, 2}, Conv2DOptions().seed(7));
  SGD plain_sgd(plain.parameters(), 3e-2f, 0.5f);
  SGD fused_sgd(fused.parameters(), 3e-2f, 0.5f);
  for (int epoch = 0; epoch < 5; ++epoch) {
    const SquaredLoss loss(plain(X.reshape({1, 1, 6, 8})),
                           Y.reshape({1, 1, 6, 7}));
    plain.zero_grad();
    plain.backward(loss.gradient());
    plain_sgd.step();
    fused.zero_grad();
    const float fused_loss = fused.loss_and_backward(
        fused(X.reshape({1, 1, 6, 8})), Y.reshape({1, 1, 6, 7}));
    fused_sgd.step();
    EXPECT_EQ(loss.value(), fused_loss);
  }
  for (int64_t k = 0; k < 2; ++k)
    EXPECT_EQ(plain.weight.data()[k], fused.weight.data()[k]);
  EXPECT_EQ(plain.bias.data()[0], fused.bias.data()[0]);
}

// backward() without zero_grad() accumulates, as PyTorch's does.
TEST(TrainingTest, BackwardAccumulatesUntilZeroGrad) {
  const Tensor X = SeedImage();
  Conv2D conv2d(1, 2, {2, 2}, Conv2DOptions().seed(3));
  const Tensor y = conv2d(X.reshape({1, 1, 6, 8}));
  const Tensor dy = Tensor::full(y.dims(), 0.5f);
  conv2d.zero_grad();
  conv2d.backward(dy);
  const Tensor once = conv2d.weight_grad;
  const Tensor bias_once = conv2d.bias_grad;
  conv2d.backward(dy);
  for (int64_t k = 0; k < once.size(); ++k) {
    EXPECT_EQ(2.0f * once.data()[k], conv2d.weight_grad.data()[k]);
  }
  for (int64_t k = 0; k < 2; ++k)
    EXPECT_EQ(2.0f * bias_once.data()[k], conv2d.bias_grad.data()[k]);
}

// One layer, two output channels, learns Sobel-x and a 3x3 box blur from
// random images at once.
TEST(TrainingTest, LearnsSobelAndBoxBlurTogether) {
  const Conv2dPlan truth(
      Conv2dDesc().batch(4).channels(1, 2).input(12, 12).kernel(3, 3).padding(
          1));
  const float b = 1.0f / 9.0f;
  const Tensor kernels = Tensor::from(
      {2, 1, 3, 3}, {-1, 0, 1, -2, 0, 2, -1, 0, 1, b, b, b, b, b, b, b, b, b});
  const Tensor X = Tensor::from({4, 1, 12, 12}, test::RandomVector(4 * 144, 5));
  const Tensor Y = truth.forward(X, kernels);
  Conv2D conv2d(1, 2, {3, 3}, Conv2DOptions().padding(1).bias(false).seed(11));
  SGD sgd(conv2d.parameters(), 2e-3f, 0.9f);
  float loss = 0.0f;
  int steps = 0;
  for (; steps < 400; ++steps) {
    conv2d.zero_grad();
    loss = conv2d.loss_and_backward(conv2d(X), Y);
    if (loss < 1e-6f) break;
    sgd.step();
  }
  std::printf("loss %.3g after %d steps\n", loss, steps);
  EXPECT_LT(loss, 1e-6f);
  for (int64_t k = 0; k < kernels.size(); ++k) {
    EXPECT_NEAR(conv2d.weight.data()[k], kernels.data()[k], 1e-3f) << k;
  }
}

// torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01), two steps on
// value [1, 2] with grad [0.5, -1]:
//   g1 = grad + 0.01 * [1, 2] = [0.51, -0.98];   buf = g1
//   value = [1, 2] - 0.1 * buf = [0.949, 2.098]
//   g2 = grad + 0.01 * value = [0.50949, -0.97902]
//   buf = 0.9 * buf + g2 = [0.96849, -1.86102]
//   value -= 0.1 * buf -> [0.852151, 2.2841020]
TEST(TrainingTest, SgdMatchesTorchMomentumAndWeightDecay) {
  Tensor value = Tensor::from({2}, {1.0f, 2.0f});
  Tensor grad = Tensor::from({2}, {0.5f, -1.0f});
  SGD sgd({{&value, &grad}}, 0.1f, 0.9f, 0.01f);
  sgd.step();
  EXPECT_NEAR(value.data()[0], 0.949f, 1e-6f);
  EXPECT_NEAR(value.data()[1], 2.098f, 1e-6f);
  sgd.step();
  EXPECT_NEAR(value.data()[0], 0.852151f, 1e-6f);
  EXPECT_NEAR(value.data()[1], 2.284102f, 1e-6f);
  // Without momentum: value -= lr * (grad + wd * value).
  Tensor plain = Tensor::from({1}, {3.0f});
  Tensor plain_grad = Tensor::from({1}, {1.0f});
  SGD plain_sgd({{&plain, &plain_grad}}, 0.5f, 0.0f, 0.1f);
  plain_sgd.step();
  EXPECT_NEAR(plain.data()[0], 3.0f - 0.5f * (1.0f + 0.3f), 1e-6f);
}

}  // namespace
}  // namespace xcorr
