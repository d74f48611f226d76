// Copies of whole tensors between the two layouts, for kernels that run on
// the other one: images of `pixels` pixels (height x width) and `channels`
// channels, as planes (NCHW) or channels-last (NHWC), in parallel over
// images and runs of pixels, by register-block transposes.
#ifndef XCORR_SRC_LAYOUT_COPY_H_
#define XCORR_SRC_LAYOUT_COPY_H_

#include <cstdint>

namespace xcorr {
namespace detail {

// `serial`: on the calling thread (see ForEachTile).
void CopyToChannelsLast(const float* planes, int64_t images, int64_t pixels,
                        int64_t channels, bool serial, float* channels_last);
void CopyToPlanes(const float* channels_last, int64_t images, int64_t pixels,
                  int64_t channels, bool serial, float* planes);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_LAYOUT_COPY_H_
