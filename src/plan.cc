// Algorithm and tile-grid choice; see plan.h.
#include "src/plan.h"

#include <algorithm>

namespace xcorr {
namespace detail {
namespace {

// Below this many multiply-adds a call runs on the calling thread: a TBB
// task costs about a microsecond, the seed's 6x8 image a few nanoseconds.
constexpr int64_t kSerialMultiplyAdds = 1 << 16;
// A forward tile aims at this many multiply-adds: enough to hide the task
// overhead, few enough to balance two or sixteen cores on mid-size images.
constexpr int64_t kTileMultiplyAdds = 1 << 18;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

Plan MakePlan(const ConvShape& shape) {
  const xcorr_conv2d_desc& d = shape.desc;
  Plan plan;
  plan.shape = shape;
  const bool unpadded = d.pad_top == 0 && d.pad_bottom == 0 && d.pad_left == 0 &&
                        d.pad_right == 0;
  const bool unit_steps = d.stride_height == 1 && d.stride_width == 1 &&
                          d.dilation_height == 1 && d.dilation_width == 1;
  plan.forward_algorithm = shape.layout == XCORR_LAYOUT_NCHW && unpadded && unit_steps
                               ? ForwardAlgorithm::kPlanes
                               : ForwardAlgorithm::kReference;

  // Saturating: a huge shape only needs the comparisons below to hold.
  const int64_t row_multiply_adds =
      std::min<int64_t>(shape.in_channels_per_group * d.kernel_height * d.kernel_width,
                        1 << 20) *
      shape.out_width;
  const int64_t planes = d.batch * d.out_channels;
  // Multiples of 4 rows keep the 4-row register blocks of the kernel whole.
  plan.rows_per_tile = std::min(
      shape.out_height, 4 * CeilDiv(CeilDiv(kTileMultiplyAdds, row_multiply_adds), 4));
  plan.row_tiles = CeilDiv(shape.out_height, plan.rows_per_tile);
  int64_t multiply_adds = 0;
  plan.serial = !__builtin_mul_overflow(planes * shape.out_height, row_multiply_adds,
                                        &multiply_adds) &&
                multiply_adds < kSerialMultiplyAdds;
  plan.workspace_bytes = 0;
  plan.backward = PlanBackwardTiling(shape);
  plan.workspace_bytes = std::max(plan.workspace_bytes, plan.backward.workspace_bytes);
  return plan;
}

}  // namespace detail
}  // namespace xcorr
