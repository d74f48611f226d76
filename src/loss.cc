// SquaredLoss: the seed's l = sum((y_hat - y)^2) and its gradient, one pass.
#include "src/loss.h"

#include "src/status.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace detail {

float SquaredLossAndGradient(const TensorView& y_hat, const TensorView& y,
                             float* gradient) {
  if (y_hat.size() != y.size() || y_hat.size() == 0) {
    throw xcorr::InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        StrCat("squared loss of y_hat with ", y_hat.size(),
               " elements against y with ", y.size()));
  }
  double sum = 0.0;
  for (int64_t k = 0; k < y.size(); ++k) {
    const float diff = y_hat.data()[k] - y.data()[k];
    sum += static_cast<double>(diff) * diff;
    gradient[k] = 2.0f * diff;
  }
  return static_cast<float>(sum);
}

}  // namespace detail

SquaredLoss::SquaredLoss(const TensorView& y_hat, const TensorView& y)
    : value_(0.0f),
      gradient_(y_hat.rank() != 0 ? Tensor(y_hat.dims()) : Tensor()) {
  value_ = detail::SquaredLossAndGradient(y_hat, y, gradient_.data());
}

}  // namespace xcorr
