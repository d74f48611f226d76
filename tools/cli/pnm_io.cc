// The Netpbm codec; see pnm_io.h.
#include "tools/cli/pnm_io.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tools/cli/errors.h"

namespace xcorr {
namespace cli {
namespace {

// Bounds every dimension product below int64 and float-index trouble and
// keeps a corrupt header from asking for gigabytes.
constexpr int64_t kMaxPixels = int64_t{1} << 28;

// Reads the header's and the plain formats' whitespace-separated decimal
// numbers, skipping '#' comments, which Netpbm allows between any tokens.
class Tokenizer {
 public:
  Tokenizer(const std::string& bytes, const std::string& name)
      : bytes_(bytes), name_(name), pos_(2) {}

  // The next number; `what` names it in errors ("width", "sample").
  uint32_t Next(const char* what) {
    SkipSpaceAndComments();
    if (pos_ >= bytes_.size())
      throw Error(name_ + ": truncated: missing " + what);
    if (!std::isdigit(static_cast<unsigned char>(bytes_[pos_]))) {
      throw Error(name_ + ": corrupt: expected a number for " + what);
    }
    uint64_t value = 0;
    while (pos_ < bytes_.size() &&
           std::isdigit(static_cast<unsigned char>(bytes_[pos_]))) {
      value = value * 10 + static_cast<uint64_t>(bytes_[pos_++] - '0');
      if (value > UINT32_MAX)
        throw Error(name_ + ": corrupt: " + what + " too large");
    }
    return static_cast<uint32_t>(value);
  }

  // Binary data starts after exactly one whitespace character after maxval.
  size_t BinaryStart() {
    if (pos_ >= bytes_.size() ||
        !std::isspace(static_cast<unsigned char>(bytes_[pos_]))) {
      throw Error(name_ + ": corrupt: no whitespace after maxval");
    }
    return pos_ + 1;
  }

  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  void SkipSpaceAndComments() {
    while (pos_ < bytes_.size()) {
      if (bytes_[pos_] == '#') {
        while (pos_ < bytes_.size() && bytes_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(bytes_[pos_]))) {
        ++pos_;
      } else {
        return;
      }
    }
  }

  const std::string& bytes_;
  const std::string& name_;
  size_t pos_;
};

}  // namespace

bool LooksLikePnm(const std::string& bytes) {
  return bytes.size() >= 2 && bytes[0] == 'P' &&
         std::isdigit(static_cast<unsigned char>(bytes[1]));
}

Image DecodePnm(const std::string& bytes, const std::string& name) {
  const char kind = bytes.size() >= 2 ? bytes[1] : '\0';
  if (kind != '2' && kind != '3' && kind != '5' && kind != '6') {
    throw Error(name + ": unsupported Netpbm type P" + std::string(1, kind) +
                " (only P2, P3, P5 and P6)");
  }
  if (bytes.size() > 2 && !std::isspace(static_cast<unsigned char>(bytes[2])) &&
      bytes[2] != '#') {
    throw Error(name + ": corrupt: no whitespace after the magic number");
  }
  const bool plain = kind == '2' || kind == '3';
  Tokenizer tokens(bytes, name);
  Image image;
  image.channels = (kind == '3' || kind == '6') ? 3 : 1;
  image.width = tokens.Next("width");
  image.height = tokens.Next("height");
  const uint32_t max_value = tokens.Next("maxval");
  if (image.width == 0 || image.height == 0)
    throw Error(name + ": corrupt: zero size");
  // Each side first, so that the product cannot overflow.
  if (image.width > kMaxPixels || image.height > kMaxPixels ||
      image.width * image.height > kMaxPixels) {
    throw Error(name + ": image " + SizeText(image.height, image.width) +
                " too large");
  }
  if (max_value == 0 || max_value > 65535) {
    throw Error(name + ": corrupt: maxval " + std::to_string(max_value) +
                " outside 1..65535");
  }
  image.bit_depth = max_value > 255 ? 16 : 8;
  const size_t samples =
      static_cast<size_t>(image.plane_size() * image.channels);
  const size_t sample_bytes = max_value > 255 ? 2 : 1;
  // Check the data is there before allocating: a plain sample takes at
  // least two bytes (a digit and a separator) except the last.
  const size_t data = plain ? 0 : tokens.BinaryStart();
  const size_t available = plain ? tokens.remaining() : bytes.size() - data;
  if (available < (plain ? 2 * samples - 1 : samples * sample_bytes)) {
    throw Error(name + ": truncated: " + std::to_string(samples) +
                " samples expected");
  }
  image.pixels.resize(samples);
  const size_t channels = static_cast<size_t>(image.channels);
  const size_t plane = static_cast<size_t>(image.plane_size());
  for (size_t i = 0; i < samples; ++i) {
    uint32_t sample;
    if (plain) {
      sample = tokens.Next("sample");
    } else if (sample_bytes == 1) {
      sample = static_cast<unsigned char>(bytes[data + i]);
    } else {
      sample =
          (uint32_t{static_cast<unsigned char>(bytes[data + 2 * i])} << 8) |
          static_cast<unsigned char>(bytes[data + 2 * i + 1]);
    }
    if (sample > max_value) {
      throw Error(name + ": corrupt: sample " + std::to_string(sample) +
                  " exceeds maxval " + std::to_string(max_value));
    }
    // Netpbm interleaves channels; Image is planar.
    image.pixels[(i % channels) * plane + i / channels] =
        static_cast<float>(sample) / static_cast<float>(max_value);
  }
  return image;
}

std::string EncodePnm(const Image& image) {
  const uint32_t max_value = image.bit_depth == 16 ? 65535 : 255;
  std::string out = (image.channels == 3 ? "P6\n" : "P5\n") +
                    std::to_string(image.width) + " " +
                    std::to_string(image.height) + "\n" +
                    std::to_string(max_value) + "\n";
  const size_t channels = static_cast<size_t>(image.channels);
  const size_t plane = static_cast<size_t>(image.plane_size());
  for (size_t i = 0; i < plane * channels; ++i) {
    const uint32_t sample = ToSample(
        image.pixels[(i % channels) * plane + i / channels], max_value);
    if (max_value > 255) out.push_back(static_cast<char>(sample >> 8));
    out.push_back(static_cast<char>(sample & 0xFF));
  }
  return out;
}

}  // namespace cli
}  // namespace xcorr
