// Reading and writing image files: the format is sniffed from the content on
// read and taken from the file extension on write (.pgm, .ppm, .pnm, .png).
#ifndef XCORR_TOOLS_CLI_IMAGE_IO_H_
#define XCORR_TOOLS_CLI_IMAGE_IO_H_

#include <string>

#include "tools/cli/image.h"

namespace xcorr {
namespace cli {

// Reads a PGM/PPM (P2, P3, P5, P6) or PNG file; throws Error naming the file
// if it is missing, unreadable, corrupt, truncated or of another format.
Image ReadImage(const std::string& path);

// Writes `image` in the format its extension names: .pgm needs grayscale,
// .ppm RGB, .pnm takes either, .png either (Error if this build has no PNG).
void WriteImage(const std::string& path, const Image& image);

// Whether `path` has an extension WriteImage knows, case-insensitively.
bool HasImageExtension(const std::string& path);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_IMAGE_IO_H_
