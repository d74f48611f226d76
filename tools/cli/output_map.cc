// Response-to-pixel mappings; see output_map.h.
#include "tools/cli/output_map.h"

#include <algorithm>
#include <cmath>

#include "tools/cli/errors.h"

namespace xcorr {
namespace cli {

OutputMap ParseOutputMap(const std::string& name) {
  if (name == "offset") return OutputMap::kOffset;
  if (name == "clamp") return OutputMap::kClamp;
  if (name == "abs") return OutputMap::kAbs;
  if (name == "normalize") return OutputMap::kNormalize;
  throw UsageError("bad --map '" + name +
                   "': expected offset, clamp, abs or normalize");
}

void ApplyOutputMap(OutputMap map, std::vector<float>& values) {
  // The encoders clamp to [0, 1], so clamp needs nothing here.
  switch (map) {
    case OutputMap::kOffset:
      for (float& v : values) v = 0.5f + 0.5f * v;
      break;
    case OutputMap::kClamp:
      break;
    case OutputMap::kAbs:
      for (float& v : values) v = std::fabs(v);
      break;
    case OutputMap::kNormalize: {
      if (values.empty()) break;
      const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
      const float min = *lo, range = *hi - *lo;
      for (float& v : values) v = range > 0.0f ? (v - min) / range : 0.0f;
      break;
    }
  }
}

void InvertOutputMap(OutputMap map, std::vector<float>& values) {
  switch (map) {
    case OutputMap::kOffset:
      for (float& v : values) v = 2.0f * v - 1.0f;
      break;
    case OutputMap::kClamp:
      break;
    case OutputMap::kAbs:
    case OutputMap::kNormalize:
      throw UsageError("--map abs and normalize cannot be inverted");
  }
}

}  // namespace cli
}  // namespace xcorr
