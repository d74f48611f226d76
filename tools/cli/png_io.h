// The PNG codec, on libpng's simplified API (png_image), which handles every
// PNG colour type and bit depth and reports errors without longjmp reaching
// our frames. Built only when CMake finds libpng (XCORR_CLI_HAVE_PNG).
#ifndef XCORR_TOOLS_CLI_PNG_IO_H_
#define XCORR_TOOLS_CLI_PNG_IO_H_

#include <string>

#include "tools/cli/image.h"

namespace xcorr {
namespace cli {

// Whether `bytes` start with the PNG signature.
bool LooksLikePng(const std::string& bytes);

// Decodes any PNG to grayscale or RGB: palettes expand, alpha is composited
// onto black. 16-bit files read as 16-bit images (libpng's linear format,
// which leaves the samples of a file without a gAMA chunk unchanged), others
// as 8-bit. `name` prefixes error messages; throws Error on failure.
Image DecodePng(const std::string& bytes, const std::string& name);

// An 8- or 16-bit (by image.bit_depth) grayscale or RGB PNG.
std::string EncodePng(const Image& image, const std::string& name);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_PNG_IO_H_
