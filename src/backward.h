// Backward conv2d on a plan: dx, dw and dbias from dy in one pass.
#ifndef XCORR_SRC_BACKWARD_H_
#define XCORR_SRC_BACKWARD_H_

#include "src/plan.h"

namespace xcorr {
namespace detail {

// Overwrites the requested gradients (NULL to skip) on validated pointers.
// `workspace` holds BackwardWorkspaceBytes for the requested gradients (any
// alignment).
void Backward(const Plan& plan, const float* x, const float* w, const float* dy,
              float* dx, float* dw, float* dbias, void* workspace);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_BACKWARD_H_
