// Transposition between channels-last pixels and channel planes, by blocks
// of Lanes x Lanes in registers (Highway -inl.h: included once per target).
// Element by element, each output element costs a load and a store on its
// own; a register block moves a whole vector per load and per store.
#if defined(XCORR_SRC_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_TRANSPOSE_INL_H_
#undef XCORR_SRC_TRANSPOSE_INL_H_
#else
#define XCORR_SRC_TRANSPOSE_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// dst_row(k)[i] = src[i * src_stride + k] for i < Lanes(d), k <
// stored_rows (at most Lanes(d); all lanes of src's rows are read). Each
// round sends row i's even lanes to row i / 2 and its odd lanes to row
// Lanes / 2 + i / 2, both in the half of the lanes that i's parity picks: as
// bits, (row, lane) rotate by one place, and log2(Lanes) rounds swap them.
template <class D, class DstRow>
HWY_INLINE void TransposeSquare(D d, const float* src, int64_t src_stride,
                                size_t stored_rows, const DstRow& dst_row) {
  using V = hn::Vec<D>;
  constexpr size_t kLanes = hn::MaxLanes(D());
  V rows[kLanes];
  for (size_t i = 0; i < kLanes; ++i)
    rows[i] = hn::LoadU(d, src + static_cast<int64_t>(i) * src_stride);
#if HWY_TARGET != HWY_SCALAR  // one lane: nothing to swap
  for (size_t bit = 1; bit < kLanes; bit *= 2) {
    V next[kLanes];
    for (size_t i = 0; i < kLanes / 2; ++i) {
      next[i] = hn::ConcatEven(d, rows[2 * i + 1], rows[2 * i]);
      next[kLanes / 2 + i] = hn::ConcatOdd(d, rows[2 * i + 1], rows[2 * i]);
    }
    for (size_t i = 0; i < kLanes; ++i) rows[i] = next[i];
  }
#endif
  for (size_t i = 0; i < stored_rows; ++i)
    hn::StoreU(rows[i], d, dst_row(static_cast<int64_t>(i)));
}

// Whether src[i * src_stride + k] is finite for all i < count, k < width.
// Each value times zero is added into one of four sums (short chains), which
// turn NaN where a value is an Inf or a NaN.
HWY_INLINE bool AllFinite(const float* src, int64_t src_stride, int64_t count,
                          int64_t width) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto zero = hn::Zero(d);
  hn::Vec<decltype(d)> sums[4] = {zero, zero, zero, zero};
  bool finite = true;
  for (int64_t i = 0; i < count; ++i) {
    const float* row = src + i * src_stride;
    int64_t k = 0;
    for (; k + 4 * N <= width; k += 4 * N) {
      for (int64_t j = 0; j < 4; ++j)
        sums[j] = hn::MulAdd(hn::LoadU(d, row + k + j * N), zero, sums[j]);
    }
    for (; k < width; ++k) finite = finite && row[k] - row[k] == 0.0f;
  }
  const auto total =
      hn::Add(hn::Add(sums[0], sums[1]), hn::Add(sums[2], sums[3]));
  return finite && hn::AllFalse(d, hn::IsNaN(total));
}

// dst_row(k)[i] = src[i * src_stride + k] for i < count, k < width: `count`
// rows of `width` contiguous elements become `width` rows of `count`.
// Nothing at or past src_end is read; below it, blocks of rows may read past
// their width.
template <class DstRow>
HWY_INLINE void TransposeInto(const float* src, int64_t src_stride,
                              int64_t count, int64_t width,
                              const float* src_end, const DstRow& dst_row) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::MaxLanes(d));
  const int64_t whole_count = count / N * N, whole_width = width / N * N;
  for (int64_t i = 0; i < whole_count; i += N) {
    for (int64_t k = 0; k < whole_width; k += N) {
      TransposeSquare(d, src + i * src_stride + k, src_stride, N,
                      [&](int64_t row) { return dst_row(k + row) + i; });
    }
  }
  // Columns past the whole blocks: by one more register block, reading past
  // the rows' width, while that stays below src_end (dx's packing of the
  // 2.4 M OIHW weights of 512 -> 512 3x3, rows of 9: 2.5 ms by the gathers
  // below, 1.1 ms so; one by one, 1.7 ns an element); then by gathers where
  // the offsets fit their 32-bit lanes.
  int64_t blocked = 0;
  const int64_t readable = src_end - src;
  if (whole_width < width) {
    for (; blocked < whole_count &&
           (blocked + N - 1) * src_stride + whole_width + N <= readable;
         blocked += N) {
      TransposeSquare(
          d, src + blocked * src_stride + whole_width, src_stride,
          static_cast<size_t>(width - whole_width),
          [&](int64_t row) { return dst_row(whole_width + row) + blocked; });
    }
  }
  int64_t gathered = blocked;
#if HWY_TARGET != HWY_SCALAR
  const hn::RebindToSigned<decltype(d)> di;
  if (src_stride <= INT32_MAX / N) {
    const auto offsets =
        hn::Mul(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(src_stride)));
    for (; gathered < whole_count; gathered += N) {
      for (int64_t k = whole_width; k < width; ++k) {
        hn::StoreU(hn::GatherIndex(d, src + gathered * src_stride + k, offsets),
                   d, dst_row(k) + gathered);
      }
    }
  }
#endif
  // The rest, element by element.
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t k = i < gathered      ? width
                     : i < whole_count ? whole_width
                                       : 0;
         k < width; ++k)
      dst_row(k)[i] = src[i * src_stride + k];
  }
}

// dst[k * dst_stride + i] = src[i * src_stride + k] for i < count, k <
// width, reading nothing at or past src_end.
HWY_INLINE void TransposeWithin(const float* src, int64_t src_stride,
                                int64_t count, int64_t width,
                                const float* src_end, float* dst,
                                int64_t dst_stride) {
  TransposeInto(src, src_stride, count, width, src_end,
                [&](int64_t k) { return dst + k * dst_stride; });
}

// The same, reading only the elements transposed.
HWY_INLINE void Transpose(const float* src, int64_t src_stride, int64_t count,
                          int64_t width, float* dst, int64_t dst_stride) {
  TransposeWithin(src, src_stride, count, width,
                  detail::TransposedEnd(src, src_stride, count, width), dst,
                  dst_stride);
}

// dst[k * count + i] = src[i * src_stride + k] for i < count, k < width:
// rows of dst as long as src has rows, one after the other (a block of dw
// from [tap][channel] to OIHW's [channel][tap]). With fewer rows than a
// vector, register blocks read a vector of src's rows, past `count`, while
// that stays below src_end; each transposed row is stored whole, over the
// start of the rows after it, which are stored later. Rows whose whole
// store would reach past dst's width * count floats go one element at a
// time.
HWY_INLINE void TransposeToShortRows(const float* src, int64_t src_stride,
                                     int64_t count, int64_t width,
                                     const float* src_end, float* dst) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::MaxLanes(d));
  int64_t k = 0;
  if (count > 0 && count < N) {
    // Row j may be stored whole where j * count + N <= width * count.
    const int64_t whole_rows = width - (N + count - 1) / count + 1;
    while (k < whole_rows && (N - 1) * src_stride + k + N <= src_end - src) {
      const int64_t rows = std::min(N, whole_rows - k);
      TransposeSquare(d, src + k, src_stride, static_cast<size_t>(rows),
                      [&](int64_t row) { return dst + (k + row) * count; });
      k += rows;
    }
  }
  TransposeWithin(src + k, src_stride, count, width - k, src_end,
                  dst + k * count, count);
}

// dst_rows[k][i] = src[i * src_stride + k] for i < count, k < width, by
// blocks of Lanes rows of src, each checked (if check_finite) while still in
// L1; returns false where a checked element is not finite.
HWY_INLINE bool TransposeToRows(const float* src, int64_t src_stride,
                                int64_t count, int64_t width,
                                float* const* dst_rows, bool check_finite) {
  const int64_t N =
      static_cast<int64_t>(hn::MaxLanes(hn::ScalableTag<float>()));
  bool finite = true;
  for (int64_t i = 0; i < count; i += N) {
    const int64_t rows = std::min(N, count - i);
    const float* block = src + i * src_stride;
    TransposeInto(block, src_stride, rows, width,
                  detail::TransposedEnd(block, src_stride, rows, width),
                  [&](int64_t k) { return dst_rows[k] + i; });
    finite = finite && (!check_finite || AllFinite(src + i * src_stride,
                                                   src_stride, rows, width));
  }
  return finite;
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_TRANSPOSE_INL_H_
