// The benchmark cases' data; see bench_data.h.
#include "bench/bench_data.h"

#include <cstdio>
#include <cstdlib>

namespace xcorr {
namespace bench {

xcorr_conv2d_desc Corr2dDesc(int64_t size, int64_t kernel_height,
                             int64_t kernel_width) {
  return detail::Corr2dDesc(size, size, kernel_height, kernel_width);
}

xcorr_conv2d_desc ConvDesc(int64_t batch, int64_t in_channels,
                           int64_t out_channels, int64_t size, int64_t kernel,
                           int64_t pad, bool nhwc) {
  xcorr_conv2d_desc desc = Corr2dDesc(size, kernel, kernel);
  desc.batch = batch;
  desc.in_channels = in_channels;
  desc.out_channels = out_channels;
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = pad;
  desc.layout = nhwc ? XCORR_LAYOUT_NHWC : XCORR_LAYOUT_NCHW;
  return desc;
}

detail::ConvShape ShapeOf(const xcorr_conv2d_desc& desc) {
  detail::ConvShape shape;
  const detail::Status status = detail::ValidateConvDesc(&desc, &shape);
  if (!status.ok()) {
    std::fprintf(stderr, "bad benchmark case: %s\n", status.message().c_str());
    std::abort();
  }
  return shape;
}

ConvData::ConvData(const xcorr_conv2d_desc& desc, bool gradients)
    : shape(ShapeOf(desc)) {
  x = RandomVector(shape.x_elements, 1);
  w = RandomVector(shape.w_elements, 2);
  bias = RandomVector(desc.out_channels, 3);
  y.assign(static_cast<size_t>(shape.y_elements), 0.0f);
  if (gradients) {
    dy = RandomVector(shape.y_elements, 4);
    dx.assign(x.size(), 0.0f);
    dw.assign(w.size(), 0.0f);
    dbias.assign(bias.size(), 0.0f);
  }
}

}  // namespace bench
}  // namespace xcorr
