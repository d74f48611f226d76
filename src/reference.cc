// The scalar reference; see reference.h. Compiled without auto-vectorization
// so that it stays the plain-loop baseline that benchmarks compare against.
#include "src/reference.h"

#include <vector>

namespace xcorr {
namespace reference {
namespace {

using detail::ConvShape;
using detail::Strides4;

int64_t Offset(const Strides4& s, int64_t n, int64_t c, int64_t h, int64_t w) {
  return n * s.n + c * s.c + h * s.h + w * s.w;
}

// Calls visit(x_offset, w_offset) for every tap of output (n, o, i, j), with
// x_offset = kPadding for a tap on the zero padding. Padding taps are visited
// because, as in PyTorch, they are real zeros: 0 * Inf makes NaN.
constexpr int64_t kPadding = -1;
template <typename Visit>
void ForEachTap(const ConvShape& s, int64_t n, int64_t o, int64_t i, int64_t j,
                const Visit& visit) {
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t first_channel =
      (o / s.out_channels_per_group) * s.in_channels_per_group;
  for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
    for (int64_t u = 0; u < d.kernel_height; ++u) {
      const int64_t row =
          i * d.stride_height + u * d.dilation_height - d.pad_top;
      for (int64_t v = 0; v < d.kernel_width; ++v) {
        const int64_t col =
            j * d.stride_width + v * d.dilation_width - d.pad_left;
        const bool inside =
            row >= 0 && row < d.in_height && col >= 0 && col < d.in_width;
        visit(inside ? Offset(s.x_strides, n, first_channel + c, row, col)
                     : kPadding,
              Offset(s.w_strides, o, c, u, v));
      }
    }
  }
}

float XValue(const float* x, int64_t x_offset) {
  return x_offset == kPadding ? 0.0f : x[x_offset];
}

// Calls visit(y_offset, n, o, i, j) for every output element.
template <typename Visit>
void ForEachOutput(const ConvShape& s, const Visit& visit) {
  for (int64_t n = 0; n < s.desc.batch; ++n) {
    for (int64_t o = 0; o < s.desc.out_channels; ++o) {
      for (int64_t i = 0; i < s.out_height; ++i) {
        for (int64_t j = 0; j < s.out_width; ++j) {
          visit(Offset(s.y_strides, n, o, i, j), n, o, i, j);
        }
      }
    }
  }
}

void StoreAsFloat(const std::vector<double>& from, float* to) {
  for (size_t k = 0; k < from.size(); ++k) to[k] = static_cast<float>(from[k]);
}

}  // namespace

void Forward(const ConvShape& s, const float* x, const float* w,
             const float* bias, float* y) {
  ForEachOutput(
      s, [&](int64_t y_offset, int64_t n, int64_t o, int64_t i, int64_t j) {
        double sum = bias != nullptr ? bias[o] : 0.0;
        ForEachTap(s, n, o, i, j, [&](int64_t x_offset, int64_t w_offset) {
          sum += static_cast<double>(XValue(x, x_offset)) * w[w_offset];
        });
        y[y_offset] = static_cast<float>(sum);
      });
}

void Backward(const ConvShape& s, const float* x, const float* w,
              const float* dy, float* dx, float* dw, float* dbias) {
  // Scatter form: each dy element adds its share to every gradient it feeds.
  // dx has no element on the padding; dw sees the padding's zeros.
  std::vector<double> dx_sum(dx != nullptr ? static_cast<size_t>(s.x_elements)
                                           : 0);
  std::vector<double> dw_sum(dw != nullptr ? static_cast<size_t>(s.w_elements)
                                           : 0);
  std::vector<double> dbias_sum(
      dbias != nullptr ? static_cast<size_t>(s.desc.out_channels) : 0);
  ForEachOutput(
      s, [&](int64_t y_offset, int64_t n, int64_t o, int64_t i, int64_t j) {
        const double g = dy[y_offset];
        if (dbias != nullptr) dbias_sum[static_cast<size_t>(o)] += g;
        if (dx == nullptr && dw == nullptr) return;
        ForEachTap(s, n, o, i, j, [&](int64_t x_offset, int64_t w_offset) {
          if (dx != nullptr && x_offset != kPadding) {
            dx_sum[static_cast<size_t>(x_offset)] += g * w[w_offset];
          }
          if (dw != nullptr)
            dw_sum[static_cast<size_t>(w_offset)] += g * XValue(x, x_offset);
        });
      });
  if (dx != nullptr) StoreAsFloat(dx_sum, dx);
  if (dw != nullptr) StoreAsFloat(dw_sum, dw);
  if (dbias != nullptr) StoreAsFloat(dbias_sum, dbias);
}

void Corr2d(const float* x, int64_t height, int64_t width, const float* k,
            int64_t kernel_height, int64_t kernel_width, float* y) {
  const int64_t out_height = height - kernel_height + 1;
  const int64_t out_width = width - kernel_width + 1;
  for (int64_t i = 0; i < out_height; ++i) {
    for (int64_t j = 0; j < out_width; ++j) {
      float sum = 0.0f;
      for (int64_t u = 0; u < kernel_height; ++u) {
        for (int64_t v = 0; v < kernel_width; ++v) {
          sum += x[(i + u) * width + j + v] * k[u * kernel_width + v];
        }
      }
      y[i * out_width + j] = sum;
    }
  }
}

}  // namespace reference
}  // namespace xcorr
