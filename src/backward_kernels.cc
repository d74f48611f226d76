// Compiles backward_kernels-inl.h for every Highway target and exports the
// backward pass's dispatch tables (kernels.cc holds the forward ones).
#include "src/backward_kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/backward_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/backward_kernels-inl.h"
#include "src/channel_block_grads-inl.h"
#include "src/depthwise_backward-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {

void BackwardTile(const detail::BackwardTask& task, int64_t tile) {
  BackwardTileRows(task, tile);
}

void DepthwiseBackwardTile(const detail::BackwardTask& task, int64_t tile) {
  DepthwiseBackwardTileRows(task, tile);
}

void StageBatchX(const detail::BackwardTask& task, int64_t job) {
  StageBatchXJob(task, job);
}

void BlockWeightGradsJob(const detail::BackwardTask& task, int64_t job) {
  WeightGradsJob(task, job);
}

void BlockBiasGradsJob(const detail::BackwardTask& task, int64_t job) {
  BlockBiasGrads(task, job);
}

void SumPartials(const float* in, int64_t count, int64_t stride, int64_t length,
                 float* out) {
  SumTilePartials(in, count, stride, length, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace xcorr {
namespace {

HWY_EXPORT(BackwardTile);
HWY_EXPORT(DepthwiseBackwardTile);
HWY_EXPORT(StageBatchX);
HWY_EXPORT(BlockWeightGradsJob);
HWY_EXPORT(BlockBiasGradsJob);
HWY_EXPORT(SumPartials);

}  // namespace

namespace detail {

void BackwardTile(const BackwardTask& task, int64_t tile) {
  HWY_DYNAMIC_DISPATCH(BackwardTile)(task, tile);
}

void DepthwiseBackwardTile(const BackwardTask& task, int64_t tile) {
  HWY_DYNAMIC_DISPATCH(DepthwiseBackwardTile)(task, tile);
}

void StageBatchX(const BackwardTask& task, int64_t job) {
  HWY_DYNAMIC_DISPATCH(StageBatchX)(task, job);
}

void BlockWeightGradsJob(const BackwardTask& task, int64_t job) {
  HWY_DYNAMIC_DISPATCH(BlockWeightGradsJob)(task, job);
}

void BlockBiasGradsJob(const BackwardTask& task, int64_t job) {
  HWY_DYNAMIC_DISPATCH(BlockBiasGradsJob)(task, job);
}

void SumPartials(const float* in, int64_t count, int64_t stride, int64_t length,
                 float* out) {
  HWY_DYNAMIC_DISPATCH(SumPartials)(in, count, stride, length, out);
}

}  // namespace detail
}  // namespace xcorr
#endif  // HWY_ONCE
