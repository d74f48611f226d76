// Algorithm and tile-grid choice; see plan.h.
#include "src/plan.h"

#include <algorithm>

#include "src/int_math.h"
#include "src/workspace.h"

namespace xcorr {
namespace detail {
namespace {

// Below this many multiply-adds a call runs on the calling thread: a TBB
// task costs about a microsecond, the seed's 6x8 image a few nanoseconds.
constexpr int64_t kSerialMultiplyAdds = 1 << 16;
// A tile aims at this many multiply-adds: a few microseconds of work, enough
// to hide the task overhead, small enough to balance a few cores on
// mid-size images.
constexpr int64_t kTileMultiplyAdds = 1 << 17;
// NCHW and packed-weights tiles hold at most this many weights (256 KiB, a
// quarter of L2) unless one channel block needs more; NCHW ones in a
// multiple of every target's output-channel block (3 and 4).
constexpr int64_t kTileWeights = 1 << 16;
constexpr int64_t kChannelGrain = 12;
// kPackedWeights tiles split output channels in multiples of the widest
// register block (4 AVX-512 vectors).
constexpr int64_t kPackedChannelGrain = 64;
// Columns are split only for very long rows (a 1x1 convolution seen as one
// row), in multiples of every target's column block (up to 4 x 16 lanes).
constexpr int64_t kColumnGrain = 64;
// NCHW shapes with at least this many input and output channels per group
// run the packed-weights kernel where its blocks are wide (see
// PackedKernelIsWide): a whole 4-vector block of output channels, and a
// reduction long enough to hide the strided stores to y (32 -> 32 channels,
// 128x128, 3x3 still runs 2.4 ms packed against 2.1 direct on AVX3).
// Pointwise ones stay direct: that kernel sees them as one long matrix
// product. On the 16-register targets (6 x 2-vector blocks) only small
// output planes run packed, where the direct kernel's rows are short: AVX2
// on Zen 4, 1 thread, 3x3 pad 1, direct against packed GFLOP/s: 256 -> 256
// 14x14 45 against 70, 128 -> 128 28x28 70 against 74, 64 -> 64 56x56 90
// against 95, but 64x64 63-90 against 59 and 128x128 85 against 61.
// (The 64x64 and 128x128 figures predate StoreChannelRuns, which took AVX3
// 64 -> 64 64x64 from 77 to 93. On AVX2, packed against direct at 32x32,
// 64x64 and 128x128 after it: both 43-65 GFLOP/s from run to run on a
// noisy machine, so not settled.)
constexpr int64_t kPackedMinChannels = 64;
constexpr int64_t kPackedNarrowMaxPixels = 28 * 28;
// NCHW groups of 1, 2 or 4 channels with at least this many channels in all
// run the depthwise kernel on channels-last copies (Plan::y_channels_last):
// its vectors run over the channels. (AVX3, 1 thread, 3x3, GFLOP/s, the
// direct kernel against copies: 128 channels 28x28 in groups of 4 23.1 ->
// 51.2, of 2 10.6 -> 27.3; depthwise 96 channels 112x112 stride 2 6.6 ->
// 14.8, 64 channels 56x56 dilation 2 8.6 -> 27.1.) Depthwise shapes with
// unit strides and dilations go there on planes of at most
// kDepthwisePlanesMaxPixels, too small for the plane kernel's blocks (3x3
// pad 1, the plane kernel against copies: 384 channels 14x14 3.9 -> 24.9,
// 960 channels 7x7 3.3 -> 17.3; but 192 channels 28x28 31.4 against 24.9).
constexpr int64_t kSmallGroupsMinChannels = 16;
constexpr int64_t kDepthwisePlanesMaxPixels = 16 * 16;
// NCHW shapes (not pointwise) with at least these many input and output
// channels per group, fewer than kPackedMinChannels on one side, on output
// planes of at most kPackedNarrowMaxPixels, run the packed-weights kernel
// on channels-last copies too (Plan::y_channels_last): on such small planes
// the direct kernel's rows are short, and its output-channel blocks stop at
// each group's end. (1 thread, 3x3, GFLOP/s, direct against copies, AVX3:
// 32 -> 64 14x14 pad 1 58 -> 107; 16 -> 16 28x28 53 -> 94; 8 channels in 64
// x 32 -> 64 26x26 63 -> 83; LeNet's 256 x 6 -> 16 14x14 5x5 35 -> 66-89;
// 32 groups of 512 channels 14x14 34 -> 66 (AVX2 37 -> 75); of 1024
// channels 7x7 27 -> 68 (AVX2 19 -> 57); 96 -> 256 in 2 groups 27x27 5x5
// pad 2 78 -> 109. One input channel loses (1 -> 32 28x28 27-30 against
// 19-23), as do fewer output channels, and larger planes gain nothing: 64
// channels in 2 groups, 112x112, 82 against 61-79.)
constexpr int64_t kPackedCopiesMinInputChannels = 3;
constexpr int64_t kPackedCopiesMinOutputChannels = 16;
// Pointwise NCHW shapes go there on planes of at most
// kPointwiseCopiesMaxPixels (whatever their channels): the direct kernel's
// one long row is then a few vectors (AVX3, 1 thread, GFLOP/s: 2048 -> 512
// 7x7 51-54 -> 77-79, 512 -> 2048 49-54 -> 86, 256 -> 256 50-55 -> 72-86,
// 64 -> 64 55 -> 65; on 14x14 64 -> 64 98 against 76 direct).
constexpr int64_t kPointwiseCopiesMaxPixels = 8 * 8;
// Packed-weights rows narrower than this, padded on the left or right,
// have enough border pixels that tiles take at least kPackedColumnBlockRows
// rows: the kernel then runs border columns in blocks of 6 pixels down the
// rows (kernels-inl.h's kPackedPixels) between a padded top row and the
// tile's end, not pixel by pixel. (256 -> 256 channels, 14x14, 3x3 pad 1:
// 2 pixels of each 14-pixel row.)
constexpr int64_t kPackedBorderWidth = 32;
constexpr int64_t kPackedColumnBlockRows = 7;
// Groups of one input channel and at most this many output channels run
// the plane kernel output channel by output channel (kPlanes), each plane
// reading its group's input plane; with more, the direct kernel's blocks
// of output channels share each input load. (AVX3, 1 thread, GFLOP/s,
// direct against planes: 1 -> 6 28x28 5x5 pad 2 (LeNet) 32 -> 53, 1 -> 8
// 256x256 3x3 53 -> 89, 2 -> 8 in 2 groups 64x64 38-40 -> 49-50; but 1 -> 16
// 64x64 3x3 pad 1 55 against 51, 1 -> 64 224x224 40-50 against 26-33.)
constexpr int64_t kPlanesMaxOutputChannels = 8;
// Plane tiles are a multiple of the plane kernel's block height (6 rows),
// so that no block overlaps its neighbor inside a tile.
constexpr int64_t kPlaneRowGrain = 60;

DirectGeometry GeometryOf(const ConvShape& shape, ForwardAlgorithm algorithm) {
  const xcorr_conv2d_desc& d = shape.desc;
  DirectGeometry g{d.in_height,
                   d.in_width,
                   shape.out_height,
                   shape.out_width,
                   d.kernel_height,
                   d.kernel_width,
                   d.stride_height,
                   d.stride_width,
                   d.dilation_height,
                   d.dilation_width,
                   d.pad_top,
                   d.pad_left,
                   shape.in_channels_per_group};
  if (IsPointwise(d) && algorithm == ForwardAlgorithm::kNchw) {
    // A matrix product: y[o][p] = sum_c w[o][c] x[c][p] over the pixels p of
    // a plane, seen as one long row so that vectors never stop at a row end.
    g.in_width = g.out_width = d.in_height * d.in_width;
    g.in_height = g.out_height = 1;
    g.dilation_height = g.dilation_width = 1;
  }
  return g;
}

// Output channels per tile and group: the whole group, or as many multiples
// of `grain` as keep the tile's weights within kTileWeights (at least one).
int64_t ChannelsPerTile(const ConvShape& shape, int64_t per_output,
                        int64_t grain) {
  const int64_t cap = std::max<int64_t>(
      grain, kTileWeights / std::max<int64_t>(per_output, 1) / grain * grain);
  return std::min(shape.out_channels_per_group, cap);
}

}  // namespace

Plan MakePlan(const ConvShape& shape) {
  // The algorithms below depend on the target (PackedKernelIsWide), so a plan
  // made before any other call must already see XCORR_TARGET.
  ApplyTargetFromEnvironment();
  const xcorr_conv2d_desc& d = shape.desc;
  Plan plan{};
  plan.shape = shape;
  const bool unpadded = d.pad_top == 0 && d.pad_bottom == 0 &&
                        d.pad_left == 0 && d.pad_right == 0;
  const bool unit_steps = d.stride_height == 1 && d.stride_width == 1 &&
                          d.dilation_height == 1 && d.dilation_width == 1;
  const bool single_planes =
      shape.in_channels_per_group == 1 && shape.out_channels_per_group == 1;
  const int64_t group_channels = shape.in_channels_per_group;
  const bool small_groups =
      shape.layout == XCORR_LAYOUT_NCHW && d.groups > 1 &&
      shape.out_channels_per_group == group_channels &&
      (group_channels == 2 || group_channels == 4 ||
       (group_channels == 1 &&
        (!unit_steps ||
         shape.out_height * shape.out_width <= kDepthwisePlanesMaxPixels))) &&
      d.in_channels >= kSmallGroupsMinChannels &&
      d.kernel_height * d.kernel_width * group_channels <=
          kNhwcDepthwiseMaxTaps;
  const bool packed_on_copies =
      shape.layout == XCORR_LAYOUT_NCHW && !small_groups &&
      group_channels >= kPackedCopiesMinInputChannels &&
      shape.out_channels_per_group >= kPackedCopiesMinOutputChannels &&
      (IsPointwise(d)
           ? shape.out_height * shape.out_width <= kPointwiseCopiesMaxPixels
           : std::min(group_channels, shape.out_channels_per_group) <
                     kPackedMinChannels &&
                 shape.out_height * shape.out_width <= kPackedNarrowMaxPixels);
  // Both run on channels-last copies of x and y (Plan::y_channels_last).
  const bool on_copies = small_groups || packed_on_copies;
  if (shape.layout == XCORR_LAYOUT_NHWC || on_copies ||
      (shape.in_channels_per_group >= kPackedMinChannels &&
       shape.out_channels_per_group >= kPackedMinChannels && !IsPointwise(d) &&
       (PackedKernelIsWide() ||
        shape.out_height * shape.out_width <= kPackedNarrowMaxPixels))) {
    plan.forward_algorithm = ForwardAlgorithm::kPackedWeights;
  } else if (group_channels == 1 &&
             shape.out_channels_per_group <= kPlanesMaxOutputChannels &&
             unit_steps &&
             (unpadded ||
              PaddedStagingOf(shape.out_width, d.kernel_height, d.kernel_width)
                      .row_stride != 0)) {
    plan.forward_algorithm = ForwardAlgorithm::kPlanes;
    if (!unpadded) {
      plan.plane_staging =
          PaddedStagingOf(shape.out_width, d.kernel_height, d.kernel_width);
    }
  } else {
    plan.forward_algorithm = ForwardAlgorithm::kNchw;
  }
  plan.geometry = GeometryOf(shape, plan.forward_algorithm);
  const DirectGeometry& g = plan.geometry;

  const int64_t per_output =
      SaturatingMul(shape.in_channels_per_group,
                    SaturatingMul(d.kernel_height, d.kernel_width));
  // Tiles of the kPlanes and kPackedWeights algorithms span whole rows; kNchw
  // tiles also split output channels and, rarely, columns; kPackedWeights
  // tiles split output channels when their weights outgrow kTileWeights.
  int64_t channels = plan.forward_algorithm == ForwardAlgorithm::kPackedWeights
                         ? d.out_channels
                         : 1;
  int64_t outer_tiles =
      d.batch * (plan.forward_algorithm == ForwardAlgorithm::kPlanes
                     ? d.out_channels
                     : 1);
  plan.channels_per_tile = plan.channel_tiles = 1;
  plan.cols_per_tile = g.out_width;
  plan.col_tiles = 1;
  if (plan.forward_algorithm == ForwardAlgorithm::kNchw) {
    plan.channels_per_tile = ChannelsPerTile(shape, per_output, kChannelGrain);
    plan.channel_tiles =
        CeilDiv(shape.out_channels_per_group, plan.channels_per_tile);
    channels = plan.channels_per_tile;
    outer_tiles = d.batch * d.groups * plan.channel_tiles;
    const int64_t row_cost =
        SaturatingMul(SaturatingMul(channels, g.out_width), per_output);
    if (row_cost / 16 > kTileMultiplyAdds) {
      const int64_t pieces = std::min(CeilDiv(row_cost, kTileMultiplyAdds),
                                      CeilDiv(g.out_width, kColumnGrain));
      plan.cols_per_tile =
          kColumnGrain * CeilDiv(CeilDiv(g.out_width, pieces), kColumnGrain);
      plan.col_tiles = CeilDiv(g.out_width, plan.cols_per_tile);
    }
  } else if (plan.forward_algorithm == ForwardAlgorithm::kPackedWeights) {
    // Tiles run channel chunk by channel chunk, so consecutive tiles (on one
    // thread, mostly) share the chunk's packed weights in L2.
    plan.channels_per_tile =
        ChannelsPerTile(shape, per_output, kPackedChannelGrain);
    plan.channel_tiles =
        CeilDiv(shape.out_channels_per_group, plan.channels_per_tile);
    channels = d.groups * plan.channels_per_tile;
    outer_tiles = d.batch * plan.channel_tiles;
  }
  const int64_t row_cost =
      SaturatingMul(SaturatingMul(channels, plan.cols_per_tile), per_output);
  plan.rows_per_tile = std::max<int64_t>(1, kTileMultiplyAdds / row_cost);
  if (plan.forward_algorithm == ForwardAlgorithm::kPlanes) {
    // Whole register blocks of the plane kernels: a shorter tile would run
    // row by row.
    plan.rows_per_tile =
        kPlaneRowGrain * CeilDiv(plan.rows_per_tile, kPlaneRowGrain);
  }
  if (plan.forward_algorithm == ForwardAlgorithm::kPackedWeights &&
      g.out_width < kPackedBorderWidth && (d.pad_left > 0 || d.pad_right > 0)) {
    plan.rows_per_tile = std::max(plan.rows_per_tile, kPackedColumnBlockRows);
  }
  plan.rows_per_tile = std::min(g.out_height, plan.rows_per_tile);
  plan.row_tiles = CeilDiv(g.out_height, plan.rows_per_tile);
  plan.tile_count = outer_tiles * plan.row_tiles * plan.col_tiles;

  const int64_t total =
      SaturatingMul(SaturatingMul(d.batch * d.out_channels,
                                  shape.out_height * shape.out_width),
                    per_output);
  plan.serial = total < kSerialMultiplyAdds;
  // Other kernels' scratch is a bounded stack buffer; degenerate shapes run
  // the reference.
  plan.packed_channels = RoundUp(shape.out_channels_per_group, kPackedLanes);
  plan.packed_floats =
      SaturatingMul(SaturatingMul(d.groups, per_output), plan.packed_channels);
  const bool packed =
      plan.forward_algorithm == ForwardAlgorithm::kPackedWeights;
  plan.y_channels_last = packed && on_copies;
  plan.x_channels_last = packed && shape.layout == XCORR_LAYOUT_NCHW &&
                         (!PackedKernelIsWide() || on_copies);
  plan.depthwise_kernel =
      packed && single_planes &&
      d.kernel_height * d.kernel_width <= kNhwcDepthwiseMaxTaps;
  plan.x_copy_offset =
      plan.depthwise_kernel
          ? 0
          : RoundUp(std::min(plan.packed_floats, INT64_MAX / 2), kPackedLanes);
  plan.y_copy_offset =
      RoundUp(std::min(shape.x_elements, INT64_MAX / 2), kPackedLanes);
  int64_t workspace_floats = plan.depthwise_kernel ? 0 : plan.packed_floats;
  if (plan.x_channels_last) {
    workspace_floats =
        plan.y_channels_last
            ? SaturatingAdd(plan.x_copy_offset,
                            SaturatingAdd(plan.y_copy_offset, shape.y_elements))
            : SaturatingAdd(plan.x_copy_offset, shape.x_elements);
  }
  plan.forward_workspace_bytes =
      packed && !shape.degenerate && workspace_floats > 0
          ? WorkspaceBytes(workspace_floats)
          : 0;
  plan.backward = PlanBackwardTiling(shape);
  plan.workspace_bytes =
      std::max(plan.forward_workspace_bytes, plan.backward.workspace_bytes);
  return plan;
}

}  // namespace detail
}  // namespace xcorr
