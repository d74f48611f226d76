// Image codec tests: PGM/PPM (plain and binary, 8- and 16-bit) and PNG (gray
// and RGB, 8- and 16-bit) round trips, and every way a file can be bad.
#include "tools/cli/image_io.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tools/cli/errors.h"
#include "tools/cli/file_io.h"
#include "tools/cli/pnm_io.h"

namespace xcorr {
namespace cli {
namespace {

using testing_util::DataPath;
using testing_util::Pattern;
using testing_util::TempPath;

void ExpectSameImage(const Image& expected, const Image& actual) {
  EXPECT_EQ(expected.width, actual.width);
  EXPECT_EQ(expected.height, actual.height);
  EXPECT_EQ(expected.channels, actual.channels);
  EXPECT_EQ(expected.bit_depth, actual.bit_depth);
  // Exact: every sample is a multiple of 1/maxval, computed the same way.
  EXPECT_EQ(expected.pixels, actual.pixels);
}

// Writes `image` to a scratch file named `name` and reads it back.
void ExpectRoundTrip(const Image& image, const std::string& name) {
  const std::string path = TempPath(name);
  WriteImage(path, image);
  ExpectSameImage(image, ReadImage(path));
}

// A message of ReadImage on `bytes`, which must fail.
std::string ReadError(const std::string& bytes) {
  const std::string path = TempPath("bad.img");
  WriteFile(path, bytes);
  try {
    ReadImage(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << bytes.substr(0, 20);
  return "";
}

TEST(PnmTest, RoundTrips8BitGray) {
  ExpectRoundTrip(Pattern(5, 3, 1, 8), "a.pgm");
}
TEST(PnmTest, RoundTrips8BitRgb) {
  ExpectRoundTrip(Pattern(4, 7, 3, 8), "a.ppm");
}
TEST(PnmTest, RoundTrips16BitGray) {
  ExpectRoundTrip(Pattern(6, 2, 1, 16), "a.pgm");
}
TEST(PnmTest, RoundTrips16BitRgb) {
  ExpectRoundTrip(Pattern(3, 3, 3, 16), "a.pnm");
}

TEST(PnmTest, ReadsPlainGrayWithComments) {
  const Image image = ReadImage(DataPath("seed.pgm"));
  EXPECT_EQ(8, image.width);
  EXPECT_EQ(6, image.height);
  EXPECT_EQ(1, image.channels);
  EXPECT_EQ(8, image.bit_depth);
  const float row[] = {1, 1, 0, 0, 0, 0, 1, 1};
  for (size_t i = 0; i < image.pixels.size(); ++i)
    EXPECT_EQ(row[i % 8], image.pixels[i]);
}

TEST(PnmTest, ReadsPlainRgbAsPlanes) {
  const Image image = ReadImage(DataPath("card.ppm"));
  ASSERT_EQ(3, image.channels);
  ASSERT_EQ(6u, image.pixels.size() / 3);
  // Planes: red, then green, then blue; top row red, green, blue pixels.
  EXPECT_EQ(1.0f, image.pixels[0]);
  EXPECT_EQ(0.0f, image.pixels[1]);
  EXPECT_EQ(1.0f, image.pixels[6 + 1]);
  EXPECT_EQ(1.0f, image.pixels[12 + 2]);
  EXPECT_EQ(128.0f / 255.0f, image.pixels[6 + 4]);
}

TEST(PnmTest, LargeMaxvalReadsAs16Bit) {
  const std::string path = TempPath("a.pgm");
  WriteFile(path, "P2 2 1 1000 0 500");
  const Image image = ReadImage(path);
  EXPECT_EQ(16, image.bit_depth);
  EXPECT_EQ(0.5f, image.pixels[1]);
}

TEST(PnmTest, Reads16BitBigEndian) {
  const std::string path = TempPath("a.pgm");
  WriteFile(path, std::string("P5 2 1 65535\n\x01\x02\xff\xff", 17));
  const Image image = ReadImage(path);
  EXPECT_EQ(258.0f / 65535.0f, image.pixels[0]);
  EXPECT_EQ(1.0f, image.pixels[1]);
}

TEST(PnmTest, RejectsMalformedFiles) {
  EXPECT_NE(std::string::npos,
            ReadError("P5 4 4 255\n0123456789").find("truncated"));
  EXPECT_NE(std::string::npos, ReadError("P2 3 1 255 1 2").find("truncated"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 4").find("truncated: missing height"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 4 x 255\n").find("expected a number for height"));
  EXPECT_NE(std::string::npos,
            ReadError("P2 2 1 255 0 256").find("exceeds maxval 255"));
  EXPECT_NE(std::string::npos, ReadError("P5 0 1 255\n").find("zero size"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 1 1 70000\n").find("outside 1..65535"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 99999999 99999999 255\n").find("too large"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 4294967295 4294967295 255\n").find("too large"));
  EXPECT_NE(std::string::npos,
            ReadError("P22 2 1 0 0").find("no whitespace after the magic"));
  EXPECT_NE(std::string::npos,
            ReadError("P5 1 1 255").find("no whitespace after maxval"));
  EXPECT_NE(std::string::npos,
            ReadError("P1 1 1 1").find("unsupported Netpbm type P1"));
  EXPECT_NE(std::string::npos,
            ReadError("GIF89a").find("unknown image format"));
  EXPECT_NE(std::string::npos, ReadError("").find("empty file"));
}

TEST(ImageIoTest, ReportsMissingFilesAndDirectories) {
  try {
    ReadImage(TempPath("missing.pgm"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string::npos, std::string(e.what()).find("cannot open"));
  }
  EXPECT_THROW(ReadImage(::testing::TempDir()), Error);
}

TEST(ImageIoTest, ChecksOutputFormat) {
  EXPECT_THROW(WriteImage(TempPath("a.pgm"), Pattern(2, 2, 3, 8)), Error);
  EXPECT_THROW(WriteImage(TempPath("a.ppm"), Pattern(2, 2, 1, 8)), Error);
  EXPECT_THROW(WriteImage(TempPath("a.jpg"), Pattern(2, 2, 1, 8)), Error);
  EXPECT_THROW(WriteImage(TempPath("no/such/dir/a.pgm"), Pattern(2, 2, 1, 8)),
               Error);
  EXPECT_TRUE(HasImageExtension("x/Y.PNG"));
  EXPECT_FALSE(HasImageExtension("x/y.txt"));
}

#ifdef XCORR_CLI_HAVE_PNG
TEST(PngTest, RoundTrips8BitGray) {
  ExpectRoundTrip(Pattern(5, 3, 1, 8), "a.png");
}
TEST(PngTest, RoundTrips8BitRgb) {
  ExpectRoundTrip(Pattern(4, 7, 3, 8), "a.png");
}
TEST(PngTest, RoundTrips16BitGray) {
  ExpectRoundTrip(Pattern(6, 2, 1, 16), "a.png");
}
TEST(PngTest, RoundTrips16BitRgb) {
  ExpectRoundTrip(Pattern(3, 3, 3, 16), "a.png");
}

TEST(PngTest, RejectsCorruptAndTruncatedFiles) {
  const std::string path = TempPath("a.png");
  WriteImage(path, Pattern(16, 16, 3, 8));
  const std::string bytes = ReadFile(path);
  EXPECT_NE(std::string::npos,
            ReadError(bytes.substr(0, bytes.size() / 2)).find("PNG"));
  std::string corrupt = bytes;
  corrupt[20] =
      static_cast<char>(corrupt[20] ^ 0x55);  // inside IHDR: its CRC fails
  EXPECT_NE(std::string::npos, ReadError(corrupt).find("PNG"));
  EXPECT_NE(std::string::npos, ReadError(bytes.substr(0, 12)).find("PNG"));
}
#else
TEST(PngTest, SaysThisBuildHasNoPng) {
  try {
    WriteImage(TempPath("a.png"), Pattern(2, 2, 1, 8));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string::npos,
              std::string(e.what()).find("built without PNG support"));
  }
}
#endif

// Every prefix and many random byte flips of valid files either decode to a
// consistent image or throw Error: never a crash (run under ASan in CI).
TEST(ImageIoTest, SurvivesTruncationAndCorruption) {
  std::vector<std::string> valid = {EncodePnm(Pattern(5, 4, 3, 16)),
                                    ReadFile(DataPath("seed.pgm"))};
#ifdef XCORR_CLI_HAVE_PNG
  const std::string png = TempPath("a.png");
  WriteImage(png, Pattern(9, 7, 3, 8));
  valid.push_back(ReadFile(png));
#endif
  std::mt19937 random(7);
  for (const std::string& bytes : valid) {
    std::vector<std::string> variants;
    for (size_t n = 0; n < bytes.size(); ++n)
      variants.push_back(bytes.substr(0, n));
    for (int i = 0; i < 200; ++i) {
      std::string flipped = bytes;
      flipped[random() % flipped.size()] = static_cast<char>(random());
      variants.push_back(flipped);
    }
    const std::string path = TempPath("fuzz.img");
    for (const std::string& variant : variants) {
      WriteFile(path, variant);
      try {
        const Image image = ReadImage(path);
        EXPECT_EQ(static_cast<size_t>(image.plane_size() * image.channels),
                  image.pixels.size());
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace cli
}  // namespace xcorr
