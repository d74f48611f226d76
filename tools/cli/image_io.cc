// Format selection between the Netpbm and PNG codecs; see image_io.h.
#include "tools/cli/image_io.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "tools/cli/errors.h"
#include "tools/cli/file_io.h"
#include "tools/cli/pnm_io.h"
#ifdef XCORR_CLI_HAVE_PNG
#include "tools/cli/png_io.h"
#endif

namespace xcorr {
namespace cli {
namespace {

constexpr char kNoPng[] =
    "this xcorr was built without PNG support (libpng not found)";

std::string LowerExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return ext;
}

#ifndef XCORR_CLI_HAVE_PNG
// The PNG signature's first bytes, to name the format when PNG is missing.
bool StartsLikePng(const std::string& bytes) {
  return bytes.size() >= 4 && bytes.compare(1, 3, "PNG") == 0;
}
#endif

}  // namespace

Image ReadImage(const std::string& path) {
  const std::string bytes = ReadFile(path);
  if (LooksLikePnm(bytes)) return DecodePnm(bytes, path);
#ifdef XCORR_CLI_HAVE_PNG
  if (LooksLikePng(bytes)) return DecodePng(bytes, path);
#else
  if (StartsLikePng(bytes)) throw Error(path + ": " + kNoPng);
#endif
  if (bytes.empty()) throw Error(path + ": empty file");
  throw Error(path + ": unknown image format (expected PGM, PPM or PNG)");
}

void WriteImage(const std::string& path, const Image& image) {
  const std::string ext = LowerExtension(path);
  if (ext == ".pgm" || ext == ".ppm" || ext == ".pnm") {
    if (ext == ".pgm" && image.channels != 1) {
      throw Error(
          path +
          ": an RGB image cannot be written as PGM; use .ppm, .pnm or .png");
    }
    if (ext == ".ppm" && image.channels != 3) {
      throw Error(path +
                  ": a grayscale image cannot be written as PPM; use .pgm, "
                  ".pnm or .png");
    }
    WriteFile(path, EncodePnm(image));
  } else if (ext == ".png") {
#ifdef XCORR_CLI_HAVE_PNG
    WriteFile(path, EncodePng(image, path));
#else
    throw Error(path + ": " + kNoPng);
#endif
  } else {
    throw Error(path + ": unknown output format '" + ext +
                "' (use .pgm, .ppm, .pnm or .png)");
  }
}

bool HasImageExtension(const std::string& path) {
  const std::string ext = LowerExtension(path);
  return ext == ".pgm" || ext == ".ppm" || ext == ".pnm" || ext == ".png";
}

}  // namespace cli
}  // namespace xcorr
