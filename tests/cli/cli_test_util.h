// Helpers shared by the command-line tool's tests: scratch paths, the
// committed test images, small synthetic images, and running the built
// `xcorr` binary to check its exit status and messages.
#ifndef XCORR_TESTS_CLI_CLI_TEST_UTIL_H_
#define XCORR_TESTS_CLI_CLI_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tools/cli/image.h"

namespace xcorr {
namespace cli {
namespace testing_util {

// A fresh path under the test's scratch directory, unique per test.
inline std::string TempPath(const std::string& name) {
  const ::testing::TestInfo* test =
      ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "xcorr_cli" /
      test->test_suite_name() / test->name();
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// A committed file under tests/cli/data.
inline std::string DataPath(const std::string& name) {
  return std::string(XCORR_CLI_DATA_DIR) + "/" + name;
}

// A width x height image whose samples are distinct multiples of
// 1/max_value (max_value 255 or 65535), so every codec must round-trip it
// exactly.
inline Image Pattern(int64_t width, int64_t height, int64_t channels,
                     int bit_depth) {
  Image image{width, height, channels, bit_depth, {}};
  const int64_t max_value = bit_depth == 16 ? 65535 : 255;
  for (int64_t i = 0; i < width * height * channels; ++i) {
    image.pixels.push_back(static_cast<float>((i * 37 + 11) % (max_value + 1)) /
                           static_cast<float>(max_value));
  }
  return image;
}

struct CliResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs the built tool with `arguments` (already shell-quoted as needed).
inline CliResult RunCli(const std::string& arguments) {
  const std::string command =
      std::string(XCORR_CLI_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  CliResult result{-1, ""};
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace testing_util
}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TESTS_CLI_CLI_TEST_UTIL_H_
