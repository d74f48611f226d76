// The in-memory image every command works on: planar float samples in
// [0, 1], which is the NCHW layout the library takes with the channels as the
// batch, so one plan filters all channels of an image at once.
#ifndef XCORR_TOOLS_CLI_IMAGE_H_
#define XCORR_TOOLS_CLI_IMAGE_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace xcorr {
namespace cli {

struct Image {
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 0;  // 1 (grayscale) or 3 (RGB)
  // The sample depth the image was read with (8 or 16 bits); outputs are
  // written with the depth of their input.
  int bit_depth = 8;
  // pixels[(c * height + y) * width + x], each sample / maxval.
  std::vector<float> pixels;

  int64_t plane_size() const { return width * height; }
};

// "HxW", the way every message of the tool writes a size.
inline std::string SizeText(int64_t height, int64_t width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

// The integer sample (0..max_value) nearest to `value`, clamped to [0, 1]
// first; what every encoder writes.
inline uint32_t ToSample(float value, uint32_t max_value) {
  const float clamped = value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
  return static_cast<uint32_t>(
      std::lround(clamped * static_cast<float>(max_value)));
}

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_IMAGE_H_
