// Built-in kernels and the kernel-file parser; see kernel_spec.h.
#include "tools/cli/kernel_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tools/cli/errors.h"
#include "tools/cli/file_io.h"
#include "tools/cli/image.h"

namespace xcorr {
namespace cli {
namespace {

Kernel Transposed(const Kernel& kernel) {
  Kernel result{kernel.width, kernel.height,
                std::vector<float>(kernel.weights.size())};
  for (int64_t i = 0; i < kernel.height; ++i) {
    for (int64_t j = 0; j < kernel.width; ++j) {
      result.weights[static_cast<size_t>(j * kernel.height + i)] =
          kernel.weights[static_cast<size_t>(i * kernel.width + j)];
    }
  }
  return result;
}

// N in "box:N"; the whole rest must be a positive integer.
int64_t ParseSide(const std::string& spec, size_t colon) {
  const std::string digits = spec.substr(colon + 1);
  char* end = nullptr;
  const long long side = std::strtoll(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || side < 1 || side > kMaxKernelSide) {
    throw UsageError("bad kernel '" + spec + "': N must be an integer in 1.." +
                     std::to_string(kMaxKernelSide));
  }
  return side;
}

Kernel Box(int64_t side) {
  const float weight = 1.0f / static_cast<float>(side * side);
  return Kernel{side, side,
                std::vector<float>(static_cast<size_t>(side * side), weight)};
}

Kernel Gauss(int64_t side) {
  const double sigma = 0.3 * ((static_cast<double>(side) - 1) * 0.5 - 1) + 0.8;
  std::vector<double> taps(static_cast<size_t>(side));
  double sum = 0;
  for (size_t i = 0; i < taps.size(); ++i) {
    const double x =
        static_cast<double>(i) - (static_cast<double>(side) - 1) * 0.5;
    taps[i] = std::exp(-x * x / (2 * sigma * sigma));
    sum += taps[i];
  }
  Kernel kernel{side, side, {}};
  for (double row : taps) {
    for (double col : taps)
      kernel.weights.push_back(static_cast<float>(row * col / (sum * sum)));
  }
  return kernel;
}

Kernel ParseKernelFile(const std::string& path) {
  std::istringstream lines(ReadFile(path));
  Kernel kernel;
  std::string line;
  for (int line_number = 1; std::getline(lines, line); ++line_number) {
    line = line.substr(0, line.find('#'));
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string field;
    int64_t count = 0;
    while (fields >> field) {
      char* end = nullptr;
      const float value = std::strtof(field.c_str(), &end);
      if (*end != '\0' || !std::isfinite(value)) {
        throw Error(path + ":" + std::to_string(line_number) +
                    ": not a finite number: '" + field + "'");
      }
      kernel.weights.push_back(value);
      ++count;
    }
    if (count == 0) continue;
    if (kernel.height > 0 && count != kernel.width) {
      throw Error(path + ":" + std::to_string(line_number) + ": row has " +
                  std::to_string(count) + " numbers, the first row " +
                  std::to_string(kernel.width));
    }
    kernel.width = count;
    ++kernel.height;
  }
  if (kernel.height == 0) throw Error(path + ": kernel file has no numbers");
  if (kernel.height > kMaxKernelSide || kernel.width > kMaxKernelSide) {
    throw Error(path + ": kernel " + SizeText(kernel.height, kernel.width) +
                " exceeds " + std::to_string(kMaxKernelSide) + " per side");
  }
  return kernel;
}

}  // namespace

bool Kernel::has_negative_weight() const {
  return std::any_of(weights.begin(), weights.end(),
                     [](float w) { return w < 0.0f; });
}

Kernel ParseKernelSpec(const std::string& spec) {
  const Kernel edge_x{1, 2, {1, -1}};
  const Kernel sobel_x{3, 3, {-1, 0, 1, -2, 0, 2, -1, 0, 1}};
  if (spec == "edge-x") return edge_x;
  if (spec == "edge-y") return Transposed(edge_x);
  if (spec == "sobel-x") return sobel_x;
  if (spec == "sobel-y") return Transposed(sobel_x);
  if (spec == "laplace") return Kernel{3, 3, {0, 1, 0, 1, -4, 1, 0, 1, 0}};
  if (spec.rfind("box:", 0) == 0) return Box(ParseSide(spec, 3));
  if (spec.rfind("gauss:", 0) == 0) return Gauss(ParseSide(spec, 5));
  std::error_code ignored;
  if (!std::filesystem::exists(spec, ignored)) {
    throw UsageError(
        "unknown kernel '" + spec +
        "': not edge-x, edge-y, sobel-x, sobel-y, laplace, box:N, gauss:N "
        "or an existing file");
  }
  return ParseKernelFile(spec);
}

}  // namespace cli
}  // namespace xcorr
