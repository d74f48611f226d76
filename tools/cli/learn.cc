// Learning a kernel from an image pair; see learn.h.
#include "tools/cli/learn.h"

#include <string>
#include <vector>

#include "tools/cli/errors.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace cli {
namespace {

// IN as a {C, 1, H', W'} batch, zero-padded as filter's --pad same pads when
// `same`, so that a valid correlation gives OUT's size either way.
Tensor InputBatch(const Image& in, int64_t kernel_height, int64_t kernel_width,
                  bool same) {
  const int64_t pad_top = same ? (kernel_height - 1) / 2 : 0;
  const int64_t pad_left = same ? (kernel_width - 1) / 2 : 0;
  const int64_t height = same ? in.height + kernel_height - 1 : in.height;
  const int64_t width = same ? in.width + kernel_width - 1 : in.width;
  Tensor x({in.channels, 1, height, width});
  for (int64_t c = 0; c < in.channels; ++c) {
    for (int64_t i = 0; i < in.height; ++i) {
      for (int64_t j = 0; j < in.width; ++j) {
        x.at({c, 0, i + pad_top, j + pad_left}) =
            in.pixels[static_cast<size_t>((c * in.height + i) * in.width + j)];
      }
    }
  }
  return x;
}

// The trace of the loss's Hessian over 2: every input value squared, once
// per output it reaches through the kernel.
double InputEnergy(const Tensor& x, int64_t out_height, int64_t out_width,
                   int64_t kernel_height, int64_t kernel_width) {
  double energy = 0;
  for (int64_t c = 0; c < x.dim(0); ++c) {
    for (int64_t i = 0; i < out_height; ++i) {
      for (int64_t j = 0; j < out_width; ++j) {
        for (int64_t u = 0; u < kernel_height; ++u) {
          for (int64_t v = 0; v < kernel_width; ++v) {
            const double value = x.at({c, 0, i + u, j + v});
            energy += value * value;
          }
        }
      }
    }
  }
  return energy;
}

}  // namespace

LearnResult LearnKernel(
    const Image& in, const Image& out, const LearnOptions& options,
    const std::function<void(int64_t step, float loss)>& on_step) {
  const int64_t kh = options.kernel_height, kw = options.kernel_width;
  if (in.channels != out.channels) {
    throw Error("IN has " + std::to_string(in.channels) + " channels, OUT " +
                std::to_string(out.channels));
  }
  if (kh > in.height || kw > in.width) {
    throw Error("kernel " + SizeText(kh, kw) + " larger than image " +
                SizeText(in.height, in.width));
  }
  const bool same = out.height == in.height && out.width == in.width;
  if (!same &&
      (out.height != in.height - kh + 1 || out.width != in.width - kw + 1)) {
    throw Error("OUT is " + SizeText(out.height, out.width) + "; a " +
                SizeText(kh, kw) + " kernel needs " +
                SizeText(in.height, in.width) + " (same) or " +
                SizeText(in.height - kh + 1, in.width - kw + 1) + " (valid)");
  }
  const Tensor x = InputBatch(in, kh, kw, same);
  std::vector<float> target = out.pixels;
  InvertOutputMap(options.map, target);
  const Tensor y =
      Tensor::from({out.channels, 1, out.height, out.width}, target);

  float lr = options.learning_rate;
  if (lr <= 0.0f) {
    const double energy = InputEnergy(x, out.height, out.width, kh, kw);
    if (energy == 0.0)
      throw Error("IN is all black: there is nothing to learn from");
    lr = static_cast<float>(1.0 / energy);
  }

  // The seed's loop, line for line.
  Conv2D conv2d(1, 1, {kh, kw}, Conv2DOptions().bias(false));
  SGD sgd(conv2d.parameters(), lr, options.momentum);
  float loss_value = 0.0f;
  for (int64_t step = 1; step <= options.steps; ++step) {
    const Tensor y_hat = conv2d(x);
    const SquaredLoss loss(y_hat, y);
    conv2d.zero_grad();
    conv2d.backward(loss.gradient());
    sgd.step();
    loss_value = loss.value();
    on_step(step, loss_value);
  }
  const Tensor& w = conv2d.weight;
  return {Kernel{kh, kw, std::vector<float>(w.data(), w.data() + w.size())}, lr,
          loss_value};
}

}  // namespace cli
}  // namespace xcorr
