// How filter responses become pixels (--map), and back for `xcorr learn`.
// Responses of signed kernels (edges, Laplace) lie in [-S, S]; pixels in
// [0, 1], so the tool offers:
//   offset     0.5 + 0.5 * v, clamped: zero response is mid-gray, edges of
//              either sign stay distinct. The default for kernels with a
//              negative weight; invertible (v = 2p - 1) inside [-1, 1].
//   clamp      v clamped to [0, 1]. The default for non-negative kernels
//              (blurs), whose responses already are pixels.
//   abs        |v| clamped: edge strength without sign.
//   normalize  (v - min) / (max - min) over the whole image (all channels),
//              a contrast stretch; a constant image maps to 0.
#ifndef XCORR_TOOLS_CLI_OUTPUT_MAP_H_
#define XCORR_TOOLS_CLI_OUTPUT_MAP_H_

#include <string>
#include <vector>

namespace xcorr {
namespace cli {

enum class OutputMap { kOffset, kClamp, kAbs, kNormalize };

// "offset", "clamp", "abs" or "normalize"; UsageError otherwise.
OutputMap ParseOutputMap(const std::string& name);

// Maps responses to pixel values in place.
void ApplyOutputMap(OutputMap map, std::vector<float>& values);

// The response a pixel written with `map` came from; only offset and clamp
// are invertible (UsageError for the others).
void InvertOutputMap(OutputMap map, std::vector<float>& values);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_OUTPUT_MAP_H_
