// A padded plane on the plane kernel (see padded_plane.h).
#include "src/padded_plane.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "src/int_math.h"

namespace xcorr {
namespace detail {
namespace {

// Staged pieces span at most this many output columns: with the rows of a
// register block (6 + kernel_height - 1) a few KiB apart, the stage holds
// tens of rows, so the halo rows are copied rarely.
constexpr int64_t kPlaneStripColumns = 256;

// Where a padded plane is staged whole rather than only its border: up to
// 128 columns, and up to a strip for kernels of 49 taps or more, whose
// multiply-adds per output make the copy cheap and the narrow edge pieces
// dear. (AVX3, 1 thread, forward GFLOP/s, whole against in place: 3x3 pad 1
// 96 wide 59 / 53, 128 60 / 57, 160 62 / 66, 192 64 / 69, 256 63 / 70;
// 256 wide 5x5 86 / 90, 7x7 96 / 93, 11x11 106 / 99.)
constexpr int64_t kWholePlaneMaxColumns = 128;
constexpr int64_t kWholePlaneMinTaps = 49;

// Copies count >= kChunk floats in copies of kChunk, which the compiler
// inlines, the last one overlapping its predecessor: never past from[count).
template <int64_t kChunk>
void CopyChunks(const float* from, int64_t count, float* to) {
  constexpr size_t kBytes = sizeof(float) * static_cast<size_t>(kChunk);
  for (int64_t k = 0; k + kChunk <= count; k += kChunk)
    std::memcpy(to + k, from + k, kBytes);
  std::memcpy(to + count - kChunk, from + count - kChunk, kBytes);
}

// Copies count floats: long rows by one memcpy call, shorter ones by
// CopyChunks. An edge strip's row is a vector and a few floats, and a
// memmove call per row took 14 % of a 256x256 3x3 pad 1 forward.
void CopyFloats(const float* from, int64_t count, float* to) {
  if (count >= 64) {
    std::memcpy(to, from, sizeof(float) * static_cast<size_t>(count));
  } else if (count >= 16) {
    CopyChunks<16>(from, count, to);
  } else if (count >= 4) {
    CopyChunks<4>(from, count, to);
  } else {
    for (int64_t k = 0; k < count; ++k) to[k] = from[k];
  }
}

// Copies the input of output rows [row, row + rows) and columns [col, col +
// columns) of the plane to rows staging.row_stride floats apart at `staged`,
// zero where it lies in the padding.
void StagePlanePiece(const PlanePadding& p, const PlaneTile& plane,
                     const PlaneStaging& staging, int64_t row, int64_t rows,
                     int64_t col, int64_t columns, float* staged) {
  const int64_t width = columns + plane.kernel_width - 1;
  // Staged column k holds input column col - pad_left + k.
  const int64_t first = col - p.pad_left;
  const int64_t begin = std::clamp<int64_t>(-first, 0, width);
  const int64_t end = std::clamp<int64_t>(p.in_width - first, begin, width);
  for (int64_t r = 0; r < rows + plane.kernel_height - 1; ++r) {
    const int64_t in_row = row + r - p.pad_top;
    float* to = staged + r * staging.row_stride;
    if (in_row < 0 || in_row >= p.in_height) {
      std::fill(to, to + width, 0.0f);
      continue;
    }
    const float* from = plane.x + in_row * plane.x_row_stride + first;
    std::fill(to, to + begin, 0.0f);
    CopyFloats(from + begin, end - begin, to + begin);
    std::fill(to + end, to + width, 0.0f);
  }
}

// Output rows [row_begin, row_end) x columns [col_begin, col_end), whose
// input lies wholly inside x: the kernel reads it in place.
void PlaneRectInPlace(const PlanePadding& p, PlaneTile plane, int64_t row_begin,
                      int64_t row_end, int64_t col_begin, int64_t col_end) {
  if (row_begin >= row_end || col_begin >= col_end) return;
  plane.x +=
      (row_begin - p.pad_top) * plane.x_row_stride + col_begin - p.pad_left;
  plane.y += row_begin * plane.y_row_stride + col_begin;
  plane.out_width = col_end - col_begin;
  plane.row_begin = 0;
  plane.row_end = row_end - row_begin;
  CorrPlaneTile(plane);
}

// The same rectangle, any part of whose input may lie in the padding: run
// in pieces staged on the stack.
void PlaneRectStaged(const PlanePadding& p, const PlaneStaging& staging,
                     const PlaneTile& plane, int64_t row_begin, int64_t row_end,
                     int64_t col_begin, int64_t col_end) {
  alignas(64) float staged[kPlaneStageFloats];
  PlaneTile piece = plane;
  piece.x = staged;
  piece.x_row_stride = staging.row_stride;
  piece.row_begin = 0;
  for (int64_t row = row_begin; row < row_end; row += staging.chunk_rows) {
    const int64_t rows = std::min(staging.chunk_rows, row_end - row);
    for (int64_t col = col_begin; col < col_end; col += staging.strip_columns) {
      const int64_t columns = std::min(staging.strip_columns, col_end - col);
      StagePlanePiece(p, plane, staging, row, rows, col, columns, staged);
      piece.y = plane.y + row * plane.y_row_stride + col;
      piece.out_width = columns;
      piece.row_end = rows;
      CorrPlaneTile(piece);
    }
  }
}

}  // namespace

PlaneStaging PaddedStagingOf(int64_t out_width, int64_t kernel_height,
                             int64_t kernel_width) {
  PlaneStaging staging{};
  if (kernel_height >= kPlaneStageFloats || kernel_width >= kPlaneStageFloats) {
    return staging;
  }
  // Even strips: 257 columns as 129 + 128, not 256 + 1.
  staging.strip_columns =
      CeilDiv(out_width, CeilDiv(out_width, kPlaneStripColumns));
  const int64_t row_stride =
      RoundUp(staging.strip_columns + kernel_width - 1, 16);
  const int64_t rows = kPlaneStageFloats / row_stride - (kernel_height - 1);
  if (rows < 6) return PlaneStaging{};
  staging.row_stride = row_stride;
  staging.chunk_rows = rows / 6 * 6;
  staging.whole = out_width <= staging.strip_columns &&
                  (out_width <= kWholePlaneMaxColumns ||
                   kernel_height * kernel_width >= kWholePlaneMinTaps);
  return staging;
}

// The rows whose input lies in x's rows run in place where the target masks
// the columns beyond x (CorrPlaneMaskedColumns: AVX-512 3x3 and 5x5),
// staging only the rows at the top and bottom. (AVX3, 1 thread, GFLOP/s,
// medians of 5 alternating runs, staged edges against masked: 3x3 pad 1
// 256x256 73.4 -> 89.5, 64x64 53.0 -> 79.1, 128x128 62.3 -> 83.2, 20x20
// 16.0 -> 18.4; 5x5 pad 2 256x256 89.6 -> 101.6, 64x64 77.5 -> 89.7;
// backward 256x256 3x3, whose dx has 2 zero columns each side, 83.2 ->
// 92.5.) Otherwise some planes are staged whole (PlaneStaging::whole). On the
// others, only the outputs whose input reaches into the padding are staged:
// the rows at the top and bottom, and on the other rows the columns at the
// left and right, at least kPlaneEdgeColumns wide so that they run whole
// vectors; the interior is read in place. (AVX3, 1 thread, interior in place
// against all staged: 1000x1000 3x3 pad 1 34 against 24 GFLOP/s; 64x64 19
// against 29.)
void CorrPaddedPlaneRows(const PlanePadding& p, const PlaneStaging& staging,
                         PlaneTile plane) {
  if (staging.row_stride == 0) {
    CorrPlaneTile(plane);
    return;
  }
  const int64_t begin = plane.row_begin, end = plane.row_end;
  const int64_t width = plane.out_width;
  // The rows whose kernel windows lie inside x's rows.
  const int64_t top = std::clamp<int64_t>(p.pad_top, begin, end);
  const int64_t bottom = std::clamp<int64_t>(
      p.pad_top + p.in_height - plane.kernel_height + 1, top, end);
  // Their input columns start pad_left left of x's (masked loads read only
  // x's columns).
  PlaneTile rows = plane;
  rows.x += (top - p.pad_top) * plane.x_row_stride - p.pad_left;
  rows.y += top * plane.y_row_stride;
  rows.row_begin = 0;
  rows.row_end = bottom - top;
  if (CorrPlaneMaskedColumns(rows, {p.pad_left, p.in_width})) {
    PlaneRectStaged(p, staging, plane, begin, top, 0, width);
    PlaneRectStaged(p, staging, plane, bottom, end, 0, width);
    return;
  }
  if (staging.whole) {
    PlaneRectStaged(p, staging, plane, begin, end, 0, width);
    return;
  }
  // The interior: outputs whose kernel window lies inside x.
  const int64_t inner_end = p.pad_left + p.in_width - plane.kernel_width + 1;
  const int64_t left =
      p.pad_left == 0
          ? 0
          : std::min(width, std::max(p.pad_left, kPlaneEdgeColumns));
  const int64_t right =
      inner_end >= width
          ? width
          : std::max(left, std::min(inner_end, width - kPlaneEdgeColumns));
  PlaneRectStaged(p, staging, plane, begin, top, 0, width);
  PlaneRectStaged(p, staging, plane, top, bottom, 0, left);
  PlaneRectInPlace(p, plane, top, bottom, left, right);
  PlaneRectStaged(p, staging, plane, top, bottom, right, width);
  PlaneRectStaged(p, staging, plane, bottom, end, 0, width);
}

}  // namespace detail
}  // namespace xcorr
