// AllFinite: whether a tensor holds only finite values. The kernels skip the
// zero taps that PyTorch multiplies (padding, dy's border in dx's gather
// form); only a non-finite weight makes those taps matter (0 * Inf = NaN), so
// callers scan the weights, O(|w|), and send such rare calls to the reference.
#ifndef XCORR_SRC_FINITE_H_
#define XCORR_SRC_FINITE_H_

#include <cmath>
#include <cstdint>

namespace xcorr {
namespace detail {

inline bool AllFinite(const float* values, int64_t count) {
  for (int64_t k = 0; k < count; ++k) {
    if (!std::isfinite(values[k])) return false;
  }
  return true;
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_FINITE_H_
