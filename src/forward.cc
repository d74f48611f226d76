// Forward conv2d and corr2d: the tile loops around the dispatching kernels.
#include "src/forward.h"

#include <algorithm>

#include "src/kernels.h"
#include "src/reference.h"
#include "src/threading.h"

namespace xcorr {
namespace detail {
namespace {

// One tile of the kPlanes algorithm: rows of one output plane (n, o),
// summing the correlation of each input channel of its group in order.
void ForwardPlaneTile(const Plan& plan, const float* x, const float* w, const float* bias,
                      float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const int64_t plane = tile / plan.row_tiles;
  const int64_t n = plane / s.desc.out_channels;
  const int64_t o = plane % s.desc.out_channels;
  const int64_t first_channel = (o / s.out_channels_per_group) * s.in_channels_per_group;
  PlaneTile t;
  t.x_row_stride = s.x_strides.h;
  t.kernel_height = s.desc.kernel_height;
  t.kernel_width = s.desc.kernel_width;
  t.y = y + n * s.y_strides.n + o * s.y_strides.c;
  t.y_row_stride = s.y_strides.h;
  t.out_width = s.out_width;
  t.row_begin = (tile % plan.row_tiles) * plan.rows_per_tile;
  t.row_end = std::min(t.row_begin + plan.rows_per_tile, s.out_height);
  t.bias = bias != nullptr ? bias[o] : 0.0f;
  for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
    t.x = x + n * s.x_strides.n + (first_channel + c) * s.x_strides.c;
    t.k = w + o * s.w_strides.n + c * s.w_strides.c;
    t.accumulate = c > 0;
    CorrPlaneTile(t);
  }
}

}  // namespace

void Forward(const Plan& plan, const float* x, const float* w, const float* bias,
             float* y) {
  ApplyTargetFromEnvironment();
  const ConvShape& s = plan.shape;
  switch (plan.forward_algorithm) {
    case ForwardAlgorithm::kPlanes:
      ForEachTile(s.desc.batch * s.desc.out_channels * plan.row_tiles, plan.serial,
                  [&](int64_t tile) { ForwardPlaneTile(plan, x, w, bias, y, tile); });
      return;
    case ForwardAlgorithm::kReference:
      reference::Forward(s, x, w, bias, y);
      return;
  }
}

}  // namespace detail
}  // namespace xcorr
