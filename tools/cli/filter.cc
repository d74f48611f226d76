// Per-channel correlation through the library; see filter.h.
#include "tools/cli/filter.h"

#include "tools/cli/errors.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace cli {

Padding ParsePadding(const std::string& name) {
  if (name == "same") return Padding::kSame;
  if (name == "valid") return Padding::kValid;
  throw UsageError("bad --pad '" + name + "': expected same or valid");
}

Image Correlate(const Image& image, const Kernel& kernel, Padding padding) {
  if (padding == Padding::kValid &&
      (kernel.height > image.height || kernel.width > image.width)) {
    throw Error("kernel " + SizeText(kernel.height, kernel.width) +
                " larger than image " + SizeText(image.height, image.width) +
                " with --pad valid");
  }
  Conv2dDesc desc;
  // The channels are the batch: one plan and one call filter all of them.
  desc.batch(image.channels)
      .channels(1, 1)
      .input(image.height, image.width)
      .kernel(kernel.height, kernel.width);
  if (padding == Padding::kSame) {
    desc.padding((kernel.height - 1) / 2, kernel.height / 2,
                 (kernel.width - 1) / 2, kernel.width / 2);
  }
  const Conv2dPlan plan(desc);
  const Tensor x = Tensor::from({image.channels, 1, image.height, image.width},
                                image.pixels);
  const Tensor w =
      Tensor::from({1, 1, kernel.height, kernel.width}, kernel.weights);
  const Tensor y = plan.forward(x, w);

  Image result;
  result.width = plan.out_width();
  result.height = plan.out_height();
  result.channels = image.channels;
  result.bit_depth = image.bit_depth;
  result.pixels.assign(y.data(), y.data() + y.size());
  return result;
}

}  // namespace cli
}  // namespace xcorr
