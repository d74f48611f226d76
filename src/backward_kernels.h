// The dispatching SIMD kernels of the backward pass, as plain (non-SIMD)
// declarations. They are written once with Highway in backward_kernels-inl.h
// and compiled for every target in backward_kernels.cc; each call runs the
// target that detail::DispatchedTarget() reports. Callers dispatch once per
// tile (or per reduction chunk), never per row.
#ifndef XCORR_SRC_BACKWARD_KERNELS_H_
#define XCORR_SRC_BACKWARD_KERNELS_H_

#include <cstdint>

#include "src/backward_tiling.h"
#include "src/shape.h"

namespace xcorr {
namespace detail {

// One backward call: validated pointers, NULL for gradients to skip.
struct BackwardTask {
  const ConvShape* shape;
  const BackwardTiling* tiling;
  const float* x;
  const float* w;
  const float* dy;
  float* dx;
  // Tile t's partial sums start at partials + t * tiling->partial_floats:
  // the dw block (when dw_wanted), then dbias (when dbias_wanted).
  float* partials;
  // dx's weights when tiling->dx_packed (packed) or tiling->dx_pointwise
  // (transposed); see BackwardTiling.
  const float* dx_weights;
  bool dw_wanted, dbias_wanted;
  // The channels-last copies of dy and dx when tiling->dx_on_copies; dy
  // channels-last also for the jobs of tiling->dw_over_output_channels.
  const float* dy_channels_last = nullptr;
  float* dx_channels_last = nullptr;
  // When tiling->dw_by_channel_blocks: where those jobs write dw and dbias,
  // their copy of x (see BackwardTiling::batch_x_offset) and dy as planes
  // (dy itself in NCHW, else a copy).
  float* dw = nullptr;
  float* dbias = nullptr;
  float* batch_x = nullptr;
  const float* dy_planes = nullptr;
};

// Computes tile `tile` of the grid in task.tiling: its dx rows and partials.
void BackwardTile(const BackwardTask& task, int64_t tile);

// Computes tile `tile` of the depthwise grid (see BackwardTiling::depthwise).
void DepthwiseBackwardTile(const BackwardTask& task, int64_t tile);

// The jobs of BackwardTiling::dw_by_channel_blocks: image n of group g's
// channels-last copy of x (job g * batch + n), or with
// dw_over_output_channels plane c of image n (job n * in_channels + c); a
// block of dw (job (g, output channel block, input channel block), or with
// dw_over_output_channels a block of rows); a block of dbias (job (g,
// output channel block)). See channel_block_grads-inl.h.
void StageBatchX(const BackwardTask& task, int64_t job);
void BlockWeightGradsJob(const BackwardTask& task, int64_t job);
void BlockBiasGradsJob(const BackwardTask& task, int64_t job);

// out[k] = sum over t in [0, count) of in[t * stride + k], added in order of
// t, for k in [0, length).
void SumPartials(const float* in, int64_t count, int64_t stride, int64_t length,
                 float* out);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_BACKWARD_KERNELS_H_
