// The dispatching SIMD kernels, as plain (non-SIMD) declarations.
//
// The kernels themselves are written once with Highway in kernels-inl.h and
// compiled for every target in kernels.cc; each function here calls the best
// target the CPU has (or the one forced by xcorr_force_target/XCORR_TARGET).
// Callers dispatch once per tile, never per row or pixel.
#ifndef XCORR_SRC_KERNELS_H_
#define XCORR_SRC_KERNELS_H_

#include <cstdint>

#include "src/status.h"

namespace xcorr {
namespace detail {

// Rows [row_begin, row_end) of one output plane of a valid, stride-1,
// undilated correlation of one input plane with one kernel:
//   y[i][j] = bias + sum_{u,v} x[i+u][j+v] * k[u][v]
// for 0 <= j < out_width. Rows are x_row_stride / y_row_stride elements apart;
// x must hold rows up to row_end + kernel_height - 1 and columns up to
// out_width + kernel_width - 1. Nothing is copied: every load reads x.
struct PlaneTile {
  const float* x;
  int64_t x_row_stride;
  const float* k;
  int64_t kernel_height, kernel_width;
  float* y;
  int64_t y_row_stride, out_width;
  int64_t row_begin, row_end;
  float bias;
};

// The plane kernel, for any kernel size (kernels-inl.h's CorrPlane).
void CorrPlaneTile(const PlaneTile& tile);

// Where x lies in a plane's zero-padded input: pad_left zero columns, then
// x's in_width columns, then zeros.
struct PlaneColumnPadding {
  int64_t pad_left, in_width;
};

// CorrPlaneTile on a padded input whose rows [row_begin, row_end +
// kernel_height
// - 1) lie inside x but whose columns reach into the padding: tile.x is the
// padded input's origin (pad_left columns left of x's rows), and the kernel
// reads no column outside x, loading zeros there with masked loads. Returns
// false, having written nothing, where the dispatched target has no such
// kernel for the tile (AVX-512 runs 3x3 and 5x5 kernels with pads narrower
// than the kernel on tiles of at least 6 rows and 16 columns).
bool CorrPlaneMaskedColumns(const PlaneTile& tile,
                            const PlaneColumnPadding& columns);

// Whether the dispatched target's CorrPlaneMaskedColumns runs kernels of this
// size with these zero columns (on tiles large enough).
bool PlaneMasksColumns(int64_t kernel_height, int64_t kernel_width,
                       int64_t pad_left, int64_t pad_right);

// The geometry of one image as the direct kernels see it (one batch item,
// one group). The plan may present a 1x1, stride-1, unpadded convolution as
// a single row of in_height * in_width pixels.
struct DirectGeometry {
  int64_t in_height, in_width, out_height, out_width;
  int64_t kernel_height, kernel_width;
  int64_t stride_height, stride_width, dilation_height, dilation_width;
  int64_t pad_top, pad_left;
  int64_t in_channels;  // per group: the reduction's channel count
};

// One NCHW tile: output channels [0, out_channels) of one group, rows
// [row_begin, row_end) and columns [col_begin, col_end) of their planes.
//   y[o][i][j] = bias[o] + sum_{c,u,v} x[c][i*sh + u*dh - pt][j*sw + v*dw - pl]
//                                      * w[o][c][u][v]
// x points at the group's first input channel (planes x_channel_stride
// apart), w at the first output channel's OIHW weights, y at its output plane
// (planes y_channel_stride apart); bias is NULL or at the first channel.
struct NchwTile {
  const DirectGeometry* geometry;
  const float* x;
  int64_t x_channel_stride;
  const float* w;
  const float* bias;
  float* y;
  int64_t y_channel_stride;
  int64_t out_channels;
  int64_t row_begin, row_end, col_begin, col_end;
};
void ForwardNchwTile(const NchwTile& tile);

// One tile of the packed-weights kernel: output channels [channel_begin,
// channel_end) of every group, output rows [row_begin, row_end), one batch
// item, in either layout. x and y point at
// that item; in x, adjacent columns are x_column_stride elements apart,
// adjacent channels x_channel_stride, rows in_width columns (likewise y).
// channels counts all input channels, groups splits them. packed_w holds the
// weights with each group's output channels innermost, for vectors over
// output channels, in panels of kPackedLanes channels: row k = (u *
// kernel_width + v) * in_channels + c (in_channels per group) of group g
// holds w of output g * out_per_group + o, input c of group g, tap (u, v)
// at
//   packed_w[g * rows * packed_channels + PackedIndex(rows, k, o)],
// rows = kernel_height * kernel_width * in_channels, padded with zeros to
// packed_channels, a multiple of kPackedLanes. No vector reads past its
// panel (the kernel's vectors hold at most kPackedLanes lanes). w holds the
// caller's weights, for the depthwise kernel.
//
// Channels-last tiles of groups of 1, 2 or 4 input and as many output
// channels whose taps times group channels are at most
// kNhwcDepthwiseMaxTaps run a kernel of their own, which reads w, not
// packed_w (groups of 2 and 4 only when w is given): it transposes a block
// of at least kPackedLanes channels' weights into a stack buffer of
// kPackedLanes * kNhwcDepthwiseMaxTaps floats.
constexpr int64_t kNhwcDepthwiseMaxTaps = 512;
struct PackedTile {
  const DirectGeometry* geometry;
  const float* x;
  int64_t x_column_stride, x_channel_stride;
  const float* w;
  bool w_channels_last;  // w in OHWI, else OIHW
  const float* packed_w;
  int64_t packed_channels;
  const float* bias;
  float* y;
  int64_t y_column_stride, y_channel_stride;
  int64_t channels, out_channels, groups;
  int64_t channel_begin, channel_end;  // per group
  int64_t row_begin, row_end;
};
// Rows of packed weights are a multiple of this many floats: AVX-512's
// lanes, so that every x86 target's vectors tile a row exactly.
constexpr int64_t kPackedLanes = 16;
// Where row k, output channel o of a group's packed weights lies (see
// PackedTile): a register block's weights are contiguous per panel, so a
// block of 16 channels reads 64 contiguous bytes a row, not 64 bytes of a
// row packed_channels floats long (AVX2, 1 thread, GFLOP/s: NHWC 256 ->
// 256 14x14 3x3 80 -> 110, NCHW 73 -> 93; AVX3 NHWC 111 -> 115; SSE4 NHWC
// 35.5 -> 39.7).
inline int64_t PackedIndex(int64_t rows, int64_t k, int64_t o) {
  return o / kPackedLanes * rows * kPackedLanes + k * kPackedLanes +
         o % kPackedLanes;
}
void ForwardPackedTile(const PackedTile& tile);

// dst[k * dst_stride + i] = src[i * src_stride + k] for i < count, k <
// width, by register blocks (transpose-inl.h).
void Transpose(const float* src, int64_t src_stride, int64_t count,
               int64_t width, float* dst, int64_t dst_stride);
// One past the last element that Transpose must read.
inline const float* TransposedEnd(const float* src, int64_t src_stride,
                                  int64_t count, int64_t width) {
  return count == 0 ? src : src + (count - 1) * src_stride + width;
}
// The same, where everything below src_end may be read: rows narrower than
// a vector (a kernel's taps) then go by register blocks that read past them.
void TransposeWithin(const float* src, int64_t src_stride, int64_t count,
                     int64_t width, const float* src_end, float* dst,
                     int64_t dst_stride);
// dst_rows[k][i] = src[i * src_stride + k] likewise; returns false where
// check_finite finds an element that is not finite.
bool TransposeToRows(const float* src, int64_t src_stride, int64_t count,
                     int64_t width, float* const* dst_rows, bool check_finite);

// The Highway target (HWY_AVX2, ...) that the kernels above dispatch to now.
int64_t DispatchedTarget();

// Whether the dispatched target's packed-weights kernel runs 6 x 4-vector
// blocks (32 vector registers, AVX-512). Only then does it beat the NCHW
// direct kernel on NCHW tensors: 64 -> 64 channels, 128x128, 3x3 takes 6.7
// ms packed against 8.2 ms direct on AVX3, but 16.9 against 13.3 on AVX2.
bool PackedKernelIsWide();

// Restricts dispatch to the target named `name` (as hwy::TargetName spells it,
// case-insensitively; "SCALAR" and "EMU128" both name the fallback), or to the
// best one when `name` is NULL. Process-wide.
Status ForceTarget(const char* name);

// Applies XCORR_TARGET once per process; later calls do nothing. Every entry
// point that dispatches calls it first.
void ApplyTargetFromEnvironment();

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_KERNELS_H_
