// Forward conv2d and corr2d: the tile loops around the dispatching kernels.
#include "src/forward.h"

#include <algorithm>

#include "src/finite.h"
#include "src/int_math.h"
#include "src/kernels.h"
#include "src/padded_plane.h"
#include "src/reference.h"
#include "src/threading.h"
#include "src/workspace.h"

namespace xcorr {
namespace detail {
namespace {

// One kPlanes tile: rows of one output plane (n, o) from input plane (n, o)
// (one input and one output channel per group, so channel o reads plane o).
void PlanesTile(const Plan& plan, const float* x, const float* w,
                const float* bias, float* y, int64_t tile) {
  const ConvShape& s = plan.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t plane_index = tile / plan.row_tiles;
  const int64_t n = plane_index / d.out_channels;
  const int64_t o = plane_index % d.out_channels;
  PlaneTile plane;
  plane.x = x + n * s.x_strides.n + o * s.x_strides.c;
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

// Rows of packed weights per packing task: a few tasks for the largest
// shapes' megabytes of weights, one for small ones.
constexpr int64_t kPackTaskRows = 256;

// Rows [first, first + count) of w's reduction order (u, v, c for OHWI; c,
// u, v for OIHW) of group g, into their rows of the packed weights. Each
// output channel's weights are contiguous in w: transposed by register
// blocks, whole cache lines of w are read at a time (reading rows of the
// packed matrix from w element by element touches a line of w per weight).
void PackWeightRows(const Plan& plan, const float* w, float* packed, int64_t g,
                    int64_t first, int64_t count) {
  const ConvShape& s = plan.shape;
  const int64_t out_per_group = s.out_channels_per_group;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t row_floats = plan.packed_channels;
  const int64_t taps = s.desc.kernel_height * s.desc.kernel_width;
  const float* group_w = w + g * out_per_group * s.w_strides.n;
  float* group_packed = packed + g * taps * in_per_group * row_floats;
  const auto pad = [&](float* row) {
    std::fill(row + out_per_group, row + row_floats, 0.0f);
  };
  if (s.w_strides.c == 1) {
    // OHWI: w's order is already the packed rows' order.
    Transpose(group_w + first, s.w_strides.n, out_per_group, count,
              group_packed + first * row_floats, row_floats);
    for (int64_t row = first; row < first + count; ++row)
      pad(group_packed + row * row_floats);
    return;
  }
  // OIHW: blocks of the transpose go through a buffer, each row then copied
  // to its place, row tap * in_per_group + c.
  constexpr int64_t kBlockRows = kPackedLanes, kBlockChannels = 256;
  float block[kBlockRows * kBlockChannels];
  for (int64_t o = 0; o < out_per_group; o += kBlockChannels) {
    const int64_t channels = std::min(kBlockChannels, out_per_group - o);
    for (int64_t row = first; row < first + count; row += kBlockRows) {
      const int64_t rows = std::min(kBlockRows, first + count - row);
      Transpose(group_w + o * s.w_strides.n + row, s.w_strides.n, channels,
                rows, block, kBlockChannels);
      for (int64_t k = 0; k < rows; ++k) {
        float* to =
            group_packed +
            ((row + k) % taps * in_per_group + (row + k) / taps) * row_floats;
        std::copy(block + k * kBlockChannels,
                  block + k * kBlockChannels + channels, to + o);
        if (o == 0) pad(to);
      }
    }
  }
}

// The packed-weights kernel's weights (see PackedTile::packed_w) from OIHW
// or OHWI w: per group, the transpose of an out_per_group x reduction
// matrix, rows padded to packed_channels, reduction index (u, v, c). The
// tasks write disjoint rows, in parallel like the tiles.
void PackWeights(const Plan& plan, const float* w, float* packed) {
  const ConvShape& s = plan.shape;
  const int64_t rows =
      s.desc.kernel_height * s.desc.kernel_width * s.in_channels_per_group;
  const int64_t tasks = CeilDiv(rows, kPackTaskRows);
  ForEachTile(s.desc.groups * tasks, plan.serial, [&](int64_t task) {
    const int64_t first = task % tasks * kPackTaskRows;
    PackWeightRows(plan, w, packed, task / tasks, first,
                   std::min(kPackTaskRows, rows - first));
  });
  float* slack = packed + s.desc.groups * rows * plan.packed_channels;
  std::fill(slack, slack + kMaxVectorLanes, 0.0f);
}

// Copies each image of NCHW x channels-last to `copy` (Plan::x_channels_last).
// Read in NCHW, each broadcast input element of a narrow block's outer
// product came from another plane, and each row of 16 output channels read
// all the planes again (AVX2, 1 thread, 256 -> 256 14x14 3x3: 72 GFLOP/s so
// against 79 copied, and 80 in NHWC).
void CopyChannelsLast(const Plan& plan, const float* x, float* copy) {
  const ConvShape& s = plan.shape;
  const int64_t pixels = s.desc.in_height * s.desc.in_width;
  ForEachTile(s.desc.batch, plan.serial, [&](int64_t n) {
    Transpose(x + n * s.x_strides.n, pixels, s.desc.in_channels, pixels,
              copy + n * s.x_strides.n, s.desc.in_channels);
  });
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
  t.packed_w = packed_w;
  t.packed_channels = plan.packed_channels;
  t.bias = bias;
  t.y = y + n * s.y_strides.n;
  t.y_column_stride = s.y_strides.w;
  t.y_channel_stride = s.y_strides.c;
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
  if (plan.shape.degenerate ||
      (padded && !AllFinite(w, plan.shape.w_elements))) {
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
      float* packed_w = AlignedWorkspace(workspace);
      PackWeights(plan, w, packed_w);
      if (plan.x_channels_last) {
        float* copy = packed_w + plan.x_copy_offset;
        CopyChannelsLast(plan, x, copy);
        x = copy;
      }
      ForEachTile(plan.tile_count, plan.serial, [&](int64_t tile) {
        PackedTileAt(plan, x, w, packed_w, bias, y, tile);
      });
      return;
    }
  }
}

}  // namespace detail
}  // namespace xcorr
