// The seed chapter ("Convolutions for Images", D2L) computed by xcorr, step by
// step, then a short benchmark of the SIMD corr2d against the scalar
// reference. The README's main command runs it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "src/median_seconds.h"
#include "src/reference.h"
#include "xcorr/xcorr.hpp"

namespace {

using xcorr::Tensor;

// Prints a 2-d tensor the way PyTorch does: tensor([[ 0.,  1.], ...]).
void Print(const Tensor& t) {
  std::vector<std::string> cells;
  size_t width = 0;
  for (int64_t k = 0; k < t.size(); ++k) {
    const float value = t.data()[k] == 0.0f ? 0.0f : t.data()[k];  // no "-0."
    char cell[32];
    if (value == std::floor(value)) {
      std::snprintf(cell, sizeof(cell), "%.0f.", static_cast<double>(value));
    } else {
      std::snprintf(cell, sizeof(cell), "%.4f", static_cast<double>(value));
    }
    cells.emplace_back(cell);
    width = std::max(width, cells.back().size());
  }
  const int64_t rows = t.dim(0), cols = t.dim(1);
  std::string text = "tensor([";
  for (int64_t i = 0; i < rows; ++i) {
    text += i == 0 ? "[" : ",\n        [";
    for (int64_t j = 0; j < cols; ++j) {
      const std::string& cell = cells[static_cast<size_t>(i * cols + j)];
      text +=
          (j == 0 ? "" : ", ") + std::string(width - cell.size(), ' ') + cell;
    }
    text += "]";
  }
  std::printf("%s])\n\n", text.c_str());
}

Tensor Transposed(const Tensor& t) {
  Tensor result({t.dim(1), t.dim(0)});
  for (int64_t i = 0; i < t.dim(0); ++i) {
    for (int64_t j = 0; j < t.dim(1); ++j) result.at({j, i}) = t.at({i, j});
  }
  return result;
}

void BenchmarkSummary() {
  const int64_t size = 1024, kernel = 3, out = size - kernel + 1;
  const Tensor x = Tensor::full({size, size}, 0.5f),
               k = Tensor::full({kernel, kernel}, 0.25f);
  Tensor y({out, out}), y_reference({out, out});
  const double flops = 2.0 * static_cast<double>(out * out * kernel * kernel);
  const double simd = xcorr::detail::MedianSeconds(21, [&] {
    xcorr::check(
        xcorr_corr2d(x.data(), size, size, k.data(), kernel, kernel, y.data()));
  });
  const double scalar = xcorr::detail::MedianSeconds(3, [&] {
    xcorr::reference::Corr2d(x.data(), size, size, k.data(), kernel, kernel,
                             y_reference.data());
  });
  std::printf("## Benchmark: corr2d 1024x1024, 3x3 kernel (median)\n");
  std::printf(
      "xcorr %s, %s: %.1f GFLOP/s; scalar reference: %.1f GFLOP/s; ratio "
      "%.1fx\n",
      xcorr::version().c_str(), xcorr::target_name().c_str(),
      flops / simd * 1e-9, flops / scalar * 1e-9, scalar / simd);
}

}  // namespace

int main() {
  std::printf("## 1. The cross-correlation operation\n");
  const Tensor X3 = Tensor::from({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor K22 = Tensor::from({2, 2}, {0, 1, 2, 3});
  std::printf("corr2d(X, K)\n");
  Print(xcorr::corr2d(X3, K22));

  std::printf("## 3. Object edge detection in images\n");
  Tensor X = Tensor::ones({6, 8});
  for (int64_t i = 0; i < 6; ++i) {
    for (int64_t j = 2; j < 6; ++j) X.at({i, j}) = 0.0f;  // X[:, 2:6] = 0
  }
  std::printf("X\n");
  Print(X);
  const Tensor K = Tensor::from({1, 2}, {1.0f, -1.0f});
  const Tensor Y = xcorr::corr2d(X, K);
  std::printf("Y = corr2d(X, K)\n");
  Print(Y);
  std::printf("corr2d(X.t(), K): the kernel only detects vertical edges\n");
  Print(xcorr::corr2d(Transposed(X), K));

  std::printf("## 4. Learning a kernel\n");
  // conv2d = nn.LazyConv2d(out_channels=1, kernel_size=(1, 2), bias=False)
  xcorr::Conv2D conv2d(1, 1, {1, 2}, xcorr::Conv2DOptions().bias(false));
  const xcorr::TensorView X4 = X.reshape({1, 1, 6, 8});
  const xcorr::TensorView Y4 = Y.reshape({1, 1, 6, 7});
  const float lr = 3e-2f;
  xcorr::SGD sgd(conv2d.parameters(), lr);
  for (int i = 0; i < 10; ++i) {
    const Tensor Y_hat = conv2d(X4);
    const xcorr::SquaredLoss l(Y_hat, Y4);  // l = (Y_hat - Y) ** 2
    conv2d.zero_grad();
    conv2d.backward(l.gradient());  // l.sum().backward()
    sgd.step();                     // weight -= lr * weight.grad
    if ((i + 1) % 2 == 0)
      std::printf("epoch %d, loss %.3f\n", i + 1, double{l.value()});
  }
  std::printf("\nconv2d.weight.reshape((1, 2))\n");
  Print(Tensor::copy_of(conv2d.weight.reshape({1, 2})));

  BenchmarkSummary();
  return 0;
}
