// The plan: a validated shape plus the algorithm and tile grid chosen for it,
// decided once and immutable afterwards (so any number of threads may run it).
//
// The tile grid depends only on the shape, never on the thread count, and
// every output element has exactly one writer tile: that is what makes
// results bitwise identical whatever the number of threads.
#ifndef XCORR_SRC_PLAN_H_
#define XCORR_SRC_PLAN_H_

#include <cstddef>
#include <cstdint>

#include "src/backward_tiling.h"
#include "src/kernels.h"
#include "src/padded_plane.h"
#include "src/shape.h"

namespace xcorr {
namespace detail {

enum class ForwardAlgorithm {
  // NCHW, one input channel and at most a few output channels per group
  // (one channel, depthwise, LeNet's first layer), stride 1, no dilation:
  // the plane kernel, output plane by output plane, reads x directly,
  // without any copy, or, padded, with the border's input staged on the
  // stack (PlaneStaging).
  kPlanes,
  // NCHW shapes with few channels per group: the direct kernel over packed
  // input rows, tiles of (batch, group, output-channel block, rows, columns).
  kNchw,
  // NHWC, and NCHW with many channels per group where the target dispatched
  // when the plan is made has wide blocks (AVX-512): vectors over output
  // channels, weights packed once per call into the workspace; tiles of
  // (batch, output-channel chunk, rows).
  kPackedWeights,
};

struct Plan {
  ConvShape shape;
  ForwardAlgorithm forward_algorithm;
  PlaneStaging plane_staging;  // kPlanes
  DirectGeometry geometry;     // kNchw, kPackedWeights: one image and group
  int64_t channels_per_tile;   // kNchw, kPackedWeights: per group and tile
  int64_t channel_tiles;       // kNchw, kPackedWeights: tiles per group
  int64_t rows_per_tile, row_tiles;
  int64_t cols_per_tile, col_tiles;
  int64_t tile_count;
  bool serial;              // forward too small to be worth running tasks
  BackwardTiling backward;  // the backward pass's own grid
  int64_t packed_channels;  // see PackedTile::packed_channels
  int64_t packed_floats;    // kPackedWeights: the packed rows
  // kPackedWeights on NCHW x where the target's blocks are narrow (16
  // registers), or with y_channels_last: each call first
  // copies x channels-last into the workspace, x_copy_offset floats after
  // the packed weights, and the tiles read that.
  bool x_channels_last;
  int64_t x_copy_offset;
  // kPackedWeights on NCHW shapes that run better channels-last (see
  // plan.cc: groups of 1, 2 or 4 channels of 16 or more in all, depthwise
  // only where strided, dilated or on small planes, on the depthwise
  // kernel; small planes with enough channels, on the packed-weights
  // kernel): the tiles read x's channels-last copy and write y's,
  // y_copy_offset floats after x's copy, which the call then copies to y.
  bool y_channels_last;
  int64_t y_copy_offset;
  // kPackedWeights on groups of one channel whose tiles all run the
  // depthwise kernel (see kNhwcDepthwiseMaxTaps): they read w as given, and
  // nothing is packed.
  bool depthwise_kernel;
  size_t forward_workspace_bytes;  // kPackedWeights: packed weights, copies
  size_t workspace_bytes;          // what forward or backward may use
};

// Chooses the algorithm and tiling for a validated shape.
Plan MakePlan(const ConvShape& shape);

}  // namespace detail
}  // namespace xcorr

// The C API's opaque handle.
struct xcorr_plan {
  xcorr::detail::Plan plan;
};

#endif  // XCORR_SRC_PLAN_H_
