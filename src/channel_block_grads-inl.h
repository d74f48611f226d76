// Per-target code of dw and dbias by blocks of channels over the whole batch
// (BackwardTiling::dw_by_channel_blocks; Highway -inl.h: included once per
// target by backward_kernels.cc, after backward_kernels-inl.h, whose outer
// products and staging it uses).
//
// Where a tile covers few output pixels (small planes, many channels), its
// partial dw block, as large as dw, would take a store and a reduction load
// per float for a few multiply-adds each. Here each job owns a block of dw
// instead, output channels by input channels, and sums its outer products
// over every image and pixel in registers: no partials, one writer per dw
// element, and an order of sums that no thread count changes. With few
// input channels (dw_over_output_channels) the same outer products run the
// other way round: vectors over output channels, x elements broadcast.
#if defined(XCORR_SRC_CHANNEL_BLOCK_GRADS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_CHANNEL_BLOCK_GRADS_INL_H_
#undef XCORR_SRC_CHANNEL_BLOCK_GRADS_INL_H_
#else
#define XCORR_SRC_CHANNEL_BLOCK_GRADS_INL_H_
#endif

#include <algorithm>
#include <cstdint>

#include "hwy/highway.h"
#include "src/backward_kernels.h"
#include "src/kernels.h"
#include "src/vectors-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

static_assert(detail::kBlockGradOutChannels % kOuterChannels == 0,
              "a job's output channels are whole register blocks");

// Job g * batch + n: image n of group g's zero-padded input, channels-last
// with partial_channels floats a pixel, into its place in task.batch_x.
HWY_INLINE void StageBatchXImage(const detail::BackwardTask& task,
                                 int64_t job) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const detail::BackwardTiling& t = *task.tiling;
  StageXRowsChannelsLast(task, job % d.batch, job / d.batch, -d.pad_top,
                         detail::InputSpan(s.out_height, d.stride_height,
                                           d.kernel_height, d.dilation_height),
                         detail::InputSpan(s.out_width, d.stride_width,
                                           d.kernel_width, d.dilation_width),
                         t.partial_channels,
                         task.batch_x + job * t.batch_x_image_floats);
}

// Job n * in_channels + c (dw_over_output_channels: one group): input
// channel c of image n, zero-padded, as a plane of the rows and columns that
// the outputs' taps read, into its place in task.batch_x.
HWY_INLINE void StageBatchXPlane(const detail::BackwardTask& task,
                                 int64_t job) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t height = detail::InputSpan(s.out_height, d.stride_height,
                                           d.kernel_height, d.dilation_height);
  const int64_t width = detail::InputSpan(s.out_width, d.stride_width,
                                          d.kernel_width, d.dilation_width);
  const float* plane = task.x + job / d.in_channels * s.x_strides.n +
                       job % d.in_channels * s.x_strides.c;
  float* to = task.batch_x + job * height * width;
  // Columns [begin, begin + count) of a staged row hold input columns from 0.
  const int64_t begin = std::min(d.pad_left, width);
  const int64_t count = std::min(d.in_width, width - begin);
  for (int64_t r = 0; r < height; ++r, to += width) {
    const int64_t in_row = r - d.pad_top;
    if (in_row < 0 || in_row >= d.in_height) {
      Zero(to, width);
    } else {
      StageRow(plane + in_row * s.x_strides.h, s.x_strides.w, begin, count,
               width, to);
    }
  }
}

HWY_INLINE void StageBatchXJob(const detail::BackwardTask& task, int64_t job) {
  if (task.tiling->dw_over_output_channels) {
    StageBatchXPlane(task, job);
  } else {
    StageBatchXImage(task, job);
  }
}

// Job (g, block of kBlockGradOutChannels output channels, block of
// kBlockGradInChannels input channels): that block of dw, every tap, summed
// over all images and pixels. OHWI takes the sums straight into dw; OIHW
// through a per-thread block, [o][tap][c], transposed into dw.
HWY_INLINE void BlockWeightGrads(const detail::BackwardTask& task,
                                 int64_t job) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const detail::BackwardTiling& t = *task.tiling;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t out_per_group = s.out_channels_per_group;
  const int64_t in_per_group = s.in_channels_per_group;
  const int64_t out_blocks =
      CeilDiv(out_per_group, detail::kBlockGradOutChannels);
  const int64_t in_blocks = CeilDiv(in_per_group, detail::kBlockGradInChannels);
  const int64_t g = job / (out_blocks * in_blocks);
  const int64_t o_begin =
      job / in_blocks % out_blocks * detail::kBlockGradOutChannels;
  const int64_t o_end =
      std::min(o_begin + detail::kBlockGradOutChannels, out_per_group);
  const int64_t c_begin = job % in_blocks * detail::kBlockGradInChannels;
  const int64_t c_end =
      std::min(c_begin + detail::kBlockGradInChannels, in_per_group);
  const int64_t taps = d.kernel_height * d.kernel_width;
  const int64_t plane = s.out_height * s.out_width;
  const int64_t channels = t.partial_channels;
  const int64_t x_row = detail::InputSpan(s.out_width, d.stride_width,
                                          d.kernel_width, d.dilation_width) *
                        channels;
  const OuterProductPixels pixels{d.batch,
                                  s.out_height,
                                  s.out_width,
                                  d.out_channels * plane,
                                  s.out_width,
                                  1,
                                  t.batch_x_image_floats,
                                  d.stride_height * x_row,
                                  d.stride_width * channels};
  const float* x = task.batch_x + g * d.batch * t.batch_x_image_floats;
  const bool direct = s.w_strides.c == 1;
  // A vector of rows more than the block, which TransposeToShortRows may
  // read past the last output channel's taps.
  const int64_t sums_floats =
      (static_cast<int64_t>(kOuterChannels) * taps + N) *
      detail::kBlockGradInChannels;
  float* sums = direct ? nullptr : ThreadScratch(ScratchUse::kDw, sums_floats);
  const int64_t block = static_cast<int64_t>(kOuterVectors) * N;
  const float* dy[kOuterChannels];
  float* out[kOuterChannels];
  for (int64_t ol = o_begin; ol < o_end;
       ol += static_cast<int64_t>(kOuterChannels)) {
    // Channels past the job's last read its first one's dy and store
    // nothing.
    for (size_t k = 0; k < kOuterChannels; ++k) {
      const int64_t o = ol + static_cast<int64_t>(k);
      dy[k] =
          task.dy_planes + (g * out_per_group + (o < o_end ? o : ol)) * plane;
    }
    for (int64_t c = c_begin; c < c_end; c += block) {
      const int64_t vectors = CeilDiv(std::min(block, c_end - c), N);
      for (int64_t tap = 0; tap < taps; ++tap) {
        const int64_t u = tap / d.kernel_width, v = tap % d.kernel_width;
        for (size_t k = 0; k < kOuterChannels; ++k) {
          const int64_t o = ol + static_cast<int64_t>(k);
          out[k] = o >= o_end ? nullptr
                   : direct
                       ? task.dw + (g * out_per_group + o) * s.w_strides.n +
                             tap * in_per_group + c
                       : sums +
                             (static_cast<int64_t>(k) * taps + tap) *
                                 detail::kBlockGradInChannels +
                             c - c_begin;
        }
        WithBlockSize<kOuterVectors>(vectors, [&](auto kVectors) {
          OuterProductBlock<decltype(kVectors)::value>(
              dy,
              x + u * d.dilation_height * x_row +
                  v * d.dilation_width * channels + c,
              pixels, out, c_end - c);
        });
      }
    }
    if (direct) continue;
    for (int64_t o = ol;
         o < std::min(ol + static_cast<int64_t>(kOuterChannels), o_end); ++o) {
      TransposeToShortRows(
          sums + (o - ol) * taps * detail::kBlockGradInChannels,
          detail::kBlockGradInChannels, taps, c_end - c_begin,
          sums + sums_floats,
          task.dw + (g * out_per_group + o) * s.w_strides.n + c_begin * taps);
    }
  }
}

// Job k (dw_over_output_channels): rows [k, k + 1) * kBlockGradOutChannels
// of dw's flat weights of an output channel, for every output channel. Each
// row is one input channel and tap, whose x elements, broadcast, meet
// vectors of dy's channels; the job's sums, [row][out_channels], are then
// transposed into dw.
HWY_INLINE void OutputVectorWeightGrads(const detail::BackwardTask& task,
                                        int64_t job) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t rows = s.w_strides.n;
  const int64_t r_begin = job * detail::kBlockGradOutChannels;
  const int64_t r_end = std::min(r_begin + detail::kBlockGradOutChannels, rows);
  const int64_t taps = d.kernel_height * d.kernel_width;
  const int64_t out_channels = d.out_channels;
  const int64_t height = detail::InputSpan(s.out_height, d.stride_height,
                                           d.kernel_height, d.dilation_height);
  const int64_t width = detail::InputSpan(s.out_width, d.stride_width,
                                          d.kernel_width, d.dilation_width);
  const OuterProductPixels pixels{d.batch,
                                  s.out_height,
                                  s.out_width,
                                  d.in_channels * height * width,
                                  d.stride_height * width,
                                  d.stride_width,
                                  s.out_height * s.out_width * out_channels,
                                  s.out_width * out_channels,
                                  out_channels};
  float* sums = ThreadScratch(ScratchUse::kDw,
                              detail::kBlockGradOutChannels * out_channels);
  const int64_t block = static_cast<int64_t>(kOuterVectors) * N;
  const bool oihw = s.w_strides.c == taps;  // else OHWI (one tap: the same)
  const float* x[kOuterChannels];
  float* out[kOuterChannels];
  for (int64_t rl = r_begin; rl < r_end;
       rl += static_cast<int64_t>(kOuterChannels)) {
    // Rows past the job's last read its last one's x and store nothing.
    for (size_t k = 0; k < kOuterChannels; ++k) {
      const int64_t r = std::min(rl + static_cast<int64_t>(k), r_end - 1);
      const int64_t c = oihw ? r / taps : r % d.in_channels;
      const int64_t tap = oihw ? r % taps : r / d.in_channels;
      x[k] = task.batch_x + c * height * width +
             tap / d.kernel_width * d.dilation_height * width +
             tap % d.kernel_width * d.dilation_width;
    }
    for (int64_t o = 0; o < out_channels; o += block) {
      for (size_t k = 0; k < kOuterChannels; ++k) {
        const int64_t r = rl + static_cast<int64_t>(k);
        out[k] = r < r_end ? sums + (r - r_begin) * out_channels + o : nullptr;
      }
      const int64_t vectors = CeilDiv(std::min(block, out_channels - o), N);
      WithBlockSize<kOuterVectors>(vectors, [&](auto kVectors) {
        OuterProductBlock<decltype(kVectors)::value>(
            x, task.dy_channels_last + o, pixels, out, out_channels - o);
      });
    }
  }
  Transpose(sums, out_channels, r_end - r_begin, out_channels,
            task.dw + r_begin, rows);
}

HWY_INLINE void WeightGradsJob(const detail::BackwardTask& task, int64_t job) {
  if (task.tiling->dw_over_output_channels) {
    OutputVectorWeightGrads(task, job);
  } else {
    BlockWeightGrads(task, job);
  }
}

// Job (g, block of kBlockGradOutChannels output channels): their dbias,
// each a sum over all images, plane by plane in lanes, then across them.
HWY_INLINE void BlockBiasGrads(const detail::BackwardTask& task, int64_t job) {
  const detail::ConvShape& s = *task.shape;
  const xcorr_conv2d_desc& d = s.desc;
  const hn::ScalableTag<float> df;
  const int64_t N = static_cast<int64_t>(hn::Lanes(df));
  const int64_t out_blocks =
      CeilDiv(s.out_channels_per_group, detail::kBlockGradOutChannels);
  const int64_t o_begin = job / out_blocks * s.out_channels_per_group +
                          job % out_blocks * detail::kBlockGradOutChannels;
  const int64_t o_end =
      std::min(o_begin + detail::kBlockGradOutChannels,
               (job / out_blocks + 1) * s.out_channels_per_group);
  const int64_t plane = s.out_height * s.out_width;
  for (int64_t o = o_begin; o < o_end; ++o) {
    auto lanes = hn::Zero(df);
    float rest = 0.0f;
    for (int64_t n = 0; n < d.batch; ++n) {
      const float* dy = task.dy_planes + (n * d.out_channels + o) * plane;
      int64_t k = 0;
      for (; k + N <= plane; k += N)
        lanes = hn::Add(lanes, hn::LoadU(df, dy + k));
      for (; k < plane; ++k) rest += dy[k];
    }
    task.dbias[o] = hn::GetLane(hn::SumOfLanes(df, lanes)) + rest;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_CHANNEL_BLOCK_GRADS_INL_H_
