// Backward conv2d: the tile grid (PlanBackwardTiling), the parallel loop over
// tiles, and the fixed-order reduction of the dw/dbias partials.
//
// Each tile (group, image, block of output rows) reads its dy rows once for
// all requested gradients: dbias and dw partials of its output rows, and dx
// of the input rows it owns (gather form, or the forward's packed-weights
// kernel: no two tiles write one dx element). See backward_tiling.h and
// backward_kernels-inl.h.
#include "src/backward.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "src/backward_kernels.h"
#include "src/finite.h"
#include "src/int_math.h"
#include "src/kernels.h"
#include "src/layout_copy.h"
#include "src/reference.h"
#include "src/threading.h"
#include "src/workspace.h"

namespace xcorr {
namespace detail {
namespace {

// Below this many multiply-adds (per gradient) a call runs on the calling
// thread: a TBB task costs about a microsecond.
constexpr int64_t kSerialMultiplyAdds = 1 << 16;
// A tile aims at this many multiply-adds per gradient: enough to hide the task
// overhead and the per-tile staging, few enough to balance 16 cores.
constexpr int64_t kTileMultiplyAdds = 1 << 18;
// Grid tiles (PlanBackwardTiling) aim at twice as many: each tile stages a
// dx halo of dy rows, and dw runs the rows at its ends kernel row by kernel
// row (one channel, AVX3, 1 thread, GFLOP/s, medians of 6 alternating runs:
// 3x3 256x256 81.2 -> 84.3, 1024x1024 72.4 -> 75.7; 7x7 1024x1024 79.4 ->
// 85.5; at 2 threads the same within noise, 256x256 in two tiles).
constexpr int64_t kGridTileMultiplyAdds = 1 << 19;
// And at least this many staged dy elements, over which each dw partial is
// one horizontal sum of vector accumulators.
constexpr int64_t kMinTileElements = 1024;
// Tile rows per row of dx halo (see PlanBackwardTiling).
constexpr int64_t kMinRowsPerHaloRow = 4;
// Partial sums stay below this many bytes; larger shapes get fewer, taller
// tiles.
constexpr int64_t kMaxPartialBytes = int64_t{256} << 20;
// dw/dbias elements per reduction task.
constexpr int64_t kReduceChunk = 4096;
// From this many input channels per group dw runs by outer products, whose
// vectors run over input channels.
constexpr int64_t kChannelsLastMinChannels = 16;

// From this many input channels per group (vectors over them) dx runs on
// the forward's packed-weights kernel (see BackwardTiling::dx_packed): NHWC
// on every target; NCHW where the forward runs it too (PackedKernelIsWide)
// and with at most kPackedDxMaxPlanes output channels per group, whose dy
// rows then stay in L1 while a pixel block reads them. AVX3, 1 thread, dx
// of 56x56 3x3 pad 1, gather against packed, ms: 64 -> 64 channels NHWC
// 2.53 -> 2.09, NCHW 2.56 -> 2.45; 256 -> 256 14x14 NHWC 3.45 -> 2.16, but
// NCHW 3.52 -> 3.82.
constexpr int64_t kPackedDxMinChannels = 16;
constexpr int64_t kPackedDxMaxPlanes = 64;
// Pointwise NCHW dx on planes of at most this many pixels runs on the
// packed kernel too, not as the NCHW kernel's one long row of a few vectors
// (AVX3, 1 thread, dx GFLOP/s: 2048 -> 512 7x7 43 -> 74, 256 -> 256 47 ->
// 73), as the forward does (see plan.cc).
constexpr int64_t kPointwisePackedDxMaxPixels = 8 * 8;

// dw and dbias run by blocks of channels over the whole batch (see
// BackwardTiling::dw_by_channel_blocks) where dw runs by outer products and
// a tile covers fewer output pixels than this, or the grid is one tile,
// which no second thread would share. (AVX3, 3x3 pad 1, backward GFLOP/s,
// 1 / 2 threads: NCHW 512 -> 512 7x7 batch 8 70 / 142 -> 103 / 202;
// 256 -> 256 14x14 90 -> 98; 128 -> 128 28x28, one tile, 106 / 106 ->
// 109 / 143. But on larger planes in a few tiles the blocks lose: 64 -> 64
// 56x56, four tiles of 784 pixels, 198 -> 170 on 2 threads; 1x1 256 -> 64
// 56x56, three tiles, 93 -> 85 on 1.)
constexpr int64_t kBlockGradsMaxTilePixels = 256;

// dw runs with vectors over output channels (see
// BackwardTiling::dw_over_output_channels) from this many weights per
// output channel, which amortize the copy of dy: AVX3, 1 thread, dw
// GFLOP/s against dot products: NCHW 3 -> 64 224x224 7x7 stride 2 (147) 66
// -> 94, LeNet's 256 x 6 -> 16 14x14 5x5 (150) 25 -> 60, 8 -> 32 56x56
// 3x3 (72) 76 -> 91; 4 -> 16 28x28 batch 8 (36) 63 -> 73, but its whole
// backward 71 -> 66; 1 -> 32 64x64 7x7 (49) backward 61 -> 58; 3 -> 64
// 224x224 3x3 (27) backward 52 -> 44, 1 -> 32 64x64 3x3 (9) dw 44 -> 34.
constexpr int64_t kOutputVectorMinRows = 64;

// Tiles that compute dx alone on the packed kernel (see
// BackwardTiling::dx_channel_tiles) take blocks of this many input
// channels, whole register blocks of the AVX-512 kernel, and aim at
// kDxTileMultiplyAdds multiply-adds, at least kDxTileMinRows rows (the
// kernel's blocks of border columns; see plan.cc), as the forward's tiles.
constexpr int64_t kDxTileChannels = 64;
constexpr int64_t kDxTileMultiplyAdds = 1 << 17;
constexpr int64_t kDxTileMinRows = 7;

// See PlanDepthwiseTiling.
constexpr int64_t kDepthwiseSetFloats = 256;
// Depthwise shapes of at least this many channels run the depthwise kernel
// (BackwardTiling::depthwise): with fewer, its vectors are mostly padding
// (AVX3, 1 thread, 2 channels 64x64 3x3: 16.7 GFLOP/s on planes, 3.1 on
// the kernel).
constexpr int64_t kDepthwiseMinChannels = 16;
// NCHW depthwise shapes go to the depthwise kernel on channels-last copies
// when strided, or when their output planes are at most this many pixels;
// the others stay on the planes' grid. (AVX3, 1 thread, 3x3 pad 1,
// backward GFLOP/s, planes against copies: 384 channels 14x14 5.4 ->
// 17.6, 960 channels 7x7 3.3 -> 16.5, 144 channels 56x56 stride 2 4.2 ->
// 10.1; but 192 channels 28x28 27.6 against 26.2, 64 channels 56x56
// dilation 2 32.9 against 27.0.)
constexpr int64_t kDepthwiseCopiesMaxPixels = 16 * 16;

// One-channel dx on padded planes up to this wide reads each tile's staged
// copy of dy, which dw and dbias then read too, rather than dy in place with
// the padded-plane kernel staging its border; not where the kernel reads the
// border with masked loads instead. (AVX3, 1 thread, 256x256 backward,
// GFLOP/s, staged against in place: 5x5 pad 2 77 against 70; with masked
// loads, 3x3 82 against 94, 5x5 93.7 against 96.7.)
constexpr int64_t kDxStagedDyMaxWidth = 256;

// dy rows at least this wide are read in place by dw and dbias (see
// BackwardTiling::dy_in_place); narrower ones are staged, to run as one flat
// run rather than a masked tail per row.
constexpr int64_t kInPlaceDyMinWidth = 64;

// Channels-last dw partials pad input channels to a multiple of this: whole
// vectors of the x86 and NEON targets (wider vectors store the padding's
// last vector in part).
constexpr int64_t kPartialChannelMultiple = 16;

// Whether `rows` rows of `row_multiply_adds` each are few enough to run on
// the calling thread (see kSerialMultiplyAdds).
bool RunsOnCallingThread(int64_t rows, int64_t row_multiply_adds) {
  int64_t multiply_adds = 0;
  return !__builtin_mul_overflow(rows, row_multiply_adds, &multiply_adds) &&
         multiply_adds < kSerialMultiplyAdds;
}

// The workspace floats of a grid: dx's packed weights, then the tiles'
// partial sums.
int64_t GridWorkspaceFloats(const BackwardTiling& t) {
  return SaturatingAdd(t.partials_offset,
                       SaturatingMul(t.tile_count, t.partial_floats));
}

// Adds the channels-last dw partials [begin, end) of one group and writes the
// sums of real channels to their places in the group's block of dw.
void SumChannelsLastPartials(const ConvShape& s, const BackwardTiling& t,
                             const float* in, int64_t count, int64_t begin,
                             int64_t end, float* dw) {
  float sums[kReduceChunk];
  SumPartials(in + begin, count, t.partial_floats, end - begin, sums);
  const int64_t kernel_width = s.desc.kernel_width;
  const int64_t taps = s.desc.kernel_height * kernel_width;
  // Row by row of partial_channels (one output channel and tap).
  for (int64_t k = begin; k < end;) {
    const int64_t row = k / t.partial_channels;
    const int64_t row_begin = row * t.partial_channels;
    const int64_t real_end = std::min(end, row_begin + s.in_channels_per_group);
    const int64_t tap = row % taps;
    float* to = dw + row / taps * s.w_strides.n +
                tap / kernel_width * s.w_strides.h +
                tap % kernel_width * s.w_strides.w;
    for (; k < real_end; ++k) {
      to[(k - row_begin) * s.w_strides.c] = sums[k - begin];
    }
    k = std::max(k, std::min(end, row_begin + t.partial_channels));
  }
}

// Whether dx runs on the NCHW pointwise kernel or on the packed-weights
// kernel, and with what geometry (see BackwardTiling::dx_pointwise and
// dx_packed).
void PlanForwardKernelDx(const ConvShape& s, BackwardTiling* t) {
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t extent_height = (d.kernel_height - 1) * d.dilation_height;
  const int64_t extent_width = (d.kernel_width - 1) * d.dilation_width;
  t->dx_on_copies = false;
  t->dx_pointwise =
      !s.degenerate && s.layout == XCORR_LAYOUT_NCHW && d.kernel_height == 1 &&
      d.kernel_width == 1 && d.pad_top == 0 && d.pad_bottom == 0 &&
      d.pad_left == 0 && d.pad_right == 0 &&
      s.in_channels_per_group * s.out_channels_per_group > 1 &&
      !(IsPointwise(d) && s.in_channels_per_group >= kPackedDxMinChannels &&
        d.in_height * d.in_width <= kPointwisePackedDxMaxPixels);
  if (t->dx_pointwise) {
    t->dx_packed = false;
    t->dx_packed_channels = 0;
    t->dx_weights_floats = SaturatingMul(
        d.groups, s.in_channels_per_group * s.out_channels_per_group);
    return;
  }
  t->dx_packed = !s.degenerate && d.stride_height == 1 && d.stride_width == 1 &&
                 std::max(d.pad_top, d.pad_bottom) <= extent_height &&
                 std::max(d.pad_left, d.pad_right) <= extent_width &&
                 s.in_channels_per_group >= kPackedDxMinChannels;
  t->dx_on_copies =
      t->dx_packed && s.layout == XCORR_LAYOUT_NCHW &&
      !(PackedKernelIsWide() && s.out_channels_per_group <= kPackedDxMaxPlanes);
  t->dx_packed_channels = t->dx_weights_floats = 0;
  if (!t->dx_packed) return;
  DirectGeometry& g = t->dx_geometry;
  g.in_height = s.out_height;
  g.in_width = s.out_width;
  g.out_height = d.in_height;
  g.out_width = d.in_width;
  g.kernel_height = d.kernel_height;
  g.kernel_width = d.kernel_width;
  g.stride_height = g.stride_width = 1;
  g.dilation_height = d.dilation_height;
  g.dilation_width = d.dilation_width;
  g.pad_top = extent_height - d.pad_top;
  g.pad_left = extent_width - d.pad_left;
  g.in_channels = s.out_channels_per_group;
  t->dx_packed_channels = RoundUp(s.in_channels_per_group, kPackedLanes);
  t->dx_weights_floats = SaturatingMul(
      SaturatingMul(d.groups, d.kernel_height * d.kernel_width),
      SaturatingMul(s.out_channels_per_group, t->dx_packed_channels));
}

// Whether one-channel dx runs on the padded-plane kernel, and its padding
// and staging (see BackwardTiling::dx_plane).
void PlanPlaneDx(const ConvShape& s, BackwardTiling* t) {
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t extent_height = d.kernel_height - 1;
  const int64_t extent_width = d.kernel_width - 1;
  t->dx_plane_padding = {s.out_height, s.out_width, extent_height - d.pad_top,
                         extent_width - d.pad_left};
  const bool full = d.pad_top == extent_height &&
                    d.pad_bottom == extent_height &&
                    d.pad_left == extent_width && d.pad_right == extent_width;
  t->dx_plane_staging =
      full ? PlaneStaging{}
           : PaddedStagingOf(d.in_width, d.kernel_height, d.kernel_width);
  t->dx_plane = !s.degenerate && s.in_channels_per_group == 1 &&
                s.out_channels_per_group == 1 && d.stride_height == 1 &&
                d.stride_width == 1 && d.dilation_height == 1 &&
                d.dilation_width == 1 && s.x_strides.w == 1 &&
                s.y_strides.w == 1 &&
                std::max(d.pad_top, d.pad_bottom) <= extent_height &&
                std::max(d.pad_left, d.pad_right) <= extent_width &&
                (full || t->dx_plane_staging.row_stride != 0);
}

// Whether dw and dbias run by blocks of channels, and their copies' places
// in the workspace, after dx's (see BackwardTiling::dw_by_channel_blocks).
void PlanChannelBlockGrads(const ConvShape& s, BackwardTiling* t) {
  const xcorr_conv2d_desc& d = s.desc;
  t->dw_by_channel_blocks = !s.degenerate && t->dw_channels_last &&
                            (SaturatingMul(t->rows_per_tile, s.out_width) <
                                 kBlockGradsMaxTilePixels ||
                             t->tile_count == 1);
  t->dw_over_output_channels = !s.degenerate && !t->dw_channels_last &&
                               d.groups == 1 &&
                               d.out_channels % kPartialChannelMultiple == 0 &&
                               s.w_strides.n >= kOutputVectorMinRows;
  t->dw_by_channel_blocks =
      t->dw_by_channel_blocks || t->dw_over_output_channels;
  t->batch_x_offset = t->batch_x_image_floats = t->dy_planes_offset =
      t->dy_channels_last_offset = 0;
  t->dx_channel_tiles = 1;
  t->dx_channels_per_tile = s.in_channels_per_group;
  if (!t->dw_by_channel_blocks) return;
  if (t->dx_packed) {
    t->dx_channels_per_tile =
        std::min(s.in_channels_per_group, kDxTileChannels);
    t->dx_channel_tiles =
        CeilDiv(s.in_channels_per_group, t->dx_channels_per_tile);
    const int64_t row_multiply_adds =
        SaturatingMul(SaturatingMul(t->dx_channels_per_tile, d.in_width),
                      SaturatingMul(s.out_channels_per_group,
                                    d.kernel_height * d.kernel_width));
    t->rows_per_tile = std::min(
        s.out_height,
        std::max(kDxTileMinRows, kDxTileMultiplyAdds / row_multiply_adds));
    t->row_tiles = CeilDiv(s.out_height, t->rows_per_tile);
    t->tile_count = d.groups * d.batch * t->row_tiles * t->dx_channel_tiles;
  }
  t->batch_x_offset = t->partials_offset;
  t->batch_x_image_floats = SaturatingMul(
      SaturatingMul(InputSpan(s.out_height, d.stride_height, d.kernel_height,
                              d.dilation_height),
                    InputSpan(s.out_width, d.stride_width, d.kernel_width,
                              d.dilation_width)),
      t->dw_over_output_channels ? d.in_channels : t->partial_channels);
  const auto after = [](int64_t offset, int64_t floats) {
    return RoundUp(std::min(SaturatingAdd(offset, floats), INT64_MAX / 2),
                   kPackedLanes);
  };
  t->dy_channels_last_offset =
      after(t->batch_x_offset,
            SaturatingMul(d.groups * d.batch, t->batch_x_image_floats));
  t->dy_planes_offset = after(
      t->dy_channels_last_offset,
      t->dw_over_output_channels && s.layout == XCORR_LAYOUT_NCHW ? s.y_elements
                                                                  : 0);
}

// dx's packed weights (see BackwardTiling::dx_packed): for group g, row
// (tap t, output channel o) holds w[g * out_per_group + o][c] at tap
// taps - 1 - t for every input channel c of the group, in panels of
// kPackedLanes input channels (see PackedIndex), then zeros to
// dx_packed_channels. The tasks (one per output channel) write disjoint rows.
void PackInputGradWeights(const ConvShape& s, const BackwardTiling& t,
                          const float* w, float* packed) {
  const int64_t taps = s.desc.kernel_height * s.desc.kernel_width;
  const int64_t out_per_group = s.out_channels_per_group;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t group_rows = taps * out_per_group;
  ForEachTile(s.desc.groups * out_per_group, t.serial, [&](int64_t channel) {
    const int64_t g = channel / out_per_group, o = channel % out_per_group;
    const float* from = w + channel * s.w_strides.n;
    float* group_packed = packed + g * group_rows * t.dx_packed_channels;
    // Row (taps - 1 - k, o) of the group takes tap k.
    const int64_t step = -out_per_group * kPackedLanes;
    for (int64_t c = 0; c < in_per_group; c += kPackedLanes) {
      const int64_t channels = std::min(kPackedLanes, in_per_group - c);
      float* last = group_packed +
                    PackedIndex(group_rows, (taps - 1) * out_per_group + o, c);
      if (s.w_strides.c == 1 && channels == kPackedLanes) {
        // OHWI, whole panels: a copy of constant size, which the compiler
        // makes one vector move (a call to memmove per panel took a quarter
        // of NHWC 512 -> 512 7x7 3x3's backward).
        for (int64_t k = 0; k < taps; ++k) {
          std::memcpy(last + k * step, from + k * in_per_group + c,
                      kPackedLanes * sizeof(float));
        }
        continue;
      }
      if (s.w_strides.c == 1) {  // OHWI: each tap's channels are contiguous
        for (int64_t k = 0; k < taps; ++k) {
          std::copy(from + k * in_per_group + c,
                    from + k * in_per_group + c + channels, last + k * step);
        }
      } else {  // OIHW: each channel's taps are contiguous
        TransposeWithin(from + c * taps, taps, channels, taps, w + s.w_elements,
                        last, step);
      }
      for (int64_t k = 0; k < taps; ++k) {
        std::fill(last + k * step + channels, last + k * step + kPackedLanes,
                  0.0f);
      }
    }
  });
}

// dx's transposed weights (see BackwardTiling::dx_pointwise): group g's
// block holds w[g * out_per_group + o][c] at c * out_per_group + o.
void TransposeInputGradWeights(const ConvShape& s, const BackwardTiling& t,
                               const float* w, float* transposed) {
  const int64_t out_per_group = s.out_channels_per_group;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t block = out_per_group * in_per_group;
  ForEachTile(s.desc.groups, t.serial, [&](int64_t g) {
    Transpose(w + g * block, in_per_group, out_per_group, in_per_group,
              transposed + g * block, out_per_group);
  });
}

// Adds the tiles' dw and dbias partials in tile order into dw and dbias
// (either may be NULL).
void ReduceTilePartials(const ConvShape& s, const BackwardTiling& t,
                        const float* partials, float* dw, float* dbias) {
  // Group g's partials are tiles [g, g + 1) * tiles_per_group, added in tile
  // order; its dw block (o outermost in both layouts) and dbias are
  // contiguous in the outputs.
  const int64_t tiles_per_group = t.tile_count / s.desc.groups;
  const int64_t chunks = CeilDiv(t.partial_floats, kReduceChunk);
  ForEachTile(s.desc.groups * chunks, t.serial, [&](int64_t job) {
    const int64_t g = job / chunks;
    const int64_t begin = job % chunks * kReduceChunk;
    const int64_t end = std::min(begin + kReduceChunk, t.partial_floats);
    const float* in = partials + g * tiles_per_group * t.partial_floats;
    // Split at the dw/dbias boundary of the partial block.
    const int64_t dw_end = std::min(end, t.dw_partial_floats);
    if (dw != nullptr && begin < dw_end) {
      float* group_dw = dw + g * s.out_channels_per_group * s.w_strides.n;
      if (t.dw_channels_last) {
        SumChannelsLastPartials(s, t, in, tiles_per_group, begin, dw_end,
                                group_dw);
      } else {
        SumPartials(in + begin, tiles_per_group, t.partial_floats,
                    dw_end - begin, group_dw + begin);
      }
    }
    const int64_t dbias_begin = std::max(begin, t.dw_partial_floats);
    if (dbias != nullptr && dbias_begin < end) {
      SumPartials(in + dbias_begin, tiles_per_group, t.partial_floats,
                  end - dbias_begin,
                  dbias + g * s.out_channels_per_group + dbias_begin -
                      t.dw_partial_floats);
    }
  });
}

}  // namespace

size_t BackwardWorkspaceBytes(const BackwardTiling& t, bool dx_wanted,
                              bool partials_wanted) {
  if (partials_wanted || t.via_copies) return t.workspace_bytes;
  return dx_wanted && (t.dx_packed || t.dx_pointwise || t.depthwise)
             ? WorkspaceBytes(t.partials_offset)
             : 0;
}

// The grid of BackwardTiling::depthwise.
BackwardTiling PlanDepthwiseTiling(const ConvShape& s) {
  const xcorr_conv2d_desc& d = s.desc;
  BackwardTiling t{};
  t.depthwise = true;
  t.dx_channel_tiles = 1;
  t.depthwise_channels = RoundUp(d.in_channels, kPackedLanes);
  // Pixels a multiple of 1 KiB apart would put one vector of every pixel
  // that a loop walks into a few L1 sets (1024 channels, 14x14, 3x3: dw
  // 12.5 GFLOP/s).
  if (t.depthwise_channels % kDepthwiseSetFloats == 0) {
    t.depthwise_channels += kPackedLanes;
  }
  const int64_t taps = d.kernel_height * d.kernel_width;
  const int64_t row_multiply_adds =
      SaturatingMul(d.in_channels, SaturatingMul(s.out_width, taps));
  t.dw_partial_floats = taps * t.depthwise_channels;
  t.partial_floats = t.dw_partial_floats + t.depthwise_channels;
  const int64_t max_row_tiles = std::max<int64_t>(
      1, kMaxPartialBytes /
             SaturatingMul(d.batch, SaturatingMul(t.partial_floats, 4)));
  const int64_t rows = std::max(CeilDiv(kTileMultiplyAdds, row_multiply_adds),
                                CeilDiv(s.out_height, max_row_tiles));
  t.rows_per_tile = std::min(rows, s.out_height);
  t.row_tiles = CeilDiv(s.out_height, t.rows_per_tile);
  t.tile_count = d.batch * t.row_tiles;
  t.serial = RunsOnCallingThread(d.batch * s.out_height, row_multiply_adds);
  t.dx_weights_floats = t.dw_partial_floats;
  t.partials_offset = RoundUp(t.dx_weights_floats, kPackedLanes);
  t.workspace_bytes = WorkspaceBytes(GridWorkspaceFloats(t));
  return t;
}

BackwardTiling PlanBackwardTiling(const ConvShape& s) {
  const xcorr_conv2d_desc& d = s.desc;
  if (!s.degenerate && d.groups > 1 && s.in_channels_per_group == 1 &&
      s.out_channels_per_group == 1) {
    const bool kernel =
        d.in_channels >= kDepthwiseMinChannels &&
        d.kernel_height * d.kernel_width <= kNhwcDepthwiseMaxTaps;
    if (s.layout == XCORR_LAYOUT_NHWC && kernel) return PlanDepthwiseTiling(s);
    const bool strided = d.stride_height != 1 || d.stride_width != 1;
    const bool to_channels_last =
        s.layout == XCORR_LAYOUT_NCHW && kernel &&
        (strided || s.out_height * s.out_width <= kDepthwiseCopiesMaxPixels);
    xcorr_conv2d_desc copied_desc = d;
    copied_desc.layout =
        s.layout == XCORR_LAYOUT_NHWC ? XCORR_LAYOUT_NCHW : XCORR_LAYOUT_NHWC;
    ConvShape copied;
    if ((s.layout == XCORR_LAYOUT_NHWC || to_channels_last) &&
        ValidateConvDesc(&copied_desc, &copied).ok()) {
      BackwardTiling t = PlanBackwardTiling(copied);
      t.via_copies = true;
      t.copied_shape = copied;
      t.copies_offset = RoundUp(GridWorkspaceFloats(t), kPackedLanes);
      t.workspace_bytes = WorkspaceBytes(SaturatingAdd(
          t.copies_offset,
          SaturatingAdd(SaturatingMul(2, s.x_elements), s.y_elements)));
      return t;
    }
  }
  BackwardTiling t;
  t.max_row_shift = (d.kernel_height - 1) * d.dilation_height / d.stride_height;
  t.max_col_shift = (d.kernel_width - 1) * d.dilation_width / d.stride_width;
  t.staged_row_stride =
      std::max(CeilDiv(d.in_width + d.pad_left + d.pad_right, d.stride_width),
               s.out_width + t.max_col_shift);
  t.dw_channels_last = s.in_channels_per_group >= kChannelsLastMinChannels;
  t.partial_channels =
      RoundUp(s.in_channels_per_group, kPartialChannelMultiple);
  // Padded channels keep this below twice w's elements (from 16 channels),
  // which fits.
  t.dw_partial_floats = t.dw_channels_last
                            ? s.out_channels_per_group * d.kernel_height *
                                  d.kernel_width * t.partial_channels
                            : s.out_channels_per_group * s.w_strides.n;
  t.partial_floats = t.dw_partial_floats + s.out_channels_per_group;

  // Saturating: a huge shape only needs the comparisons below to hold.
  const int64_t row_multiply_adds = SaturatingMul(
      std::min<int64_t>(s.out_channels_per_group * s.w_strides.n, 1 << 20),
      s.out_width);
  // dx of a tile reads max_row_shift dy rows above its own: tall enough
  // tiles keep that halo a small part of what they stage.
  const int64_t min_rows =
      std::max(CeilDiv(kMinTileElements, t.staged_row_stride),
               SaturatingMul(kMinRowsPerHaloRow, t.max_row_shift));
  const int64_t rows =
      std::max(CeilDiv(kGridTileMultiplyAdds, row_multiply_adds), min_rows);
  int64_t row_tiles = CeilDiv(s.out_height, std::min(rows, s.out_height));
  const int64_t planes = d.groups * d.batch;
  // partial_floats may pass 2^61 (w's elements plus dbias), so its bytes
  // may not fit either.
  const int64_t partial_bytes_per_row_tile = SaturatingMul(
      planes, SaturatingMul(t.partial_floats, int64_t{sizeof(float)}));
  const int64_t max_row_tiles =
      std::max<int64_t>(1, kMaxPartialBytes / partial_bytes_per_row_tile);
  row_tiles = std::min(row_tiles, max_row_tiles);
  // Even blocks: 56 rows in 4 tiles of 14, not 3 of 18 and one of 2.
  const auto set_row_tiles = [&](int64_t count) {
    t.rows_per_tile = CeilDiv(s.out_height, count);
    t.row_tiles = CeilDiv(s.out_height, t.rows_per_tile);
  };
  set_row_tiles(row_tiles);
  // Several tiles in an even number, so that two threads share them evenly,
  // where one more row tile keeps the rows required above (one channel,
  // 256x256 3x3, AVX3, 2 threads: 3 tiles 22 us, 4 tiles 17 us).
  if (t.row_tiles > 1 && planes * t.row_tiles % 2 == 1 &&
      t.row_tiles < max_row_tiles) {
    const int64_t rows_per_tile = CeilDiv(s.out_height, t.row_tiles + 1);
    if (rows_per_tile >= min_rows &&
        CeilDiv(s.out_height, rows_per_tile) % 2 == 0) {
      set_row_tiles(t.row_tiles + 1);
    }
  }
  t.tile_count = planes * t.row_tiles;

  t.serial = RunsOnCallingThread(planes * s.out_height, row_multiply_adds);
  PlanForwardKernelDx(s, &t);
  PlanPlaneDx(s, &t);
  const int64_t extent_width = d.kernel_width - 1;
  const bool dx_stages_dy =
      t.dx_plane && t.dx_plane_staging.row_stride != 0 &&
      d.in_width <= kDxStagedDyMaxWidth &&
      !PlaneMasksColumns(d.kernel_height, d.kernel_width,
                         extent_width - d.pad_left, extent_width - d.pad_right);
  t.dy_in_place = !t.dw_channels_last && s.y_strides.w == 1 &&
                  s.out_width >= kInPlaceDyMinWidth &&
                  s.out_channels_per_group < 4 && d.stride_height == 1 &&
                  !dx_stages_dy;
  // The partials start on a cache line after dx's packed weights.
  t.partials_offset =
      std::min(RoundUp(t.dx_weights_floats, kPackedLanes), INT64_MAX / 2);
  t.dy_copy_offset = t.dx_copy_offset = 0;
  if (t.dx_on_copies) {
    t.dy_copy_offset = t.partials_offset;
    t.dx_copy_offset = RoundUp(t.dy_copy_offset + s.y_elements, kPackedLanes);
    t.partials_offset = RoundUp(t.dx_copy_offset + s.x_elements, kPackedLanes);
  }
  t.via_copies = false;
  t.copies_offset = 0;
  t.depthwise = false;
  t.depthwise_channels = 0;
  PlanChannelBlockGrads(s, &t);
  // Degenerate shapes run the reference, which needs no workspace.
  t.workspace_bytes =
      s.degenerate ? 0
      : t.dw_by_channel_blocks
          ? WorkspaceBytes(
                SaturatingAdd(t.dy_planes_offset,
                              s.layout == XCORR_LAYOUT_NHWC ? s.y_elements : 0))
          : WorkspaceBytes(GridWorkspaceFloats(t));
  return t;
}

namespace {

// dw and dbias (either may be NULL) by the jobs of
// BackwardTiling::dw_by_channel_blocks.
void GradsByChannelBlocks(const ConvShape& s, const BackwardTiling& t,
                          const float* x, const float* dy, float* dw,
                          float* dbias, float* floats) {
  const xcorr_conv2d_desc& d = s.desc;
  BackwardTask task{&s,      &t,      x,       nullptr,       dy,
                    nullptr, nullptr, nullptr, dw != nullptr, dbias != nullptr};
  task.dw = dw;
  task.dbias = dbias;
  task.batch_x = floats + t.batch_x_offset;
  // dy as planes, for dbias and for dw over input channels.
  const bool planes_read = dbias != nullptr || !t.dw_over_output_channels;
  if (s.layout == XCORR_LAYOUT_NHWC && planes_read) {
    float* planes = floats + t.dy_planes_offset;
    CopyToPlanes(dy, d.batch, s.out_height * s.out_width, d.out_channels,
                 t.serial, planes);
    task.dy_planes = planes;
  } else if (s.layout == XCORR_LAYOUT_NCHW) {
    task.dy_planes = dy;
  }
  const int64_t out_blocks =
      CeilDiv(s.out_channels_per_group, kBlockGradOutChannels);
  if (dw != nullptr && t.dw_over_output_channels) {
    ForEachTile(d.batch * d.in_channels, t.serial,
                [&](int64_t job) { StageBatchX(task, job); });
    if (s.layout == XCORR_LAYOUT_NCHW) {
      float* channels_last = floats + t.dy_channels_last_offset;
      CopyToChannelsLast(dy, d.batch, s.out_height * s.out_width,
                         d.out_channels, t.serial, channels_last);
      task.dy_channels_last = channels_last;
    } else {
      task.dy_channels_last = dy;
    }
    ForEachTile(CeilDiv(s.w_strides.n, kBlockGradOutChannels), t.serial,
                [&](int64_t job) { BlockWeightGradsJob(task, job); });
  } else if (dw != nullptr) {
    ForEachTile(d.groups * d.batch, t.serial,
                [&](int64_t job) { StageBatchX(task, job); });
    const int64_t in_blocks =
        CeilDiv(s.in_channels_per_group, kBlockGradInChannels);
    ForEachTile(d.groups * out_blocks * in_blocks, t.serial,
                [&](int64_t job) { BlockWeightGradsJob(task, job); });
  }
  if (dbias != nullptr) {
    ForEachTile(d.groups * out_blocks, t.serial,
                [&](int64_t job) { BlockBiasGradsJob(task, job); });
  }
}

// The backward pass of shape s on its grid t (validated pointers, a
// non-degenerate shape).
void BackwardOnGrid(const ConvShape& s, const BackwardTiling& t, const float* x,
                    const float* w, const float* dy, float* dx, float* dw,
                    float* dbias, void* workspace) {
  BackwardTask task{
      &s, &t, x, w, dy, dx, nullptr, nullptr, dw != nullptr, dbias != nullptr};
  // dx's gather form multiplies w by the zero border around dy, where no real
  // term exists: an Inf or NaN weight would make NaN there (0 * Inf). Such
  // rare weights get dx from the reference, which, like PyTorch, sums only
  // the real terms.
  if (dx != nullptr && !AllFinite(w, s.w_elements)) {
    reference::Backward(s, x, w, dy, dx, nullptr, nullptr);
    task.dx = nullptr;
  }
  if (task.dx != nullptr && t.dx_packed) {
    float* packed = AlignedWorkspace(workspace);
    PackInputGradWeights(s, t, w, packed);
    task.dx_weights = packed;
    if (t.dx_on_copies) {
      float* dy_copy = packed + t.dy_copy_offset;
      CopyToChannelsLast(dy, s.desc.batch, s.out_height * s.out_width,
                         s.desc.out_channels, t.serial, dy_copy);
      task.dy_channels_last = dy_copy;
      task.dx_channels_last = packed + t.dx_copy_offset;
    }
  }
  if (task.dx != nullptr && t.dx_pointwise) {
    float* transposed = AlignedWorkspace(workspace);
    TransposeInputGradWeights(s, t, w, transposed);
    task.dx_weights = transposed;
  }
  if (t.dw_by_channel_blocks) {
    task.dw_wanted = task.dbias_wanted = false;  // the tiles run dx alone
  } else if (task.dw_wanted || task.dbias_wanted) {
    task.partials = AlignedWorkspace(workspace) + t.partials_offset;
  }
  if (task.dx != nullptr || task.partials != nullptr) {
    ForEachTile(t.tile_count, t.serial,
                [&](int64_t tile) { BackwardTile(task, tile); });
  }
  if (task.dx_channels_last != nullptr) {
    CopyToPlanes(task.dx_channels_last, s.desc.batch,
                 s.desc.in_height * s.desc.in_width, s.desc.in_channels,
                 t.serial, dx);
  }
  if (t.dw_by_channel_blocks && (dw != nullptr || dbias != nullptr)) {
    GradsByChannelBlocks(s, t, x, dy, dw, dbias, AlignedWorkspace(workspace));
  }
  if (task.partials == nullptr) return;
  ReduceTilePartials(s, t, task.partials, dw, dbias);
  // dw's flat dot products over staged dy run across row ends, where the
  // zeros after dy's rows meet x's columns near a row's end and the next
  // row's start: a non-finite x there makes NaN (0 * Inf) in taps that never
  // read it. A NaN in dw is the only sign, rare on real data; dw then comes
  // from the reference, which has NaN exactly where PyTorch has.
  if (dw != nullptr && DwReadsStagedDy(t) && AnyNaN(dw, s.w_elements)) {
    reference::Backward(s, x, w, dy, nullptr, dw, nullptr);
  }
}

// Adds the depthwise grid's partials in tile order into dw and dbias (either
// may be NULL), from [tap][channel] to dw's [channel][tap].
void ReduceDepthwisePartials(const ConvShape& s, const BackwardTiling& t,
                             const float* partials, float* dw, float* dbias) {
  const int64_t taps = s.desc.kernel_height * s.desc.kernel_width;
  const int64_t channels = s.desc.in_channels;
  const int64_t padded = t.depthwise_channels;
  const int64_t begin = dw != nullptr ? 0 : t.dw_partial_floats;
  const int64_t end = dbias != nullptr ? t.partial_floats : t.dw_partial_floats;
  ForEachTile(CeilDiv(end - begin, kReduceChunk), t.serial, [&](int64_t job) {
    const int64_t first = begin + job * kReduceChunk;
    const int64_t count = std::min(kReduceChunk, end - first);
    float sums[kReduceChunk];
    SumPartials(partials + first, t.tile_count, t.partial_floats, count, sums);
    for (int64_t k = first; k < first + count; ++k) {
      const int64_t tap = k / padded, c = k % padded;
      if (c >= channels) continue;
      if (tap < taps) {
        dw[c * taps + tap] = sums[k - first];
      } else {
        dbias[c] = sums[k - first];
      }
    }
  });
}

// The backward pass on the depthwise grid (see BackwardTiling::depthwise).
void DepthwiseBackward(const ConvShape& s, const BackwardTiling& t,
                       const float* x, const float* w, const float* dy,
                       float* dx, float* dw, float* dbias, void* workspace) {
  BackwardTask task{
      &s, &t, x, w, dy, dx, nullptr, nullptr, dw != nullptr, dbias != nullptr};
  float* floats = AlignedWorkspace(workspace);
  // As in BackwardOnGrid: dx's gather multiplies w by dy's zero border.
  if (dx != nullptr && !AllFinite(w, s.w_elements)) {
    reference::Backward(s, x, w, dy, dx, nullptr, nullptr);
    task.dx = nullptr;
  }
  if (task.dx != nullptr) {
    const int64_t taps = s.desc.kernel_height * s.desc.kernel_width;
    const int64_t channels = s.desc.in_channels;
    Transpose(w, taps, channels, taps, floats, t.depthwise_channels);
    for (int64_t tap = 0; tap < taps; ++tap) {
      std::fill(floats + tap * t.depthwise_channels + channels,
                floats + (tap + 1) * t.depthwise_channels, 0.0f);
    }
    task.dx_weights = floats;
  }
  if (task.dw_wanted || task.dbias_wanted) {
    task.partials = floats + t.partials_offset;
  }
  ForEachTile(t.tile_count, t.serial,
              [&](int64_t tile) { DepthwiseBackwardTile(task, tile); });
  if (task.partials == nullptr) return;
  ReduceDepthwisePartials(s, t, task.partials, dw, dbias);
  // dw sums x's zero border times dy: a non-finite dy there makes NaN in
  // taps that never read it (as in BackwardOnGrid).
  if (dw != nullptr && AnyNaN(dw, s.w_elements)) {
    reference::Backward(s, x, w, dy, nullptr, dw, nullptr);
  }
}

}  // namespace

void Backward(const Plan& plan, const float* x, const float* w, const float* dy,
              float* dx, float* dw, float* dbias, void* workspace) {
  ApplyTargetFromEnvironment();
  const ConvShape& s = plan.shape;
  const BackwardTiling& t = plan.backward;
  if (s.degenerate) {
    reference::Backward(s, x, w, dy, dx, dw, dbias);
    return;
  }
  const auto on_grid = [&](const ConvShape& shape, const float* grid_x,
                           const float* grid_dy, float* grid_dx) {
    if (t.depthwise) {
      DepthwiseBackward(shape, t, grid_x, w, grid_dy, grid_dx, dw, dbias,
                        workspace);
    } else {
      BackwardOnGrid(shape, t, grid_x, w, grid_dy, grid_dx, dw, dbias,
                     workspace);
    }
  };
  if (!t.via_copies) {
    on_grid(s, x, dy, dx);
    return;
  }
  // Depthwise: w and dw, of one input channel, are the same in OHWI and
  // OIHW.
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t pixels = d.in_height * d.in_width;
  const int64_t out_pixels = s.out_height * s.out_width;
  const bool to_planes = t.copied_shape.layout == XCORR_LAYOUT_NCHW;
  const auto copy = to_planes ? CopyToPlanes : CopyToChannelsLast;
  const auto copy_back = to_planes ? CopyToChannelsLast : CopyToPlanes;
  float* x_copy = AlignedWorkspace(workspace) + t.copies_offset;
  float* dy_copy = x_copy + s.x_elements;
  float* dx_copy = dy_copy + s.y_elements;
  if (dw != nullptr) copy(x, d.batch, pixels, d.in_channels, t.serial, x_copy);
  copy(dy, d.batch, out_pixels, d.out_channels, t.serial, dy_copy);
  on_grid(t.copied_shape, dw != nullptr ? x_copy : nullptr, dy_copy,
          dx != nullptr ? dx_copy : nullptr);
  if (dx != nullptr) {
    copy_back(dx_copy, d.batch, pixels, d.in_channels, t.serial, dx);
  }
}

}  // namespace detail
}  // namespace xcorr
