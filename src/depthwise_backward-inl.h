// Per-target code of the channels-last depthwise backward pass
// (BackwardTiling::depthwise; Highway -inl.h: included once per target by
// backward_kernels.cc, after backward_kernels-inl.h, whose scratch buffers
// it uses).
//
// Vectors run over channels, as in the forward's depthwise kernel: every
// tap of every channel is a vector FMA, whatever the stride, dilation or
// padding. A tile (one image, a block of output rows, all channels) stages
// its x and dy rows with zero borders and channels padded to whole vectors,
// so that no loop checks bounds or masks lanes, then
//   dw[c][t] and dbias[c]: sums over the tile's output pixels, blocks of
//     taps in registers, each dy load feeding every tap of a block;
//   dx: the gather form, each dx pixel of the tile's own rows summing the
//     taps whose stride phase reaches a dy pixel.
#if defined(XCORR_SRC_DEPTHWISE_BACKWARD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_DEPTHWISE_BACKWARD_INL_H_
#undef XCORR_SRC_DEPTHWISE_BACKWARD_INL_H_
#else
#define XCORR_SRC_DEPTHWISE_BACKWARD_INL_H_
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "src/backward_kernels.h"
#include "src/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Taps per register block of dw sums: 8 accumulators, a dy vector and an x
// vector fit the 16 registers of AVX2 and SSE4. (Kernels of more than
// detail::kNhwcDepthwiseMaxTaps taps take the planes instead; see
// BackwardTiling::depthwise.)
constexpr size_t kDepthwiseDwTaps = 8;

// Rows [row_begin, row_end) and columns [col_begin, col_end) of one
// channels-last image (height x width pixels of `channels`), into a
// per-thread buffer: zeros outside the image, each pixel's channels padded
// with zeros to `padded`.
HWY_INLINE const float* StageChannelsLast(ScratchUse use, const float* image,
                                          int64_t height, int64_t width,
                                          int64_t channels, int64_t padded,
                                          int64_t row_begin, int64_t row_end,
                                          int64_t col_begin, int64_t col_end) {
  const int64_t cols = col_end - col_begin;
  const int64_t row_floats = cols * padded;
  float* staged = ThreadScratch(use, (row_end - row_begin) * row_floats);
  // Staged columns [m_begin, m_end) lie inside the image.
  const int64_t m_begin = std::clamp(-col_begin, int64_t{0}, cols);
  const int64_t m_end = std::clamp(width - col_begin, m_begin, cols);
  float* to = staged;
  for (int64_t r = row_begin; r < row_end; ++r, to += row_floats) {
    if (r < 0 || r >= height) {
      Zero(to, row_floats);
      continue;
    }
    Zero(to, m_begin * padded);
    Zero(to + m_end * padded, (cols - m_end) * padded);
    const float* from = image + (r * width + col_begin + m_begin) * channels;
    if (padded == channels) {
      std::memcpy(to + m_begin * padded, from,
                  Size((m_end - m_begin) * channels) * sizeof(float));
      continue;
    }
    for (int64_t m = m_begin; m < m_end; ++m, from += channels) {
      std::memcpy(to + m * padded, from, Size(channels) * sizeof(float));
      Zero(to + m * padded + channels, padded - channels);
    }
  }
  return staged;
}

// What one tile covers and where its staged rows lie.
struct DepthwiseTile {
  int64_t n;
  int64_t out_begin, out_end;  // output rows of its dw and dbias terms
  int64_t dx_begin, dx_end;    // dx rows it owns
  // Staged dy: rows [dy_begin, dy_end), columns [dy_col_begin, dy_col_end).
  int64_t dy_begin, dy_end, dy_col_begin, dy_col_end;
  const float* dy;
};

// acc[t] = sum over the rows x cols output pixels of dy times x at
// tap_offsets[t] from the pixel's top-left input, for one vector of
// channels; with kBias, also the sum of dy.
template <size_t kTaps, bool kBias>
HWY_INLINE void DepthwiseDwBlock(const float* dy, int64_t dy_row_floats,
                                 int64_t padded, const float* x,
                                 int64_t x_row_floats, int64_t x_col_floats,
                                 int64_t rows, int64_t cols,
                                 const int64_t* tap_offsets, float* dw,
                                 float* bias) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  V acc[kTaps];
  for (size_t t = 0; t < kTaps; ++t) acc[t] = hn::Zero(d);
  V sum = hn::Zero(d);
  int64_t offsets[kTaps];
  for (size_t t = 0; t < kTaps; ++t) offsets[t] = tap_offsets[t];
  for (int64_t i = 0; i < rows; ++i) {
    const float* dy_row = dy + i * dy_row_floats;
    const float* x_row = x + i * x_row_floats;
    for (int64_t j = 0; j < cols; ++j) {
      const V g = hn::LoadU(d, dy_row + j * padded);
      const float* at = x_row + j * x_col_floats;
      if (kBias) sum = hn::Add(sum, g);
      for (size_t t = 0; t < kTaps; ++t)
        acc[t] = hn::MulAdd(g, hn::LoadU(d, at + offsets[t]), acc[t]);
    }
  }
  for (size_t t = 0; t < kTaps; ++t)
    hn::StoreU(acc[t], d, dw + static_cast<int64_t>(t) * padded);
  if (kBias) hn::StoreU(sum, d, bias);
}

// The tile's dw partials ([tap][padded channels]) and, where `bias` is not
// NULL, its dbias partials, from staged x and dy. Taps run in even blocks of
// at most kDepthwiseDwTaps; the first block also sums dbias.
HWY_INLINE void DepthwiseWeightGrads(const detail::BackwardTask& task,
                                     const DepthwiseTile& tile, float* dw,
                                     float* bias) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t padded = task.tiling->depthwise_channels;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t rows = tile.out_end - tile.out_begin;
  const int64_t x_top = tile.out_begin * d.stride_height - d.pad_top;
  const int64_t x_rows = detail::InputSpan(rows, d.stride_height,
                                           d.kernel_height, d.dilation_height);
  const int64_t x_cols = detail::InputSpan(s.out_width, d.stride_width,
                                           d.kernel_width, d.dilation_width);
  const float* x =
      StageChannelsLast(ScratchUse::kX, task.x + tile.n * s.x_strides.n,
                        d.in_height, d.in_width, d.in_channels, padded, x_top,
                        x_top + x_rows, -d.pad_left, x_cols - d.pad_left);
  const int64_t taps = d.kernel_height * d.kernel_width;
  int64_t tap_offsets[detail::kNhwcDepthwiseMaxTaps];
  for (int64_t u = 0; u < d.kernel_height; ++u) {
    for (int64_t v = 0; v < d.kernel_width; ++v) {
      tap_offsets[u * d.kernel_width + v] =
          (u * d.dilation_height * x_cols + v * d.dilation_width) * padded;
    }
  }
  const int64_t dy_row_floats = (tile.dy_col_end - tile.dy_col_begin) * padded;
  const float* dy = tile.dy + (tile.out_begin - tile.dy_begin) * dy_row_floats -
                    tile.dy_col_begin * padded;
  const int64_t blocks = CeilDiv(taps, static_cast<int64_t>(kDepthwiseDwTaps));
  for (int64_t c = 0; c < padded; c += N) {
    int64_t first = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      // Even blocks: 9 taps as 5 + 4.
      const int64_t size = taps / blocks + (b < taps % blocks);
      float* block_bias = b == 0 && bias != nullptr ? bias + c : nullptr;
      WithBlockSize<kDepthwiseDwTaps>(size, [&](auto kTaps) {
        constexpr size_t kSize = decltype(kTaps)::value;
        const auto run = [&](auto with_bias) {
          DepthwiseDwBlock<kSize, decltype(with_bias)::value>(
              dy + c, dy_row_floats, padded, x + c,
              d.stride_height * x_cols * padded, d.stride_width * padded, rows,
              s.out_width, tap_offsets + first, dw + first * padded + c,
              block_bias);
        };
        if (block_bias != nullptr) {
          run(std::true_type());
        } else {
          run(std::false_type());
        }
      });
      first += size;
    }
  }
}

// The tile's dbias partials without dw: sums of its dy pixels, in
// DepthwiseDwBlock's order.
HWY_INLINE void DepthwiseBiasGrads(const detail::BackwardTask& task,
                                   const DepthwiseTile& tile, float* bias) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const int64_t padded = task.tiling->depthwise_channels;
  const int64_t dy_row_floats = (tile.dy_col_end - tile.dy_col_begin) * padded;
  const float* dy = tile.dy + (tile.out_begin - tile.dy_begin) * dy_row_floats -
                    tile.dy_col_begin * padded;
  for (int64_t c = 0; c < padded; c += N) {
    auto sum = hn::Zero(d);
    for (int64_t i = tile.out_begin; i < tile.out_end; ++i) {
      const float* dy_row = dy + (i - tile.out_begin) * dy_row_floats + c;
      for (int64_t j = 0; j < task.shape->out_width; ++j)
        sum = hn::Add(sum, hn::LoadU(d, dy_row + j * padded));
    }
    hn::StoreU(sum, d, bias + c);
  }
}

// dx of kPixels pixels from `count` taps, for kVectors vectors of channels
// from channel c: tap k's weights at w[k] + c, pixel p's dy at dy[k] +
// (first_pixel + p) * dy_step + c; pixel p's dx at dx + p * dx_step,
// `lanes` channels of it. The pixels' sums are independent chains that
// share each weight load.
template <size_t kPixels, size_t kVectors>
HWY_INLINE void DepthwiseDxPixels(const float* const* w, const float* const* dy,
                                  int64_t count, int64_t c, int64_t first_pixel,
                                  int64_t dy_step, float* dx, int64_t dx_step,
                                  int64_t lanes) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  V acc[kPixels][kVectors];
  for (size_t p = 0; p < kPixels; ++p) {
    for (size_t k = 0; k < kVectors; ++k) acc[p][k] = hn::Zero(d);
  }
  for (int64_t t = 0; t < count; ++t) {
    for (size_t k = 0; k < kVectors; ++k) {
      const int64_t at = c + static_cast<int64_t>(k) * N;
      const V weight = hn::LoadU(d, w[t] + at);
      for (size_t p = 0; p < kPixels; ++p) {
        const V g = hn::LoadU(
            d, dy[t] + (first_pixel + static_cast<int64_t>(p)) * dy_step + at);
        acc[p][k] = hn::MulAdd(weight, g, acc[p][k]);
      }
    }
  }
  for (size_t p = 0; p < kPixels; ++p) {
    for (size_t k = 0; k < kVectors; ++k) {
      const int64_t first = static_cast<int64_t>(k) * N;
      StoreUpTo(d, acc[p][k], dx + static_cast<int64_t>(p) * dx_step + first,
                lanes - first);
    }
  }
}

// Pixels per dx block, and vectors of channels per block: 4 x 4
// accumulators (and a weight and a dy vector) of AVX-512's 32 registers,
// 4 x 2 of 16.
constexpr size_t kDepthwiseDxPixels = 4;
constexpr size_t kDepthwiseDxVectors = kVectorRegisters == 32 ? 4 : 2;

// The tile's dx rows by the gather form: dx (r, col) sums, over the taps
// (u, v) with r + pad_top - u * dilation_height and col + pad_left - v *
// dilation_width multiples of the strides, w's tap times dy at their
// quotients (zero in staged dy's border). The columns of one stride phase
// share their taps, and their dy pixels lie one apart: blocks of them run
// together.
HWY_INLINE void DepthwiseInputGrads(const detail::BackwardTask& task,
                                    const DepthwiseTile& tile) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t padded = task.tiling->depthwise_channels;
  const int64_t channels = d.in_channels;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t dy_row_floats = (tile.dy_col_end - tile.dy_col_begin) * padded;
  const int64_t sw = d.stride_width;
  const int64_t block = static_cast<int64_t>(kDepthwiseDxVectors) * N;
  const float* w_taps[detail::kNhwcDepthwiseMaxTaps];
  const float* dy_taps[detail::kNhwcDepthwiseMaxTaps];
  for (int64_t r = tile.dx_begin; r < tile.dx_end; ++r) {
    float* dx_row = task.dx + tile.n * s.x_strides.n + r * s.x_strides.h;
    for (int64_t phase = 0; phase < sw; ++phase) {
      // Columns col = first + m * sw, m < count, have (col + pad_left) %
      // sw == phase; tap v reaches dy column q + m - (v * dilation - phase)
      // / sw where v * dilation % sw == phase.
      const int64_t first = ((phase - d.pad_left) % sw + sw) % sw;
      if (first >= d.in_width) continue;
      const int64_t count = CeilDiv(d.in_width - first, sw);
      const int64_t q = FloorDiv(first + d.pad_left, sw);
      int64_t taps = 0;
      for (int64_t u = 0; u < d.kernel_height; ++u) {
        const int64_t row = r + d.pad_top - u * d.dilation_height;
        if (FloorDiv(row, d.stride_height) * d.stride_height != row) continue;
        const float* dy_row =
            tile.dy + (row / d.stride_height - tile.dy_begin) * dy_row_floats;
        for (int64_t v = 0; v < d.kernel_width; ++v) {
          const int64_t shift = v * d.dilation_width - phase;
          if (FloorDiv(shift, sw) * sw != shift) continue;
          w_taps[taps] = task.dx_weights + (u * d.kernel_width + v) * padded;
          dy_taps[taps] =
              dy_row + (q - shift / sw - tile.dy_col_begin) * padded;
          ++taps;
        }
      }
      const int64_t dx_step = sw * s.x_strides.w;
      int64_t m = 0;
      const auto run = [&](auto pixels) {
        constexpr size_t kPixels = decltype(pixels)::value;
        for (int64_t c = 0; c < channels; c += block) {
          WithBlockSize<kDepthwiseDxVectors>(
              CeilDiv(std::min(block, channels - c), N), [&](auto vectors) {
                DepthwiseDxPixels<kPixels, decltype(vectors)::value>(
                    w_taps, dy_taps, taps, c, m, padded,
                    dx_row + (first + m * sw) * s.x_strides.w + c, dx_step,
                    channels - c);
              });
        }
      };
      const int64_t pixels = static_cast<int64_t>(kDepthwiseDxPixels);
      for (; m + pixels <= count; m += pixels)
        run(std::integral_constant<size_t, kDepthwiseDxPixels>());
      for (; m < count; ++m) run(std::integral_constant<size_t, 1>());
    }
  }
}

HWY_INLINE void DepthwiseBackwardTileRows(const detail::BackwardTask& task,
                                          int64_t index) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const detail::BackwardTiling& t = *task.tiling;
  DepthwiseTile tile;
  const int64_t block = index % t.row_tiles;
  tile.n = index / t.row_tiles;
  tile.out_begin = block * t.rows_per_tile;
  tile.out_end = std::min(tile.out_begin + t.rows_per_tile, s.out_height);
  tile.dx_begin = FirstInputRow(d, t, block);
  tile.dx_end = FirstInputRow(d, t, block + 1);
  const bool partials = task.dw_wanted || task.dbias_wanted;
  const bool dx_rows = task.dx != nullptr && tile.dx_begin < tile.dx_end;
  // dy rows and columns that the dw/dbias sums and the dx gather read.
  tile.dy_begin = partials ? tile.out_begin : INT64_MAX;
  tile.dy_end = partials ? tile.out_end : INT64_MIN;
  tile.dy_col_begin = 0;
  tile.dy_col_end = s.out_width;
  if (dx_rows) {
    const int64_t extent_height = (d.kernel_height - 1) * d.dilation_height;
    const int64_t extent_width = (d.kernel_width - 1) * d.dilation_width;
    tile.dy_begin = std::min(
        tile.dy_begin,
        CeilDiv(tile.dx_begin + d.pad_top - extent_height, d.stride_height));
    tile.dy_end =
        std::max(tile.dy_end,
                 FloorDiv(tile.dx_end - 1 + d.pad_top, d.stride_height) + 1);
    tile.dy_col_begin = std::min<int64_t>(
        0, CeilDiv(d.pad_left - extent_width, d.stride_width));
    tile.dy_col_end = std::max(
        s.out_width, FloorDiv(d.in_width - 1 + d.pad_left, d.stride_width) + 1);
  }
  if (tile.dy_begin >= tile.dy_end) return;
  tile.dy = StageChannelsLast(ScratchUse::kDy, task.dy + tile.n * s.y_strides.n,
                              s.out_height, s.out_width, d.out_channels,
                              t.depthwise_channels, tile.dy_begin, tile.dy_end,
                              tile.dy_col_begin, tile.dy_col_end);
  float* tile_partials =
      partials ? task.partials + index * t.partial_floats : nullptr;
  float* bias_partials =
      task.dbias_wanted ? tile_partials + t.dw_partial_floats : nullptr;
  if (task.dw_wanted) {
    DepthwiseWeightGrads(task, tile, tile_partials, bias_partials);
  } else if (task.dbias_wanted) {
    DepthwiseBiasGrads(task, tile, bias_partials);
  }
  if (dx_rows) DepthwiseInputGrads(task, tile);
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_DEPTHWISE_BACKWARD_INL_H_
