// The PNG codec; see png_io.h.
#include "tools/cli/png_io.h"

#include <png.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tools/cli/errors.h"

namespace xcorr {
namespace cli {
namespace {

// Rejected before libpng allocates (libpng's own limit is 1e6 per side).
constexpr int64_t kMaxPixels = int64_t{1} << 28;

// Frees whatever libpng holds for `image` on every path out of a scope.
class PngImage {
 public:
  PngImage() {
    std::memset(&image_, 0, sizeof(image_));
    image_.version = PNG_IMAGE_VERSION;
  }
  ~PngImage() { png_image_free(&image_); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
  png_image* get() { return &image_; }

 private:
  png_image image_;
};

// Copies interleaved samples of type T into image's planes.
template <typename T>
void Deinterleave(const std::vector<T>& samples, float max_value,
                  Image& image) {
  const size_t channels = static_cast<size_t>(image.channels);
  const size_t plane = static_cast<size_t>(image.plane_size());
  for (size_t i = 0; i < samples.size(); ++i) {
    image.pixels[(i % channels) * plane + i / channels] =
        static_cast<float>(samples[i]) / max_value;
  }
}

// Interleaves image's planes into samples of type T.
template <typename T>
std::vector<T> Interleave(const Image& image, uint32_t max_value) {
  const size_t channels = static_cast<size_t>(image.channels);
  const size_t plane = static_cast<size_t>(image.plane_size());
  std::vector<T> samples(plane * channels);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<T>(ToSample(
        image.pixels[(i % channels) * plane + i / channels], max_value));
  }
  return samples;
}

}  // namespace

bool LooksLikePng(const std::string& bytes) {
  return bytes.size() >= 8 &&
         png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) ==
             0;
}

Image DecodePng(const std::string& bytes, const std::string& name) {
  PngImage png;
  if (!png_image_begin_read_from_memory(png.get(), bytes.data(),
                                        bytes.size())) {
    throw Error(name + ": corrupt PNG: " + png.get()->message);
  }
  Image image;
  image.width = png.get()->width;
  image.height = png.get()->height;
  if (image.plane_size() > kMaxPixels) throw Error(name + ": image too large");
  const bool color = (png.get()->format & PNG_FORMAT_FLAG_COLOR) != 0;
  const bool sixteen = (png.get()->format & PNG_FORMAT_FLAG_LINEAR) != 0;
  image.channels = color ? 3 : 1;
  image.bit_depth = sixteen ? 16 : 8;
  png.get()->format =
      sixteen ? (color ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y)
              : (color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY);
  image.pixels.resize(static_cast<size_t>(image.plane_size() * image.channels));
  const png_color black = {0, 0, 0};
  const size_t count = image.pixels.size();
  bool ok;
  if (sixteen) {
    std::vector<png_uint_16> samples(count);
    ok = png_image_finish_read(png.get(), &black, samples.data(), 0, nullptr) !=
         0;
    if (ok) Deinterleave(samples, 65535.0f, image);
  } else {
    std::vector<png_byte> samples(count);
    ok = png_image_finish_read(png.get(), &black, samples.data(), 0, nullptr) !=
         0;
    if (ok) Deinterleave(samples, 255.0f, image);
  }
  if (!ok)
    throw Error(name + ": corrupt or truncated PNG: " + png.get()->message);
  return image;
}

std::string EncodePng(const Image& image, const std::string& name) {
  PngImage png;
  png.get()->width = static_cast<png_uint_32>(image.width);
  png.get()->height = static_cast<png_uint_32>(image.height);
  const bool color = image.channels == 3;
  const bool sixteen = image.bit_depth == 16;
  png.get()->format =
      sixteen ? (color ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y)
              : (color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY);
  png_alloc_size_t size = 0;
  std::vector<png_uint_16> wide;
  std::vector<png_byte> narrow;
  const void* samples;
  if (sixteen) {
    wide = Interleave<png_uint_16>(image, 65535);
    samples = wide.data();
  } else {
    narrow = Interleave<png_byte>(image, 255);
    samples = narrow.data();
  }
  // The first call measures, the second writes.
  if (!png_image_write_to_memory(png.get(), nullptr, &size, 0, samples, 0,
                                 nullptr)) {
    throw Error(name + ": cannot encode PNG: " + png.get()->message);
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(png.get(), out.data(), &size, 0, samples, 0,
                                 nullptr)) {
    throw Error(name + ": cannot encode PNG: " + png.get()->message);
  }
  out.resize(size);
  return out;
}

}  // namespace cli
}  // namespace xcorr
