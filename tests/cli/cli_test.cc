// End-to-end tests of the built `xcorr` binary: every command's happy path
// and every error path, each checked for its exit status and message.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/cli/cli_test_util.h"
#include "tools/cli/file_io.h"
#include "tools/cli/image_io.h"

namespace xcorr {
namespace cli {
namespace {

using testing_util::CliResult;
using testing_util::DataPath;
using testing_util::Pattern;
using testing_util::RunCli;
using testing_util::TempPath;

// Expects `arguments` to exit with `exit_code` and print `message`.
void ExpectRun(const std::string& arguments, int exit_code,
               const std::string& message) {
  const CliResult result = RunCli(arguments);
  EXPECT_EQ(exit_code, result.exit_code) << arguments << "\n" << result.output;
  EXPECT_NE(std::string::npos, result.output.find(message))
      << arguments << "\nexpected: " << message << "\ngot: " << result.output;
}

TEST(CliTest, HelpAndUsageErrors) {
  ExpectRun("--help", 0, "usage: xcorr <command>");
  ExpectRun("filter --help", 0, "--kernel SPEC");
  ExpectRun("", 2, "xcorr: no command\nRun 'xcorr --help' for usage.");
  ExpectRun("frobnicate", 2, "unknown command 'frobnicate'");
  ExpectRun("filter a.pgm", 2, "filter needs IN and OUT");
  ExpectRun("filter a.pgm b.pgm", 2, "filter needs --kernel");
  ExpectRun("filter a b --kernel edge-x --colour red", 2,
            "unknown option --colour");
  ExpectRun("filter a b --kernel", 2, "option --kernel needs a value");
  ExpectRun("filter a b --kernel edge-x --kernel sobel-x", 2,
            "option --kernel given twice");
  ExpectRun("filter a b --kernel box:0", 2, "bad kernel 'box:0'");
  ExpectRun("filter a b --kernel gauss:-3", 2, "bad kernel 'gauss:-3'");
  ExpectRun("filter a b --kernel nope", 2, "unknown kernel 'nope'");
  ExpectRun("filter a b --kernel edge-x --pad full", 2, "bad --pad 'full'");
  ExpectRun("filter a b --kernel edge-x --map log", 2, "bad --map 'log'");
  ExpectRun("learn a b --kernel-size 3y3", 2, "bad --kernel-size '3y3'");
  ExpectRun("learn a b --kernel-size 0x2", 2, "bad --kernel-size '0x2'");
  ExpectRun("learn a b --steps 0", 2, "bad --steps '0'");
  ExpectRun("learn a b --lr fast", 2, "bad --lr 'fast'");
  ExpectRun("learn a b --lr -1", 2, "bad --lr: must be positive");
  ExpectRun("learn a b --momentum 1", 2, "bad --momentum: must be in [0, 1)");
  ExpectRun("learn a b --map abs", 2, "learn takes --map offset or clamp");
  ExpectRun("bench --size 8 --kernel 9", 2, "bad --kernel '9'");
  ExpectRun("bench extra", 2, "bench takes no arguments");
  ExpectRun("info extra", 2, "info takes no arguments");
}

TEST(CliTest, FileErrors) {
  const std::string seed = DataPath("seed.pgm");
  const std::string out = TempPath("out.pgm");
  ExpectRun(
      "filter " + TempPath("missing.pgm") + " " + out + " --kernel edge-x", 1,
      "missing.pgm: cannot open: No such file or directory");
  const std::string truncated = TempPath("truncated.pgm");
  WriteFile(truncated, "P5 8 8 255\nabc");
  ExpectRun("filter " + truncated + " " + out + " --kernel edge-x", 1,
            "truncated.pgm: truncated: 64 samples expected");
  const std::string corrupt = TempPath("corrupt.pgm");
  WriteFile(corrupt, "P5 8 -8 255\n");
  ExpectRun("filter " + corrupt + " " + out + " --kernel edge-x", 1,
            "corrupt.pgm: corrupt: expected a number for height");
  const std::string unknown = TempPath("unknown.pgm");
  WriteFile(unknown, "GIF89a");
  ExpectRun("filter " + unknown + " " + out + " --kernel edge-x", 1,
            "unknown image format");
  ExpectRun("filter " + seed + " " + TempPath("out.bmp") + " --kernel edge-x",
            1, "unknown output format '.bmp'");
  ExpectRun("filter " + seed + " " + out + " --kernel box:7 --pad valid", 1,
            "kernel 7x7 larger than image 6x8 with --pad valid");
  const std::string kernel = TempPath("kernel.txt");
  WriteFile(kernel, "1 2\n3 x\n");
  ExpectRun("filter " + seed + " " + out + " --kernel " + kernel, 1,
            "kernel.txt:2: not a finite number: 'x'");
  ExpectRun("learn " + seed + " " + DataPath("card.ppm"), 1,
            "IN has 1 channels, OUT 3");
  ExpectRun("learn " + seed + " " + DataPath("seed_y.pgm"), 1,
            "OUT is 6x7; a 3x3 kernel needs 6x8 (same) or 4x6 (valid)");
}

TEST(CliTest, FiltersTheSeedImage) {
  const std::string out = TempPath("y.pgm");
  ExpectRun("filter " + DataPath("seed.pgm") + " " + out + " --kernel " +
                DataPath("edge_x.txt") + " --pad valid --map abs",
            0, "");
  const Image y = ReadImage(out);
  ASSERT_EQ(7, y.width);
  const float row[] = {0, 1, 0, 0, 0, 1, 0};
  for (size_t i = 0; i < y.pixels.size(); ++i)
    EXPECT_EQ(row[i % 7], y.pixels[i]);
}

TEST(CliTest, FiltersADirectory) {
  const std::string in = TempPath("in");
  std::filesystem::create_directories(in);
  WriteImage(in + "/a.pgm", Pattern(9, 7, 1, 16));
  WriteImage(in + "/b.ppm", Pattern(5, 4, 3, 8));
  WriteFile(in + "/notes.txt", "not an image");
  const std::string out = TempPath("out");
  const CliResult result =
      RunCli("filter " + in + " " + out + " --kernel gauss:3");
  EXPECT_EQ(0, result.exit_code);
  EXPECT_EQ("", result.output);  // no progress bar: stderr is no terminal
  const Image a = ReadImage(out + "/a.pgm");
  EXPECT_EQ(9, a.width);
  EXPECT_EQ(16, a.bit_depth);
  EXPECT_EQ(3, ReadImage(out + "/b.ppm").channels);
  EXPECT_FALSE(std::filesystem::exists(out + "/notes.txt"));
  const std::string empty = TempPath("empty");
  std::filesystem::create_directories(empty);
  ExpectRun("filter " + empty + " " + out + " --kernel gauss:3", 1,
            "no .pgm, .ppm, .pnm");
}

TEST(CliTest, LearnRecoversTheSeedKernel) {
  const CliResult result =
      RunCli("learn " + DataPath("seed.pgm") + " " + DataPath("seed_y.pgm") +
             " --kernel-size 1x2 --steps 10 --lr 0.03 --map offset");
  ASSERT_EQ(0, result.exit_code) << result.output;
  EXPECT_NE(std::string::npos, result.output.find("step 10, loss"))
      << result.output;
  const size_t kernel = result.output.find("learned kernel (1x2):\n");
  ASSERT_NE(std::string::npos, kernel) << result.output;
  float w0 = 0, w1 = 0;
  ASSERT_EQ(
      2, std::sscanf(result.output.c_str() + kernel + 22, "%f %f", &w0, &w1));
  EXPECT_NEAR(1.0f, w0, 0.05f);
  EXPECT_NEAR(-1.0f, w1, 0.05f);
}

TEST(CliTest, BenchAndInfo) {
  const CliResult bench = RunCli("bench --size 24 --kernel 3");
  EXPECT_EQ(0, bench.exit_code) << bench.output;
  EXPECT_NE(std::string::npos, bench.output.find("GFLOP/s")) << bench.output;
  // The fallback target is always there, named by the compiler (GCC: SCALAR).
  EXPECT_TRUE(bench.output.find("SCALAR") != std::string::npos ||
              bench.output.find("EMU128") != std::string::npos)
      << bench.output;
  ExpectRun("info", 0, "target in use: ");
  const CliResult info = RunCli("info");
  EXPECT_NE(std::string::npos, info.output.find("targets available: "))
      << info.output;
  EXPECT_NE(std::string::npos, info.output.find("threads: ")) << info.output;
  ExpectRun("info", 0, "xcorr 0.");
}

}  // namespace
}  // namespace cli
}  // namespace xcorr
