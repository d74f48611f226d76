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
//   y[i][j] = (accumulate ? y[i][j] : bias) + sum_{u,v} x[i+u][j+v] * k[u][v]
// for 0 <= j < out_width. Rows are x_row_stride / y_row_stride elements apart;
// x must hold rows up to row_end + kernel_height - 1 and columns up to
// out_width + kernel_width - 1.
struct PlaneTile {
  const float* x;
  int64_t x_row_stride;
  const float* k;
  int64_t kernel_height, kernel_width;
  float* y;
  int64_t y_row_stride, out_width;
  int64_t row_begin, row_end;
  float bias;
  bool accumulate;
};
void CorrPlaneTile(const PlaneTile& tile);

// The Highway target (HWY_AVX2, ...) that the kernels above dispatch to now.
int64_t DispatchedTarget();

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
