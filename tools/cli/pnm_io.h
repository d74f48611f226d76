// The Netpbm codec: PGM and PPM (P2/P5 grayscale, P3/P6 RGB) with any maxval
// up to 65535, as in netpbm's pgm(5)/ppm(5); writes binary P5/P6.
#ifndef XCORR_TOOLS_CLI_PNM_IO_H_
#define XCORR_TOOLS_CLI_PNM_IO_H_

#include <string>

#include "tools/cli/image.h"

namespace xcorr {
namespace cli {

// Whether `bytes` start like a Netpbm file ("P" and a digit).
bool LooksLikePnm(const std::string& bytes);

// Decodes a P2/P3/P5/P6 file; `name` prefixes error messages. Maxvals up to
// 255 read as 8-bit images, larger ones as 16-bit. Throws Error on anything
// malformed or truncated.
Image DecodePnm(const std::string& bytes, const std::string& name);

// P5 for one channel, P6 for three, maxval 255 or 65535 by image.bit_depth.
std::string EncodePnm(const Image& image);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_PNM_IO_H_
