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
#include "src/shape.h"

namespace xcorr {
namespace detail {

enum class ForwardAlgorithm {
  // NCHW, stride 1, no dilation, no padding: per output plane, the SIMD
  // plane kernel accumulates each input channel's correlation.
  kPlanes,
  // Everything else, until the SIMD kernels cover it: the scalar reference.
  kReference,
};

struct Plan {
  ConvShape shape;
  ForwardAlgorithm forward_algorithm;
  int64_t rows_per_tile;  // output rows in one forward tile
  int64_t row_tiles;      // tiles per output plane
  bool serial;            // too small to be worth running tasks
  BackwardTiling backward;  // the backward pass's own grid
  size_t workspace_bytes;
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
