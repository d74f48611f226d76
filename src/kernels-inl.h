// Per-target building blocks of the correlation kernels (Highway -inl.h:
// included once per target by kernels.cc, and by tests/kernels_test.cc).
//
// Register blocking: a block of kRows output rows x kVectors vectors. Each
// input vector is loaded once and feeds every output row of the block that
// needs it (input row i+u feeds output row i through kernel row u), so a
// block does (kRows + KH - 1) * KW * kVectors loads for
// kRows * KH * KW * kVectors FMAs.
#if defined(XCORR_SRC_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_KERNELS_INL_H_
#undef XCORR_SRC_KERNELS_INL_H_
#else
#define XCORR_SRC_KERNELS_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One kRows x (kVectors * Lanes(d)) block of `tile` whose top-left output is
// (row, col). The caller guarantees the block lies inside the tile.
template <size_t kRows, size_t kVectors, class D>
HWY_INLINE void CorrBlock(D d, const detail::PlaneTile& tile, int64_t row,
                          int64_t col) {
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t kh = tile.kernel_height;
  const int64_t kw = tile.kernel_width;
  V acc[kRows][kVectors];
  for (size_t r = 0; r < kRows; ++r) {
    float* y_row = tile.y + (row + static_cast<int64_t>(r)) * tile.y_row_stride + col;
    for (size_t v = 0; v < kVectors; ++v) {
      acc[r][v] = tile.accumulate ? hn::LoadU(d, y_row + static_cast<int64_t>(v) * N)
                                  : hn::Set(d, tile.bias);
    }
  }
  const int64_t input_rows = static_cast<int64_t>(kRows) + kh - 1;
  for (int64_t in_row = 0; in_row < input_rows; ++in_row) {
    const float* x_row = tile.x + (row + in_row) * tile.x_row_stride + col;
    for (int64_t kv = 0; kv < kw; ++kv) {
      V in[kVectors];
      for (size_t v = 0; v < kVectors; ++v) {
        in[v] = hn::LoadU(d, x_row + kv + static_cast<int64_t>(v) * N);
      }
      for (size_t r = 0; r < kRows; ++r) {
        const int64_t u = in_row - static_cast<int64_t>(r);
        if (u < 0 || u >= kh) continue;
        const V weight = hn::Set(d, tile.k[u * kw + kv]);
        for (size_t v = 0; v < kVectors; ++v) {
          acc[r][v] = hn::MulAdd(in[v], weight, acc[r][v]);
        }
      }
    }
  }
  for (size_t r = 0; r < kRows; ++r) {
    float* y_row = tile.y + (row + static_cast<int64_t>(r)) * tile.y_row_stride + col;
    for (size_t v = 0; v < kVectors; ++v) {
      hn::StoreU(acc[r][v], d, y_row + static_cast<int64_t>(v) * N);
    }
  }
}

// Rows [row, row + kRows) of `tile`, all columns: full blocks of kVectors
// vectors, then single vectors, then single lanes for the tail.
template <size_t kRows, size_t kVectors>
HWY_INLINE void CorrRowBand(const detail::PlaneTile& tile, int64_t row) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t col = 0;
  for (; col + static_cast<int64_t>(kVectors) * N <= tile.out_width;
       col += static_cast<int64_t>(kVectors) * N) {
    CorrBlock<kRows, kVectors>(d, tile, row, col);
  }
  for (; col + N <= tile.out_width; col += N) CorrBlock<kRows, 1>(d, tile, row, col);
  for (; col < tile.out_width; ++col) CorrBlock<kRows, 1>(d1, tile, row, col);
}

// Four output rows share each input load; remaining rows go one at a time.
// Two vectors per row keep 8 accumulators plus loads within 16 registers.
HWY_INLINE void CorrPlaneRows(const detail::PlaneTile& tile) {
  constexpr int64_t kRows = 4;
  int64_t row = tile.row_begin;
  for (; row + kRows <= tile.row_end; row += kRows) CorrRowBand<kRows, 2>(tile, row);
  for (; row < tile.row_end; ++row) CorrRowBand<1, 2>(tile, row);
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_KERNELS_INL_H_
