// The backward pass's tile grid and scratch geometry, chosen once per plan
// (the plan's `backward` field) from the shape alone.
//
// Tiles are (group, image, block of output rows), numbered in that order.
// Tile t computes dx for the input rows of its block (gather form: every dx
// element has exactly one writer tile), and partial dw/dbias sums for its
// output rows into its own slot of the workspace. The partials are then
// added in tile order. Neither the grid nor that order depends on the thread
// count, which makes dw and dbias bitwise reproducible.
#ifndef XCORR_SRC_BACKWARD_TILING_H_
#define XCORR_SRC_BACKWARD_TILING_H_

#include <cstddef>
#include <cstdint>

#include "src/kernels.h"
#include "src/padded_plane.h"
#include "src/shape.h"

namespace xcorr {
namespace detail {

// The blocks of dw that the jobs of BackwardTiling::dw_by_channel_blocks
// own: whole register blocks of output channels (kOuterChannels), a few
// AVX-512 vectors of input channels.
constexpr int64_t kBlockGradOutChannels = 12;
constexpr int64_t kBlockGradInChannels = 64;

struct BackwardTiling {
  int64_t rows_per_tile;  // output rows per tile (the last tile may have fewer)
  int64_t row_tiles;      // tiles per (group, image)
  int64_t tile_count;     // groups * batch * row_tiles
  // Stride decomposition: tap u (v) lands kernel_row_shift (col) rows
  // (columns) down (right) in stride phase u * dilation % stride. The largest
  // shifts size the zero borders of the staged planes.
  int64_t max_row_shift, max_col_shift;
  // Elements per staged row: room for one column phase of a padded input row
  // (ceil(padded width / stride_width) elements) and for a dy row followed by
  // max_col_shift zeros.
  int64_t staged_row_stride;
  // dw by outer products over a channels-last copy of x (many input channels
  // per group). Its partial blocks are then in OHWI order, whatever dw's
  // layout, with input channels padded to partial_channels (a multiple of
  // 16: whole vectors of the x86 and NEON targets). Otherwise dw runs by dot
  // products over the pixels and its partials are in dw's layout.
  bool dw_channels_last;
  int64_t partial_channels;
  // Floats of one tile's partial sums: its group's dw block followed by its
  // group's dbias.
  int64_t dw_partial_floats, partial_floats;
  // dx by the forward's packed-weights kernel (stride 1, pads within the
  // dilated kernel, many input channels per group): dx is then the
  // correlation of dy, padded by the dilated kernel's extent less the pads,
  // with w turned by 180 degrees and its channels swapped. Each tile runs it
  // on its dx rows, reading dy in place. dx_geometry is that correlation for
  // one image and group; its weights, packed for the kernel with rows of
  // dx_packed_channels floats, open the workspace.
  bool dx_packed;
  // NCHW dx_packed on channels-last copies: each call copies dy to
  // dy_copy_offset floats into the workspace, the tiles write dx
  // channels-last at dx_copy_offset, and the call copies it to dx. On
  // planes, the kernel's stores of a pixel's channels go to as many planes.
  bool dx_on_copies;
  int64_t dy_copy_offset, dx_copy_offset;
  // dx of a 1x1 unpadded NCHW shape by the forward's NCHW kernel, which sees
  // a tile's dy rows as one long row: w^T dy for each image and group, from
  // dy in place, into dx itself (stride 1: see IsPointwise) or into scratch
  // that then goes to every stride-th pixel of dx's rows, zeros between.
  // w^T, per group [input channel][output channel], opens the workspace.
  bool dx_pointwise;
  DirectGeometry dx_geometry;  // of dx_packed
  int64_t dx_packed_channels;
  // Floats of dx's weights (packed or transposed) at the workspace's start.
  int64_t dx_weights_floats;
  // dx of one input and one output channel per group (stride 1, no
  // dilation, pads within the kernel, contiguous rows) on the padded-plane
  // kernel, reading dy in place: dx is the correlation of dy, padded as
  // dx_plane_padding says, with the kernel turned by 180 degrees.
  bool dx_plane;
  PlanePadding dx_plane_padding;
  PlaneStaging dx_plane_staging;
  // dw (by dot products) and dbias read dy in place, row by row: contiguous
  // rows at least a few vectors wide, fewer than four output channels per
  // group, stride_height 1, and no one-channel dx that would copy all of dy
  // anyway (its plane no wider than a strip; then all read one copy). The
  // shape alone decides, so that dw's and dbias's bits do not depend on dx
  // being requested.
  bool dy_in_place;
  // Where the partial sums start in the workspace, in floats.
  int64_t partials_offset;
  // dw and dbias not from the tiles' partials but by jobs that each own a
  // block of them (kBlockGradOutChannels output channels by
  // kBlockGradInChannels input channels of dw) and sum over every image and
  // pixel (channel_block_grads-inl.h): where dw runs by outer products and
  // a tile covers few pixels, whose partial block, as large as dw, would
  // cost more to store and reduce than its few multiply-adds a float. The
  // tiles then compute dx alone. Each call first copies x channels-last,
  // zero-bordered, [group][image][row][column][partial_channels], to
  // batch_x_offset floats into the workspace (batch_x_image_floats per
  // image), and NHWC dy as planes at dy_planes_offset.
  bool dw_by_channel_blocks;
  int64_t batch_x_offset, batch_x_image_floats, dy_planes_offset;
  // The same with vectors over output channels (fewer than 16 input
  // channels, one group, output channels a multiple of 16: a stem's 3 ->
  // 64): each job owns kBlockGradOutChannels rows of dw's flat weights of
  // an output channel ((c, u, v) in OIHW, (u, v, c) in OHWI) for every
  // output channel, whose broadcast x elements meet vectors of dy's
  // channels. x is then copied as zero-bordered planes, [image][channel]
  // [row][column], and NCHW dy channels-last at dy_channels_last_offset
  // (NHWC dy is read in place).
  bool dw_over_output_channels;
  int64_t dy_channels_last_offset;
  // Tiles that compute dx alone on the packed kernel (dw_by_channel_blocks
  // and dx_packed) also split the group's input channels, in
  // dx_channel_tiles blocks of dx_channels_per_tile, as the forward's
  // tiles split output channels: small planes are then more than a tile or
  // two. Tile t covers channel block t / (tile_count / dx_channel_tiles) of
  // the (group, image, row block) numbered t % (tile_count /
  // dx_channel_tiles). Otherwise one block of all the group's channels.
  int64_t dx_channel_tiles, dx_channels_per_tile;
  bool serial;  // small enough to run on the calling thread
  // Depthwise shapes (groups of one input and one output channel) that run
  // in the other layout: each call copies x (for dw) and dy to it, runs
  // this grid, planned for that shape (copied_shape), and copies dx back.
  // The copies take x_elements (x), y_elements (dy) and x_elements (dx)
  // floats from copies_offset floats into the workspace. NHWC goes to
  // planes (NCHW) where the depthwise kernel below does not run: group by
  // group, NHWC is read one element per cache line. NCHW goes channels-last,
  // to the depthwise kernel, where the planes would be strided, dilated or
  // small (see PlanBackwardTiling).
  bool via_copies;
  ConvShape copied_shape;
  int64_t copies_offset;
  // Depthwise NHWC of at least 16 channels and at most
  // kNhwcDepthwiseMaxTaps taps runs a kernel of its own
  // (depthwise_backward-inl.h), vectors over channels. Its tiles are
  // (image, block of rows_per_tile output rows), all channels; a tile's
  // partials are dw as [tap][depthwise_channels] (channels padded with
  // zeros to whole vectors), then dbias likewise. dx's weights, in the same
  // [tap][channel] form, open the workspace (dx_weights_floats).
  bool depthwise;
  int64_t depthwise_channels;
  size_t workspace_bytes;
};

// The zero-padded input rows (or columns) that `outputs` output rows
// (columns) read, their taps `kernel` long, `dilation` apart.
inline int64_t InputSpan(int64_t outputs, int64_t stride, int64_t kernel,
                         int64_t dilation) {
  return (outputs - 1) * stride + (kernel - 1) * dilation + 1;
}

// Whether dx reads dy from each tile's staged copy: the gather form always;
// the plane kernel when dw or dbias stage dy too, so that one copy serves
// all. (AVX3, 1 thread, 256x256 3x3, dx + dw: 31 us with dx reading dy in
// place, 29 us from the copy.)
inline bool DxReadsStagedDy(const BackwardTiling& t, bool dx_wanted,
                            bool partials_wanted) {
  if (!dx_wanted || t.dx_packed || t.dx_pointwise) return false;
  if (!t.dx_plane) return true;
  return partials_wanted && !t.dy_in_place;
}

// Whether each tile stages dy: for dx (DxReadsStagedDy), or for dw and
// dbias where they do not read it in place (else they never read the copy).
inline bool StagesDy(const BackwardTiling& t, bool dx_wanted,
                     bool partials_wanted) {
  return DxReadsStagedDy(t, dx_wanted, partials_wanted) ||
         (partials_wanted && !t.dy_in_place);
}

// Whether dw runs flat dot products over staged dy, across its rows' ends.
inline bool DwReadsStagedDy(const BackwardTiling& t) {
  return !t.dw_channels_last && !t.dy_in_place;
}

// Picks the tile grid for a validated shape; defined in backward.cc.
BackwardTiling PlanBackwardTiling(const ConvShape& shape);

// The workspace bytes that a backward call computing dx (dx_wanted) and dw
// or dbias (partials_wanted) needs.
size_t BackwardWorkspaceBytes(const BackwardTiling& tiling, bool dx_wanted,
                              bool partials_wanted);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_BACKWARD_TILING_H_
