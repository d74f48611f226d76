// Forward conv2d on a plan: tiles run in parallel, one kernel dispatch each.
#ifndef XCORR_SRC_FORWARD_H_
#define XCORR_SRC_FORWARD_H_

#include <cstddef>

#include "src/packed_weights.h"
#include "src/plan.h"

namespace xcorr {
namespace detail {

// y = corr(x, w) + bias on validated, non-NULL pointers (bias may be NULL).
// workspace holds plan.forward_workspace_bytes (it may be NULL when that is
// 0).
void Forward(const Plan& plan, const float* x, const float* w,
             const float* bias, float* y, void* workspace);

// The same from weights that xcorr_conv2d_pack_weights packed (see
// ReadPackedWeights); workspace holds ForwardPackedWorkspaceBytes.
void ForwardPacked(const Plan& plan, const float* x,
                   const PackedWeightsView& packed, const float* bias, float* y,
                   void* workspace);
size_t ForwardPackedWorkspaceBytes(const Plan& plan,
                                   const PackedWeightsView& packed);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_FORWARD_H_
