// Backward conv2d. For now every shape runs the scalar reference, which
// already computes all requested gradients in one pass over dy; the SIMD
// backward kernels replace it shape by shape.
#include "src/backward.h"

#include "src/reference.h"

namespace xcorr {
namespace detail {

void Backward(const Plan& plan, const float* x, const float* w, const float* dy,
              float* dx, float* dw, float* dbias) {
  reference::Backward(plan.shape, x, w, dy, dx, dw, dbias);
}

}  // namespace detail
}  // namespace xcorr
