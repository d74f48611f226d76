// DimsString: tensor dimensions as "2x3x4" for the C++ API's messages.
#ifndef XCORR_SRC_DIMS_STRING_H_
#define XCORR_SRC_DIMS_STRING_H_

#include <string>

#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace detail {

inline std::string DimsString(const Dims& dims) {
  std::string text;
  for (int64_t dim : dims)
    text += (text.empty() ? "" : "x") + std::to_string(dim);
  return text.empty() ? "(none)" : text;
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_DIMS_STRING_H_
