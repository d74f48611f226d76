// Forward conv2d and corr2d: the tile loops around the dispatching kernels.
#include "src/forward.h"

#include <algorithm>

#include "src/finite.h"
#include "src/kernels.h"
#include "src/reference.h"
#include "src/threading.h"

namespace xcorr {
namespace detail {
namespace {

// One kPlanes tile: rows of one output plane (n, o) from input plane (n, o)
// (one input and one output channel per group, so channel o reads plane o).
void PlanesTile(const Plan& plan, const float* x, const float* w,
                const float* bias, float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const int64_t plane = tile / plan.row_tiles;
  const int64_t n = plane / s.desc.out_channels;
  const int64_t o = plane % s.desc.out_channels;
  PlaneTile t;
  t.x = x + n * s.x_strides.n + o * s.x_strides.c;
  t.x_row_stride = s.x_strides.h;
  t.k = w + o * s.w_strides.n;
  t.kernel_height = s.desc.kernel_height;
  t.kernel_width = s.desc.kernel_width;
  t.y = y + n * s.y_strides.n + o * s.y_strides.c;
  t.y_row_stride = s.y_strides.h;
  t.out_width = s.out_width;
  t.row_begin = (tile % plan.row_tiles) * plan.rows_per_tile;
  t.row_end = std::min(t.row_begin + plan.rows_per_tile, s.out_height);
  t.bias = bias != nullptr ? bias[o] : 0.0f;
  CorrPlaneTile(plan.plane_kernel, t);
}

// One kNchw tile; the index runs over (n, group, channel block, rows,
// columns), columns fastest.
void NchwTileAt(const Plan& plan, const float* x, const float* w,
                const float* bias, float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const int64_t col_tile = tile % plan.col_tiles;
  tile /= plan.col_tiles;
  const int64_t row_tile = tile % plan.row_tiles;
  tile /= plan.row_tiles;
  const int64_t channel_tile = tile % plan.channel_tiles;
  tile /= plan.channel_tiles;
  const int64_t group = tile % s.desc.groups;
  const int64_t n = tile / s.desc.groups;
  const int64_t first = channel_tile * plan.channels_per_tile;
  const int64_t o = group * s.out_channels_per_group + first;
  NchwTile t;
  t.geometry = &plan.geometry;
  t.x = x + n * s.x_strides.n + group * s.in_channels_per_group * s.x_strides.c;
  t.x_channel_stride = s.x_strides.c;
  t.w = w + o * s.w_strides.n;
  t.bias = bias != nullptr ? bias + o : nullptr;
  t.y = y + n * s.y_strides.n + o * s.y_strides.c;
  t.y_channel_stride = s.y_strides.c;
  t.out_channels =
      std::min(plan.channels_per_tile, s.out_channels_per_group - first);
  t.row_begin = row_tile * plan.rows_per_tile;
  t.row_end =
      std::min(t.row_begin + plan.rows_per_tile, plan.geometry.out_height);
  t.col_begin = col_tile * plan.cols_per_tile;
  t.col_end =
      std::min(t.col_begin + plan.cols_per_tile, plan.geometry.out_width);
  ForwardNchwTile(t);
}

// One kNhwc tile: rows of one batch item.
void NhwcTileAt(const Plan& plan, const float* x, const float* w,
                const float* bias, float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const int64_t n = tile / plan.row_tiles;
  NhwcTile t;
  t.geometry = &plan.geometry;
  t.x = x + n * s.x_strides.n;
  t.w = w;
  t.bias = bias;
  t.y = y + n * s.y_strides.n;
  t.channels = s.desc.in_channels;
  t.out_channels = s.desc.out_channels;
  t.groups = s.desc.groups;
  t.row_begin = (tile % plan.row_tiles) * plan.rows_per_tile;
  t.row_end = std::min(t.row_begin + plan.rows_per_tile, s.out_height);
  ForwardNhwcTile(t);
}

}  // namespace

void Forward(const Plan& plan, const float* x, const float* w,
             const float* bias, float* y) {
  ApplyTargetFromEnvironment();
  // The kernels skip taps on the padding, which PyTorch multiplies by real
  // zeros: with a non-finite weight those taps make NaN (see finite.h).
  const xcorr_conv2d_desc& d = plan.shape.desc;
  const bool padded = d.pad_top != 0 || d.pad_bottom != 0 || d.pad_left != 0 ||
                      d.pad_right != 0;
  if (padded && !AllFinite(w, plan.shape.w_elements)) {
    reference::Forward(plan.shape, x, w, bias, y);
    return;
  }
  switch (plan.forward_algorithm) {
    case ForwardAlgorithm::kPlanes:
      ForEachTile(plan.tile_count, plan.serial,
                  [&](int64_t tile) { PlanesTile(plan, x, w, bias, y, tile); });
      return;
    case ForwardAlgorithm::kNchw:
      ForEachTile(plan.tile_count, plan.serial,
                  [&](int64_t tile) { NchwTileAt(plan, x, w, bias, y, tile); });
      return;
    case ForwardAlgorithm::kNhwc:
      ForEachTile(plan.tile_count, plan.serial,
                  [&](int64_t tile) { NhwcTileAt(plan, x, w, bias, y, tile); });
      return;
  }
}

}  // namespace detail
}  // namespace xcorr
