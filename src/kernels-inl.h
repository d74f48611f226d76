// Per-target building blocks of the forward kernels (Highway -inl.h:
// included once per target by kernels.cc, and by tests/kernels_test.cc).
//
// Three families, all accumulating in f32 in a fixed order per output, so a
// result depends only on the target, never on tiling or threads:
// - Plane kernels (one channel, valid, stride 1): blocks of kRows output rows
//   x kVectors vectors read x directly; each input vector feeds every output
//   row of the block that needs it.
// - NCHW direct kernels: the input rows one output row needs are packed into
//   a small zero-padded, stride-phase-deinterleaved buffer, so every tap of
//   every stride, pad and dilation is a contiguous vector load; blocks of
//   kChannels output channels x kVectors vectors share each load.
// - Packed-weights kernels (NHWC, and NCHW with many channels per group):
//   vectors run over output channels; each input element of each tap,
//   broadcast, meets the packed weights of a block of output channels (outer
//   products), for blocks of interior pixels; depthwise NHWC runs its vectors
//   over the channels of one tap instead.
#if defined(XCORR_SRC_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_KERNELS_INL_H_
#undef XCORR_SRC_KERNELS_INL_H_
#else
#define XCORR_SRC_KERNELS_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hwy/highway.h"
#include "src/int_math.h"
#include "src/kernels.h"
#include "src/transpose-inl.h"
#include "src/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using detail::CeilDiv;
using detail::RoundUp;

// ---------------------------------------------------------------------------
// Plane kernels.

// The order of a plane kernel's loops over a register block.
enum class PlaneOrder {
  // Input rows outermost: each of the block's kRows + kernel_height - 1
  // input rows is loaded once per kernel column, feeds every output row of
  // the block that needs it, and is then done with; weights are broadcast
  // from memory at each use. Kernel columns outermost would keep all the
  // block's input rows in use at once, and rows 4 KiB apart share one set of
  // the 8-way L1.
  kInputRows,
  // Kernel columns outermost, for small fixed kernels: the column's weights
  // stay in registers across all the block's input rows.
  kKernelColumns,
};

// A plane kernel: its register block (kRows output rows x kVectors vectors
// of accumulators), the kernel size when fixed at compile time (0 x 0: read
// from the tile) and the loop order (kKernelColumns needs a fixed size;
// kInputRows takes a fixed width only on AVX-512, see PlaneInputRow).
template <size_t kRowsArg, size_t kVectorsArg, int64_t kHeightArg,
          int64_t kWidthArg, PlaneOrder kOrderArg>
struct PlaneKernel {
  static constexpr size_t kRows = kRowsArg;
  static constexpr size_t kVectors = kVectorsArg;
  static constexpr int64_t kHeight = kHeightArg;
  static constexpr int64_t kWidth = kWidthArg;
  static constexpr PlaneOrder kOrder = kOrderArg;
  static_assert(kHeight > 0 || kOrder == PlaneOrder::kInputRows, "");
};

// The loads of an ordinary block: every lane from memory.
struct NoMasks {};

// The loads of a block at a padded plane's left or right end, whose input
// columns outside x are zeros that are not in memory (see
// CorrPlaneColumnsMasked): of its first vector only the lanes in `first`
// are loaded, of its last only those in `last` (of a window block, see
// PlaneWindowTaps, its load after its vectors); the other lanes read zero.
// Its other vectors lie inside x.
template <class D>
struct EdgeMasks {
  hn::Mask<D> first, last;
};

// The same for a block on kernel columns (see PlaneColumns), whose loads at
// each column take masks of their own: x's columns are [0, in_width),
// counted from where the block's input starts at `first`.
struct EdgeColumns {
  int64_t first, in_width;
};

// The lanes of a vector of unpadded columns [start, start + lanes) that lie
// in [0, size).
template <class D>
HWY_INLINE hn::Mask<D> LanesInside(D d, int64_t start, int64_t size) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t begin = std::clamp<int64_t>(-start, 0, N);
  const int64_t end = std::clamp<int64_t>(size - start, 0, N);
  return hn::AndNot(hn::FirstN(d, static_cast<size_t>(begin)),
                    hn::FirstN(d, static_cast<size_t>(end)));
}

// Loads kVectors consecutive vectors from `from`, each pinned before it
// enters the array (see KeepInRegister); with EdgeMasks, the first and the
// last masked.
template <size_t kVectors, class D, class V = hn::Vec<D>, class Masks = NoMasks>
HWY_INLINE void LoadPinned(D d, const float* from, V (&in)[kVectors],
                           const Masks& masks = Masks()) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  HWY_UNROLL(32)
  for (size_t v = 0; v < kVectors; ++v) {
    const float* at = from + static_cast<int64_t>(v) * N;
    V loaded;
    if constexpr (!std::is_same_v<Masks, NoMasks>) {
      if (kVectors == 1) {
        loaded = hn::MaskedLoad(hn::And(masks.first, masks.last), d, at);
      } else if (v == 0) {
        loaded = hn::MaskedLoad(masks.first, d, at);
      } else if (v + 1 == kVectors) {
        loaded = hn::MaskedLoad(masks.last, d, at);
      } else {
        loaded = hn::LoadU(d, at);
      }
    } else {
      loaded = hn::LoadU(d, at);
    }
    KeepInRegister(loaded);
    in[v] = loaded;
  }
}

// The taps of kernel column kv of the kernel rows that input row in_row
// (of a band's rows, counted from the block's top row) meets: `in`, the
// kVectors vectors of the input row at column kv, feed output row r of the
// block with kernel row in_row - r of the band at k.
template <size_t kRows, size_t kVectors, int64_t kBandHeight, class D,
          class V = hn::Vec<D>>
HWY_INLINE void PlaneTapFmas(D d, const V (&in)[kVectors], const float* k,
                             int64_t kw, int64_t in_row, int64_t kv,
                             V (&acc)[kRows][kVectors]) {
  HWY_UNROLL(32)
  for (size_t r = 0; r < kRows; ++r) {
    const int64_t u = in_row - static_cast<int64_t>(r);
    if (u < 0 || u >= kBandHeight) continue;
    const V weight = hn::Set(d, k[u * kw + kv]);
    HWY_UNROLL(32)
    for (size_t v = 0; v < kVectors; ++v)
      acc[r][v] = hn::MulAdd(in[v], weight, acc[r][v]);
  }
}

// PlaneTapFmas on x_row's kVectors vectors at column kv, loaded.
template <size_t kRows, size_t kVectors, int64_t kBandHeight, class D,
          class V = hn::Vec<D>>
HWY_INLINE void PlaneTaps(D d, const float* x_row, const float* k, int64_t kw,
                          int64_t in_row, int64_t kv,
                          V (&acc)[kRows][kVectors]) {
  V in[kVectors];
  LoadPinned(d, x_row + kv, in);
  PlaneTapFmas<kRows, kVectors, kBandHeight>(d, in, k, kw, in_row, kv, acc);
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// PlaneTapFmas for every column of a kernel kWidth wide, its vectors at column
// kv made by LaneWindow from kVectors + 1 loads at column 0 rather than
// loaded there: 3x3 blocks of 3 x 4 vectors read 5 x 5 vectors and shuffle
// 40 for 108 FMAs, against 60 loads of which 40 crossed a cache line. (AVX3,
// 1 thread, GFLOP/s, loads in 5 x 4 blocks against windows in 3 x 4,
// medians of alternating runs: 256x256 79 -> 88, 512x512 59 -> 74,
// 1024x1024 73 -> 90, 300x300 71 -> 83; 2048x2048 44 -> 42, DRAM-bound;
// windows in 4 x 4 blocks 90, 69, 87, 83: their six input and four output
// rows, where rows lie 4 KiB apart, outnumber an L1 set's eight ways.)
template <size_t kRows, size_t kVectors, int64_t kBandHeight, int64_t kWidth,
          class D, class V = hn::Vec<D>, class Masks = NoMasks>
HWY_INLINE void PlaneWindowTaps(D d, const float* x_row, const float* k,
                                int64_t in_row, V (&acc)[kRows][kVectors],
                                const Masks& masks = Masks()) {
  constexpr int64_t kLanes = 16;
  static_assert(sizeof(V) == sizeof(float) * kLanes, "whole 512-bit vectors");
  static_assert(kWidth >= 2 && kWidth <= kLanes + 1, "one window per column");
  constexpr bool kMasked = !std::is_same_v<Masks, NoMasks>;
  V base[kVectors];
  if constexpr (kMasked) {
    // Only the first of them reaches beyond x.
    const EdgeMasks<D> left{masks.first, hn::FirstN(d, kLanes)};
    LoadPinned(d, x_row, base, left);
  } else {
    LoadPinned(d, x_row, base);
  }
  // Of the vector after them the windows take the first kWidth - 1 lanes,
  // the last columns the block reads: it is loaded to end there (a whole
  // vector would read past the row, and on a plane's last row past x) and
  // shifted into place.
  const float* last_at =
      x_row + static_cast<int64_t>(kVectors) * kLanes + kWidth - 1 - kLanes;
  V last;
  if constexpr (kMasked) {
    last = hn::MaskedLoad(masks.last, d, last_at);
  } else {
    last = hn::LoadU(d, last_at);
  }
  KeepInRegister(last);
  const V after = LaneWindow<kLanes - kWidth + 1>(last, last);
  ForEachIndex<kWidth>([&](auto kv) HWY_ATTR {
    V in[kVectors];
    HWY_UNROLL(32)
    for (size_t v = 0; v < kVectors; ++v) {
      in[v] = LaneWindow<decltype(kv)::value>(
          base[v], v + 1 < kVectors ? base[v + 1] : after);
    }
    PlaneTapFmas<kRows, kVectors, kBandHeight>(d, in, k, kWidth, in_row,
                                               static_cast<int64_t>(kv), acc);
  });
}
#endif

// Every kernel column of input row x_row: kWidth columns if fixed (only
// CorrPlane's AVX-512 3x3 and 1x2 blocks, on windows), else the tile's,
// loaded.
template <size_t kRows, size_t kVectors, int64_t kBandHeight, int64_t kWidth,
          class D, class V = hn::Vec<D>, class Masks = NoMasks>
HWY_INLINE void PlaneInputRow(D d, const detail::PlaneTile& tile,
                              const float* x_row, const float* k,
                              int64_t in_row, V (&acc)[kRows][kVectors],
                              const Masks& masks = Masks()) {
  if constexpr (kWidth > 0) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    PlaneWindowTaps<kRows, kVectors, kBandHeight, kWidth>(d, x_row, k, in_row,
                                                          acc, masks);
#else
    static_assert(kWidth == 0, "fixed widths need LaneWindow");
#endif
  } else {
    static_assert(std::is_same_v<Masks, NoMasks>, "masks need windows");
    (void)masks;
    const int64_t kw = tile.kernel_width;
    for (int64_t kv = 0; kv < kw; ++kv)
      PlaneTaps<kRows, kVectors, kBandHeight>(d, x_row, k, kw, in_row, kv, acc);
  }
}

// All kBandHeight rows of the kernel (kWidth columns if fixed) for the
// block whose top-left input is x, input rows outermost.
template <size_t kRows, size_t kVectors, int64_t kBandHeight, int64_t kWidth,
          class D, class V = hn::Vec<D>, class Masks = NoMasks>
HWY_INLINE void PlaneBand(D d, const detail::PlaneTile& tile, const float* x,
                          V (&acc)[kRows][kVectors],
                          const Masks& masks = Masks()) {
  HWY_UNROLL(32)
  for (int64_t in_row = 0;
       in_row < static_cast<int64_t>(kRows) + kBandHeight - 1; ++in_row) {
    PlaneInputRow<kRows, kVectors, kBandHeight, kWidth>(
        d, tile, x + in_row * tile.x_row_stride, tile.k, in_row, acc, masks);
  }
}

// The same for a kernel of kh >= kRows - 1 rows read from the tile, in
// three runs of input rows, each with a mapping to the block's rows known
// at compile time: the first kRows - 1 rows feed the block rows above
// them, the middle ones every block row, the last kRows - 1 the block rows
// below them. An input row that feeds few block rows leaves the FMA's
// latency exposed (on 16-register targets, with two vectors a row, below
// four rows), and such rows now come once per kernel, not once per band of
// at most six kernel rows as before (AVX2, 1 thread, GFLOP/s: 1024x1024 7x7
// 68.7 -> 82.9, 11x11 82.2 -> 94.2; 256x256 7x7 75.1 -> 89.0).
template <size_t kRows, size_t kVectors, class D, class V = hn::Vec<D>>
HWY_INLINE void PlaneTall(D d, const detail::PlaneTile& tile, const float* x,
                          V (&acc)[kRows][kVectors]) {
  constexpr int64_t kEdge = static_cast<int64_t>(kRows) - 1;
  const int64_t kh = tile.kernel_height, kw = tile.kernel_width;
  // Input row i < kEdge: block rows r <= i, kernel row i - r.
  HWY_UNROLL(32)
  for (int64_t i = 0; i < kEdge; ++i) {
    PlaneInputRow<kRows, kVectors, kEdge, 0>(d, tile, x + i * tile.x_row_stride,
                                             tile.k, i, acc);
  }
  // Input row i in [kEdge, kh): every block row r, kernel row i - r.
  for (int64_t i = kEdge; i < kh; ++i) {
    PlaneInputRow<kRows, kVectors, kEdge + 1, 0>(
        d, tile, x + i * tile.x_row_stride, tile.k + (i - kEdge) * kw, kEdge,
        acc);
  }
  // Input row kh + j: block rows r > j, kernel row kh + j - r.
  HWY_UNROLL(32)
  for (int64_t j = 0; j < kEdge; ++j) {
    PlaneInputRow<kRows, kVectors, kEdge, 0>(
        d, tile, x + (kh + j) * tile.x_row_stride, tile.k + (kh - kEdge) * kw,
        kEdge + j, acc);
  }
}

// The whole kHeight x kWidth kernel for the block whose top-left input is
// x, kernel columns outermost.
template <size_t kRows, size_t kVectors, int64_t kHeight, int64_t kWidth,
          class D, class V = hn::Vec<D>, class Masks = NoMasks>
HWY_INLINE void PlaneColumns(D d, const detail::PlaneTile& tile, const float* x,
                             V (&acc)[kRows][kVectors],
                             const Masks& masks = Masks()) {
  HWY_UNROLL(32)
  for (int64_t kv = 0; kv < kWidth; ++kv) {
    V column[static_cast<size_t>(kHeight)];
    HWY_UNROLL(32)
    for (int64_t u = 0; u < kHeight; ++u)
      column[u] = hn::Set(d, tile.k[u * kWidth + kv]);
    [[maybe_unused]] EdgeMasks<D> column_masks;
    if constexpr (!std::is_same_v<Masks, NoMasks>) {
      const int64_t last = static_cast<int64_t>(kVectors - 1) *
                           static_cast<int64_t>(hn::Lanes(d));
      column_masks = {LanesInside(d, masks.first + kv, masks.in_width),
                      LanesInside(d, masks.first + kv + last, masks.in_width)};
    }
    HWY_UNROLL(32)
    for (int64_t in_row = 0; in_row < static_cast<int64_t>(kRows) + kHeight - 1;
         ++in_row) {
      V in[kVectors];
      const float* from = x + in_row * tile.x_row_stride + kv;
      if constexpr (!std::is_same_v<Masks, NoMasks>) {
        LoadPinned(d, from, in, column_masks);
      } else {
        LoadPinned(d, from, in);
      }
      HWY_UNROLL(32)
      for (size_t r = 0; r < kRows; ++r) {
        const int64_t u = in_row - static_cast<int64_t>(r);
        if (u < 0 || u >= kHeight) continue;
        HWY_UNROLL(32)
        for (size_t v = 0; v < kVectors; ++v) {
          acc[r][v] = hn::MulAdd(in[v], column[u], acc[r][v]);
          EmitSumNow(acc[r][v]);
        }
      }
    }
  }
}

// One kRows x (kVectors * Lanes(d)) block whose top-left output is (row,
// col) (kVectors: Kernel's, or one at the right edge). A kernel whose size
// is read from the tile runs by PlaneTall, or as one band of its height
// where it is shorter than kRows - 1. Every output lane sums its taps in
// the same order (kernel rows, then columns) whatever the block, so blocks
// may overlap. Masks (EdgeMasks on windows, EdgeColumns on kernel columns)
// need a kernel of fixed size.
template <class Kernel, size_t kVectors, class D, class Masks = NoMasks>
HWY_INLINE void PlaneBlock(D d, const detail::PlaneTile& tile, int64_t row,
                           int64_t col, const Masks& masks = Masks()) {
  static_assert(std::is_same_v<Masks, NoMasks> ||
                    (Kernel::kHeight > 0 && Kernel::kWidth > 0),
                "masks need a kernel of fixed size");
  constexpr size_t kRows = Kernel::kRows;
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const float* x = tile.x + row * tile.x_row_stride + col;
  V acc[kRows][kVectors];
  HWY_UNROLL(32)
  for (size_t r = 0; r < kRows; ++r) {
    HWY_UNROLL(32)
    for (size_t v = 0; v < kVectors; ++v) acc[r][v] = hn::Set(d, tile.bias);
  }
  if constexpr (Kernel::kOrder == PlaneOrder::kKernelColumns) {
    PlaneColumns<kRows, kVectors, Kernel::kHeight, Kernel::kWidth>(d, tile, x,
                                                                   acc, masks);
  } else if constexpr (Kernel::kHeight > 0) {
    PlaneBand<kRows, kVectors, Kernel::kHeight, Kernel::kWidth>(d, tile, x, acc,
                                                                masks);
  } else {
    static_assert(kRows >= 3, "blocks of kernels read from the tile");
    if (tile.kernel_height >= static_cast<int64_t>(kRows) - 1) {
      PlaneTall(d, tile, x, acc);
    } else {
      WithBlockSize<kRows - 2>(tile.kernel_height, [&](auto kBandHeight) {
        PlaneBand<kRows, kVectors, decltype(kBandHeight)::value, 0>(d, tile, x,
                                                                    acc);
      });
    }
  }
  HWY_UNROLL(32)
  for (size_t r = 0; r < kRows; ++r) {
    float* y =
        tile.y + (row + static_cast<int64_t>(r)) * tile.y_row_stride + col;
    HWY_UNROLL(32)
    for (size_t v = 0; v < kVectors; ++v)
      hn::StoreU(acc[r][v], d, y + static_cast<int64_t>(v) * N);
  }
}

// One vector (D's lanes) of output row `row` at column `col`, by plain loops
// over the taps in Kernel's order (kernel rows, then columns, for
// kInputRows; columns, then rows, for kKernelColumns): the same bits as
// Kernel's blocks, for what whole blocks of rows or vectors do not cover.
// (Blocks for those too made the kernels' code, unrolled for every band
// height, take minutes to compile under the sanitizers.)
template <class Kernel, class D>
HWY_INLINE void PlaneEdge(D d, const detail::PlaneTile& tile, int64_t row,
                          int64_t col) {
  const int64_t kh = tile.kernel_height, kw = tile.kernel_width;
  const float* x = tile.x + row * tile.x_row_stride + col;
  hn::Vec<D> acc = hn::Set(d, tile.bias);
  const auto tap = [&](int64_t u, int64_t v) HWY_ATTR {
    acc = hn::MulAdd(hn::LoadU(d, x + u * tile.x_row_stride + v),
                     hn::Set(d, tile.k[u * kw + v]), acc);
  };
  if constexpr (Kernel::kOrder == PlaneOrder::kInputRows) {
    for (int64_t u = 0; u < kh; ++u) {
      for (int64_t v = 0; v < kw; ++v) tap(u, v);
    }
  } else {
    for (int64_t v = 0; v < kw; ++v) {
      for (int64_t u = 0; u < kh; ++u) tap(u, v);
    }
  }
  hn::StoreU(acc, d, tile.y + row * tile.y_row_stride + col);
}

// Row `row` of `tile` by PlaneEdge: vector by vector, the last one
// overlapping its predecessor, or lane by lane below a vector.
template <class Kernel>
HWY_INLINE void PlaneEdgeRow(const detail::PlaneTile& tile, int64_t row) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t width = tile.out_width;
  if (width < N) {
    const hn::CappedTag<float, 1> d1;
    for (int64_t col = 0; col < width; ++col)
      PlaneEdge<Kernel>(d1, tile, row, col);
    return;
  }
  for (int64_t col = 0; col < width; col += N)
    PlaneEdge<Kernel>(d, tile, row, HWY_MIN(col, width - N));
}

// PlaneBlock for PlaneRowBand: with kMaskedColumns, masked where it reads
// columns beyond x.
template <class Kernel, size_t kVectors, bool kMaskedColumns, class D>
HWY_INLINE void PlaneBandBlock(D d, const detail::PlaneTile& tile, int64_t row,
                               int64_t col,
                               const detail::PlaneColumnPadding& columns) {
  if constexpr (kMaskedColumns) {
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    // The unpadded columns where its first vector and its last load start.
    const int64_t first = col - columns.pad_left;
    const int64_t last =
        first + static_cast<int64_t>(kVectors) * N + Kernel::kWidth - 1 - N;
    if (first < 0 || last + N > columns.in_width) {
      if constexpr (Kernel::kOrder == PlaneOrder::kKernelColumns) {
        PlaneBlock<Kernel, kVectors>(d, tile, row, col,
                                     EdgeColumns{first, columns.in_width});
      } else {
        const EdgeMasks<D> masks{LanesInside(d, first, columns.in_width),
                                 LanesInside(d, last, columns.in_width)};
        PlaneBlock<Kernel, kVectors>(d, tile, row, col, masks);
      }
      return;
    }
  } else {
    (void)columns;
  }
  PlaneBlock<Kernel, kVectors>(d, tile, row, col);
}

// Rows [row, row + Kernel::kRows) of `tile`, all columns: whole blocks, then
// what is left as one more whole block overlapping its predecessor when that
// is more than half a block (recomputing the same bits; AVX2 64x64 3x3 60 ->
// 65 GFLOP/s), else as single vectors, the last one overlapping too, instead
// of a scalar tail (the plane is at least a vector wide). One call per band:
// a call per block cost 2-8 % more instructions on small kernels, and
// inlining the band into its callers made the sanitizer builds compile for
// over ten minutes. kAlign: the band's first vector runs alone where x's
// first row does not start on a vector, so that the blocks after it load
// whole vectors of x (see PlaneRows). kMaskedColumns: tile.x is the padded
// input's origin, `columns` says where x lies in it, and the blocks that
// reach beyond x load with EdgeMasks (see CorrPlaneColumnsMasked).
template <class Kernel, bool kAlign = false, bool kMaskedColumns = false>
HWY_NOINLINE void PlaneRowBand(const detail::PlaneTile& tile, int64_t row,
                               const detail::PlaneColumnPadding& columns) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t width = tile.out_width;
  constexpr size_t kWhole = Kernel::kVectors;
  const int64_t block = static_cast<int64_t>(kWhole) * N;
  int64_t col = 0;
  if constexpr (kAlign) {
    const uintptr_t vector_bytes = static_cast<uintptr_t>(N) * sizeof(float);
    const uintptr_t offset =
        reinterpret_cast<uintptr_t>(tile.x + row * tile.x_row_stride) %
        vector_bytes;
    if (offset != 0) {
      PlaneBandBlock<Kernel, 1, kMaskedColumns>(d, tile, row, 0, columns);
      col = static_cast<int64_t>((vector_bytes - offset) / sizeof(float));
    }
  }
  for (; col + block <= width; col += block)
    PlaneBandBlock<Kernel, kWhole, kMaskedColumns>(d, tile, row, col, columns);
  if (col > 0 && 2 * (width - col) > block) {
    PlaneBandBlock<Kernel, kWhole, kMaskedColumns>(d, tile, row, width - block,
                                                   columns);
    return;
  }
  for (; col < width; col += N) {
    PlaneBandBlock<Kernel, 1, kMaskedColumns>(d, tile, row,
                                              HWY_MIN(col, width - N), columns);
  }
}

// All rows of the tile: blocks of Kernel::kRows rows, the last one
// overlapping its predecessor when the row count is not a multiple (tiles
// shorter than a block, and planes narrower than a vector, go row by row;
// not with kMaskedColumns, whose callers have neither).
template <class Kernel, bool kMaskedColumns = false>
HWY_INLINE void PlaneRows(const detail::PlaneTile& tile,
                          const detail::PlaneColumnPadding& columns = {}) {
  const int64_t step = static_cast<int64_t>(Kernel::kRows);
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  int64_t row = tile.row_begin;
  if (tile.row_end - row < step || tile.out_width < N) {
    for (; row < tile.row_end; ++row) PlaneEdgeRow<Kernel>(tile, row);
    return;
  }
  if constexpr (Kernel::kRows == 1 && !kMaskedColumns) {
    // A long row of a one-row band streams from L3 or memory, where a load
    // that crosses a cache line costs twice: its first vector runs alone so
    // that the blocks after it load whole vectors of x, recomputing the
    // columns they share with it (1 thread, 1x2, x 16 bytes past a line,
    // GFLOP/s, medians of alternating runs: AVX3 1024x1024 38.2 -> 40.1,
    // AVX2 29.4 -> 34.0; before, on AVX3, 2048x2048 16.0 -> 16.9 and
    // 512x512 38.4 -> 39.0 but 256x256 43.8 -> 42.1, hence 32 vectors).
    if (tile.out_width >= 32 * N) {
      for (; row < tile.row_end; ++row)
        PlaneRowBand<Kernel, /*kAlign=*/true>(tile, row, columns);
      return;
    }
  }
  for (; row + step <= tile.row_end; row += step)
    PlaneRowBand<Kernel, false, kMaskedColumns>(tile, row, columns);
  if (row < tile.row_end) {
    PlaneRowBand<Kernel, false, kMaskedColumns>(tile, tile.row_end - step,
                                                columns);
  }
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// AVX-512 3x3 planes: 3 x 4 blocks of windows (see PlaneWindowTaps) hold the
// nine taps in registers beside their 12 accumulators and 5 loads. Planes
// narrower than a 4-vector block run vector by vector, where 6 rows share
// more loads (AVX3, 1 thread, GFLOP/s, 6 x 4 loaded against 5 x 4: 64x64 78
// against 63; windows 6 x 1: 49 -> 60 at 64x64, 32 -> 36 at 40x40).
template <bool kMaskedColumns = false>
HWY_INLINE void WindowRows3x3(const detail::PlaneTile& tile,
                              const detail::PlaneColumnPadding& columns = {}) {
  if (tile.out_width >=
      4 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()))) {
    PlaneRows<PlaneKernel<3, 4, 3, 3, PlaneOrder::kInputRows>, kMaskedColumns>(
        tile, columns);
  } else {
    PlaneRows<PlaneKernel<6, 1, 3, 3, PlaneOrder::kInputRows>, kMaskedColumns>(
        tile, columns);
  }
}
#endif

// 5x5 planes with a native FMA, on kernel columns: AVX-512 runs 4 x 4 blocks
// on rows that end in whole blocks or in at least three quarters of one
// (PlaneRowBand overlaps the last block then; a rest of half a block or
// less runs vector by vector, in plain loops), else 6 x 2. Four rows of
// blocks read 8 input rows, as many as an L1 set holds where rows lie 4 KiB
// apart (AVX3, 1 thread, GFLOP/s, 6 x 2 against 4 x 4: 1024x1024 85.9 ->
// 98.7, 2048x2048 73.0 -> 78.0, 512x512 100.2 -> 105.2, 128x128 93.6 ->
// 100.5, 256x256 104.4 -> 106.7; 230x230, its last block two-thirds
// overlapping, 98.3 -> 95.3). The other targets run 4 x 2.
template <bool kMaskedColumns = false>
HWY_INLINE void ColumnRows5x5(const detail::PlaneTile& tile,
                              const detail::PlaneColumnPadding& columns = {}) {
  constexpr bool kWide = kVectorRegisters == 32;
  const int64_t four_vectors =
      4 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t rest = tile.out_width % four_vectors;
  if (kWide && tile.out_width >= four_vectors &&
      (rest == 0 || 4 * rest >= 3 * four_vectors)) {
    PlaneRows<PlaneKernel<4, 4, 5, 5, PlaneOrder::kKernelColumns>,
              kMaskedColumns>(tile, columns);
  } else {
    PlaneRows<PlaneKernel<kWide ? 6 : 4, 2, 5, 5, PlaneOrder::kKernelColumns>,
              kMaskedColumns>(tile, columns);
  }
}

// The plane kernel (see detail::PlaneTile). Accumulators, plus the loaded
// vectors, plus one broadcast weight (input rows outermost) or a kernel
// column of weights (kernel columns outermost) fill the registers: AVX-512
// 24 + 4 + 1 (3x3: 12 + 5 + its 9 taps, which the compiler keeps), 16 + 4
// + 5 and 12 + 2 + 5 of 32; the others 12 + 2 + 1,
// 10 + 2 + 3 and 8 + 2 + 5 of 16. Which order wins was measured per size on Zen
// 4, 1 thread, 256x256 and 1024x1024 (GFLOP/s):
// - 3x3 on AVX3: input rows 6 x 4, 62-84 (3 x 4 on windows since, see
//   below); kernel columns 6 x 2, 43-53;
// - 3x3 on AVX2: kernel columns 5 x 2, 66-71; input rows 6 x 2, 52-68;
// - 5x5: kernel columns 6 x 2 (AVX3; 4 x 4 on most widths since, see
//   below) 87-108, 4 x 2 (AVX2) 83-96; input rows,
//   fixed or not, 70-86 and 49-73. Without FMA (SSE4, SSSE3: a multiply and
//   an add, two-operand, with a temporary each) kernel columns 3 x 2 (6 +
//   2 + 5 + 1 registers; 4 x 2 spilled), with EmitSumNow: SSE4 256x256 33.8
//   -> 40.3, 1024x1024 28.6 -> 34.6 against the generic kernel; EmitSumNow
//   took SSE4 3x3 256x256 from 24.5 to 36.4;
// - 7x7 and 11x11: input rows 90-108 (AVX3), 83-97 (AVX2, since PlaneTall);
//   kernel columns with the size read from the tile, 34-92.
HWY_INLINE void CorrPlane(const detail::PlaneTile& tile) {
  constexpr bool kWide = kVectorRegisters == 32;
  const int64_t kh = tile.kernel_height, kw = tile.kernel_width;
  if constexpr (HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR) {
    // The portable fallback runs plain loops: its register blocks, vectors
    // emulated lane by lane, were a third of this file's compile time under
    // the sanitizers, for a target that x86 machines never pick.
    using Plain = PlaneKernel<1, 1, 0, 0, PlaneOrder::kInputRows>;
    for (int64_t row = tile.row_begin; row < tile.row_end; ++row)
      PlaneEdgeRow<Plain>(tile, row);
  } else if (kh == 3 && kw == 3) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    WindowRows3x3(tile);
#else
    PlaneRows<PlaneKernel<5, 2, 3, 3, PlaneOrder::kKernelColumns>>(tile);
#endif
  } else if (kh == 1) {
    // One kernel row: no input row is shared, so blocks run along one row
    // and read and write it as two streams. Six rows 4 KiB apart had twelve
    // streams competing for each L1 set: 1x2 at 1024x1024, 25 -> 32
    // GFLOP/s, the speed of a plain loop of loads, FMAs and stores. The
    // seed's 1x2 edge kernel runs on windows (see PlaneWindowTaps) where
    // there are (AVX3, 1 thread, GFLOP/s, medians of alternating runs:
    // 1024x1024 37.5 -> 41.1, 256x256 42.5 -> 52.0).
    if constexpr (kWide) {
      if (kw == 2) {
        PlaneRows<PlaneKernel<1, 8, 1, 2, PlaneOrder::kInputRows>>(tile);
        return;
      }
    }
    PlaneRows<PlaneKernel<1, kWide ? 8 : 4, 1, 0, PlaneOrder::kInputRows>>(
        tile);
  } else if (kh == 5 && kw == 5 && !HWY_NATIVE_FMA) {
    PlaneRows<PlaneKernel<3, 2, 5, 5, PlaneOrder::kKernelColumns>>(tile);
  } else if (kh == 5 && kw == 5) {
    ColumnRows5x5(tile);
  } else {
    PlaneRows<PlaneKernel<6, kWide ? 4 : 2, 0, 0, PlaneOrder::kInputRows>>(
        tile);
  }
}

// Whether CorrPlaneColumnsMasked runs kernels of this size with these zero
// columns: AVX-512 3x3 (on windows, see PlaneWindowTaps) and 5x5 (on kernel
// columns) blocks, whose first and last vectors reach at most the kernel's
// width less one column past either side.
HWY_INLINE bool MasksPlaneColumns(int64_t kernel_height, int64_t kernel_width,
                                  int64_t pad_left, int64_t pad_right) {
  const bool avx512 = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3;
  const bool size = (kernel_height == 3 && kernel_width == 3) ||
                    (kernel_height == 5 && kernel_width == 5);
  return avx512 && size && pad_left >= 0 && pad_left < kernel_width &&
         pad_right >= 0 && pad_right < kernel_width;
}

// CorrPlane on rows whose input has zero columns left and right of x that
// are not in memory (see detail::CorrPlaneMaskedColumns); false, having
// written nothing, where this target has no such kernel for the tile.
HWY_INLINE bool CorrPlaneColumnsMasked(
    const detail::PlaneTile& tile, const detail::PlaneColumnPadding& columns) {
  const int64_t pad_right = tile.out_width + tile.kernel_width - 1 -
                            columns.pad_left - columns.in_width;
  // PlaneRows reads rows narrower than a vector or shorter than a block of
  // rows without blocks, hence without masks.
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  if (!MasksPlaneColumns(tile.kernel_height, tile.kernel_width,
                         columns.pad_left, pad_right) ||
      tile.out_width < N || tile.row_end - tile.row_begin < 6) {
    return false;
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if (tile.kernel_height == 3) {
    WindowRows3x3</*kMaskedColumns=*/true>(tile, columns);
  } else {
    ColumnRows5x5</*kMaskedColumns=*/true>(tile, columns);
  }
  return true;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------
// Shared by the direct kernels.

// The taps [*begin, *end) of a kernel axis with `taps` taps, `dilation`
// apart, that land inside [0, size) when tap 0 sits at `position` (which
// may be negative in the padding).
inline void TapRange(int64_t position, int64_t dilation, int64_t taps,
                     int64_t size, int64_t* begin, int64_t* end) {
  *begin = position >= 0 ? 0 : std::min(taps, CeilDiv(-position, dilation));
  *end =
      position < size ? std::min(taps, CeilDiv(size - position, dilation)) : 0;
  *end = std::max(*end, *begin);
}

// ---------------------------------------------------------------------------
// NCHW direct kernels.

// Packed rows of one tile live on the stack: 32 KiB stays in L1 while every
// output-channel block reads them, and bounds the stack a call needs.
constexpr int64_t kPackFloats = 8192;
// One packed segment takes at most a quarter of it, so that a pass holds
// several and y is revisited rarely.
constexpr int64_t kSegmentFloats = kPackFloats / 4;
constexpr int64_t kMaxSegments = 256;
constexpr int64_t kMaxTaps = 64;

// PackRow for stride 2 and both phases: the columns that both phases hold,
// where they are at least a vector, come from pairs of vectors split into
// even and odd columns (the last pair overlapping its predecessor), the
// others one by one.
inline HWY_NOINLINE void PackRowPairs(const float* HWY_RESTRICT x_row,
                                      int64_t width, int64_t first,
                                      int64_t length,
                                      float* HWY_RESTRICT packed) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t begin[2], end[2];
  for (int64_t p = 0; p < 2; ++p)
    TapRange(first + p, 2, length, width, &begin[p], &end[p]);
  int64_t split_begin = std::max(begin[0], begin[1]);
  int64_t split_end = std::min(end[0], end[1]);
  if (split_end - split_begin < N) split_begin = split_end = 0;
  for (int64_t p = 0; p < 2; ++p) {
    float* out = packed + p * length;
    for (int64_t k = 0; k < length; k += N) hn::Store(hn::Zero(d), d, out + k);
    const float* in = x_row + first + p;
    for (int64_t k = begin[p]; k < std::min(end[p], split_begin); ++k)
      out[k] = in[2 * k];
    for (int64_t k = std::max(begin[p], split_end); k < end[p]; ++k)
      out[k] = in[2 * k];
  }
  for (int64_t k = split_begin; k < split_end; k += N) {
    const int64_t at = std::min(k, split_end - N);
    hn::Vec<decltype(d)> even, odd;
    hn::LoadInterleaved2(d, x_row + first + 2 * at, even, odd);
    hn::StoreU(even, d, packed + at);
    hn::StoreU(odd, d, packed + length + at);
  }
}

// Packs the columns of x_row (width floats) that `phases` stride phases of a
// run of output columns read:
//   packed[p * length + k] = x_row[first + k * stride + p], 0 <= p < phases,
// zero where the column falls outside the row (the padding). packed is
// vector-aligned and length a multiple of the vector size. Rows are short
// (often under 100 floats), so vectors here beat calls to memcpy/memset.
HWY_INLINE void PackRow(const float* HWY_RESTRICT x_row, int64_t width,
                        int64_t first, int64_t stride, int64_t phases,
                        int64_t length, float* HWY_RESTRICT packed) {
  if (stride == 2 && phases == 2) {
    PackRowPairs(x_row, width, first, length, packed);
    return;
  }
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t p = 0; p < phases; ++p) {
    float* out = packed + p * length;
    for (int64_t k = 0; k < length; k += N) hn::Store(hn::Zero(d), d, out + k);
    int64_t begin, end;
    TapRange(first + p, stride, length, width, &begin, &end);
    const float* in = x_row + first + p;
    int64_t k = begin;
    if (stride == 1) {
      for (; k + N <= end; k += N) hn::StoreU(hn::LoadU(d, in + k), d, out + k);
    }
    for (; k < end; ++k) out[k] = in[k * stride];
  }
}

// One pass of the NCHW kernel: `segments` packed runs of taps (one input
// channel, one kernel row, taps[s] consecutive kernel columns) for `width`
// output columns of one output row.
struct DirectPass {
  const float* packed;
  int64_t segment_floats, length;  // per segment, per stride phase
  const int64_t* weight_offsets;   // per segment: first tap's offset in w[o]
  const int64_t* taps;             // per segment
  int64_t segments;
  const int64_t* tap_offsets;  // of each tap in a segment
  const float* w;
  int64_t w_channel_stride;
  const float* bias;  // NULL: none
  float* y;           // output channel 0 at this row and column
  int64_t y_channel_stride, width;
  bool first;  // start from the bias; later passes add to y
  // Where every segment holds all the taps of a kernel row one float apart
  // (stride and dilation 1, kernel rows not split), their count, else 0:
  // blocks of 3, 5 or 7 such taps make their vectors at each tap by
  // LaneWindow (AVX-512; see DirectPassAllChannels and DirectBlock).
  int64_t window_taps;
};

// Adds bias (first pass) or y (later passes) to the sums of a block of
// `channels` x `vectors` vectors and stores them, the last vector of a row
// only up to the pass width.
template <class D>
HWY_NOINLINE void FinishBlock(D d, const DirectPass& pass, int64_t o,
                              int64_t col, size_t channels, size_t vectors,
                              const float* sums) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  for (size_t k = 0; k < channels; ++k) {
    const int64_t channel = o + static_cast<int64_t>(k);
    float* y = pass.y + channel * pass.y_channel_stride + col;
    for (size_t v = 0; v < vectors; ++v) {
      const int64_t offset = static_cast<int64_t>(v) * N;
      const int64_t count = pass.width - col - offset;
      const hn::Vec<D> base =
          pass.first
              ? hn::Set(d, pass.bias != nullptr ? pass.bias[channel] : 0.0f)
              : LoadUpTo(d, y + offset, count);
      const hn::Vec<D> sum =
          hn::Load(d, sums + (k * vectors + v) * static_cast<size_t>(N));
      StoreUpTo(d, hn::Add(base, sum), y + offset, count);
    }
  }
}

// Tap t of a segment for a block: its kChannels weights (from w[k][t]) meet
// its kVectors input vectors, input(v).
template <size_t kChannels, size_t kVectors, class D, class Input,
          class V = hn::Vec<D>>
HWY_INLINE void DirectTap(D d, const float* const (&w)[kChannels], int64_t t,
                          const Input& input, V (&acc)[kChannels][kVectors]) {
  V weight[kChannels];
  for (size_t k = 0; k < kChannels; ++k) weight[k] = hn::Set(d, w[k][t]);
  for (size_t v = 0; v < kVectors; ++v) {
    const V in = input(v);
    for (size_t k = 0; k < kChannels; ++k)
      acc[k][v] = hn::MulAdd(in, weight[k], acc[k][v]);
  }
}

// Output channels [o, o + kChannels) x vectors [col, col + kVectors * N) of a
// pass. Each tap broadcasts kChannels weights and meets kVectors inputs in
// kChannels * kVectors FMAs. The accumulators leave through an aligned
// buffer so that the tap loop carries none of the epilogue's branches (with
// them, GCC spills accumulators on 16-register targets).
// kTaps (pass.window_taps, or 0): each segment loads its kVectors + 1
// vectors at tap 0 once and makes those of every tap by LaneWindow, rather
// than loading them at each tap, most across a cache line (AVX3, 1 thread,
// GFLOP/s, alternating runs: 3 -> 64 224x224 7x7 pad 3 90-92 -> 95-96;
// 3 -> 32 112x112 5x5 pad 2 73 -> 85-97; 32 -> 32 64x64 3x3 pad 1 81-87 ->
// 78-96, noisy). Each kTaps runs in its own DirectPassChannels: inlined
// together, GCC left the loads' blocks out of line and slower (90 -> 82).
template <size_t kChannels, size_t kVectors, size_t kTaps, class D>
HWY_INLINE void DirectBlock(D d, const DirectPass& pass, int64_t o,
                            int64_t col) {
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[kChannels][kVectors];
  for (size_t k = 0; k < kChannels; ++k) {
    const float* y =
        pass.y + (o + static_cast<int64_t>(k)) * pass.y_channel_stride + col;
    for (size_t v = 0; v < kVectors; ++v) {
      acc[k][v] = hn::Zero(d);
      // FinishBlock's lines of y, which large outputs (a stem's 12.8 MB)
      // would otherwise fetch while it stores them (AVX3, 1 thread, 3 -> 64
      // 224x224 7x7 pad 3, GFLOP/s, medians of 12 alternating runs: 84.1 ->
      // 89.0).
      PrefetchToWrite(y + static_cast<int64_t>(v) * N);
    }
  }
  for (int64_t s = 0; s < pass.segments; ++s) {
    const float* packed = pass.packed + s * pass.segment_floats + col;
    const float* w[kChannels];
    for (size_t k = 0; k < kChannels; ++k) {
      w[k] = pass.w + (o + static_cast<int64_t>(k)) * pass.w_channel_stride +
             pass.weight_offsets[s];
    }
    if constexpr (kTaps > 0) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      V base[kVectors + 1];
      LoadPinned(d, packed, base);
      ForEachIndex<kTaps>([&](auto t) HWY_ATTR {
        DirectTap(
            d, w, static_cast<int64_t>(t),
            [&](size_t v) HWY_ATTR {
              return LaneWindow<decltype(t)::value>(base[v], base[v + 1]);
            },
            acc);
      });
#else
      static_assert(kTaps == 0, "windows need LaneWindow");
#endif
    } else {
      for (int64_t t = 0; t < pass.taps[s]; ++t) {
        const float* in_tap = packed + pass.tap_offsets[t];
        DirectTap(
            d, w, t,
            [&](size_t v) HWY_ATTR {
              return hn::LoadU(d, in_tap + static_cast<int64_t>(v) * N);
            },
            acc);
      }
    }
  }
  HWY_ALIGN float sums[kChannels * kVectors * HWY_MAX_BYTES / sizeof(float)];
  for (size_t k = 0; k < kChannels; ++k) {
    for (size_t v = 0; v < kVectors; ++v) {
      hn::Store(acc[k][v], d,
                sums + (k * kVectors + v) * static_cast<size_t>(N));
    }
  }
  FinishBlock(d, pass, o, col, kChannels, kVectors, sums);
}

// AVX-512: 16 accumulators + 4 weights + 1 input of 32 registers; AVX2:
// 12 + 3 + 1 of 16. Per tap, 8 loads feed 16 FMAs, or 7 feed 12; a row's
// last vectors go in one narrower block. Without FMA the product needs a
// register of its own, so SSE4 and SSSE3 run 3 vectors, 9 + 3 + 1 + 1: with
// 4, one accumulator lived on the stack (SSE4, 1 thread, GFLOP/s, best of 7
// to 9 alternating runs on a noisy machine: 64 -> 64 56x56 3x3 28.1 -> 31.9,
// 3 -> 64 224x224 7x7 28.2 -> 33.3).
constexpr size_t kDirectChannels = kVectorRegisters == 32 ? 4 : 3;
constexpr size_t kDirectVectors = HWY_NATIVE_FMA ? 4 : 3;

template <size_t kChannels, size_t kTaps, class D>
HWY_INLINE void DirectChannels(D d, const DirectPass& pass, int64_t o) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t vectors = CeilDiv(pass.width, N);
  const int64_t blocks = vectors / static_cast<int64_t>(kDirectVectors);
  for (int64_t b = 0; b < blocks; ++b) {
    DirectBlock<kChannels, kDirectVectors, kTaps>(
        d, pass, o, b * static_cast<int64_t>(kDirectVectors) * N);
  }
  const int64_t done = blocks * static_cast<int64_t>(kDirectVectors);
  if (done < vectors) {  // the row's last vectors in one narrower block
    WithBlockSize<kDirectVectors - 1>(vectors - done, [&](auto kVectors) {
      DirectBlock<kChannels, decltype(kVectors)::value, kTaps>(d, pass, o,
                                                               done * N);
    });
  }
}

// One pass over every output channel of the tile, kTaps as DirectBlock's.
template <size_t kTaps>
HWY_NOINLINE void DirectPassChannels(const DirectPass& pass,
                                     int64_t out_channels) {
  const hn::ScalableTag<float> d;
  const int64_t block = static_cast<int64_t>(kDirectChannels);
  int64_t o = 0;
  for (; o + block <= out_channels; o += block)
    DirectChannels<kDirectChannels, kTaps>(d, pass, o);
  for (; o < out_channels; ++o) DirectChannels<1, kTaps>(d, pass, o);
}

// The pass on windows where its segments hold 3, 5 or 7 window taps (see
// DirectPass::window_taps), else on loads.
HWY_INLINE void DirectPassAllChannels(const DirectPass& pass,
                                      int64_t out_channels) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  switch (pass.window_taps) {
    case 3:
      return DirectPassChannels<3>(pass, out_channels);
    case 5:
      return DirectPassChannels<5>(pass, out_channels);
    case 7:
      return DirectPassChannels<7>(pass, out_channels);
  }
#endif
  DirectPassChannels<0>(pass, out_channels);
}

// ---------------------------------------------------------------------------
// Pointwise kernel: 1x1, stride 1, unpadded NCHW, which the plan presents as
// one row of pixels per plane: y[o][p] = bias[o] + sum_c w[o][c] x[c][p], a
// matrix product whose rows of x are read in place (no packing).

// Register blocks, output channels x vectors of pixels: per input channel,
// kVectors loads of x and kChannels broadcast weights feed kChannels *
// kVectors FMAs (AVX-512 6 x 4, the others 6 x 2, as the packed kernel).
constexpr size_t kPointwiseChannels = 6;
constexpr size_t kPointwiseVectors = kVectorRegisters == 32 ? 4 : 2;

// Output channels [o, o + kChannels) at pixels [p, p + kVectors * Lanes):
// each lane sums its input channels in order, whatever the block, so that
// overlapping blocks write the same bits. The loops are unrolled by pragma:
// GCC left the 4-channel remainder block's (64 output channels are 10 x 6 +
// 4) as loops with the accumulators in memory, 15 % of a 64 -> 64 56x56
// call's time (AVX2, 1 thread: 70.5 -> 83.2 GFLOP/s unrolled).
template <size_t kChannels, size_t kVectors>
HWY_INLINE void PointwiseBlock(const detail::NchwTile& tile, int64_t o,
                               int64_t p) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t channels = tile.geometry->in_channels;
  const float* w = tile.w + o * channels;
  V acc[kChannels][kVectors];
  HWY_UNROLL(32)
  for (size_t k = 0; k < kChannels; ++k) {
    const V b = tile.bias != nullptr
                    ? hn::Set(d, tile.bias[o + static_cast<int64_t>(k)])
                    : hn::Zero(d);
    HWY_UNROLL(32)
    for (size_t j = 0; j < kVectors; ++j) acc[k][j] = b;
  }
  const float* x = tile.x + p;
  for (int64_t c = 0; c < channels; ++c, x += tile.x_channel_stride) {
    V in[kVectors];
    HWY_UNROLL(32)
    for (size_t j = 0; j < kVectors; ++j) {
      V loaded = hn::LoadU(d, x + static_cast<int64_t>(j) * N);
      KeepInRegister(loaded);
      in[j] = loaded;
    }
    HWY_UNROLL(32)
    for (size_t k = 0; k < kChannels; ++k) {
      const V weight = hn::Set(d, w[static_cast<int64_t>(k) * channels + c]);
      HWY_UNROLL(32)
      for (size_t j = 0; j < kVectors; ++j)
        acc[k][j] = hn::MulAdd(weight, in[j], acc[k][j]);
    }
  }
  HWY_UNROLL(32)
  for (size_t k = 0; k < kChannels; ++k) {
    float* y =
        tile.y + (o + static_cast<int64_t>(k)) * tile.y_channel_stride + p;
    HWY_UNROLL(32)
    for (size_t j = 0; j < kVectors; ++j)
      hn::StoreU(acc[k][j], d, y + static_cast<int64_t>(j) * N);
  }
}

// Pixels [p, p + kVectors * Lanes) for every output channel of the tile:
// whole channel blocks, then one block of the rest.
template <size_t kVectors>
HWY_INLINE void PointwiseColumns(const detail::NchwTile& tile, int64_t p) {
  const int64_t block = static_cast<int64_t>(kPointwiseChannels);
  int64_t o = 0;
  for (; o + block <= tile.out_channels; o += block)
    PointwiseBlock<kPointwiseChannels, kVectors>(tile, o, p);
  switch (tile.out_channels - o) {
    case 5:
      return PointwiseBlock<5, kVectors>(tile, o, p);
    case 4:
      return PointwiseBlock<4, kVectors>(tile, o, p);
    case 3:
      return PointwiseBlock<3, kVectors>(tile, o, p);
    case 2:
      return PointwiseBlock<2, kVectors>(tile, o, p);
    case 1:
      return PointwiseBlock<1, kVectors>(tile, o, p);
    default:
      return;
  }
}
static_assert(kPointwiseChannels == 6, "PointwiseColumns' remainders");

// Returns false, doing nothing, for tiles narrower than a vector (the
// direct kernel's packing handles them). Blocks of kPointwiseVectors
// vectors, then of one, the last of each kind overlapping its predecessor.
HWY_INLINE bool ForwardPointwise(const detail::NchwTile& tile) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t begin = tile.col_begin, end = tile.col_end;
  if (end - begin < N) return false;
  const int64_t wide = static_cast<int64_t>(kPointwiseVectors) * N;
  int64_t p = begin;
  for (; p + wide <= end; p += wide)
    PointwiseColumns<kPointwiseVectors>(tile, p);
  for (; p < end; p += N) PointwiseColumns<1>(tile, std::min(p, end - N));
  return true;
}

// The whole NCHW tile: per column chunk and output row, packs the rows of
// every (input channel, kernel row) that reaches inside the input, in
// passes of at most kPackFloats, then runs each pass over all channels.
HWY_INLINE void ForwardNchw(const detail::NchwTile& tile) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const detail::DirectGeometry& g = *tile.geometry;
  // One row in, the same row out (no padding on any side: a padded row is
  // wider than x, and the pointwise kernel reads x at every output pixel).
  const bool pointwise = g.kernel_height == 1 && g.kernel_width == 1 &&
                         g.stride_width == 1 && g.in_height == 1 &&
                         g.out_height == 1 && g.pad_top == 0 &&
                         g.pad_left == 0 && g.out_width == g.in_width;
  if (pointwise && ForwardPointwise(tile)) return;
  const int64_t stride = g.stride_width;
  const int64_t dilation = g.dilation_width;
  // Floats of one packed segment of `taps` kernel columns for `cols` output
  // columns: only the phases its taps read, each long enough for whole
  // vectors at every tap.
  const auto phases_for = [&](int64_t taps) {
    return std::min(stride, (taps - 1) * dilation + 1);
  };
  const auto length_for = [&](int64_t cols, int64_t taps) {
    return RoundUp(RoundUp(cols, N) + (taps - 1) * dilation / stride, N);
  };
  // Wide rows are split into column chunks and long kernel rows into runs
  // of taps, until one segment fits its share of the buffer.
  int64_t chunk = tile.col_end - tile.col_begin;
  int64_t taps = g.kernel_width;
  while (chunk > N &&
         phases_for(taps) * length_for(chunk, taps) > kSegmentFloats) {
    chunk = RoundUp(chunk / 2, N);
  }
  while (taps > kMaxTaps ||
         (taps > 1 &&
          phases_for(taps) * length_for(chunk, taps) > kSegmentFloats)) {
    taps = (taps + 1) / 2;
  }
  HWY_ALIGN float packed[kPackFloats];
  int64_t weight_offsets[kMaxSegments];
  int64_t segment_taps[kMaxSegments];
  int64_t tap_offsets[kMaxTaps];
  DirectPass pass;
  pass.packed = packed;
  pass.weight_offsets = weight_offsets;
  pass.taps = segment_taps;
  pass.tap_offsets = tap_offsets;
  pass.w = tile.w;
  pass.w_channel_stride = g.in_channels * g.kernel_height * g.kernel_width;
  pass.bias = tile.bias;
  pass.y_channel_stride = tile.y_channel_stride;
  const int64_t phases = phases_for(taps);
  // Blocks read whole vectors of a segment (RoundUp(pass.width, N)), and
  // with two taps or more it holds at least one vector more (length_for),
  // which windows read whole.
  const bool windows = stride == 1 && dilation == 1 && taps == g.kernel_width;
  pass.window_taps = windows ? taps : 0;
  for (int64_t col = tile.col_begin; col < tile.col_end; col += chunk) {
    pass.width = std::min(chunk, tile.col_end - col);
    pass.length = length_for(pass.width, taps);
    pass.segment_floats = phases * pass.length;
    for (int64_t t = 0; t < taps; ++t) {
      // Tap t reads column j * stride + t * dilation of the packed run: phase
      // (t * dilation) % stride, (t * dilation) / stride vectors in.
      tap_offsets[t] =
          (t * dilation) % stride * pass.length + t * dilation / stride;
    }
    const int64_t capacity =
        std::min(kMaxSegments, kPackFloats / pass.segment_floats);
    for (int64_t row = tile.row_begin; row < tile.row_end; ++row) {
      pass.y = tile.y + row * g.out_width + col;
      pass.first = true;
      pass.segments = 0;
      const int64_t top = row * g.stride_height - g.pad_top;
      int64_t u_begin, u_end;
      TapRange(top, g.dilation_height, g.kernel_height, g.in_height, &u_begin,
               &u_end);
      for (int64_t c = 0; c < g.in_channels; ++c) {
        for (int64_t u = u_begin; u < u_end; ++u) {
          const float* x_row = tile.x + c * tile.x_channel_stride +
                               (top + u * g.dilation_height) * g.in_width;
          for (int64_t v = 0; v < g.kernel_width; v += taps) {
            PackRow(x_row, g.in_width, col * stride + v * dilation - g.pad_left,
                    stride, phases, pass.length,
                    packed + pass.segments * pass.segment_floats);
            weight_offsets[pass.segments] =
                (c * g.kernel_height + u) * g.kernel_width + v;
            segment_taps[pass.segments] = std::min(taps, g.kernel_width - v);
            if (++pass.segments == capacity) {
              DirectPassAllChannels(pass, tile.out_channels);
              pass.first = false;
              pass.segments = 0;
            }
          }
        }
      }
      if (pass.segments > 0 || pass.first)
        DirectPassAllChannels(pass, tile.out_channels);
    }
  }
}

// ---------------------------------------------------------------------------
// Packed-weights kernels.

// Their vectors span at most a panel of packed weights (see
// detail::PackedIndex): all of a vector on x86.
using PackedTag =
    hn::CappedTag<float, static_cast<size_t>(detail::kPackedLanes)>;

// Where a run of output pixels along a row or a column reads: their taps
// (the same for all of them), their group's input and its packed weights.
struct PixelRun {
  const float* x;  // the input at the group's first channel, row 0, column 0
  const float* w;  // the group's packed weights (see detail::PackedTile)
  int64_t top, left, u_begin, u_end, v_begin, v_end;  // of the first pixel
  int64_t x_step, y_step;  // from one pixel of the run to the next
  int64_t group_channels;  // input channels per group
  bool merge_columns;      // a kernel row's taps are one contiguous run
};

// Adds, for k in [0, count), x[p * pixel_stride + k * k_stride] times the
// kVectors weight vectors of packed row k (vector j at w + vector_offset[j]
// + k * kPackedLanes) to acc[p]: an outer product per k, each weight vector
// feeding kPixels FMAs and each broadcast input kVectors.
template <size_t kPixels, size_t kVectors, class D>
HWY_INLINE void OuterProducts(D d, const float* HWY_RESTRICT x,
                              int64_t pixel_stride, int64_t k_stride,
                              const float* HWY_RESTRICT w,
                              const int64_t (&vector_offset)[kVectors],
                              int64_t count, hn::Vec<D> (*acc)[kVectors]) {
  using V = hn::Vec<D>;
  for (int64_t k = 0; k < count; ++k) {
    V weight[kVectors];
    for (size_t j = 0; j < kVectors; ++j) {
      weight[j] = hn::LoadU(d, w + k * detail::kPackedLanes + vector_offset[j]);
    }
    for (size_t p = 0; p < kPixels; ++p) {
      const V in =
          hn::Set(d, x[static_cast<int64_t>(p) * pixel_stride + k * k_stride]);
      for (size_t j = 0; j < kVectors; ++j)
        acc[p][j] = hn::MulAdd(in, weight[j], acc[p][j]);
    }
  }
}

// Stores lanes [0, count) of v to p, elements `stride` apart (an NCHW
// output's channels).
template <class D>
HWY_INLINE void StoreStrided(D d, hn::Vec<D> v, float* p, int64_t stride,
                             int64_t count) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  HWY_ALIGN float lanes[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, lanes);
  for (int64_t k = 0; k < std::min(count, N); ++k) p[k * stride] = lanes[k];
}

// Floats per 4 KiB: NCHW planes a multiple of this apart put one pixel of
// every channel in the same L1 set.
constexpr int64_t kPageFloats = 4096 / sizeof(float);

// Stores sums[p] (pixel p's `lanes` channels) as `lanes` runs of kPixels
// contiguous pixels, runs `stride` apart (an NCHW output's planes), by one
// masked store per channel instead of one scalar store per element. Where
// the planes are a multiple of 4 KiB apart, the scalar stores of a block
// all fall into one L1 set (64 -> 64 64x64 NCHW on AVX3, 1 thread: 77 -> 93
// GFLOP/s); elsewhere the gathers cost more than they save (56x56: 109 ->
// 106). Returns false, doing nothing, for single pixels, where a vector of
// at most 8 lanes is too short for kPixels, or where masked stores are not
// native (below AVX2, and on other architectures).
template <size_t kPixels, class D>
HWY_INLINE bool StoreChannelRuns(D d, const hn::Vec<D> (&sums)[kPixels],
                                 float* y, int64_t stride, int64_t lanes) {
  const hn::CappedTag<float, 8> dp;
  if constexpr (kPixels == 1 || HWY_TARGET > HWY_AVX2 ||
                hn::MaxLanes(dp) < kPixels) {
    return false;
  } else {
    const hn::RebindToSigned<decltype(dp)> di;
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    HWY_ALIGN float block[kPixels * HWY_MAX_BYTES / sizeof(float)];
    for (size_t p = 0; p < kPixels; ++p)
      hn::Store(sums[p], d, block + static_cast<int64_t>(p) * N);
    // Pixel p of a channel lies p * N floats on; the lanes past kPixels
    // read pixel kPixels - 1 again and are not stored.
    const auto index =
        hn::Mul(hn::Min(hn::Iota(di, 0),
                        hn::Set(di, static_cast<int32_t>(kPixels - 1))),
                hn::Set(di, static_cast<int32_t>(N)));
    const auto mask = hn::FirstN(dp, kPixels);
    for (int64_t c = 0; c < std::min(lanes, N); ++c) {
      hn::BlendedStore(hn::GatherIndex(dp, block + c, index), mask, dp,
                       y + c * stride);
    }
    return true;
  }
}

// kVectors vectors of output channels from channel o of px's group, for
// kPixels consecutive pixels (the first at px.left, all with px's taps);
// y points at the first pixel's output channel o.
template <size_t kPixels, size_t kVectors>
HWY_INLINE void PackedBlock(const detail::PackedTile& tile, const PixelRun& px,
                            int64_t o, const float* bias, float* y) {
  const PackedTag d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const detail::DirectGeometry& g = *tile.geometry;
  hn::Vec<decltype(d)> acc[kPixels][kVectors];
  for (size_t p = 0; p < kPixels; ++p) {
    for (size_t j = 0; j < kVectors; ++j) acc[p][j] = hn::Zero(d);
  }
  const int64_t cg = px.group_channels;
  const int64_t rows = g.kernel_height * g.kernel_width * cg;
  int64_t vector_offset[kVectors];
  for (size_t j = 0; j < kVectors; ++j) {
    vector_offset[j] =
        detail::PackedIndex(rows, 0, o + static_cast<int64_t>(j) * N);
  }
  // Channels-last output: the block's lines of y are asked for now, to be
  // written at its end, so that fetching them overlaps its multiply-adds
  // (AVX3, GFLOP/s, medians of 4 to 6 alternating runs, NHWC: 3 -> 64
  // 224x224 7x7 pad 3, its 12.8 MB of y beyond L2, 83.8 -> 96.6 on 1
  // thread, 180.5 -> 201.1 on 2; N8 64 -> 64 56x56 3x3 101.1 -> 104.3;
  // 64 -> 64 56x56 1x1 80.7 -> 85.1; its backward 103.8 -> 105.3).
  if (tile.y_channel_stride == 1) {
    for (size_t p = 0; p < kPixels; ++p) {
      for (size_t j = 0; j < kVectors; ++j) {
        PrefetchToWrite(y + static_cast<int64_t>(p) * px.y_step +
                        static_cast<int64_t>(j) * N);
      }
    }
  }
  const int64_t column = tile.x_column_stride;
  for (int64_t u = px.u_begin; u < px.u_end; ++u) {
    const float* x_row =
        px.x + (px.top + u * g.dilation_height) * g.in_width * column;
    const float* w_row = px.w + u * g.kernel_width * cg * detail::kPackedLanes;
    if (px.merge_columns) {
      OuterProducts<kPixels, kVectors>(
          d, x_row + (px.left + px.v_begin) * column, px.x_step, 1,
          w_row + px.v_begin * cg * detail::kPackedLanes, vector_offset,
          (px.v_end - px.v_begin) * cg, acc);
      continue;
    }
    for (int64_t v = px.v_begin; v < px.v_end; ++v) {
      OuterProducts<kPixels, kVectors>(
          d, x_row + (px.left + v * g.dilation_width) * column, px.x_step,
          tile.x_channel_stride, w_row + v * cg * detail::kPackedLanes,
          vector_offset, cg, acc);
    }
  }
  for (size_t j = 0; j < kVectors; ++j) {
    const int64_t first = static_cast<int64_t>(j) * N;
    const int64_t lanes = tile.channel_end - o - first;
    const hn::Vec<decltype(d)> b =
        bias != nullptr ? LoadUpTo(d, bias + o + first, lanes) : hn::Zero(d);
    hn::Vec<decltype(d)> sums[kPixels];
    for (size_t p = 0; p < kPixels; ++p) sums[p] = hn::Add(acc[p][j], b);
    if (px.y_step == 1 && tile.y_channel_stride % kPageFloats == 0 &&
        StoreChannelRuns<kPixels>(d, sums, y + first * tile.y_channel_stride,
                                  tile.y_channel_stride, lanes)) {
      continue;
    }
    for (size_t p = 0; p < kPixels; ++p) {
      float* at = y + static_cast<int64_t>(p) * px.y_step +
                  first * tile.y_channel_stride;
      if (tile.y_channel_stride == 1) {
        StoreUpTo(d, sums[p], at, lanes);
      } else {
        StoreStrided(d, sums[p], at, tile.y_channel_stride, lanes);
      }
    }
  }
}

// Register blocks, pixels x vectors of output channels: AVX-512 6 x 4 (24
// accumulators + 4 weights + 1 broadcast of 32 registers), the others 6 x 2
// (12 + 2 + 1 of 16). Per input element and tap that is kVectors weight
// loads and kPixels broadcasts for kPixels * kVectors FMAs.
constexpr size_t kPackedPixels = 6;
constexpr size_t kPackedVectors = kVectorRegisters == 32 ? 4 : 2;

// The `vectors` (1 to kVectors; the last one partial) vectors of output
// channels left after the whole blocks, from channel o, as one block: each
// broadcast input then meets all of them, rather than being loaded again per
// vector. (Through WithBlockSize's lambda, NHWC 16 -> 16 32x32 ran 4 % more
// instructions.)
template <size_t kPixels, size_t kVectors>
HWY_INLINE void PackedRemainder(const detail::PackedTile& tile,
                                const PixelRun& px, int64_t o, int64_t vectors,
                                const float* bias, float* y) {
  if constexpr (kVectors > 1) {
    if (vectors < static_cast<int64_t>(kVectors)) {
      return PackedRemainder<kPixels, kVectors - 1>(tile, px, o, vectors, bias,
                                                    y);
    }
  }
  PackedBlock<kPixels, kVectors>(tile, px, o, bias, y);
}

// The most packed weights that one pass over a tile's pixels reads: a
// quarter of a 1 MiB L2. (Without a bound, a backward NHWC 256 -> 256 dx
// tile read its 2.4 MB of weights once per block of 6 pixels: 14x14 3x3,
// 1 thread, AVX3 93 -> 97 GFLOP/s with the bound, AVX2 84 -> 86.)
constexpr int64_t kPackedChunkFloats = 1 << 16;

// kPixels pixels with px's taps, for every output channel of the tile: whole
// blocks of kPackedVectors vectors, then one block of the remaining vectors.
// y points at the first pixel's channel 0 of px's group. The pixels' input
// stays in L1 while it meets every block of channels. The weights stream
// from L2 either way: a block's share of them (taps x input channels rows)
// outgrows L1 on most shapes. Channel blocks were the outer loop before, so
// that each pixel's input came from L2 once per block: on AVX2 (four blocks
// of 16 channels for 64) that ran 75-100 GFLOP/s from run to run, NHWC 64
// -> 64 56x56 3x3, 1 thread, and now 99-104; 3 -> 64 224x224 7x7 74 -> 86
// (medians of 6 alternating runs). ForwardPacked bounds the channels to
// those whose weights fit kPackedChunkFloats, so that they come from L2.
// Out of line: with every block inlined into ForwardPackedTile, GCC's
// variable tracking ran twice, and kernels.cc's sanitizer build took 343 s
// instead of 290 (269 s out of line, 320 with only the row tails out of
// line).
template <size_t kPixels>
HWY_NOINLINE void PackedChannels(const detail::PackedTile& tile,
                                 const PixelRun& px, const float* bias,
                                 float* y) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(PackedTag()));
  const int64_t block = static_cast<int64_t>(kPackedVectors) * N;
  int64_t o = tile.channel_begin;
  for (; o + block <= tile.channel_end; o += block) {
    PackedBlock<kPixels, kPackedVectors>(tile, px, o, bias,
                                         y + o * tile.y_channel_stride);
  }
  if (o < tile.channel_end) {
    PackedRemainder<kPixels, kPackedVectors>(
        tile, px, o, CeilDiv(tile.channel_end - o, N), bias,
        y + o * tile.y_channel_stride);
  }
}

// A block of `pixels` (1 to kPixels) pixels of a row's run: each pixel sums
// its taps in the same order as in a whole block, and no pixel is computed
// twice (an overlapping last block recomputed up to 5 of its 6 pixels).
template <size_t kPixels>
HWY_INLINE void PackedTail(const detail::PackedTile& tile, const PixelRun& px,
                           const float* bias, float* y, int64_t pixels) {
  if constexpr (kPixels > 1) {
    if (pixels < static_cast<int64_t>(kPixels)) {
      return PackedTail<kPixels - 1>(tile, px, bias, y, pixels);
    }
  }
  PackedChannels<kPixels>(tile, px, bias, y);
}

// Every pixel of the tile, for every output channel of px's group (y at the
// group's first channel). Pixels share their taps along a row between the
// left and right borders, and down a column between the top and bottom
// borders of the tile (the plan makes tiles of narrow padded images tall
// enough; see kPackedBorderWidth). Where at least two do, they run in
// blocks of near-equal sizes up to kPackedPixels (PackedTail for the
// narrower ones): along rows between the side borders, else down the
// columns. The other pixels (corners) run one by one, each broadcast
// meeting only kVectors FMAs. (512 -> 512 7x7 3x3 pad 1: blocks of 5 and
// the corners, not all 49 pixels one by one; AVX3, 1 thread, GFLOP/s: NHWC
// 40 -> 86, NCHW 37 -> 77.)
HWY_INLINE void PackedPixels(const detail::PackedTile& tile, PixelRun& px,
                             const float* bias, float* y) {
  const detail::DirectGeometry& g = *tile.geometry;
  const int64_t pixels = static_cast<int64_t>(kPackedPixels);
  int64_t interior_begin, interior_end;  // columns
  TapRange(-g.pad_left, g.stride_width, g.out_width,
           g.in_width - (g.kernel_width - 1) * g.dilation_width,
           &interior_begin, &interior_end);
  const bool row_blocks = interior_end - interior_begin >= 2;
  int64_t rows_begin, rows_end;  // rows whose taps all lie inside
  TapRange(-g.pad_top, g.stride_height, g.out_height,
           g.in_height - (g.kernel_height - 1) * g.dilation_height, &rows_begin,
           &rows_end);
  rows_begin = std::clamp(rows_begin, tile.row_begin, tile.row_end);
  rows_end = std::clamp(rows_end, rows_begin, tile.row_end);
  const bool column_blocks = rows_end - rows_begin >= 2;
  const auto in_row_block = [&](int64_t col) {
    return row_blocks && col >= interior_begin && col < interior_end;
  };
  const auto at = [&](int64_t row, int64_t col) {
    px.top = row * g.stride_height - g.pad_top;
    TapRange(px.top, g.dilation_height, g.kernel_height, g.in_height,
             &px.u_begin, &px.u_end);
    px.left = col * g.stride_width - g.pad_left;
    TapRange(px.left, g.dilation_width, g.kernel_width, g.in_width, &px.v_begin,
             &px.v_end);
    return y + (row * g.out_width + col) * tile.y_column_stride;
  };
  px.x_step = g.stride_width * tile.x_column_stride;
  px.y_step = tile.y_column_stride;
  // Blocks of near-equal sizes, not whole ones and a narrow last one (NHWC
  // 64 -> 64 56x56 1x1, AVX3: 6 x 6 + 4 x 5 pixels a row, not 9 x 6 + 2;
  // 91.2 -> 94.1 GFLOP/s, medians of 9); returns the block's size.
  const auto block = [&](int64_t rest, float* block_y) {
    const int64_t run = CeilDiv(rest, CeilDiv(rest, pixels));
    if (run == pixels) {
      PackedChannels<kPackedPixels>(tile, px, bias, block_y);
    } else {
      PackedTail<kPackedPixels - 1>(tile, px, bias, block_y, run);
    }
    return run;
  };
  for (int64_t row = tile.row_begin; row < tile.row_end; ++row) {
    const bool in_column_block =
        column_blocks && row >= rows_begin && row < rows_end;
    for (int64_t col = 0; col < g.out_width;) {
      if (in_row_block(col)) {
        col += block(interior_end - col, at(row, col));
        continue;
      }
      if (!in_column_block) PackedChannels<1>(tile, px, bias, at(row, col));
      ++col;
    }
  }
  if (!column_blocks) return;
  px.x_step = g.stride_height * g.in_width * tile.x_column_stride;
  px.y_step = g.out_width * tile.y_column_stride;
  for (int64_t col = 0; col < g.out_width; ++col) {
    if (in_row_block(col)) continue;
    for (int64_t row = rows_begin; row < rows_end;)
      row += block(rows_end - row, at(row, col));
  }
}

// Depthwise (one input and one output channel per group), and groups of kG
// = 2 or 4 input and as many output channels, channels-last (NHWC, or NCHW
// copied; see Plan::y_channels_last): vectors run over the channels,
// contiguous in x, y and bias; each channel block's weights
// are transposed once per tile into (tap, input channel of the group)-major
// order on the stack. For kG > 1, output channel o of group g (lane g * kG +
// o) multiplies input channel j of its group, which a shuffle broadcasts
// within each kG lanes of the loaded input (lane g * kG + j).

// One output row of a depthwise or small-group tile, for a block of its
// channels.
struct DepthwiseRow {
  // Input row x_first_row, column 0, at the block's first channel: x as
  // given, or its copy (see ForwardNhwcDepthwise).
  const float* x;
  int64_t x_first_row, x_row_stride, x_pixel_stride;
  // Tap t, group input channel j, channel c at weights[(t * kG + j) *
  // weight_stride + c].
  const float* weights;
  int64_t weight_stride;
  const float* bias;  // NULL or at the block's first channel
  float* y;           // output column 0 of the row, the block's first channel
  int64_t channels;   // floats per pixel of y
  int64_t count;      // channels in the block
  int64_t top, u_begin, u_end;  // the row's first input row, its kernel rows
};

// Lane j of each kG lanes of v, in all of them.
template <size_t kG, size_t kJ, class V>
HWY_INLINE V GroupLane(V v) {
  static_assert(kG == 1 || kG == 2 || kG == 4, "groups of 1, 2 or 4");
#if HWY_TARGET != HWY_SCALAR  // one lane: groups of one channel only
  if constexpr (kG == 2) {
    if constexpr (kJ == 0) return hn::DupEven(v);
    return hn::DupOdd(v);
  }
  if constexpr (kG == 4) return hn::Broadcast<static_cast<int>(kJ)>(v);
#endif
  return v;
}

// One tap for every input channel j >= kJ of the groups: input channel j's
// weights meet every pixel's input, shuffled to lane j of its group.
template <size_t kPixels, size_t kG, size_t kJ = 0, class D,
          class V = hn::Vec<D>>
HWY_INLINE void GroupTap(D d, const float* in, int64_t x_step,
                         const float* weights, int64_t weight_stride,
                         V (&acc)[kPixels]) {
  const V weight =
      hn::LoadU(d, weights + static_cast<int64_t>(kJ) * weight_stride);
  HWY_UNROLL(32)
  for (size_t p = 0; p < kPixels; ++p) {
    const V input = hn::LoadU(d, in + static_cast<int64_t>(p) * x_step);
    acc[p] = hn::MulAdd(GroupLane<kG, kJ>(input), weight, acc[p]);
  }
  if constexpr (kJ + 1 < kG) {
    GroupTap<kPixels, kG, kJ + 1>(d, in, x_step, weights, weight_stride, acc);
  }
}

// Pixels [col, col + kPixels) of the row, channels [c, c + Lanes(d)), with
// kernel columns [v_begin, v_end) (inside x for all of them): each weight
// vector meets kPixels inputs, in independent sums. Every pixel sums its
// taps in the same order whatever the block, so that an overlapping block
// writes the same bits.
template <size_t kPixels, size_t kG, class D>
HWY_INLINE void DepthwisePixels(D d, const detail::DirectGeometry& g,
                                const DepthwiseRow& r, int64_t c, int64_t col,
                                int64_t v_begin, int64_t v_end) {
  using V = hn::Vec<D>;
  V acc[kPixels];
  HWY_UNROLL(32)
  for (size_t p = 0; p < kPixels; ++p) acc[p] = hn::Zero(d);
  const int64_t left = col * g.stride_width - g.pad_left;
  const int64_t x_step = g.stride_width * r.x_pixel_stride;
  for (int64_t u = r.u_begin; u < r.u_end; ++u) {
    const float* x_row =
        r.x + c +
        (r.top + u * g.dilation_height - r.x_first_row) * r.x_row_stride;
    for (int64_t v = v_begin; v < v_end; ++v) {
      GroupTap<kPixels, kG>(
          d, x_row + (left + v * g.dilation_width) * r.x_pixel_stride, x_step,
          r.weights +
              (u * g.kernel_width + v) * static_cast<int64_t>(kG) *
                  r.weight_stride +
              c,
          r.weight_stride, acc);
    }
  }
  // The bias last, as the packed-weights kernel adds it: weights packed
  // once give the same bits.
  const V bias = r.bias != nullptr ? hn::LoadU(d, r.bias + c) : hn::Zero(d);
  HWY_UNROLL(32)
  for (size_t p = 0; p < kPixels; ++p) {
    hn::StoreU(hn::Add(acc[p], bias), d,
               r.y + c + (col + static_cast<int64_t>(p)) * r.channels);
  }
}

// Vectors of at most kPackedLanes lanes (see kNhwcDepthwiseMaxTaps).
using DepthwiseTag = PackedTag;

// Every channel of the block from c on, for those pixels: whole vectors,
// then the rest in vectors of half as many lanes, and so on down to kG
// lanes (24 channels on AVX-512: 16 + 8), so that no vector reads or writes
// past the block's channels (a multiple of kG).
template <size_t kPixels, size_t kG,
          size_t kLanes = hn::MaxLanes(DepthwiseTag())>
HWY_INLINE void DepthwiseChannels(const detail::DirectGeometry& g,
                                  const DepthwiseRow& r, int64_t c, int64_t col,
                                  int64_t v_begin, int64_t v_end) {
  const hn::CappedTag<float, kLanes> d;
  const int64_t n = static_cast<int64_t>(hn::Lanes(d));
  for (; c + n <= r.count; c += n)
    DepthwisePixels<kPixels, kG>(d, g, r, c, col, v_begin, v_end);
  if constexpr (kLanes / 2 >= kG) {
    if (c < r.count) {
      DepthwiseChannels<kPixels, kG, kLanes / 2>(g, r, c, col, v_begin, v_end);
    }
  }
}

// Pixels whose taps all lie inside x run kDepthwisePixels at a time (8 sums
// + a weight + an input: 10 registers), the last block overlapping its
// predecessor, each block over all the channels while its input is in L1;
// the others one by one, with their own kernel columns. (One pixel and one
// vector of channels at a time, each sum a chain of dependent FMAs, and
// rows of input for each vector of channels in turn: AVX3, 1 thread, 32
// channels 112x112 3x3 13 -> 40 GFLOP/s, 24 channels 56x56 5x5 4.7 -> 43.)
constexpr int64_t kDepthwisePixels = 8;

template <size_t kG>
HWY_INLINE void DepthwiseRowPixels(const detail::DirectGeometry& g,
                                   const DepthwiseRow& r,
                                   int64_t interior_begin,
                                   int64_t interior_end) {
  const int64_t pixels = kDepthwisePixels;
  const bool blocks = interior_end - interior_begin >= pixels;
  for (int64_t col = 0; col < g.out_width;) {
    if (blocks && col >= interior_begin && col < interior_end) {
      DepthwiseChannels<kDepthwisePixels, kG>(
          g, r, 0, std::min(col, interior_end - pixels), 0, g.kernel_width);
      col = std::min(col + pixels, interior_end);
      continue;
    }
    int64_t v_begin, v_end;
    TapRange(col * g.stride_width - g.pad_left, g.dilation_width,
             g.kernel_width, g.in_width, &v_begin, &v_end);
    DepthwiseChannels<1, kG>(g, r, 0, col, v_begin, v_end);
    ++col;
  }
}

// The input that a block of pixels reads, for all the channels of a
// block, stays below this many floats: a half of L1.
constexpr int64_t kDepthwiseInputFloats = 4096;
// Floats of the stack buffer that holds staged input rows.
constexpr int64_t kDepthwiseStageFloats = 8192;

// The floats from one staged pixel to the next for `count` channels: an odd
// number of cache lines, so that a block's pixels fall in distinct L1 sets.
HWY_INLINE int64_t DepthwiseStagedPixelFloats(int64_t count) {
  return RoundUp(std::max<int64_t>(count - 16, 0), 32) + 16;
}

// Output rows [row_begin, row_end) of the tile for channels [first, first +
// r->count), reading x as r says, or, with a stage, from a copy of their
// input rows there with pixels r->x_pixel_stride floats apart.
template <size_t kG>
HWY_INLINE void DepthwiseRows(const detail::PackedTile& tile, int64_t row_begin,
                              int64_t row_end, int64_t first, float* stage,
                              int64_t interior_begin, int64_t interior_end,
                              DepthwiseRow* r) {
  const detail::DirectGeometry& g = *tile.geometry;
  if (stage != nullptr) {
    const int64_t extent = (g.kernel_height - 1) * g.dilation_height + 1;
    r->x_first_row = std::clamp<int64_t>(
        row_begin * g.stride_height - g.pad_top, 0, g.in_height);
    const int64_t end_row = std::clamp<int64_t>(
        (row_end - 1) * g.stride_height - g.pad_top + extent, r->x_first_row,
        g.in_height);
    const float* from = tile.x + r->x_first_row * g.in_width * tile.channels;
    float* to = stage;
    for (int64_t pixel = 0; pixel < (end_row - r->x_first_row) * g.in_width;
         ++pixel, from += tile.channels, to += r->x_pixel_stride) {
      std::copy(from + first, from + first + r->count, to);
    }
    r->x = stage;
  }
  for (int64_t row = row_begin; row < row_end; ++row) {
    r->top = row * g.stride_height - g.pad_top;
    TapRange(r->top, g.dilation_height, g.kernel_height, g.in_height,
             &r->u_begin, &r->u_end);
    r->y = tile.y + row * g.out_width * tile.channels + first;
    DepthwiseRowPixels<kG>(g, *r, interior_begin, interior_end);
  }
}

// The tile's channels in blocks whose weights, tap-major, fit the stack, and
// whose input for a block of pixels fits kDepthwiseInputFloats: the
// block's pixels read it from L1 (AVX3, 1 thread, 512 channels 14x14 3x3,
// all channels at once against blocks of 128: 13.2 -> 15.4 GFLOP/s; 960
// channels 7x7 13.6 -> 20.3). Where x's pixels lie a multiple of 2 KiB
// apart (channels a multiple of 512), a block's pixels would share one or
// two of L1's 64 sets; such tiles copy the block's input rows, a few output
// rows' worth at a time, to the stack with pixels an odd number of cache
// lines apart (1 thread, 14x14 3x3, GFLOP/s: 512 channels AVX3 15.6 ->
// 20.6, AVX2 10.4 -> 22.4; 1024 channels AVX3 7.5 -> 26.4, AVX2 5.2 -> 21.0;
// 496 channels, not staged, read 28.5).
template <size_t kG>
HWY_INLINE void ForwardNhwcDepthwise(const detail::PackedTile& tile) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(DepthwiseTag()));
  const detail::DirectGeometry& g = *tile.geometry;
  const int64_t taps =
      g.kernel_height * g.kernel_width * static_cast<int64_t>(kG);
  constexpr int64_t kWeightFloats =
      detail::kPackedLanes * detail::kNhwcDepthwiseMaxTaps;
  const int64_t channels = tile.channels;
  const int64_t block_pixels =
      g.kernel_height * ((kDepthwisePixels - 1) * g.stride_width +
                         (g.kernel_width - 1) * g.dilation_width + 1);
  int64_t block =
      std::min({RoundUp(channels, N), kWeightFloats / taps / N * N,
                std::max(N, kDepthwiseInputFloats / block_pixels / N * N)});
  // The input pixels of one output row.
  const int64_t extent = (g.kernel_height - 1) * g.dilation_height + 1;
  const int64_t row_pixels = extent * g.in_width;
  const bool staged =
      channels % 512 == 0 &&
      DepthwiseStagedPixelFloats(N) * row_pixels <= kDepthwiseStageFloats;
  int64_t chunk_rows = tile.row_end - tile.row_begin;
  if (staged) {
    // The widest block whose staged pixel (an odd multiple of 16 floats;
    // see DepthwiseStagedPixelFloats) leaves room for a row.
    const int64_t room = kDepthwiseStageFloats / row_pixels;
    block = std::min(block, std::max(N, (room - 16) / 32 * 32 + 16) / N * N);
    const int64_t staged_rows =
        kDepthwiseStageFloats /
        (DepthwiseStagedPixelFloats(block) * g.in_width);
    chunk_rows = (staged_rows - extent) / g.stride_height + 1;
  }
  int64_t interior_begin, interior_end;  // columns
  TapRange(-g.pad_left, g.stride_width, g.out_width,
           g.in_width - (g.kernel_width - 1) * g.dilation_width,
           &interior_begin, &interior_end);
  HWY_ALIGN float weights[kWeightFloats];
  HWY_ALIGN float stage[kDepthwiseStageFloats];
  DepthwiseRow r;
  r.weights = weights;
  r.weight_stride = block;
  r.channels = channels;
  for (int64_t first = 0; first < channels; first += block) {
    r.count = std::min(block, channels - first);
    // OHWI holds each channel's weights in the order of `weights`; OIHW
    // holds them input channel by input channel.
    if (tile.w_channels_last || kG == 1) {
      Transpose(tile.w + first * taps, taps, r.count, taps, weights, block);
    } else {
      const int64_t kernel_taps = taps / static_cast<int64_t>(kG);
      for (int64_t j = 0; j < static_cast<int64_t>(kG); ++j) {
        Transpose(tile.w + first * taps + j * kernel_taps, taps, r.count,
                  kernel_taps, weights + j * block,
                  static_cast<int64_t>(kG) * block);
      }
    }
    r.bias = tile.bias != nullptr ? tile.bias + first : nullptr;
    r.x = tile.x + first;
    r.x_first_row = 0;
    r.x_pixel_stride = staged ? DepthwiseStagedPixelFloats(r.count) : channels;
    r.x_row_stride = g.in_width * r.x_pixel_stride;
    for (int64_t row = tile.row_begin; row < tile.row_end; row += chunk_rows) {
      DepthwiseRows<kG>(tile, row, std::min(row + chunk_rows, tile.row_end),
                        first, staged ? stage : nullptr, interior_begin,
                        interior_end, &r);
    }
  }
}

HWY_INLINE void ForwardPacked(const detail::PackedTile& tile) {
  const detail::DirectGeometry& g = *tile.geometry;
  const int64_t taps = g.kernel_height * g.kernel_width;
  if (tile.x_channel_stride == 1 && tile.y_channel_stride == 1 &&
      g.in_channels == 1 && tile.out_channels == tile.groups &&
      taps <= detail::kNhwcDepthwiseMaxTaps) {
    ForwardNhwcDepthwise<1>(tile);
    return;
  }
  // Groups of 2 or 4 channels in and out, all of them in this tile, with w
  // as given (not on weights packed once): as depthwise, each shuffled
  // input meeting a vector of weights. On the packed kernel below, a
  // vector of 16 output channels held 2 or 4 (1 thread, 128 -> 128
  // channels 28x28 3x3, GFLOP/s: 2 a group AVX3 4.3 -> 35.1; 4 a group
  // AVX3 12.2 -> 63.2, AVX2 17.4 -> 46.9, SSE4 17.0 -> 22.1).
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(DepthwiseTag()));
  if (tile.x_channel_stride == 1 && tile.y_channel_stride == 1 &&
      tile.w != nullptr && tile.channel_begin == 0 &&
      tile.channel_end == g.in_channels &&
      tile.out_channels == tile.groups * g.in_channels &&
      taps * g.in_channels <= detail::kNhwcDepthwiseMaxTaps &&
      lanes >= g.in_channels) {
    if constexpr (hn::MaxLanes(DepthwiseTag()) >= 4) {
      if (g.in_channels == 4) return ForwardNhwcDepthwise<4>(tile);
    }
    if constexpr (hn::MaxLanes(DepthwiseTag()) >= 2) {
      if (g.in_channels == 2) return ForwardNhwcDepthwise<2>(tile);
    }
  }
  // Group by group.
  PixelRun px;
  px.group_channels = g.in_channels;
  // NHWC whose pixels hold just the group's channels, without dilation: a
  // kernel row's taps are contiguous in x, as in the packed weights.
  px.merge_columns = tile.x_channel_stride == 1 &&
                     tile.x_column_stride == g.in_channels &&
                     g.dilation_width == 1;
  const int64_t out_per_group = tile.out_channels / tile.groups;
  // Chunks of channel blocks whose weights fit kPackedChunkFloats, each
  // over every pixel.
  const int64_t rows = g.kernel_height * g.kernel_width * g.in_channels;
  const int64_t block =
      static_cast<int64_t>(kPackedVectors * hn::Lanes(PackedTag()));
  const int64_t chunk =
      std::max<int64_t>(1, kPackedChunkFloats / (rows * block)) * block;
  detail::PackedTile part = tile;
  for (int64_t group = 0; group < tile.groups; ++group) {
    px.x = tile.x + group * g.in_channels * tile.x_channel_stride;
    px.w = tile.packed_w + group * rows * tile.packed_channels;
    for (int64_t o = tile.channel_begin; o < tile.channel_end; o += chunk) {
      part.channel_begin = o;
      part.channel_end = std::min(o + chunk, tile.channel_end);
      PackedPixels(
          part, px,
          tile.bias != nullptr ? tile.bias + group * out_per_group : nullptr,
          tile.y + group * out_per_group * tile.y_channel_stride);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_KERNELS_INL_H_
