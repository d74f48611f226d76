// The packed-weights kernel's weight rows, made per call from w, or once by
// xcorr_conv2d_pack_weights into a caller's buffer that later forward calls
// read (inference with constant weights skips the repacking).
#ifndef XCORR_SRC_PACKED_WEIGHTS_H_
#define XCORR_SRC_PACKED_WEIGHTS_H_

#include <cstddef>

#include "src/plan.h"
#include "src/status.h"

namespace xcorr {
namespace detail {

// Packs OIHW or OHWI w into the rows that a kPackedWeights plan's kernel
// reads (see PackedTile::packed_w), plan.packed_floats floats at `packed`.
// Returns false where check_finite finds a weight that is not finite.
bool PackWeights(const Plan& plan, const float* w, float* packed,
                 bool check_finite);

// Bytes that xcorr_conv2d_pack_weights writes for this plan: a header, then
// the packed rows (kPackedWeights plans) or w as given (other plans).
size_t PackedWeightsBytes(const Plan& plan);

// Writes PackedWeightsBytes(plan) bytes to `packed`, which may have any
// alignment. Weights with a non-finite value are kept as given (a padded
// plan then runs the reference, which needs them so).
void WritePackedWeights(const Plan& plan, const float* w, void* packed);

// Weights that WritePackedWeights wrote, as a forward call reads them.
struct PackedWeightsView {
  const float* floats;
  bool kernel_rows;  // the packed-weights kernel's rows; else w as given
  size_t bytes;      // from the buffer's start to the end of its floats
};

// Checks that `packed` holds weights that WritePackedWeights made for a plan
// with the same weight shape, in a form that `plan` can run.
Status ReadPackedWeights(const Plan& plan, const void* packed,
                         PackedWeightsView* view);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_PACKED_WEIGHTS_H_
