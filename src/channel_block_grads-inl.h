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
// element, and an order of sums that no thread count changes.
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
                                  t.batch_x_image_floats,
                                  d.stride_height * x_row,
                                  d.stride_width * channels};
  const float* x = task.batch_x + g * d.batch * t.batch_x_image_floats;
  const bool direct = s.w_strides.c == 1;
  float* sums = direct ? nullptr
                       : ThreadScratch(ScratchUse::kDw,
                                       static_cast<int64_t>(kOuterChannels) *
                                           taps * detail::kBlockGradInChannels);
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
      Transpose(
          sums + (o - ol) * taps * detail::kBlockGradInChannels,
          detail::kBlockGradInChannels, taps, c_end - c_begin,
          task.dw + (g * out_per_group + o) * s.w_strides.n + c_begin * taps,
          taps);
    }
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
