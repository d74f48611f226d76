// Forward conv2d on a plan: tiles run in parallel, one kernel dispatch each.
#ifndef XCORR_SRC_FORWARD_H_
#define XCORR_SRC_FORWARD_H_

#include "src/plan.h"

namespace xcorr {
namespace detail {

// y = corr(x, w) + bias on validated, non-NULL pointers (bias may be NULL).
// workspace holds plan.forward_workspace_bytes (it may be NULL when that is
// 0).
void Forward(const Plan& plan, const float* x, const float* w,
             const float* bias, float* y, void* workspace);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_FORWARD_H_
