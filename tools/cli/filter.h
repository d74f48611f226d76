// `xcorr filter`'s computation: every channel of an image correlated with one
// kernel by the library's conv2d, with "same" or "valid" padding.
#ifndef XCORR_TOOLS_CLI_FILTER_H_
#define XCORR_TOOLS_CLI_FILTER_H_

#include <string>

#include "tools/cli/image.h"
#include "tools/cli/kernel_spec.h"

namespace xcorr {
namespace cli {

// same: the output has the input's size; the input is zero-padded by
// (K-1)/2 on top/left and K/2 on bottom/right, so an even kernel's extra row
// and column fall after the image (as with edge-x's [[1, -1]]).
// valid: no padding; the output is (H-KH+1) x (W-KW+1), as the seed's corr2d.
enum class Padding { kSame, kValid };

// "same" or "valid"; UsageError otherwise.
Padding ParsePadding(const std::string& name);

// The raw responses (not mapped to [0, 1]) of every channel of `image` to
// `kernel`, as an image of the same channels and bit depth. Throws Error for
// a kernel larger than the image with kValid.
Image Correlate(const Image& image, const Kernel& kernel, Padding padding);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_FILTER_H_
