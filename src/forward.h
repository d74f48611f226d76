// Forward conv2d on a plan: tiles run in parallel, one kernel dispatch each.
#ifndef XCORR_SRC_FORWARD_H_
#define XCORR_SRC_FORWARD_H_

#include "src/plan.h"

namespace xcorr {
namespace detail {

// y = corr(x, w) + bias on validated, non-NULL pointers (bias may be NULL).
void Forward(const Plan& plan, const float* x, const float* w,
             const float* bias, float* y);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_FORWARD_H_
