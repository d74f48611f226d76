// Forward conv2d and corr2d: the tile loops around the dispatching kernels.
#include "src/forward.h"

#include <algorithm>

#include "src/finite.h"
#include "src/int_math.h"
#include "src/kernels.h"
#include "src/layout_copy.h"
#include "src/packed_weights.h"
#include "src/padded_plane.h"
#include "src/reference.h"
#include "src/threading.h"
#include "src/workspace.h"

namespace xcorr {
namespace detail {
namespace {

// One kPlanes tile: rows of one output plane (n, o) from the one input
// plane of o's group.
void PlanesTile(const Plan& plan, const float* x, const float* w,
                const float* bias, float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t plane_index = tile / plan.row_tiles;
  const int64_t n = plane_index / d.out_channels;
  const int64_t o = plane_index % d.out_channels;
  PlaneTile plane;
  plane.x =
      x + n * s.x_strides.n + o / s.out_channels_per_group * s.x_strides.c;
  plane.x_row_stride = s.x_strides.h;
  plane.k = w + o * s.w_strides.n;
  plane.kernel_height = d.kernel_height;
  plane.kernel_width = d.kernel_width;
  plane.y = y + n * s.y_strides.n + o * s.y_strides.c;
  plane.y_row_stride = s.y_strides.h;
  plane.out_width = s.out_width;
  plane.row_begin = (tile % plan.row_tiles) * plan.rows_per_tile;
  plane.row_end = std::min(plane.row_begin + plan.rows_per_tile, s.out_height);
  plane.bias = bias != nullptr ? bias[o] : 0.0f;
  CorrPaddedPlaneRows({d.in_height, d.in_width, d.pad_top, d.pad_left},
                      plan.plane_staging, plane);
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

// Copies each image of NCHW x channels-last to `copy` (Plan::x_channels_last).
// Read in NCHW, each broadcast input element of a narrow block's outer
// product came from another plane, and each row of 16 output channels read
// all the planes again (AVX2, 1 thread, 256 -> 256 14x14 3x3: 72 GFLOP/s so
// against 79 copied, and 80 in NHWC).
void CopyChannelsLast(const Plan& plan, const float* x, float* copy) {
  const xcorr_conv2d_desc& d = plan.shape.desc;
  CopyToChannelsLast(x, d.batch, d.in_height * d.in_width, d.in_channels,
                     plan.serial, copy);
}

// One kPackedWeights tile; the index runs over (n, channel chunk, rows).
void PackedTileAt(const Plan& plan, const float* x, const float* w,
                  const float* packed_w, const float* bias, float* y,
                  int64_t tile) {
  const ConvShape& s = plan.shape;
  const int64_t row_tile = tile % plan.row_tiles;
  tile /= plan.row_tiles;
  const int64_t chunk = tile % plan.channel_tiles;
  const int64_t n = tile / plan.channel_tiles;
  PackedTile t;
  t.geometry = &plan.geometry;
  t.x = x + n * s.x_strides.n;
  t.x_column_stride = plan.x_channels_last ? s.desc.in_channels : s.x_strides.w;
  t.x_channel_stride = plan.x_channels_last ? 1 : s.x_strides.c;
  t.w = w;
  t.w_channels_last = s.layout == XCORR_LAYOUT_NHWC;
  t.packed_w = packed_w;
  t.packed_channels = plan.packed_channels;
  t.bias = bias;
  t.y = y + n * s.y_strides.n;
  t.y_column_stride =
      plan.y_channels_last ? s.desc.out_channels : s.y_strides.w;
  t.y_channel_stride = plan.y_channels_last ? 1 : s.y_strides.c;
  t.channels = s.desc.in_channels;
  t.out_channels = s.desc.out_channels;
  t.groups = s.desc.groups;
  t.channel_begin = chunk * plan.channels_per_tile;
  t.channel_end = std::min(t.channel_begin + plan.channels_per_tile,
                           s.out_channels_per_group);
  t.row_begin = row_tile * plan.rows_per_tile;
  t.row_end = std::min(t.row_begin + plan.rows_per_tile, s.out_height);
  ForwardPackedTile(t);
}

// Every kPackedWeights tile, on weights packed into kernel rows (and w as
// given, which depthwise and small-group tiles read); `copies` holds x
// channels-last first where the plan asks (Plan::x_channels_last), and y
// channels-last after it (Plan::y_channels_last), copied to y at the end.
void PackedTiles(const Plan& plan, const float* x, const float* w,
                 const float* packed_w, const float* bias, float* y,
                 float* copies) {
  if (plan.x_channels_last) {
    CopyChannelsLast(plan, x, copies);
    x = copies;
  }
  float* tiles_y = plan.y_channels_last ? copies + plan.y_copy_offset : y;
  ForEachTile(plan.tile_count, plan.serial, [&](int64_t tile) {
    PackedTileAt(plan, x, w, packed_w, bias, tiles_y, tile);
  });
  if (plan.y_channels_last) {
    const ConvShape& s = plan.shape;
    CopyToPlanes(tiles_y, s.desc.batch, s.out_height * s.out_width,
                 s.desc.out_channels, plan.serial, y);
  }
}

}  // namespace

void Forward(const Plan& plan, const float* x, const float* w,
             const float* bias, float* y, void* workspace) {
  ApplyTargetFromEnvironment();
  // The reference runs degenerate geometry (see ConvShape), and padded
  // shapes with a non-finite weight: the kernels skip taps on the padding,
  // which PyTorch multiplies by real zeros, making NaN (see finite.h).
  const xcorr_conv2d_desc& d = plan.shape.desc;
  const bool padded = d.pad_top != 0 || d.pad_bottom != 0 || d.pad_left != 0 ||
                      d.pad_right != 0;
  // The packed-weights kernel checks its weights while packing them.
  const bool packs =
      plan.forward_algorithm == ForwardAlgorithm::kPackedWeights &&
      !plan.depthwise_kernel;
  if (plan.shape.degenerate ||
      (padded && !packs && !AllFinite(w, plan.shape.w_elements))) {
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
    case ForwardAlgorithm::kPackedWeights: {
      float* floats = AlignedWorkspace(workspace);
      float* copies =
          plan.x_channels_last ? floats + plan.x_copy_offset : nullptr;
      if (plan.depthwise_kernel) {
        PackedTiles(plan, x, w, nullptr, bias, y, copies);
        return;
      }
      if (!PackWeights(plan, w, floats, /*check_finite=*/padded)) break;
      PackedTiles(plan, x, w, floats, bias, y, copies);
      return;
    }
  }
  reference::Forward(plan.shape, x, w, bias, y);
}

void ForwardPacked(const Plan& plan, const float* x,
                   const PackedWeightsView& packed, const float* bias, float* y,
                   void* workspace) {
  if (!packed.kernel_rows) {
    Forward(plan, x, packed.floats, bias, y, workspace);
    return;
  }
  ApplyTargetFromEnvironment();
  PackedTiles(plan, x, nullptr, packed.floats, bias, y,
              AlignedWorkspace(workspace));
}

size_t ForwardPackedWorkspaceBytes(const Plan& plan,
                                   const PackedWeightsView& packed) {
  if (!packed.kernel_rows) return plan.forward_workspace_bytes;
  if (!plan.x_channels_last) return 0;
  return WorkspaceBytes(plan.y_channels_last
                            ? plan.y_copy_offset + plan.shape.y_elements
                            : plan.shape.x_elements);
}

}  // namespace detail
}  // namespace xcorr
