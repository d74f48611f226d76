// Copies of whole tensors between the two layouts (see layout_copy.h).
#include "src/layout_copy.h"

#include <algorithm>

#include "src/int_math.h"
#include "src/kernels.h"
#include "src/threading.h"

namespace xcorr {
namespace detail {
namespace {

// Pixels per task: a few tasks for the large images, one for small ones.
constexpr int64_t kCopyPixels = 4096;

// Calls copy(image, first pixel, pixel count) for every run of pixels.
template <typename Copy>
void ForEachPixelRun(int64_t images, int64_t pixels, bool serial,
                     const Copy& copy) {
  const int64_t runs = CeilDiv(pixels, kCopyPixels);
  ForEachTile(images * runs, serial, [&](int64_t task) {
    const int64_t first = task % runs * kCopyPixels;
    copy(task / runs, first, std::min(kCopyPixels, pixels - first));
  });
}

}  // namespace

void CopyToChannelsLast(const float* planes, int64_t images, int64_t pixels,
                        int64_t channels, bool serial, float* channels_last) {
  ForEachPixelRun(
      images, pixels, serial, [&](int64_t n, int64_t first, int64_t count) {
        const int64_t image = n * pixels * channels;
        Transpose(planes + image + first, pixels, channels, count,
                  channels_last + image + first * channels, channels);
      });
}

void CopyToPlanes(const float* channels_last, int64_t images, int64_t pixels,
                  int64_t channels, bool serial, float* planes) {
  ForEachPixelRun(
      images, pixels, serial, [&](int64_t n, int64_t first, int64_t count) {
        const int64_t image = n * pixels * channels;
        Transpose(channels_last + image + first * channels, channels, count,
                  channels, planes + image + first, pixels);
      });
}

}  // namespace detail
}  // namespace xcorr
