// Per-target code of the backward pass (Highway -inl.h: included once per
// target by backward_kernels.cc).
//
// A tile first stages what it reads into zero-bordered scratch planes split
// by stride phase (x column m*stride + p lands in phase p at m), so that every
// tap of a strided, dilated, padded correlation becomes a constant offset into
// a flat array and the kernels need neither bounds checks nor strided loads:
//   dy: the group's output channels, rows [dy_begin, dy_end), each row
//       out_width values then zeros to staged_row_stride;
//   x:  the group's input channels, per (row phase, column phase), rows
//       [out_begin, out_end + max_row_shift) (for dw only; read in place
//       when it already has that form).
// Both layouts stage to the same planes. Then
//   dw[o][c][u][v] = sum_f dy[o][f] * x[c][phase(u, v)][f + offset(u, v)]
//   dx (one phase) [c][f] = sum_{o,u,v} dy[o][f + offset'(u, v)] *
//   w[o][c][u][v]
// run as long flat loops; dx rows are computed per phase into scratch and
// then interleaved into the caller's dx (or, for stride 1 without column
// padding in NCHW, written in place).
#if defined(XCORR_SRC_BACKWARD_KERNELS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_BACKWARD_KERNELS_INL_H_
#undef XCORR_SRC_BACKWARD_KERNELS_INL_H_
#else
#define XCORR_SRC_BACKWARD_KERNELS_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "src/backward_kernels.h"
#include "src/kernels.h"
#include "src/transpose-inl.h"
#include "src/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Floor and ceiling of a / b for any sign of a, b > 0.
HWY_INLINE int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((b - 1 - a) / b);
}
HWY_INLINE int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

HWY_INLINE size_t Size(int64_t count) { return static_cast<size_t>(count); }

// What a tile stages into; each has its own per-thread buffer.
enum class ScratchUse { kDy, kX, kDx, kDw, kZeros, kFlippedW, kCount };

// A per-thread buffer of at least `floats` floats, kept for later tiles and
// calls: fresh multi-page allocations per tile cost a page fault per 4 KiB,
// more than the staging itself. Tiles never nest on a thread (they make no
// TBB calls), so each use has one owner at a time.
HWY_INLINE float* ThreadScratch(ScratchUse use, int64_t floats) {
  struct Buffer {
    hwy::AlignedFreeUniquePtr<float[]> data;
    int64_t capacity = 0;
  };
  thread_local Buffer buffers[static_cast<size_t>(ScratchUse::kCount)];
  Buffer& buffer = buffers[static_cast<size_t>(use)];
  if (buffer.capacity < floats) {
    buffer.data.reset();
    buffer.capacity = 0;
    buffer.data = hwy::AllocateAligned<float>(Size(floats));
    if (buffer.data == nullptr) throw std::bad_alloc();
    buffer.capacity = floats;
  }
  return buffer.data.get();
}

HWY_INLINE void Zero(float* dst, int64_t count) {
  if (count > 0) std::memset(dst, 0, Size(count) * sizeof(float));
}

// One staged row of `width` elements: zeros, then `count` elements read
// src_stride apart from src at column `begin`, then zeros. Writing every
// element once (rather than clearing the buffer first) keeps staging at one
// store per element. Stride 2 (a stride phase of x) takes the even lanes of
// pairs of vectors, up to the last element, which it reads alone.
HWY_INLINE void StageRow(const float* src, int64_t src_stride, int64_t begin,
                         int64_t count, int64_t width, float* dst) {
  count = std::max<int64_t>(count, 0);
  Zero(dst, begin);
  if (src_stride == 1) {
    std::memcpy(dst + begin, src, Size(count) * sizeof(float));
  } else {
    int64_t k = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: no pairs to split
    if (src_stride == 2) {
      const hn::ScalableTag<float> d;
      const int64_t N = static_cast<int64_t>(hn::Lanes(d));
      for (; k + N < count; k += N) {
        const float* pair = src + 2 * k;
        hn::StoreU(
            hn::ConcatEven(d, hn::LoadU(d, pair + N), hn::LoadU(d, pair)), d,
            dst + begin + k);
      }
    }
#endif
    for (; k < count; ++k) dst[begin + k] = src[k * src_stride];
  }
  Zero(dst + begin + count, width - begin - count);
}

// Which rows and images one tile covers, and what it stages.
struct TileRows {
  int64_t n, g;
  int64_t out_begin, out_end;  // output rows whose dw/dbias terms it sums
  int64_t in_begin, in_end;    // input rows whose dx it owns
  // The input channels of the group whose dx it owns (see
  // BackwardTiling::dx_channel_tiles).
  int64_t in_channel_begin, in_channel_end;
  int64_t dy_begin, dy_end;  // dy rows it stages (zero outside the output)
  // Each staged dy plane takes dy_pitch floats, its rows starting after
  // dy_lead zeros chosen so that row out_begin, where the dw and dbias loops
  // start, is aligned: their dy loads then never straddle cache lines.
  int64_t dy_lead, dy_pitch;
};

// Staged dy alignment, in floats (a cache line).
constexpr int64_t kAlignFloats = 16;

// The first input row whose dx the tiles of row block b own: input row r
// belongs to the block of output row (r + pad_top) / stride, so that the
// blocks' input rows partition [0, in_height).
HWY_INLINE int64_t FirstInputRow(const xcorr_conv2d_desc& d,
                                 const detail::BackwardTiling& t, int64_t b) {
  if (b == 0) return 0;
  if (b == t.row_tiles) return d.in_height;
  return std::clamp(b * t.rows_per_tile * d.stride_height - d.pad_top,
                    int64_t{0}, d.in_height);
}

HWY_INLINE TileRows RowsOf(const detail::BackwardTask& task, int64_t tile) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const detail::BackwardTiling& t = *task.tiling;
  TileRows rows;
  const int64_t row_grid = t.tile_count / t.dx_channel_tiles;
  const int64_t channel_block = tile / row_grid;
  rows.in_channel_begin = channel_block * t.dx_channels_per_tile;
  rows.in_channel_end = std::min(rows.in_channel_begin + t.dx_channels_per_tile,
                                 s.in_channels_per_group);
  tile %= row_grid;
  const int64_t block = tile % t.row_tiles;
  rows.n = (tile / t.row_tiles) % d.batch;
  rows.g = tile / (t.row_tiles * d.batch);
  rows.out_begin = block * t.rows_per_tile;
  rows.out_end = std::min(rows.out_begin + t.rows_per_tile, s.out_height);
  rows.in_begin = FirstInputRow(d, t, block);
  rows.in_end = FirstInputRow(d, t, block + 1);
  rows.dy_begin = INT64_MAX;
  rows.dy_end = INT64_MIN;
  if (task.dw_wanted || task.dbias_wanted) {
    rows.dy_begin = rows.out_begin;
    rows.dy_end = rows.out_end;
  }
  if (detail::DxReadsStagedDy(t, task.dx != nullptr,
                              task.dw_wanted || task.dbias_wanted) &&
      rows.in_begin < rows.in_end) {
    // dx row r = R * stride + phase - pad_top reads dy rows R - shift.
    rows.dy_begin = std::min(rows.dy_begin, CeilDiv(rows.in_begin + d.pad_top -
                                                        (d.stride_height - 1),
                                                    d.stride_height) -
                                                t.max_row_shift);
    rows.dy_end = std::max(rows.dy_end,
                           CeilDiv(rows.in_end + d.pad_top, d.stride_height));
  }
  if (rows.dy_begin >= rows.dy_end) {  // nothing to do
    rows.dy_lead = rows.dy_pitch = 0;
    return rows;
  }
  const int64_t misalignment =
      ((rows.out_begin - rows.dy_begin) * t.staged_row_stride % kAlignFloats +
       kAlignFloats) %
      kAlignFloats;
  rows.dy_lead = (kAlignFloats - misalignment) % kAlignFloats;
  rows.dy_pitch = CeilDiv(rows.dy_lead + (rows.dy_end - rows.dy_begin) *
                                             t.staged_row_stride,
                          kAlignFloats) *
                  kAlignFloats;
  return rows;
}

// Staged dy planes are preceded by this many zeros (dx reads up to
// max_col_shift before a row) and followed by as many (whole-vector reads).
HWY_INLINE int64_t GuardFloats(const detail::BackwardTiling& t) {
  return CeilDiv(
             std::max(t.staged_row_stride, 8 * static_cast<int64_t>(hn::Lanes(
                                                   hn::ScalableTag<float>()))),
             kAlignFloats) *
         kAlignFloats;
}

// Stages dy rows [dy_begin, dy_end) of the tile's group, row R of channel ol
// at ol * dy_pitch + dy_lead + (R - dy_begin) * staged_row_stride from the
// returned pointer: out_width values, then zeros (at least max_col_shift of
// them, which dx reads across row ends).
HWY_INLINE const float* StageDy(const detail::BackwardTask& task,
                                const TileRows& rows) {
  const detail::ConvShape& s = *task.shape;
  const detail::BackwardTiling& t = *task.tiling;
  const int64_t stride = t.staged_row_stride;
  const int64_t guard = GuardFloats(t);
  const int64_t planes_floats = s.out_channels_per_group * rows.dy_pitch;
  float* staged = ThreadScratch(ScratchUse::kDy, planes_floats + 2 * guard);
  Zero(staged, guard);
  Zero(staged + guard + planes_floats, guard);
  const int64_t channels = s.out_channels_per_group;
  const float* image =
      task.dy + rows.n * s.y_strides.n + rows.g * channels * s.y_strides.c;
  const auto inside = [&](int64_t row) {
    return row >= 0 && row < s.out_height;
  };
  // Channels-last rows are filled after the zeros, pixel by pixel in
  // transposed blocks: reading them plane by plane would touch a cache line
  // per element.
  const bool channels_last = s.y_strides.c == 1 && channels > 1;
  for (int64_t ol = 0; ol < channels; ++ol) {
    const float* plane = image + ol * s.y_strides.c;
    float* plane_out = staged + guard + ol * rows.dy_pitch;
    Zero(plane_out, rows.dy_lead);
    float* row_out = plane_out + rows.dy_lead;
    for (int64_t row = rows.dy_begin; row < rows.dy_end;
         ++row, row_out += stride) {
      const int64_t count = inside(row) ? s.out_width : 0;
      if (channels_last) {
        Zero(row_out + count, stride - count);
      } else {
        StageRow(plane + row * s.y_strides.h, s.y_strides.w, 0, count, stride,
                 row_out);
      }
    }
    Zero(row_out, plane_out + rows.dy_pitch - row_out);
  }
  if (!channels_last) return staged + guard;
  float* first_row = staged + guard + rows.dy_lead;
  for (int64_t row = std::max<int64_t>(rows.dy_begin, 0);
       row < std::min(rows.dy_end, s.out_height); ++row) {
    Transpose(image + row * s.y_strides.h, s.y_strides.w, s.out_width, channels,
              first_row + (row - rows.dy_begin) * stride, rows.dy_pitch);
  }
  return staged + guard;
}

// Where dw and dbias read dy: row out_begin of output channel ol of the
// tile's group at first + ol * channel_stride, rows row_stride apart, each
// out_width values. Staged rows are followed by zeros up to row_stride, so
// that runs of rows are one flat run; rows read in place
// (BackwardTiling::dy_in_place) are not, and end at `end`.
struct DyRows {
  const float* first;
  int64_t channel_stride, row_stride;
  bool staged;
  const float* end;  // in place: the end of dy
};

// The staged copy (which StagesDy then made) unless the tiling reads dy in
// place, even where dx staged it.
HWY_INLINE DyRows DyRowsOf(const detail::BackwardTask& task,
                           const TileRows& rows, const float* staged_dy) {
  const detail::ConvShape& s = *task.shape;
  const int64_t stride = task.tiling->staged_row_stride;
  if (!task.tiling->dy_in_place) {
    return {
        staged_dy + rows.dy_lead + (rows.out_begin - rows.dy_begin) * stride,
        rows.dy_pitch, stride, true, nullptr};
  }
  return {task.dy + rows.n * s.y_strides.n +
              rows.g * s.out_channels_per_group * s.y_strides.c +
              rows.out_begin * s.y_strides.h,
          s.y_strides.c, s.y_strides.h, false, task.dy + s.y_elements};
}

// Rows of one staged x plane: those the tile's output rows read.
HWY_INLINE int64_t XPlaneRows(const detail::BackwardTiling& t,
                              const TileRows& rows) {
  return rows.out_end - rows.out_begin + t.max_row_shift;
}

// Where dw reads x: plane (c, py, px) row R, column m holds the padded input
// at row (out_begin + R) * stride_height + py, column m * stride_width + px.
struct XPlanes {
  const float* first;         // plane (0, 0, 0)
  const float* in_place_end;  // the end of x when read in place, else NULL
  int64_t plane_floats;       // from one plane to the next
};

// Stages the x rows that the tile's output rows read, split into
// stride_height * stride_width phase planes per input channel of the group.
// Unpadded, unstrided NCHW input already is that plane: it is read in place.
HWY_INLINE XPlanes StageX(const detail::BackwardTask& task,
                          const TileRows& rows) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const detail::BackwardTiling& t = *task.tiling;
  const int64_t sh = d.stride_height, sw = d.stride_width;
  const int64_t stride = t.staged_row_stride;
  const float* image = task.x + rows.n * s.x_strides.n +
                       rows.g * s.in_channels_per_group * s.x_strides.c;
  XPlanes planes;
  if (sh == 1 && sw == 1 && d.pad_top == 0 && d.pad_bottom == 0 &&
      d.pad_left == 0 && d.pad_right == 0 && s.x_strides.w == 1 &&
      stride == d.in_width) {
    planes.first = image + rows.out_begin * s.x_strides.h;
    planes.in_place_end = task.x + s.x_elements;
    planes.plane_floats = s.x_strides.c;
    return planes;
  }
  const int64_t plane_rows = XPlaneRows(t, rows);
  planes.plane_floats = plane_rows * stride;
  const int64_t staged_floats =
      s.in_channels_per_group * sh * sw * planes.plane_floats;
  float* row_out =
      ThreadScratch(ScratchUse::kX, staged_floats + GuardFloats(t));
  Zero(row_out + staged_floats, GuardFloats(t));
  planes.first = row_out;
  planes.in_place_end = nullptr;
  for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
    const float* channel = image + c * s.x_strides.c;
    for (int64_t py = 0; py < sh; ++py) {
      for (int64_t px = 0; px < sw; ++px) {
        // Columns m with m * sw + px - pad_left inside the input.
        const int64_t m_begin = std::min(stride, CeilDiv(d.pad_left - px, sw));
        const int64_t m_end = std::min(
            stride, FloorDiv(d.in_width - 1 + d.pad_left - px, sw) + 1);
        for (int64_t r = 0; r < plane_rows; ++r, row_out += stride) {
          const int64_t in_row = (rows.out_begin + r) * sh + py - d.pad_top;
          const bool inside = in_row >= 0 && in_row < d.in_height;
          StageRow(channel + in_row * s.x_strides.h +
                       (m_begin * sw + px - d.pad_left) * s.x_strides.w,
                   sw * s.x_strides.w, m_begin, inside ? m_end - m_begin : 0,
                   stride, row_out);
        }
      }
    }
  }
  return planes;
}

// A sum of vectors in two chains that take turns (one chain would wait on
// the adder's latency), then across lanes: the same bits wherever the same
// vectors are added in the same order.
struct VectorSum {
  using D = hn::ScalableTag<float>;
  HWY_INLINE VectorSum() : next(hn::Zero(D())), other(hn::Zero(D())) {}
  HWY_INLINE void Add(hn::Vec<D> v) {
    next = hn::Add(next, v);
    std::swap(next, other);
  }
  HWY_INLINE float Total() const {
    return hn::GetLane(hn::SumOfLanes(D(), hn::Add(next, other)));
  }
  hn::Vec<D> next, other;
};

// The sum of dy's `rows` rows (dy_row_stride apart) of `width` elements, in
// the order in which DotBlock<kO, kV, true> sums dy[0]: its vectors in turn,
// each row's tail as a vector padded with zeros. dbias takes it where dw
// runs by rows, so that its bits are the same whether or not dw is computed
// (and sums it then).
HWY_INLINE float RowSum(const float* dy, int64_t dy_row_stride, int64_t rows,
                        int64_t width) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  VectorSum sum;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * dy_row_stride;
    int64_t f = 0;
    for (; f + N <= width; f += N) sum.Add(hn::LoadU(d, row + f));
    if (f < width) sum.Add(LoadUpTo(d, row + f, width - f));
  }
  return sum.Total();
}

// sums[o * kV + v] (+)= sum over rows r < rows and columns f < width of
// dy[o][r * dy_row_stride + f] * x[v][r * x_row_stride + f]. Each row runs
// full vectors, then its tail as one masked vector: past a row's end lie
// the next row's elements, and past the last row's end whole vectors may be
// read only where `vector_tail` says so, else its tail runs as scalars.
// Accumulators span all the rows: one horizontal sum per (o, v). With
// kBias, *bias (+)= RowSum of dy[0] too, from the same loads (dbias fused
// into dw: one pass over dy less).
template <size_t kO, size_t kV, bool kBias = false>
HWY_INLINE void DotBlock(const float* const* dy, int64_t dy_row_stride,
                         const float* const* x, int64_t x_row_stride,
                         int64_t rows, int64_t width, bool vector_tail,
                         bool accumulate, float* sums, float* bias = nullptr) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[kO][kV];
  VectorSum bias_sum;
  float tails[kO][kV] = {};
  for (size_t o = 0; o < kO; ++o) {
    for (size_t v = 0; v < kV; ++v) acc[o][v] = hn::Zero(d);
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  // x's vectors one float apart (the taps of one kernel row, unit stride and
  // dilation) are made by LaneWindow from one load each (see
  // PlaneWindowTaps) while the next vector lies inside the row.
  bool windows = kV > 1;
  for (size_t v = 1; v < kV; ++v) windows = windows && x[v] == x[0] + v;
#endif
  for (int64_t r = 0; r < rows; ++r) {
    const float* dy_row[kO];
    const float* x_row[kV];
    for (size_t o = 0; o < kO; ++o) dy_row[o] = dy[o] + r * dy_row_stride;
    for (size_t v = 0; v < kV; ++v) x_row[v] = x[v] + r * x_row_stride;
    int64_t f = 0;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
    const bool row_windows = windows && 2 * N <= width;
    V lo = row_windows ? hn::LoadU(d, x_row[0]) : hn::Zero(d);
#endif
    for (; f + N <= width; f += N) {
      // Both factors pinned in registers: kO + kV loads (or windows) for
      // kO * kV FMAs (unpinned, GCC folds a load into every FMA and the loop
      // is load-bound).
      V in[kV];
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      if (row_windows && f + 2 * N <= width) {
        V hi = hn::LoadU(d, x_row[0] + f + N);
        KeepInRegister(hi);
        ForEachIndex<kV>([&](auto v) HWY_ATTR {
          in[v] = LaneWindow<decltype(v)::value>(lo, hi);
        });
        lo = hi;
      } else  // the loads below
#endif
      {
        for (size_t v = 0; v < kV; ++v) {
          V loaded = hn::LoadU(d, x_row[v] + f);
          KeepInRegister(loaded);
          in[v] = loaded;
        }
      }
      for (size_t o = 0; o < kO; ++o) {
        V g = hn::LoadU(d, dy_row[o] + f);
        KeepInRegister(g);
        if (kBias && o == 0) bias_sum.Add(g);
        for (size_t v = 0; v < kV; ++v)
          acc[o][v] = hn::MulAdd(g, in[v], acc[o][v]);
      }
    }
    if (f == width) continue;
    if (vector_tail || r + 1 < rows) {
      // Masking both factors keeps whatever lies past the end out of the
      // sum.
      const auto mask = hn::FirstN(d, Size(width - f));
      V in[kV];
      for (size_t v = 0; v < kV; ++v)
        in[v] = hn::IfThenElseZero(mask, hn::LoadU(d, x_row[v] + f));
      for (size_t o = 0; o < kO; ++o) {
        const V g = hn::IfThenElseZero(mask, hn::LoadU(d, dy_row[o] + f));
        if (kBias && o == 0) bias_sum.Add(g);
        for (size_t v = 0; v < kV; ++v)
          acc[o][v] = hn::MulAdd(g, in[v], acc[o][v]);
      }
      continue;
    }
    if constexpr (kBias) {
      bias_sum.Add(LoadUpTo(d, dy_row[0] + f, width - f));
    }
    for (size_t o = 0; o < kO; ++o) {
      for (size_t v = 0; v < kV; ++v) {
        for (int64_t k = f; k < width; ++k)
          tails[o][v] += dy_row[o][k] * x_row[v][k];
      }
    }
  }
  for (size_t o = 0; o < kO; ++o) {
    for (size_t v = 0; v < kV; ++v) {
      const float sum = hn::GetLane(hn::SumOfLanes(d, acc[o][v])) + tails[o][v];
      sums[o * kV + v] = accumulate ? sums[o * kV + v] + sum : sum;
    }
  }
  if constexpr (kBias) {
    const float sum = bias_sum.Total();
    *bias = accumulate ? *bias + sum : sum;
  }
}

// Flat elements per dw pass: the dy rows of four output channels (16 KiB)
// stay in L1 while every tap of every input channel streams past them.
constexpr int64_t kDwChunk = 1024;

// Whether whole vectors may be read at x + length (see DotBlock): staged
// planes have a guard; x read in place has one unless the read ends at its
// very end.
HWY_INLINE bool VectorTail(const XPlanes& x_planes, const float* x,
                           int64_t length) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  return x_planes.in_place_end == nullptr ||
         x + length + N <= x_planes.in_place_end;
}

// dw partials of output channels [ol, ol + kO) for taps (u, v_begin ..
// v_begin + kV) of input channel c, over staged dy elements [begin, end).
template <size_t kO, size_t kV>
HWY_INLINE void WeightGradBlock(const detail::BackwardTask& task,
                                const DyRows& dy_rows, const XPlanes& x_planes,
                                int64_t ol, int64_t c, int64_t u,
                                int64_t v_begin, int64_t begin, int64_t end,
                                float* dw) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t stride = task.tiling->staged_row_stride;
  const int64_t row_shift = u * d.dilation_height / d.stride_height;
  const int64_t row_phase = u * d.dilation_height % d.stride_height;
  const float* x[kV];
  for (size_t k = 0; k < kV; ++k) {
    const int64_t v = v_begin + static_cast<int64_t>(k);
    // dy (i, j) meets x plane (i + row_shift, j + col_shift).
    x[k] = x_planes.first +
           ((c * d.stride_height + row_phase) * d.stride_width +
            v * d.dilation_width % d.stride_width) *
               x_planes.plane_floats +
           row_shift * stride + v * d.dilation_width / d.stride_width + begin;
  }
  const float* dy[kO];
  for (size_t k = 0; k < kO; ++k) {
    dy[k] = dy_rows.first +
            (ol + static_cast<int64_t>(k)) * dy_rows.channel_stride + begin;
  }
  float sums[kO * kV];
  float* out[kO * kV];
  for (size_t o = 0; o < kO; ++o) {
    for (size_t k = 0; k < kV; ++k) {
      out[o * kV + k] = dw + (ol + static_cast<int64_t>(o)) * s.w_strides.n +
                        c * s.w_strides.c + u * s.w_strides.h +
                        (v_begin + static_cast<int64_t>(k)) * s.w_strides.w;
      sums[o * kV + k] = *out[o * kV + k];
    }
  }
  DotBlock<kO, kV>(dy, 0, x, 0, 1, end - begin,
                   VectorTail(x_planes, x[kV - 1], end - begin), begin > 0,
                   sums);
  for (size_t k = 0; k < kO * kV; ++k) *out[k] = sums[k];
}

// All taps of input channel c for output channels [ol, ol + kO), in column
// groups of three: 4 dy + 3 x loads feed 12 FMAs.
template <size_t kO>
HWY_INLINE void WeightGradTaps(const detail::BackwardTask& task,
                               const DyRows& dy_rows, const XPlanes& x_planes,
                               int64_t ol, int64_t c, int64_t begin,
                               int64_t end, float* dw) {
  const xcorr_conv2d_desc& d = task.shape->desc;
  for (int64_t u = 0; u < d.kernel_height; ++u) {
    int64_t v = 0;
    for (; v + 3 <= d.kernel_width; v += 3) {
      WeightGradBlock<kO, 3>(task, dy_rows, x_planes, ol, c, u, v, begin, end,
                             dw);
    }
    if (d.kernel_width - v == 2) {
      WeightGradBlock<kO, 2>(task, dy_rows, x_planes, ol, c, u, v, begin, end,
                             dw);
    } else if (d.kernel_width - v == 1) {
      WeightGradBlock<kO, 1>(task, dy_rows, x_planes, ol, c, u, v, begin, end,
                             dw);
    }
  }
}

// How DotBlock and RowSum walk `count` tile rows of dy (and x): staged dy
// as one flat run across the zeros after its rows, dy in place row by row.
struct DyRuns {
  int64_t dy_row_stride, x_row_stride, runs, width;
};
HWY_INLINE DyRuns RunsOf(const detail::BackwardTask& task,
                         const DyRows& dy_rows, int64_t count) {
  const int64_t stride = task.tiling->staged_row_stride;
  const int64_t width = task.shape->out_width;
  if (dy_rows.staged) return {0, 0, 1, (count - 1) * stride + width};
  return {dy_rows.row_stride, stride, count, width};
}

// DotBlock over `count` tile rows of dy from dy[] and of x from x[] (x
// rows staged_row_stride apart), as RunsOf says. Also *bias += the RowSum
// of dy[0] over those rows when `bias` is not NULL.
template <size_t kO, size_t kV>
HWY_INLINE void DotRows(const detail::BackwardTask& task, const DyRows& dy_rows,
                        const XPlanes& x_planes, const float* const* dy,
                        const float* const* x, int64_t count, float* sums,
                        float* bias) {
  const int64_t stride = task.tiling->staged_row_stride;
  const int64_t width = task.shape->out_width;
  if (count <= 0) return;
  // From x's first row to the end of its last (staged dy's flat length).
  const int64_t x_length = (count - 1) * stride + width;
  bool vector_tail = true;
  for (size_t v = 0; v < kV; ++v)
    vector_tail = vector_tail && VectorTail(x_planes, x[v], x_length);
  const DyRuns r = RunsOf(task, dy_rows, count);
  if (!dy_rows.staged) {
    const int64_t dy_length = (count - 1) * dy_rows.row_stride + width;
    const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
    for (size_t o = 0; o < kO; ++o)
      vector_tail = vector_tail && dy[o] + dy_length + N <= dy_rows.end;
  }
  if (bias != nullptr) {
    DotBlock<kO, kV, true>(dy, r.dy_row_stride, x, r.x_row_stride, r.runs,
                           r.width, vector_tail, true, sums, bias);
  } else {
    DotBlock<kO, kV>(dy, r.dy_row_stride, x, r.x_row_stride, r.runs, r.width,
                     vector_tail, true, sums);
  }
}

// The dbias term of dy rows [0, count), in DotRows' order.
HWY_INLINE float DyRowsSum(const detail::BackwardTask& task,
                           const DyRows& dy_rows, const float* dy,
                           int64_t count) {
  const DyRuns r = RunsOf(task, dy_rows, count);
  return RowSum(dy, r.dy_row_stride, r.runs, r.width);
}

// The first of the tile's dy rows that WeightGradRows reads for all its kU
// kernel rows at once (see there): it reads the tile's rows of dy from here
// to the end first, then those before.
HWY_INLINE int64_t DwSharedRowsBegin(int64_t k_u, int64_t dilation,
                                     int64_t tile_rows) {
  return std::min((k_u - 1) * dilation, tile_rows);
}

// dw partials of one output channel ol for taps (u_begin .. u_begin + kU,
// v_begin .. v_begin + kV) of input channel c with stride_height 1. Kernel
// rows u read x rows u * dilation further down, so with x[g] shared, dy
// enters shifted by -u * dilation rows: where all kU shifts stay inside the
// tile's rows, each x load feeds kU rows of taps (kU + kV loads for kU * kV
// FMAs); the few rows at either end run per u. Where dbias is not NULL, its
// term of channel ol comes from the same loads of dy (kernel row u_begin's).
template <size_t kU, size_t kV>
HWY_INLINE void WeightGradRows(const detail::BackwardTask& task,
                               const TileRows& rows, const DyRows& dy_rows,
                               const XPlanes& x_planes, int64_t ol, int64_t c,
                               int64_t u_begin, int64_t v_begin, float* dw,
                               float* dbias) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t stride = task.tiling->staged_row_stride;
  const int64_t tile_rows = rows.out_end - rows.out_begin;
  const int64_t dilation = d.dilation_height;  // rows from one u to the next
  const float* dy_row = dy_rows.first + ol * dy_rows.channel_stride;
  const float* x[kV];  // for u_begin
  for (size_t k = 0; k < kV; ++k) {
    const int64_t v = v_begin + static_cast<int64_t>(k);
    x[k] = x_planes.first +
           (c * d.stride_width + v * d.dilation_width % d.stride_width) *
               x_planes.plane_floats +
           u_begin * dilation * stride + v * d.dilation_width / d.stride_width;
  }
  // x rows [shared, tile_rows) (from u_begin's) feed every kernel row.
  const int64_t shared = DwSharedRowsBegin(kU, dilation, tile_rows);
  const bool any_shared = shared < tile_rows;
  float sums[kU * kV] = {};
  float bias = 0.0f;
  if (any_shared) {
    const float* dy[kU];
    const float* x_shared[kV];
    for (size_t k = 0; k < kV; ++k) x_shared[k] = x[k] + shared * stride;
    for (size_t r = 0; r < kU; ++r) {
      dy[r] = dy_row + (shared - static_cast<int64_t>(r) * dilation) *
                           dy_rows.row_stride;
    }
    DotRows<kU, kV>(task, dy_rows, x_planes, dy, x_shared, tile_rows - shared,
                    sums, dbias != nullptr ? &bias : nullptr);
  }
  for (size_t r = 0; r < kU; ++r) {
    const int64_t shift = static_cast<int64_t>(r) * dilation;
    // The dy rows that the shared part left out.
    const int64_t ranges[2][2] = {
        {0, any_shared ? shared - shift : tile_rows},
        {any_shared ? tile_rows - shift : tile_rows, tile_rows}};
    for (const auto& range : ranges) {
      const float* dy_part[1] = {dy_row + range[0] * dy_rows.row_stride};
      const float* x_part[kV];
      for (size_t k = 0; k < kV; ++k)
        x_part[k] = x[k] + (shift + range[0]) * stride;
      DotRows<1, kV>(task, dy_rows, x_planes, dy_part, x_part,
                     range[1] - range[0], sums + r * kV,
                     r == 0 && dbias != nullptr ? &bias : nullptr);
    }
    for (size_t k = 0; k < kV; ++k) {
      dw[ol * s.w_strides.n + c * s.w_strides.c +
         (u_begin + static_cast<int64_t>(r)) * s.w_strides.h +
         (v_begin + static_cast<int64_t>(k)) * s.w_strides.w] =
          sums[r * kV + k];
    }
  }
  if (dbias != nullptr) dbias[ol] = bias;
}

// Kernel rows (and columns) per WeightGradRows block: a kU x kV block keeps
// kU * kV accumulators, kV x vectors and a dy vector in registers (4 x 4:
// 21 of AVX-512's 32; 3 x 3: 13 of 16). AVX3, 1 thread, dw of 1024x1024:
// 7x7 as 4 + 3 rows and columns (4 passes over the tile, 28 loads for 49
// FMAs) took 1.13 ms against 1.51 as 3 + 3 + 1 (9 passes, 42 loads); 11x11
// 2.80 against 3.18.
constexpr int64_t kDwBlock = kVectorRegisters == 32 ? 4 : 3;

// Size of group g of `count` kernel rows (or columns) split into even
// groups of at most kDwBlock: 7 as 4 + 3, 5 as 3 + 2.
HWY_INLINE int64_t DwGroupSize(int64_t count, int64_t g) {
  const int64_t groups = CeilDiv(count, kDwBlock);
  return count / groups + (g < count % groups ? 1 : 0);
}

// Calls visit(begin, size) for each of those groups in turn.
template <class Visit>
HWY_INLINE void ForEachDwGroup(int64_t count, const Visit& visit) {
  for (int64_t begin = 0, g = 0; begin < count; ++g) {
    const int64_t size = DwGroupSize(count, g);
    visit(begin, size);
    begin += size;
  }
}

// All taps of input channel c for output channel ol by WeightGradRows, in
// blocks of up to kDwBlock kernel rows by kDwBlock columns; the first block
// of input channel 0 also sums dbias's term where dbias is not NULL.
HWY_INLINE void WeightGradRowBlocks(const detail::BackwardTask& task,
                                    const TileRows& rows, const DyRows& dy_rows,
                                    const XPlanes& x_planes, int64_t ol,
                                    int64_t c, float* dw, float* dbias) {
  const xcorr_conv2d_desc& d = task.shape->desc;
  ForEachDwGroup(d.kernel_height, [&](int64_t u, int64_t row_count) {
    WithBlockSize<kDwBlock>(row_count, [&](auto kU) {
      ForEachDwGroup(d.kernel_width, [&](int64_t v, int64_t column_count) {
        WithBlockSize<kDwBlock>(column_count, [&](auto kV) {
          const bool first = c == 0 && u == 0 && v == 0;
          WeightGradRows<decltype(kU)::value, decltype(kV)::value>(
              task, rows, dy_rows, x_planes, ol, c, u, v, dw,
              first ? dbias : nullptr);
        });
      });
    });
  });
}

// ---------------------------------------------------------------------------
// dw by outer products (tiling.dw_channels_last: many input channels per
// group). Vectors run over input channels: each staged dy element, broadcast,
// meets kOuterVectors vectors of the input channels of one tap, for
// kOuterChannels output channels at once, and sums stay in their lanes over
// all the tile's pixels (no horizontal sums). The partials are then in
// [o][u][v][c] order, c padded to tiling.partial_channels, which the
// reduction maps to dw's layout.

// Where a tile's channels-last copy of x lies: staged row r, column m holds
// the zero-padded input at row out_begin * stride_height - pad_top + r,
// column m - pad_left, its channels contiguous (zeros up to `channels`).
struct ChannelsLastX {
  const float* first;
  int64_t channels;    // floats per pixel: whole vectors
  int64_t row_floats;  // floats per staged row
};

// Writes rows [top, top + height) of the zero-padded input of image n,
// group g (row -pad_top first, then column -pad_left first), `width` pixels
// a row of `channels` floats: the group's input channels, then zeros.
HWY_INLINE void StageXRowsChannelsLast(const detail::BackwardTask& task,
                                       int64_t n, int64_t g, int64_t top,
                                       int64_t height, int64_t width,
                                       int64_t channels, float* staged) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t group_channels = s.in_channels_per_group;
  const int64_t row_floats = width * channels;
  const float* image =
      task.x + n * s.x_strides.n + g * group_channels * s.x_strides.c;
  // Staged columns m with input column m - pad_left inside the input.
  const int64_t m_begin = std::min(d.pad_left, width);
  const int64_t m_end = std::clamp(d.pad_left + d.in_width, m_begin, width);
  for (int64_t r = 0; r < height; ++r, staged += row_floats) {
    const int64_t in_row = top + r;
    if (in_row < 0 || in_row >= d.in_height) {
      Zero(staged, row_floats);
      continue;
    }
    if (channels != group_channels) {  // zeros after each pixel's channels
      Zero(staged, row_floats);
    } else {
      Zero(staged, m_begin * channels);
      Zero(staged + m_end * channels, (width - m_end) * channels);
    }
    const float* from =
        image + in_row * s.x_strides.h + (m_begin - d.pad_left) * s.x_strides.w;
    float* to = staged + m_begin * channels;
    if (s.x_strides.c == 1) {
      for (int64_t m = m_begin; m < m_end;
           ++m, from += s.x_strides.w, to += channels) {
        std::memcpy(to, from, Size(group_channels) * sizeof(float));
      }
    } else {
      // NCHW: by register-block transposes, reading whole cache lines of
      // each plane (element by element, a line per element).
      Transpose(from, s.x_strides.c, group_channels, m_end - m_begin, to,
                channels);
    }
  }
}

HWY_INLINE ChannelsLastX StageXChannelsLast(const detail::BackwardTask& task,
                                            const TileRows& rows) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  ChannelsLastX xs;
  xs.channels = CeilDiv(s.in_channels_per_group, N) * N;
  const int64_t height =
      detail::InputSpan(rows.out_end - rows.out_begin, d.stride_height,
                        d.kernel_height, d.dilation_height);
  const int64_t width = detail::InputSpan(s.out_width, d.stride_width,
                                          d.kernel_width, d.dilation_width);
  xs.row_floats = width * xs.channels;
  float* staged = ThreadScratch(ScratchUse::kX, height * xs.row_floats);
  xs.first = staged;
  StageXRowsChannelsLast(task, rows.n, rows.g,
                         rows.out_begin * d.stride_height - d.pad_top, height,
                         width, xs.channels, staged);
  return xs;
}

// Register blocks, output channels x vectors of input channels: AVX-512
// 6 x 4 (24 accumulators + 4 inputs + 1 broadcast of 32 registers), the
// others 6 x 2 (12 + 2 + 1 of 16).
constexpr size_t kOuterChannels = 6;
constexpr size_t kOuterVectors = kVectorRegisters == 32 ? 4 : 2;

// Where OuterProductBlock reads its pixels: `images` images of `height`
// rows of `width` pixels; dy[o] holds pixel (n, i, j) at n * dy_image +
// i * dy_row + j * dy_column, x at n * x_image + i * x_row + j * x_column
// (plus the lane).
struct OuterProductPixels {
  int64_t images, height, width;
  int64_t dy_image, dy_row, dy_column;
  int64_t x_image, x_row, x_column;
};

// out[o][k * N + lane] = sum over the pixels p of dy[o] at p times x at p,
// k * N + lane, for kVectors vectors, stored up to out[o] + room (out[o]
// NULL: not stored).
template <size_t kVectors>
HWY_INLINE void OuterProductBlock(const float* const* dy, const float* x,
                                  const OuterProductPixels& p,
                                  float* const* out, int64_t room) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[kOuterChannels][kVectors];
  for (size_t o = 0; o < kOuterChannels; ++o) {
    for (size_t k = 0; k < kVectors; ++k) acc[o][k] = hn::Zero(d);
  }
  for (int64_t n = 0; n < p.images; ++n) {
    for (int64_t i = 0; i < p.height; ++i) {
      const float* x_row = x + n * p.x_image + i * p.x_row;
      const int64_t dy_row = n * p.dy_image + i * p.dy_row;
      for (int64_t j = 0; j < p.width; ++j) {
        V in[kVectors];
        for (size_t k = 0; k < kVectors; ++k) {
          in[k] = hn::LoadU(
              d, x_row + j * p.x_column + static_cast<int64_t>(k) * N);
        }
        for (size_t o = 0; o < kOuterChannels; ++o) {
          const V g = hn::Set(d, dy[o][dy_row + j * p.dy_column]);
          for (size_t k = 0; k < kVectors; ++k)
            acc[o][k] = hn::MulAdd(g, in[k], acc[o][k]);
        }
      }
    }
  }
  for (size_t o = 0; o < kOuterChannels; ++o) {
    if (out[o] == nullptr) continue;
    for (size_t k = 0; k < kVectors; ++k) {
      const int64_t first = static_cast<int64_t>(k) * N;
      StoreUpTo(d, acc[o][k], out[o] + first, room - first);
    }
  }
}

// The tile's whole dw partial block, [o][u][v][c], by outer products.
// Output channels past the group's last read a plane of zeros and store
// nothing.
HWY_INLINE void WeightGradsByOuterProducts(const detail::BackwardTask& task,
                                           const TileRows& rows,
                                           const float* staged_dy, float* dw) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t stride = task.tiling->staged_row_stride;
  const ChannelsLastX xs = StageXChannelsLast(task, rows);
  float* zeros = ThreadScratch(ScratchUse::kZeros, rows.dy_pitch);
  Zero(zeros, rows.dy_pitch);
  const int64_t first_row =
      rows.dy_lead + (rows.out_begin - rows.dy_begin) * stride;
  const int64_t height = rows.out_end - rows.out_begin;
  const int64_t taps = d.kernel_height * d.kernel_width;
  const int64_t in_channels = s.in_channels_per_group;
  const int64_t out_channels = s.out_channels_per_group;
  const int64_t partial_channels = task.tiling->partial_channels;
  const int64_t block = static_cast<int64_t>(kOuterVectors) * N;
  const OuterProductPixels pixels{1,
                                  height,
                                  s.out_width,
                                  0,
                                  stride,
                                  1,
                                  0,
                                  d.stride_height * xs.row_floats,
                                  d.stride_width * xs.channels};
  const float* dy[kOuterChannels];
  float* out[kOuterChannels];
  // One block of input channels at a time: its slice of the staged x stays
  // in cache while every output channel and tap meets it.
  for (int64_t c = 0; c < in_channels; c += block) {
    const int64_t vectors = CeilDiv(std::min(block, in_channels - c), N);
    for (int64_t ol = 0; ol < out_channels;
         ol += static_cast<int64_t>(kOuterChannels)) {
      for (size_t k = 0; k < kOuterChannels; ++k) {
        const int64_t o = ol + static_cast<int64_t>(k);
        dy[k] = (o < out_channels ? staged_dy + o * rows.dy_pitch : zeros) +
                first_row;
      }
      for (int64_t u = 0; u < d.kernel_height; ++u) {
        for (int64_t v = 0; v < d.kernel_width; ++v) {
          for (size_t k = 0; k < kOuterChannels; ++k) {
            const int64_t o = ol + static_cast<int64_t>(k);
            out[k] = o < out_channels
                         ? dw +
                               (o * taps + u * d.kernel_width + v) *
                                   partial_channels +
                               c
                         : nullptr;
          }
          // The last block of input channels may be narrower.
          WithBlockSize<kOuterVectors>(vectors, [&](auto kVectors) {
            OuterProductBlock<decltype(kVectors)::value>(
                dy,
                xs.first + u * d.dilation_height * xs.row_floats +
                    v * d.dilation_width * xs.channels + c,
                pixels, out, partial_channels - c);
          });
        }
      }
    }
  }
}

// The output channels of a group that dw takes in fours (WeightGradTaps<4>).
HWY_INLINE int64_t DwBlockedChannels(const detail::ConvShape& s) {
  return s.out_channels_per_group / 4 * 4;
}

// Whether dw runs the tile's other channels by WeightGradRows: row stride 1
// and, staged, a tile taller than the kernel (dy read in place always).
HWY_INLINE bool DwByRows(const detail::BackwardTask& task, const TileRows& rows,
                         const DyRows& dy_rows) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t stride = task.tiling->staged_row_stride;
  const int64_t length =
      (rows.out_end - rows.out_begin - 1) * stride + s.out_width;
  return !task.tiling->dw_channels_last && d.stride_height == 1 &&
         (!dy_rows.staged ||
          length > 2 * (d.kernel_height - 1) * d.dilation_height * stride);
}

// The tile's whole dw partial block. Output channels in fours share x
// loads, flat chunk by chunk of staged dy; the rest share them across kernel
// rows when the row stride is 1 and, staged, the tile is taller than the
// kernel (dy read in place always takes that way). The flat length stops at
// the last dy element of the last row, so that in-place x is never read past
// its end. Where dbias is not NULL, the channels that run by WeightGradRows
// also sum their dbias terms there (see BiasGrads).
HWY_INLINE void WeightGrads(const detail::BackwardTask& task,
                            const TileRows& rows, const float* staged_dy,
                            const DyRows& dy_rows, float* dw, float* dbias) {
  const detail::ConvShape& s = *task.shape;
  if (task.tiling->dw_channels_last) {
    return WeightGradsByOuterProducts(task, rows, staged_dy, dw);
  }
  const int64_t stride = task.tiling->staged_row_stride;
  const XPlanes x_planes = StageX(task, rows);
  const int64_t length =
      (rows.out_end - rows.out_begin - 1) * stride + s.out_width;
  const int64_t blocked = DwBlockedChannels(s);
  const bool by_rows = DwByRows(task, rows, dy_rows);
  for (int64_t begin = 0; begin < length; begin += kDwChunk) {
    const int64_t end = std::min(begin + kDwChunk, length);
    for (int64_t ol = 0; ol < blocked; ol += 4) {
      for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
        WeightGradTaps<4>(task, dy_rows, x_planes, ol, c, begin, end, dw);
      }
    }
    if (by_rows) continue;
    for (int64_t ol = blocked; ol < s.out_channels_per_group; ++ol) {
      for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
        WeightGradTaps<1>(task, dy_rows, x_planes, ol, c, begin, end, dw);
      }
    }
  }
  if (!by_rows) return;
  for (int64_t ol = blocked; ol < s.out_channels_per_group; ++ol) {
    for (int64_t c = 0; c < s.in_channels_per_group; ++c) {
      WeightGradRowBlocks(task, rows, dy_rows, x_planes, ol, c, dw, dbias);
    }
  }
}

// dbias's term of channel ol in the order in which WeightGradRows sums it
// with its first kernel rows' dw: rows from DwSharedRowsBegin to the end,
// then those before.
HWY_INLINE float BiasInDwOrder(const detail::BackwardTask& task,
                               const TileRows& rows, const DyRows& dy_rows,
                               int64_t ol) {
  const xcorr_conv2d_desc& d = task.shape->desc;
  const int64_t tile_rows = rows.out_end - rows.out_begin;
  const int64_t shared = DwSharedRowsBegin(DwGroupSize(d.kernel_height, 0),
                                           d.dilation_height, tile_rows);
  const float* dy = dy_rows.first + ol * dy_rows.channel_stride;
  float bias = 0.0f;
  if (shared < tile_rows) {
    bias += DyRowsSum(task, dy_rows, dy + shared * dy_rows.row_stride,
                      tile_rows - shared);
  }
  if (shared > 0) bias += DyRowsSum(task, dy_rows, dy, shared);
  return bias;
}

// The tile's dbias partials: sums of its output rows of each channel
// (staged, as one flat run: the zeros between rows add nothing). Channels
// whose dw runs by WeightGradRows sum in its order, so that dbias has the
// same bits with dw or without; with dw, WeightGrads has summed them
// (dw_summed_them).
HWY_INLINE void BiasGrads(const detail::BackwardTask& task,
                          const TileRows& rows, const DyRows& dy_rows,
                          bool dw_summed_them, float* dbias) {
  const detail::ConvShape& s = *task.shape;
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t tile_rows = rows.out_end - rows.out_begin;
  const int64_t runs = dy_rows.staged ? 1 : tile_rows;
  const int64_t length =
      dy_rows.staged ? (tile_rows - 1) * dy_rows.row_stride + s.out_width
                     : s.out_width;
  const int64_t first_in_dw_order = DwByRows(task, rows, dy_rows)
                                        ? DwBlockedChannels(s)
                                        : s.out_channels_per_group;
  if (!dw_summed_them) {
    for (int64_t ol = first_in_dw_order; ol < s.out_channels_per_group; ++ol)
      dbias[ol] = BiasInDwOrder(task, rows, dy_rows, ol);
  }
  for (int64_t ol = 0; ol < first_in_dw_order; ++ol) {
    // Four chains of additions: one would wait on the adder's latency.
    auto acc0 = hn::Zero(d), acc1 = hn::Zero(d), acc2 = hn::Zero(d),
         acc3 = hn::Zero(d);
    float tail = 0.0f;
    for (int64_t run = 0; run < runs; ++run) {
      const float* dy = dy_rows.first + ol * dy_rows.channel_stride +
                        run * dy_rows.row_stride;
      int64_t f = 0;
      for (; f + 4 * N <= length; f += 4 * N) {
        acc0 = hn::Add(acc0, hn::LoadU(d, dy + f));
        acc1 = hn::Add(acc1, hn::LoadU(d, dy + f + N));
        acc2 = hn::Add(acc2, hn::LoadU(d, dy + f + 2 * N));
        acc3 = hn::Add(acc3, hn::LoadU(d, dy + f + 3 * N));
      }
      for (; f + N <= length; f += N)
        acc0 = hn::Add(acc0, hn::LoadU(d, dy + f));
      for (; f < length; ++f) tail += dy[f];
    }
    const auto sum = hn::Add(hn::Add(acc0, acc1), hn::Add(acc2, acc3));
    dbias[ol] = hn::GetLane(hn::SumOfLanes(d, sum)) + tail;
  }
}

// to[cc][v * N + lane] = sum_k dy[offsets[k] + f + v * N + lane] *
// weights[k * kC + cc]: kC input channels share each dy load, kVec vectors
// share each weight broadcast. (Accumulators local to this function stay in
// registers; passed in as an array, GCC keeps them on the stack.)
template <size_t kC, size_t kVec, class D>
HWY_INLINE void GatherVectors(D d, const float* dy, const int64_t* offsets,
                              const float* weights, int64_t taps, int64_t f,
                              float* const* to) {
  using V = hn::Vec<D>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[kC][kVec];
  for (size_t c = 0; c < kC; ++c) {
    for (size_t v = 0; v < kVec; ++v) acc[c][v] = hn::Zero(d);
  }
  for (int64_t k = 0; k < taps; ++k) {
    const float* in_ptr = dy + offsets[k] + f;
    V in[kVec];
    for (size_t v = 0; v < kVec; ++v)
      in[v] = hn::LoadU(d, in_ptr + static_cast<int64_t>(v) * N);
    for (size_t c = 0; c < kC; ++c) {
      const V weight = hn::Set(d, weights[Size(k) * kC + c]);
      for (size_t v = 0; v < kVec; ++v)
        acc[c][v] = hn::MulAdd(in[v], weight, acc[c][v]);
    }
  }
  for (size_t c = 0; c < kC; ++c) {
    for (size_t v = 0; v < kVec; ++v)
      hn::StoreU(acc[c][v], d, to[c] + static_cast<int64_t>(v) * N);
  }
}

// out[cc * out_stride + f] = sum_k dy[offsets[k] + f] * weights[k * kC + cc]
// for f in [0, length), in blocks of kVec vectors. The last, partial block
// goes through `spill` (kC * kVec vectors) so that nothing past `length` is
// written.
template <size_t kC, size_t kVec>
HWY_INLINE void GatherBlock(const float* dy, const int64_t* offsets,
                            const float* weights, int64_t taps, int64_t length,
                            float* out, int64_t out_stride, float* spill) {
  const hn::ScalableTag<float> d;
  const int64_t step = static_cast<int64_t>(kVec * hn::Lanes(d));
  float* to[kC];
  int64_t f = 0;
  for (; f + step <= length; f += step) {
    for (size_t c = 0; c < kC; ++c)
      to[c] = out + static_cast<int64_t>(c) * out_stride + f;
    GatherVectors<kC, kVec>(d, dy, offsets, weights, taps, f, to);
  }
  if (f == length) return;
  for (size_t c = 0; c < kC; ++c)
    to[c] = spill + static_cast<int64_t>(c) * step;
  GatherVectors<kC, kVec>(d, dy, offsets, weights, taps, f, to);
  for (size_t c = 0; c < kC; ++c) {
    std::memcpy(out + static_cast<int64_t>(c) * out_stride + f, to[c],
                Size(length - f) * sizeof(float));
  }
}

// The dx rows and columns of one (row, column) stride phase that a tile
// owns, and the taps that reach them.
struct PhaseTaps {
  int64_t r_begin,
      r_end;  // phase rows R: dx rows R * stride_height + qy - pad_top
  int64_t m_begin,
      m_end;  // phase columns m: dx columns m * stride_width + qx - pad_left
  // dx (R, m) reads dy (R - row_shifts[i], m - col_shifts[j]) with weight
  // w[o][c][rows[i]][cols[j]].
  std::vector<int64_t> row_shifts, rows, col_shifts, cols;
};

// Fills `p`, reusing the capacity of its lists.
HWY_INLINE void TapsOfPhase(const detail::BackwardTask& task,
                            const TileRows& rows, int64_t qy, int64_t qx,
                            PhaseTaps& p) {
  const xcorr_conv2d_desc& d = task.shape->desc;
  const int64_t sh = d.stride_height, sw = d.stride_width;
  p.row_shifts.clear();
  p.rows.clear();
  p.col_shifts.clear();
  p.cols.clear();
  p.r_begin = CeilDiv(rows.in_begin + d.pad_top - qy, sh);
  p.r_end = CeilDiv(rows.in_end + d.pad_top - qy, sh);
  p.m_begin = CeilDiv(d.pad_left - qx, sw);
  p.m_end = FloorDiv(d.in_width - 1 + d.pad_left - qx, sw) + 1;
  for (int64_t u = 0; u < d.kernel_height; ++u) {
    if (u * d.dilation_height % sh != qy) continue;
    p.row_shifts.push_back(u * d.dilation_height / sh);
    p.rows.push_back(u);
  }
  for (int64_t v = 0; v < d.kernel_width; ++v) {
    if (v * d.dilation_width % sw != qx) continue;
    p.col_shifts.push_back(v * d.dilation_width / sw);
    p.cols.push_back(v);
  }
}

// A thread's lists for one phase of dx, kept across tiles and calls so that a
// warm thread allocates nothing (tiles never nest on a thread).
struct PhaseLists {
  PhaseTaps taps;
  std::vector<int64_t> offsets;
  std::vector<const float*> tap_weights;  // w[o][c = 0][u][v] of each tap
  std::vector<float> weights;
};

HWY_INLINE PhaseLists& ThreadPhaseLists() {
  thread_local PhaseLists lists;
  return lists;
}

// Copies phase rows of input channels [c_begin, c_begin + count) from
// scratch (planes scratch_stride apart, rows staged_row_stride apart from
// phase row r_begin) to their places in dx. Channels-last dx takes each row
// of all the planes at once, transposed.
HWY_INLINE void StoreDxRows(const detail::BackwardTask& task,
                            const TileRows& rows, const PhaseTaps& p,
                            int64_t qy, int64_t qx, int64_t c_begin,
                            int64_t count, const float* scratch,
                            int64_t scratch_stride) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  float* image = task.dx + rows.n * s.x_strides.n +
                 (rows.g * s.in_channels_per_group + c_begin) * s.x_strides.c;
  const int64_t to_stride = d.stride_width * s.x_strides.w;
  const int64_t width = p.m_end - p.m_begin;
  const auto from_row = [&](int64_t r) {
    return scratch + (r - p.r_begin) * task.tiling->staged_row_stride +
           p.m_begin;
  };
  const auto to_row = [&](int64_t r) {
    return image + (r * d.stride_height + qy - d.pad_top) * s.x_strides.h +
           (p.m_begin * d.stride_width + qx - d.pad_left) * s.x_strides.w;
  };
  if (s.x_strides.c == 1) {
    for (int64_t r = p.r_begin; r < p.r_end; ++r)
      Transpose(from_row(r), scratch_stride, count, width, to_row(r),
                to_stride);
    return;
  }
  for (int64_t c = 0; c < count; ++c) {
    for (int64_t r = p.r_begin; r < p.r_end; ++r) {
      const float* from = from_row(r) + c * scratch_stride;
      float* to = to_row(r) + c * s.x_strides.c;
      if (to_stride == 1) {
        std::memcpy(to, from, Size(width) * sizeof(float));
      } else {
        for (int64_t m = 0; m < width; ++m) to[m * to_stride] = from[m];
      }
    }
  }
}

// One phase of dx for input channels in blocks of kC, as one flat
// correlation per block (GatherBlock). When the phase's rows are dx's rows
// (stride 1, no left or right padding, NCHW: staged rows as long as dx
// rows), it writes dx directly; otherwise into scratch, `chunk` channels (a
// multiple of kC) at a time, then StoreDxRows.
template <size_t kC, size_t kVec>
HWY_INLINE void InputGradsOfPhase(const detail::BackwardTask& task,
                                  const TileRows& rows, const float* staged_dy,
                                  int64_t qy, int64_t qx, float* scratch,
                                  int64_t scratch_stride, int64_t chunk) {
  const detail::ConvShape& s = *task.shape;
  const int64_t stride = task.tiling->staged_row_stride;
  PhaseLists& lists = ThreadPhaseLists();
  const PhaseTaps& p = lists.taps;
  TapsOfPhase(task, rows, qy, qx, lists.taps);
  if (p.r_begin >= p.r_end || p.m_begin >= p.m_end) return;
  const xcorr_conv2d_desc& d = s.desc;
  const bool direct = d.stride_height == 1 && d.stride_width == 1 &&
                      d.pad_left == 0 && s.x_strides.w == 1 &&
                      s.x_strides.h == stride;
  std::vector<int64_t>& offsets = lists.offsets;
  std::vector<const float*>& tap_weights = lists.tap_weights;
  offsets.clear();
  tap_weights.clear();
  for (int64_t ol = 0; ol < s.out_channels_per_group; ++ol) {
    for (size_t i = 0; i < p.rows.size(); ++i) {
      for (size_t j = 0; j < p.cols.size(); ++j) {
        offsets.push_back(ol * rows.dy_pitch + rows.dy_lead +
                          (p.r_begin - rows.dy_begin - p.row_shifts[i]) *
                              stride -
                          p.col_shifts[j]);
        tap_weights.push_back(
            task.w + (rows.g * s.out_channels_per_group + ol) * s.w_strides.n +
            p.rows[i] * s.w_strides.h + p.cols[j] * s.w_strides.w);
      }
    }
  }
  std::vector<float>& weights = lists.weights;
  weights.resize(offsets.size() * kC);
  for (int64_t c0 = 0; c0 < s.in_channels_per_group;
       c0 += static_cast<int64_t>(kC)) {
    for (size_t k = 0; k < offsets.size(); ++k) {
      for (size_t c = 0; c < kC; ++c) {
        weights[k * kC + c] =
            tap_weights[k][(c0 + static_cast<int64_t>(c)) * s.w_strides.c];
      }
    }
    const int64_t length = (p.r_end - p.r_begin) * stride;
    if (direct) {
      float* dx = task.dx + rows.n * s.x_strides.n +
                  (rows.g * s.in_channels_per_group + c0) * s.x_strides.c +
                  (p.r_begin - d.pad_top) * s.x_strides.h;
      GatherBlock<kC, kVec>(staged_dy, offsets.data(), weights.data(),
                            static_cast<int64_t>(offsets.size()), length, dx,
                            s.x_strides.c, scratch);
      continue;
    }
    const int64_t slot = c0 % chunk;
    GatherBlock<kC, kVec>(staged_dy, offsets.data(), weights.data(),
                          static_cast<int64_t>(offsets.size()), length,
                          scratch + slot * scratch_stride, scratch_stride,
                          scratch + chunk * scratch_stride);
    const int64_t filled = slot + static_cast<int64_t>(kC);
    if (filled == chunk ||
        c0 + static_cast<int64_t>(kC) == s.in_channels_per_group) {
      StoreDxRows(task, rows, p, qy, qx, c0 + static_cast<int64_t>(kC) - filled,
                  filled, scratch, scratch_stride);
    }
  }
}

// Floats of dx scratch that channels-last dx fills before each store: the
// planes' rows then make whole cache lines of dx pixels.
constexpr int64_t kDxChunkFloats = int64_t{1} << 16;

// All phases of the tile's dx rows, for input channels in blocks of kC:
// four channels share each dy load (with 3 vectors, 12 accumulators) when
// the group has a multiple of four; one channel takes 8 vectors at a time
// (measured ~10% faster than 4 on AVX2 and AVX3 despite 17 live registers).
template <size_t kC, size_t kVec>
HWY_INLINE void InputGrads(const detail::BackwardTask& task,
                           const TileRows& rows, const float* staged_dy) {
  const xcorr_conv2d_desc& d = task.shape->desc;
  const int64_t step =
      static_cast<int64_t>(kVec * hn::Lanes(hn::ScalableTag<float>()));
  const int64_t max_rows =
      CeilDiv(rows.in_end - rows.in_begin, d.stride_height) + 1;
  const int64_t scratch_stride =
      CeilDiv(max_rows * task.tiling->staged_row_stride, step) * step;
  // Channels-last dx stores whole chunks of kC-channel blocks, at most all
  // of the group's; other layouts store each block.
  const int64_t blocks =
      CeilDiv(task.shape->in_channels_per_group, static_cast<int64_t>(kC));
  const int64_t chunk =
      static_cast<int64_t>(kC) *
      (task.shape->x_strides.c == 1
           ? std::clamp(
                 kDxChunkFloats / (static_cast<int64_t>(kC) * scratch_stride),
                 int64_t{1}, blocks)
           : 1);
  // chunk rows of scratch_stride, then kC blocks of spill.
  float* scratch =
      ThreadScratch(ScratchUse::kDx,
                    chunk * scratch_stride + static_cast<int64_t>(kC) * step);
  for (int64_t qy = 0; qy < d.stride_height; ++qy) {
    for (int64_t qx = 0; qx < d.stride_width; ++qx) {
      InputGradsOfPhase<kC, kVec>(task, rows, staged_dy, qy, qx, scratch,
                                  scratch_stride, chunk);
    }
  }
}

// The tile's dx rows on the plane kernel (see BackwardTiling::dx_plane): dx
// is the correlation of dy, padded by the kernel less the forward's pads,
// with the kernel turned by 180 degrees. dy is read in place (staged_dy
// NULL), its border staged by the padded-plane kernel, or from the tile's
// staged copy, whose zeros are that padding (columns left of a row read the
// previous row's trailing zeros).
HWY_INLINE void InputGradsByPlaneKernel(const detail::BackwardTask& task,
                                        const TileRows& rows,
                                        const float* staged_dy) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t taps = d.kernel_height * d.kernel_width;
  float* flipped = ThreadScratch(ScratchUse::kFlippedW, taps);
  const float* w = task.w + rows.g * s.w_strides.n;
  for (int64_t u = 0; u < d.kernel_height; ++u) {
    for (int64_t v = 0; v < d.kernel_width; ++v) {
      flipped[taps - 1 - (u * d.kernel_width + v)] =
          w[u * s.w_strides.h + v * s.w_strides.w];
    }
  }
  detail::PlaneTile tile;
  tile.k = flipped;
  tile.kernel_height = d.kernel_height;
  tile.kernel_width = d.kernel_width;
  tile.y = task.dx + rows.n * s.x_strides.n + rows.g * s.x_strides.c;
  tile.y_row_stride = s.x_strides.h;
  tile.out_width = d.in_width;
  tile.row_begin = rows.in_begin;
  tile.row_end = rows.in_end;
  tile.bias = 0.0f;
  if (staged_dy == nullptr) {
    tile.x = task.dy + rows.n * s.y_strides.n + rows.g * s.y_strides.c;
    tile.x_row_stride = s.y_strides.h;
    detail::CorrPaddedPlaneRows(task.tiling->dx_plane_padding,
                                task.tiling->dx_plane_staging, tile);
    return;
  }
  // dx (r, c) = sum over the flipped taps (u, v) of dy (r + pad_top -
  // (kernel_height - 1) + u, c + pad_left - (kernel_width - 1) + v).
  const int64_t stride = task.tiling->staged_row_stride;
  tile.x = staged_dy + rows.dy_lead +
           (d.pad_top - (d.kernel_height - 1) - rows.dy_begin) * stride +
           d.pad_left - (d.kernel_width - 1);
  tile.x_row_stride = stride;
  detail::CorrPlaneTile(tile);
}

// The tile's dx rows by the forward's packed-weights kernel, reading dy in
// place (see BackwardTiling::dx_packed).
HWY_INLINE void InputGradsByPackedKernel(const detail::BackwardTask& task,
                                         const TileRows& rows) {
  const detail::ConvShape& s = *task.shape;
  const detail::BackwardTiling& t = *task.tiling;
  const xcorr_conv2d_desc& d = s.desc;
  detail::PackedTile tile;
  tile.geometry = &t.dx_geometry;
  // dy and dx as given, or their channels-last copies.
  const bool copies = task.dx_channels_last != nullptr;
  const auto strides_of = [copies](const detail::Strides4& given,
                                   int64_t channels) {
    return copies ? detail::Strides4{given.n, 1, 0, channels} : given;
  };
  const detail::Strides4 dy_strides = strides_of(s.y_strides, d.out_channels);
  const detail::Strides4 dx_strides = strides_of(s.x_strides, d.in_channels);
  tile.x = (copies ? task.dy_channels_last : task.dy) + rows.n * dy_strides.n +
           rows.g * s.out_channels_per_group * dy_strides.c;
  tile.x_column_stride = dy_strides.w;
  tile.x_channel_stride = dy_strides.c;
  tile.w = nullptr;
  tile.w_channels_last = false;
  tile.packed_w = task.dx_weights + rows.g * d.kernel_height * d.kernel_width *
                                        s.out_channels_per_group *
                                        t.dx_packed_channels;
  tile.packed_channels = t.dx_packed_channels;
  tile.bias = nullptr;
  tile.y = (copies ? task.dx_channels_last : task.dx) + rows.n * dx_strides.n +
           rows.g * s.in_channels_per_group * dx_strides.c;
  tile.y_column_stride = dx_strides.w;
  tile.y_channel_stride = dx_strides.c;
  tile.channels = s.out_channels_per_group;
  tile.out_channels = s.in_channels_per_group;
  tile.groups = 1;
  tile.channel_begin = rows.in_channel_begin;
  tile.channel_end = rows.in_channel_end;
  tile.row_begin = rows.in_begin;
  tile.row_end = rows.in_end;
  detail::ForwardPackedTile(tile);
}

// Row `row` of one dx plane of a strided 1x1 shape: every stride_width-th
// element from `from` (out_width of them), zeros between and after.
HWY_INLINE void SpreadRow(const float* from, int64_t count, int64_t stride,
                          int64_t width, float* to) {
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR  // one lane: nothing to interleave
  if (stride == 2) {
    const hn::ScalableTag<float> d;
    const int64_t N = static_cast<int64_t>(hn::Lanes(d));
    for (; j + N <= count && 2 * (j + N) <= width; j += N)
      hn::StoreInterleaved2(hn::LoadU(d, from + j), hn::Zero(d), d, to + 2 * j);
  }
#endif
  Zero(to + j * stride, width - j * stride);
  for (; j < count; ++j) to[j * stride] = from[j];
}

// The tile's dx rows by the forward's NCHW kernel on 1x1 unpadded shapes
// (see BackwardTiling::dx_pointwise): w^T times its dy rows, seen as one
// long row, written to dx (stride 1) or to scratch then spread.
HWY_INLINE void InputGradsByPointwiseKernel(const detail::BackwardTask& task,
                                            const TileRows& rows) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t out_per_group = s.out_channels_per_group;
  const bool strided = d.stride_height != 1 || d.stride_width != 1;
  float* dx =
      task.dx + rows.n * s.x_strides.n + rows.g * in_per_group * s.x_strides.c;
  const int64_t dy_rows = rows.out_end - rows.out_begin;
  const int64_t length = dy_rows * s.out_width;
  float* scratch = strided && length > 0
                       ? ThreadScratch(ScratchUse::kDx, in_per_group * length)
                       : nullptr;
  if (length > 0) {
    const detail::DirectGeometry g{1, length, 1, length,       1, 1, 1, 1, 1,
                                   1, 0,      0, out_per_group};
    detail::NchwTile tile;
    tile.geometry = &g;
    tile.x = task.dy + rows.n * s.y_strides.n +
             rows.g * out_per_group * s.y_strides.c +
             rows.out_begin * s.out_width;
    tile.x_channel_stride = s.y_strides.c;
    tile.w = task.dx_weights + rows.g * in_per_group * out_per_group;
    tile.bias = nullptr;
    tile.y = strided ? scratch : dx + rows.in_begin * d.in_width;
    tile.y_channel_stride = strided ? length : s.x_strides.c;
    tile.out_channels = in_per_group;
    tile.row_begin = 0;
    tile.row_end = 1;
    tile.col_begin = 0;
    tile.col_end = length;
    detail::ForwardNchwTile(tile);
  }
  if (!strided) return;
  // dx row r holds dy row r / stride_height where r is a multiple of it.
  for (int64_t c = 0; c < in_per_group; ++c) {
    for (int64_t r = rows.in_begin; r < rows.in_end; ++r) {
      float* to = dx + c * s.x_strides.c + r * d.in_width;
      const int64_t i = r / d.stride_height;
      if (r % d.stride_height != 0 || i < rows.out_begin || i >= rows.out_end) {
        Zero(to, d.in_width);
        continue;
      }
      SpreadRow(scratch + c * length + (i - rows.out_begin) * s.out_width,
                s.out_width, d.stride_width, d.in_width, to);
    }
  }
}

HWY_INLINE void BackwardTileRows(const detail::BackwardTask& task,
                                 int64_t tile) {
  const detail::BackwardTiling& t = *task.tiling;
  const TileRows rows = RowsOf(task, tile);
  const bool dx_rows = task.dx != nullptr && rows.in_begin < rows.in_end;
  const bool partials = task.dw_wanted || task.dbias_wanted;
  const bool dx_staged = dx_rows && detail::DxReadsStagedDy(t, true, partials);
  if (dx_rows && t.dx_packed) InputGradsByPackedKernel(task, rows);
  if (dx_rows && t.dx_pointwise) InputGradsByPointwiseKernel(task, rows);
  if (dx_rows && t.dx_plane && !dx_staged) {
    InputGradsByPlaneKernel(task, rows, nullptr);
  }
  if (rows.dy_begin >= rows.dy_end) return;
  const float* staged_dy =
      detail::StagesDy(t, dx_rows, partials) ? StageDy(task, rows) : nullptr;
  const DyRows dy_rows = DyRowsOf(task, rows, staged_dy);
  // No partials when only dx is wanted (and no pointer arithmetic on NULL).
  float* tile_partials = task.partials != nullptr
                             ? task.partials + tile * t.partial_floats
                             : nullptr;
  float* dbias_partials =
      task.dbias_wanted ? tile_partials + t.dw_partial_floats : nullptr;
  if (task.dw_wanted) {
    WeightGrads(task, rows, staged_dy, dy_rows, tile_partials, dbias_partials);
  }
  if (task.dbias_wanted) {
    BiasGrads(task, rows, dy_rows, task.dw_wanted, dbias_partials);
  }
  if (!dx_staged) return;
  if (t.dx_plane) {
    InputGradsByPlaneKernel(task, rows, staged_dy);
  } else if (task.shape->in_channels_per_group % 4 == 0) {
    InputGrads<4, 3>(task, rows, staged_dy);
  } else if (task.shape->in_channels_per_group % 3 == 0) {
    InputGrads<3, kVectorRegisters == 32 ? 4 : 3>(task, rows, staged_dy);
  } else {
    InputGrads<1, 8>(task, rows, staged_dy);
  }
}

HWY_INLINE void SumTilePartials(const float* in, int64_t count, int64_t stride,
                                int64_t length, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t k = 0;
  for (; k + N <= length; k += N) {
    auto sum = hn::LoadU(d, in + k);
    for (int64_t t = 1; t < count; ++t)
      sum = hn::Add(sum, hn::LoadU(d, in + t * stride + k));
    hn::StoreU(sum, d, out + k);
  }
  for (; k < length; ++k) {
    float sum = in[k];
    for (int64_t t = 1; t < count; ++t) sum += in[t * stride + k];
    out[k] = sum;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_BACKWARD_KERNELS_INL_H_
