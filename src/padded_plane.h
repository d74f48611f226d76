// A padded plane on the plane kernel: rows of one output plane of a
// stride-1, undilated correlation whose input has zero padding. Only the
// outputs whose input window reaches into the padding are staged (on the
// stack, with their zeros), or, where the target can, only its rows above
// and below the input, its columns read as zeros by masked loads; the
// interior reads the input in place. The
// forward pass runs its one-channel planes this way, and the backward pass
// its one-channel dx (the correlation of dy, padded by the kernel less the
// forward's pads, with the kernel turned by 180 degrees).
#ifndef XCORR_SRC_PADDED_PLANE_H_
#define XCORR_SRC_PADDED_PLANE_H_

#include <cstdint>

#include "src/kernels.h"

namespace xcorr {
namespace detail {

// Floats of the stack buffer into which a staged piece copies the
// (zero-padded) input of a strip of columns of a chunk of its output rows.
constexpr int64_t kPlaneStageFloats = 1 << 14;

// The outputs at the left and right of the interior rows are staged in
// pieces at least this wide: a whole AVX-512 vector, so that the plane
// kernel runs vectors there, not lanes.
constexpr int64_t kPlaneEdgeColumns = 16;

// The unpadded input plane and where it lies in the padded one; the output
// is PlaneTile::out_width wide, the kernel as in the PlaneTile.
struct PlanePadding {
  int64_t in_height, in_width;
  int64_t pad_top, pad_left;
};

// How the plane is read: in place (row_stride 0: no padding), or in pieces
// of chunk_rows output rows x strip_columns output columns, each piece's
// input with its zeros copied to rows row_stride floats apart (the interior
// in place unless `whole`).
struct PlaneStaging {
  int64_t row_stride;
  int64_t strip_columns, chunk_rows;
  bool whole;  // the interior is staged too (narrow planes, large kernels)
};

// The staging of a padded plane of out_width output columns: pieces whose
// staged rows start on cache lines; row_stride 0 (none possible) when not
// even one register block of 6 rows and its input rows fit the stage; whole
// for planes up to 128 columns, and up to a strip for kernels of 49 taps or
// more (see padded_plane.cc).
PlaneStaging PaddedStagingOf(int64_t out_width, int64_t kernel_height,
                             int64_t kernel_width);

// Output rows [plane.row_begin, plane.row_end) of the plane, plane.x at the
// unpadded input's origin: in place when staging.row_stride is 0, else the
// border staged and the interior in place.
void CorrPaddedPlaneRows(const PlanePadding& padding,
                         const PlaneStaging& staging, PlaneTile plane);

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_PADDED_PLANE_H_
