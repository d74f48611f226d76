// The squared loss shared by SquaredLoss and Conv2D::loss_and_backward.
#ifndef XCORR_SRC_LOSS_H_
#define XCORR_SRC_LOSS_H_

#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace detail {

// Returns sum((y_hat - y)^2) (accumulated in double) and writes its gradient
// 2 * (y_hat - y) to `gradient` (y_hat.size() floats) in the same pass.
// Throws InvalidArgument when the sizes differ or are zero.
float SquaredLossAndGradient(const TensorView& y_hat, const TensorView& y,
                             float* gradient);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_LOSS_H_
