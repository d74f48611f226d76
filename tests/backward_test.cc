// Backward conv2d (dx, dw, dbias in one pass) on every compiled SIMD target:
// against the scalar reference within the contract's bound, against f64
// finite differences, for every subset of requested gradients, and bitwise
// reproducible whatever the thread count.
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

using test::Desc;

using test::Describe;
using test::RandomVector;

class BackwardTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(BackwardTest);

// Which gradients a call requests.
enum Want : unsigned { kDx = 1, kDw = 2, kDbias = 4, kAll = 7 };

struct Gradients {
  std::vector<float> dx, dw, dbias;
};

// Runs backward through the C API on outputs poisoned with NaN (so that
// every requested element must be written) and NULL for the others. Uses a
// caller workspace or, when `own_workspace` is false, lets the call allocate.
Gradients RunBackward(const xcorr_conv2d_desc& desc,
                      const std::vector<float>& x, const std::vector<float>& w,
                      const std::vector<float>& dy, unsigned want,
                      bool own_workspace) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  Gradients g;
  g.dx.assign(static_cast<size_t>(shape.x_elements), NAN);
  g.dw.assign(static_cast<size_t>(shape.w_elements), NAN);
  g.dbias.assign(static_cast<size_t>(desc.out_channels), NAN);
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  std::vector<unsigned char> workspace(
      own_workspace ? xcorr_plan_workspace_size(plan) + 3 : 0);
  // An odd address: the workspace needs no alignment.
  void* workspace_ptr = own_workspace ? workspace.data() + 3 : nullptr;
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(),
                                  (want & kDx) ? g.dx.data() : nullptr,
                                  (want & kDw) ? g.dw.data() : nullptr,
                                  (want & kDbias) ? g.dbias.data() : nullptr,
                                  workspace_ptr))
      << xcorr_last_error() << " " << Describe(desc);
  xcorr_plan_destroy(plan);
  return g;
}

// Checks the requested gradients against the reference; the others must be
// untouched (still NaN).
void CheckBackward(const xcorr_conv2d_desc& desc, unsigned want,
                   uint64_t seed) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = RandomVector(shape.x_elements, seed);
  const std::vector<float> w = RandomVector(shape.w_elements, seed + 1);
  const std::vector<float> dy = RandomVector(shape.y_elements, seed + 2);
  const test::BackwardOracle o = test::ReferenceBackward(desc, x, w, dy);
  const Gradients g = RunBackward(desc, x, w, dy, want, seed % 2 == 0);
  const std::string what = Describe(desc);
  const auto check = [&](unsigned bit, const std::vector<float>& got,
                         const std::vector<float>& want_values,
                         const std::vector<float>& sums, const char* name) {
    if (want & bit) {
      test::ExpectWithinBound(got, want_values, sums, what + " " + name);
    } else {
      for (float value : got)
        ASSERT_TRUE(std::isnan(value)) << what << " wrote " << name;
    }
  };
  check(kDx, g.dx, o.dx, o.dx_sums, "dx");
  check(kDw, g.dw, o.dw, o.dw_sums, "dw");
  check(kDbias, g.dbias, o.dbias, o.dbias_sums, "dbias");
}

// Each requested gradient has the same bits whichever others the call also
// requests.
void ExpectSubsetsAsTogether(const xcorr_conv2d_desc& desc, uint64_t seed) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = RandomVector(shape.x_elements, seed);
  const std::vector<float> w = RandomVector(shape.w_elements, seed + 1);
  const std::vector<float> dy = RandomVector(shape.y_elements, seed + 2);
  const Gradients all = RunBackward(desc, x, w, dy, kAll, true);
  for (unsigned want = 1; want < kAll; ++want) {
    const Gradients some = RunBackward(desc, x, w, dy, want, want % 2 == 0);
    const std::string what = Describe(desc) + " want " + std::to_string(want);
    if (want & kDx) {
      EXPECT_EQ(all.dx, some.dx) << what;
    }
    if (want & kDw) {
      EXPECT_EQ(all.dw, some.dw) << what;
    }
    if (want & kDbias) {
      EXPECT_EQ(all.dbias, some.dbias) << what;
    }
  }
}

// In NCHW and in NHWC, each subset of gradients against the reference,
// and each gradient the same alone as together; seeds from *seed on.
void CheckEverySubsetInBothLayouts(xcorr_conv2d_desc desc, uint64_t* seed) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    desc.layout = layout;
    for (unsigned want = 1; want <= kAll; ++want) {
      CheckBackward(desc, want, (*seed)++);
    }
    ExpectSubsetsAsTogether(desc, (*seed)++);
  }
}

void SetPads(int64_t top, int64_t bottom, int64_t left, int64_t right,
             xcorr_conv2d_desc* desc) {
  desc->pad_top = top;
  desc->pad_bottom = bottom;
  desc->pad_left = left;
  desc->pad_right = right;
}

TEST_P(BackwardTest, OneChannelMatchesReferenceAtEveryWidth) {
  // Widths around one and two vectors of every target (up to 16 lanes), with
  // strides and dilations that change the phase split.
  for (int64_t width = 1; width <= 33; ++width) {
    for (int64_t kernel : {1, 2, 3, 5}) {
      xcorr_conv2d_desc desc = Desc(1, 1, 1, 6, width, kernel, kernel);
      desc.stride_width = 1 + width % 3;
      desc.dilation_width = 1 + (width / 3) % 3;
      SetPads(kernel / 2, 0, kernel - 1, width % 2, &desc);
      if (width + desc.pad_left + desc.pad_right <=
          (kernel - 1) * desc.dilation_width) {
        continue;
      }
      CheckBackward(desc, kAll, static_cast<uint64_t>(width * 10 + kernel));
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BackwardTest, StridePadDilationGroupsAndLayoutsMatchReference) {
  uint64_t seed = 1;
  test::ForEachGeometry(2, {0, 2}, [&](const xcorr_conv2d_desc& desc) {
    CheckBackward(desc, kAll, seed++);
  });
  // 3 input channels per group (RGB): dx in blocks of 3 channels.
  test::ForEachGeometry(3, {1}, [&](const xcorr_conv2d_desc& desc) {
    CheckBackward(desc, kAll, seed++);
  });
  // 17 input channels per group: dw by outer products over channels-last x,
  // with a partial last vector on every target.
  test::ForEachGeometry(17, {1}, [&](const xcorr_conv2d_desc& desc) {
    CheckBackward(desc, kAll, seed++);
  });
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BackwardTest, EachSubsetOfGradientsIsWrittenAndNoOther) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc desc = Desc(2, 4, 8, 9, 12, 3, 3);
    desc.stride_height = 2;
    desc.dilation_width = 2;
    SetPads(1, 0, 2, 1, &desc);
    desc.layout = layout;
    for (unsigned want = 1; want <= kAll; ++want)
      CheckBackward(desc, want, want);
    ExpectSubsetsAsTogether(desc, 8);
  }
  // Where dw runs by kernel rows, dbias is summed from dw's loads of dy;
  // alone, it must sum in the same order. On staged dy: one channel (the
  // plane staged whole), and six output channels (four by fours, two by
  // rows) with a dilated kernel taller than one row group, in tiles taller
  // than twice its extent.
  xcorr_conv2d_desc one_channel = Desc(1, 1, 1, 40, 50, 3, 3);
  SetPads(1, 2, 0, 1, &one_channel);
  ExpectSubsetsAsTogether(one_channel, 9);
  xcorr_conv2d_desc six_outputs = Desc(2, 2, 6, 61, 19, 5, 2);
  six_outputs.dilation_height = 2;
  ExpectSubsetsAsTogether(six_outputs, 10);
  // Nothing requested: nothing to do, and OK.
  const xcorr_conv2d_desc desc = Desc(1, 1, 1, 4, 4, 2, 2);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  const std::vector<float> dy(9, 1.0f);
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, nullptr, nullptr, dy.data(), nullptr,
                                  nullptr, nullptr, nullptr));
  xcorr_plan_destroy(plan);
  // A gradient alone needs only what it reads: dbias needs neither x nor w,
  // dx no x, dw no w.
  const xcorr_conv2d_desc small = Desc(2, 2, 3, 9, 11, 2, 3);
  const detail::ConvShape shape = test::ShapeOf(small);
  const std::vector<float> x = RandomVector(shape.x_elements, 1);
  const std::vector<float> w = RandomVector(shape.w_elements, 2);
  const std::vector<float> dy_small = RandomVector(shape.y_elements, 3);
  const test::BackwardOracle o = test::ReferenceBackward(small, x, w, dy_small);
  Gradients g = RunBackward(small, x, w, dy_small, kAll, true);
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&small, &plan));
  std::vector<float> dbias(3, NAN), dx(x.size(), NAN), dw(w.size(), NAN);
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, nullptr, nullptr, dy_small.data(),
                                  nullptr, nullptr, dbias.data(), nullptr));
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, nullptr, w.data(), dy_small.data(),
                                  dx.data(), nullptr, nullptr, nullptr));
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, x.data(), nullptr, dy_small.data(),
                                  nullptr, dw.data(), nullptr, nullptr));
  xcorr_plan_destroy(plan);
  // Each gradient is the same alone as together.
  EXPECT_EQ(g.dbias, dbias);
  EXPECT_EQ(g.dx, dx);
  EXPECT_EQ(g.dw, dw);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BackwardTest, DepthwiseOneByOneAndWholeInputKernels) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc depthwise = Desc(2, 5, 10, 9, 17, 3, 3);
    depthwise.groups = 5;
    SetPads(1, 1, 1, 1, &depthwise);
    depthwise.layout = layout;
    CheckBackward(depthwise, kAll, 7);
    xcorr_conv2d_desc pointwise = Desc(3, 8, 5, 6, 19, 1, 1);
    pointwise.layout = layout;
    CheckBackward(pointwise, kAll, 8);
    pointwise.stride_height = pointwise.stride_width = 3;
    CheckBackward(pointwise, kAll, 9);
    xcorr_conv2d_desc whole = Desc(1, 2, 3, 5, 6, 7, 8);
    SetPads(1, 1, 1, 1, &whole);
    whole.layout = layout;
    CheckBackward(whole, kAll, 11);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Depthwise NHWC (several groups of one channel) from 16 channels runs a
// kernel of its own (BackwardTiling::depthwise, vectors over channels);
// fewer channels, and kernels of over 512 taps, run on NCHW copies of x and
// dy (BackwardTiling::via_copies). NCHW runs that kernel on channels-last
// copies when strided or on planes of at most 16x16 pixels. Every subset of
// the gradients; strides 1-3, dilations 1-3, asymmetric pads (some past the
// kernel's extent); channels below, at and past a vector, and a multiple
// of 256 (whose staged pixels are padded); several row tiles and images.
TEST_P(BackwardTest, DepthwiseMatchesReference) {
  uint64_t seed = 900;
  for (int64_t channels : {2, 16, 21, 40}) {
    xcorr_conv2d_desc desc = Desc(2, channels, channels, 23, 30, 3, 3);
    desc.groups = channels;
    desc.layout = XCORR_LAYOUT_NHWC;
    for (unsigned want = 1; want <= kAll; ++want)
      CheckBackward(desc, want, seed++);
    desc.stride_height = 2;
    desc.stride_width = 3;
    desc.dilation_width = 2;
    SetPads(1, 0, 2, 1, &desc);
    CheckBackward(desc, kAll, seed++);
    ExpectSubsetsAsTogether(desc, seed++);
  }
  struct Case {
    int64_t channels, height, width, kernel_height, kernel_width, stride,
        dilation, top, bottom, left, right;
  };
  const Case cases[] = {
      {17, 9, 11, 1, 1, 1, 1, 0, 0, 0, 0},
      {33, 12, 13, 1, 5, 1, 1, 0, 0, 2, 2},
      {20, 14, 10, 5, 1, 2, 1, 2, 2, 0, 0},
      {16, 15, 17, 3, 3, 3, 1, 1, 1, 1, 1},
      {24, 16, 19, 3, 3, 2, 3, 3, 1, 0, 4},
      {18, 11, 12, 2, 3, 3, 2, 0, 2, 1, 0},
      {19, 10, 9, 3, 3, 1, 1, 4, 3, 5, 3},
      {256, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {64, 90, 20, 3, 3, 1, 1, 1, 1, 1, 1},
      {16, 30, 30, 23, 23, 1, 1, 0, 0, 0, 0},
  };
  for (const Case& c : cases) {
    xcorr_conv2d_desc desc = Desc(2, c.channels, c.channels, c.height, c.width,
                                  c.kernel_height, c.kernel_width);
    desc.groups = c.channels;
    desc.stride_height = desc.stride_width = c.stride;
    desc.dilation_height = desc.dilation_width = c.dilation;
    SetPads(c.top, c.bottom, c.left, c.right, &desc);
    for (xcorr_layout layout : {XCORR_LAYOUT_NHWC, XCORR_LAYOUT_NCHW}) {
      desc.layout = layout;
      CheckBackward(desc, kAll, seed++);
      CheckBackward(desc, kDx, seed++);
    }
  }
  // NCHW on copies, each gradient alone as together.
  xcorr_conv2d_desc small = Desc(2, 24, 24, 14, 14, 3, 3);
  small.groups = 24;
  SetPads(1, 1, 1, 1, &small);
  ExpectSubsetsAsTogether(small, seed++);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BackwardTest, LargerShapesRunInManyTilesAndMatchReference) {
  xcorr_conv2d_desc multi = Desc(2, 8, 8, 40, 37, 3, 3);
  SetPads(1, 1, 1, 1, &multi);
  CheckBackward(multi, kAll, 21);
  multi.layout = XCORR_LAYOUT_NHWC;
  multi.stride_height = 2;
  CheckBackward(multi, kAll, 22);
  CheckBackward(Desc(1, 1, 1, 150, 97, 5, 7), kAll, 23);
  // Stride 1 without column padding: dx is written in place, rows offset by
  // the row padding.
  xcorr_conv2d_desc in_place = Desc(2, 8, 4, 30, 37, 3, 3);
  SetPads(1, 2, 0, 0, &in_place);
  CheckBackward(in_place, kAll, 24);
  in_place.in_channels = 3;
  CheckBackward(in_place, kDx, 25);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Rows of at least 64 outputs with fewer than four output channels per
// group: dw and dbias read dy in place, row by row (a masked tail per row),
// even where dx stages it; one-channel dx runs on the padded-plane kernel
// reading dy in place. Tiles of one to three rows (the kernel rows' shared
// part empty), several tiles, tails of every length class, and each
// gradient alone and with the others (the same bits).
TEST_P(BackwardTest, WideRowsReadDyInPlaceAndMatchReference) {
  struct Case {
    int64_t in_channels, out_channels, groups, height, width;
    int64_t kernel_height, kernel_width, dilation_height, dilation_width;
    int64_t stride_width;
  };
  const Case cases[] = {
      {1, 1, 1, 3, 66, 3, 3, 1, 1, 1},    {1, 1, 1, 5, 70, 3, 3, 2, 1, 1},
      {1, 1, 1, 1, 64, 1, 1, 1, 1, 1},    {1, 2, 1, 9, 83, 2, 3, 1, 2, 1},
      {2, 3, 1, 23, 100, 5, 5, 1, 1, 1},  {1, 1, 1, 31, 97, 7, 3, 1, 1, 1},
      {1, 1, 1, 13, 160, 4, 2, 3, 3, 2},  {3, 3, 3, 17, 79, 3, 3, 1, 1, 1},
      {1, 1, 1, 400, 300, 3, 3, 1, 1, 1}, {1, 1, 1, 200, 301, 5, 7, 1, 1, 1},
      {2, 2, 2, 300, 129, 3, 3, 1, 1, 1}};
  uint64_t seed = 100;
  for (const Case& c : cases) {
    for (int64_t pads = 0; pads < 4; ++pads) {
      // Several images where the planes are small.
      xcorr_conv2d_desc desc =
          Desc(c.height < 100 ? 2 : 1, c.in_channels, c.out_channels, c.height,
               c.width, c.kernel_height, c.kernel_width);
      desc.groups = c.groups;
      desc.dilation_height = c.dilation_height;
      desc.dilation_width = c.dilation_width;
      desc.stride_width = c.stride_width;
      const int64_t extent_height = (c.kernel_height - 1) * c.dilation_height;
      const int64_t extent_width = (c.kernel_width - 1) * c.dilation_width;
      // None; asymmetric within the kernel; the full correlation's (dx's
      // plane unpadded); and past the kernel on one side.
      const int64_t top[] = {0, extent_height / 2, extent_height,
                             extent_height + 1};
      const int64_t left[] = {0, extent_width, extent_width, 1};
      SetPads(top[pads], pads == 1 ? 0 : top[pads], left[pads],
              pads == 3 ? extent_width + 2 : left[pads], &desc);
      for (unsigned want : {kAll, kDx, kDw, kDbias}) {
        CheckBackward(desc, want, seed++);
      }
      ExpectSubsetsAsTogether(desc, seed++);
      desc.layout = XCORR_LAYOUT_NHWC;
      CheckBackward(desc, kAll, seed++);
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// dw by outer products: input channels around whole register blocks of every
// target, output channels around its blocks of six.
TEST_P(BackwardTest, ManyInputChannelsMatchReference) {
  uint64_t seed = 100;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    for (int64_t in_channels : {15, 16, 23, 32, 33, 64, 70}) {
      for (int64_t out_channels : {1, 6, 7, 13}) {
        xcorr_conv2d_desc desc =
            Desc(2, in_channels, out_channels, 9, 11, 3, 3);
        SetPads(1, 0, 1, 2, &desc);
        desc.layout = layout;
        CheckBackward(desc, kAll, seed++);
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// dx on the forward's packed-weights kernel (stride 1, pads within the
// dilated kernel, 16 or more input channels per group; NCHW reads dy in
// place on AVX-512 with up to 64 output channels per group, else
// channels-last copies of dy and dx): pads at the limit and past it
// (the gather instead), asymmetric, dilated, grouped, channel counts around
// the kernel's vector blocks, several row tiles, and dx alone (no partials
// in the workspace).
TEST_P(BackwardTest, InputGradsOnThePackedKernelMatchReference) {
  uint64_t seed = 700;
  struct Case {
    int64_t in, out, groups, kernel, dilation, top, bottom, left, right;
  };
  // dx alone where there are no groups; everything with groups.
  const Case cases[] = {
      {16, 8, 1, 3, 1, 2, 2, 2, 2},  {17, 5, 1, 3, 1, 0, 0, 0, 0},
      {33, 9, 1, 3, 1, 3, 0, 1, 2},  {40, 12, 2, 3, 2, 4, 1, 0, 3},
      {70, 3, 1, 5, 1, 4, 2, 1, 0},  {64, 66, 1, 3, 1, 1, 1, 1, 1},
      {48, 6, 3, 2, 3, 3, 0, 3, 1},  {20, 7, 1, 1, 1, 0, 0, 0, 0},
      {24, 10, 1, 3, 2, 5, 4, 4, 4}, {32, 70, 2, 3, 1, 1, 1, 1, 1},
  };
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    for (const Case& c : cases) {
      xcorr_conv2d_desc desc =
          Desc(2, c.in, c.out * c.groups, 15, 13, c.kernel, c.kernel);
      desc.groups = c.groups;
      desc.dilation_height = desc.dilation_width = c.dilation;
      SetPads(c.top, c.bottom, c.left, c.right, &desc);
      desc.layout = layout;
      CheckBackward(desc, c.groups == 1 ? kDx : kAll, seed++);
    }
    xcorr_conv2d_desc tall = Desc(1, 32, 16, 90, 20, 3, 3);
    SetPads(1, 1, 1, 1, &tall);
    tall.layout = layout;
    CheckBackward(tall, kDx | kDw, seed++);
    // dx planes of whole 4 KiB pages: stored as runs (StoreChannelRuns).
    xcorr_conv2d_desc pages = Desc(1, 24, 20, 32, 32, 3, 3);
    SetPads(1, 1, 1, 1, &pages);
    pages.layout = layout;
    CheckBackward(pages, kDx, seed++);
  }
  // NHWC dx whose packed weights outgrow one chunk of a pass over the
  // pixels (kernels-inl.h's kPackedChunkFloats) on every target: 9 taps x
  // 120 output channels are 1080 rows, and 130 input channels make three
  // AVX-512 blocks, so the tile runs one chunk per block.
  xcorr_conv2d_desc chunks = Desc(1, 130, 120, 7, 9, 3, 3);
  SetPads(1, 1, 1, 1, &chunks);
  chunks.layout = XCORR_LAYOUT_NHWC;
  CheckBackward(chunks, kDx, seed++);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// 1x1 unpadded NCHW dx on the forward's NCHW kernel (BackwardTiling::
// dx_pointwise): channel counts below, at and past its blocks, groups,
// planes narrower than a vector, several row tiles and images, every subset;
// strides 1 to 3 (dx spread to every stride-th pixel, zeros between), on
// sizes that leave zero rows and columns at the end.
TEST_P(BackwardTest, PointwiseInputGradsMatchReference) {
  uint64_t seed = 1100;
  struct Case {
    int64_t batch, in, out, groups, height, width, stride_height, stride_width;
  };
  const Case cases[] = {
      {1, 1, 3, 1, 5, 7, 1, 1},
      {2, 3, 1, 1, 9, 11, 1, 1},
      {1, 4, 4, 2, 3, 3, 1, 1},
      {2, 20, 7, 1, 6, 19, 1, 1},
      {1, 7, 20, 1, 1, 17, 1, 1},
      {1, 64, 32, 1, 40, 37, 1, 1},
      {3, 12, 18, 6, 8, 8, 1, 1},
      {1, 32, 16, 1, 2, 1, 1, 1},
      {1, 16, 24, 1, 10, 70, 2, 2},
      {2, 9, 5, 1, 11, 13, 2, 2},
      {1, 12, 12, 3, 9, 40, 3, 3},
      {1, 40, 33, 1, 41, 45, 2, 1},
      {1, 5, 6, 1, 7, 35, 1, 3},
      {1, 64, 64, 1, 56, 56, 2, 2},
      // Planes of at most 8x8 with 16 input channels per group or more:
      // dx on the packed kernel (on channels-last copies past 64 output
      // channels per group).
      {2, 40, 70, 1, 7, 7, 1, 1},
      {1, 32, 24, 2, 5, 9, 1, 1},
  };
  for (const Case& c : cases) {
    xcorr_conv2d_desc desc =
        Desc(c.batch, c.in, c.out, c.height, c.width, 1, 1);
    desc.groups = c.groups;
    desc.stride_height = c.stride_height;
    desc.stride_width = c.stride_width;
    CheckBackward(desc, kAll, seed++);
    CheckBackward(desc, kDx, seed++);
  }
  ExpectSubsetsAsTogether(Desc(2, 24, 40, 12, 13, 1, 1), seed++);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Channels-last dy and dx move between pixels and planes in blocks of a
// vector's lanes both ways: rows of 16 to 40 pixels and 16 to 35 channels
// make whole AVX-512 blocks and edges on both sides.
TEST_P(BackwardTest, ChannelsLastBlocksMatchReference) {
  uint64_t seed = 300;
  for (int64_t channels : {16, 35}) {
    for (int64_t width : {18, 42}) {
      for (int64_t stride : {1, 2}) {
        xcorr_conv2d_desc desc =
            Desc(1, channels, 51 - channels, 5, width, 3, 3);
        desc.stride_width = stride;
        SetPads(1, 1, 0, 1, &desc);
        desc.layout = XCORR_LAYOUT_NHWC;
        CheckBackward(desc, kAll, seed++);
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// dw and dbias by blocks of channels over the whole batch
// (BackwardTiling::dw_by_channel_blocks: small planes, 16 or more input
// channels per group): input channels below, at and past the 64 of a block
// and its vectors, output channels past whole register blocks of 6 and
// jobs of 12, groups, several images, strides, dilations and asymmetric
// pads, both layouts (OHWI sums straight into dw, OIHW through a
// transpose); every subset, and each gradient the same alone as together.
// Their tiles compute dx alone, on the packed kernel in blocks of 64 input
// channels and at least 7 rows (BackwardTiling::dx_channel_tiles): 70, 100
// and 129 channels make two and three blocks, 16 rows three.
TEST_P(BackwardTest, ChannelBlockGradsMatchReference) {
  uint64_t seed = 1300;
  struct Case {
    int64_t batch, in, out, groups, height, width, kernel, stride, dilation;
  };
  const Case cases[] = {
      {1, 16, 5, 1, 7, 7, 3, 1, 1},   {3, 70, 13, 1, 5, 6, 3, 1, 1},
      {2, 40, 25, 2, 6, 5, 3, 2, 1},  {2, 64, 12, 1, 9, 8, 3, 1, 2},
      {1, 129, 7, 1, 4, 4, 1, 1, 1},  {2, 24, 30, 3, 7, 9, 5, 2, 1},
      {2, 100, 9, 1, 16, 5, 3, 1, 1},
  };
  for (const Case& c : cases) {
    xcorr_conv2d_desc desc = Desc(c.batch, c.in, c.out * c.groups, c.height,
                                  c.width, c.kernel, c.kernel);
    desc.groups = c.groups;
    desc.stride_height = desc.stride_width = c.stride;
    desc.dilation_height = desc.dilation_width = c.dilation;
    SetPads(c.kernel / 2, 0, 1, c.kernel / 2 + 1, &desc);
    CheckEverySubsetInBothLayouts(desc, &seed);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// dw with vectors over output channels (BackwardTiling::
// dw_over_output_channels: fewer than 16 input channels, one group, output
// channels a multiple of 16, at least 64 weights per output channel): rows
// of weights past whole register blocks of 6 and jobs of 12, output
// channels of one to three AVX-512 vectors, strides, dilations, pads past
// the kernel, several images, both layouts (NHWC dy read in place); every
// subset, and each gradient the same alone as together.
TEST_P(BackwardTest, OutputVectorWeightGradsMatchReference) {
  uint64_t seed = 1500;
  struct Case {
    int64_t batch, in, out, height, width, kernel, stride, dilation, pad;
  };
  const Case cases[] = {
      {1, 3, 16, 23, 21, 7, 2, 1, 3}, {3, 6, 16, 14, 14, 5, 1, 1, 0},
      {2, 8, 32, 11, 9, 3, 1, 1, 1},  {1, 15, 48, 13, 10, 3, 2, 2, 4},
      {2, 2, 16, 9, 12, 6, 1, 1, 2},
  };
  for (const Case& c : cases) {
    xcorr_conv2d_desc desc =
        Desc(c.batch, c.in, c.out, c.height, c.width, c.kernel, c.kernel);
    desc.stride_height = c.stride;
    desc.dilation_height = desc.dilation_width = c.dilation;
    SetPads(c.pad, c.pad / 2, c.pad / 2 + 1, c.pad, &desc);
    CheckEverySubsetInBothLayouts(desc, &seed);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Integer-valued data has exact sums in f32: every target must match the
// reference exactly.
TEST_P(BackwardTest, IntegerDataIsExact) {
  // 4 input channels: dw by dot products; 20: by outer products.
  for (const int64_t channels : {4, 20}) {
    xcorr_conv2d_desc desc = Desc(1, channels, 4, 12, 21, 3, 3);
    SetPads(1, 2, 0, 1, &desc);
    const detail::ConvShape shape = test::ShapeOf(desc);
    const auto integers = [](int64_t count, uint64_t seed) {
      std::vector<float> values = RandomVector(count, seed);
      for (float& value : values) value = std::round(value * 4.0f);
      return values;
    };
    const std::vector<float> x = integers(shape.x_elements, 1);
    const std::vector<float> w = integers(shape.w_elements, 2);
    const std::vector<float> dy = integers(shape.y_elements, 3);
    const test::BackwardOracle o = test::ReferenceBackward(desc, x, w, dy);
    const Gradients g = RunBackward(desc, x, w, dy, kAll, true);
    EXPECT_EQ(o.dx, g.dx);
    EXPECT_EQ(o.dw, g.dw);
    EXPECT_EQ(o.dbias, g.dbias);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(BackwardTest, BitwiseEqualForAnyThreadCountAndRun) {
  // 8 input channels: dw by dot products; 24: by outer products; one
  // channel on wide rows: dy read in place, dx on the padded-plane kernel.
  std::vector<xcorr_conv2d_desc> descs;
  for (const int64_t channels : {8, 24}) {
    for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
      xcorr_conv2d_desc desc = Desc(2, channels, 12, 61, 45, 3, 3);
      desc.layout = layout;
      descs.push_back(desc);
    }
  }
  descs.push_back(Desc(2, 1, 1, 400, 300, 3, 3));
  // dw and dbias by blocks of channels: small planes, both layouts; and
  // with vectors over output channels.
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc desc = Desc(3, 80, 30, 7, 7, 3, 3);
    desc.layout = layout;
    descs.push_back(desc);
    desc = Desc(3, 3, 32, 30, 26, 5, 5);
    desc.layout = layout;
    descs.push_back(desc);
  }
  // Depthwise NHWC: 8 channels on NCHW copies, 24 on the depthwise kernel,
  // also strided; strided NCHW.
  for (const int64_t channels : {8, 24}) {
    xcorr_conv2d_desc depthwise = Desc(2, channels, channels, 61, 45, 3, 3);
    depthwise.groups = channels;
    depthwise.layout = XCORR_LAYOUT_NHWC;
    descs.push_back(depthwise);
    depthwise.stride_height = depthwise.stride_width = 2;
    descs.push_back(depthwise);
    depthwise.layout = XCORR_LAYOUT_NCHW;  // 24: on channels-last copies
    descs.push_back(depthwise);
  }
  for (xcorr_conv2d_desc& desc : descs) {
    SetPads(1, 1, 1, 1, &desc);
    const detail::ConvShape shape = test::ShapeOf(desc);
    const std::vector<float> x = RandomVector(shape.x_elements, 31);
    const std::vector<float> w = RandomVector(shape.w_elements, 32);
    const std::vector<float> dy = RandomVector(shape.y_elements, 33);
    ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(1));
    const Gradients first = RunBackward(desc, x, w, dy, kAll, true);
    for (int threads : {1, 2, 3, 16}) {
      ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(threads));
      for (int run = 0; run < 2; ++run) {
        const Gradients again = RunBackward(desc, x, w, dy, kAll, run == 0);
        // memcmp-like: NaN-free, so == on the vectors is bitwise here.
        EXPECT_EQ(first.dx, again.dx) << threads << " threads";
        EXPECT_EQ(first.dw, again.dw) << threads << " threads";
        EXPECT_EQ(first.dbias, again.dbias) << threads << " threads";
      }
    }
    ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(0));
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// One plan, several threads calling backward at once with their own
// outputs (and workspaces allocated by each call): all equal one serial call.
TEST_P(BackwardTest, OnePlanFromSeveralThreadsAtOnce) {
  xcorr_conv2d_desc desc = Desc(2, 4, 8, 33, 29, 3, 3);
  SetPads(1, 1, 1, 1, &desc);
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = RandomVector(shape.x_elements, 51);
  const std::vector<float> w = RandomVector(shape.w_elements, 52);
  const std::vector<float> dy = RandomVector(shape.y_elements, 53);
  const Gradients want = RunBackward(desc, x, w, dy, kAll, true);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
  std::vector<Gradients> got(4, want);
  std::vector<std::thread> threads;
  for (Gradients& g : got) {
    threads.emplace_back([&] {
      for (int run = 0; run < 3; ++run) {
        EXPECT_EQ(XCORR_OK,
                  xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(),
                                        g.dx.data(), g.dw.data(),
                                        g.dbias.data(), nullptr));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  xcorr_plan_destroy(plan);
  for (const Gradients& g : got) {
    EXPECT_EQ(want.dx, g.dx);
    EXPECT_EQ(want.dw, g.dw);
    EXPECT_EQ(want.dbias, g.dbias);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// f64 central differences of L = sum(dy * y(x, w, bias)) through the
// reference forward. L is linear in each input, so a large step is exact up
// to the rounding of y to f32.
TEST_P(BackwardTest, GradientsMatchFiniteDifferences) {
  std::vector<xcorr_conv2d_desc> descs;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc desc = Desc(2, 4, 6, 7, 9, 3, 2);
    desc.groups = 2;
    desc.stride_height = 2;
    desc.dilation_width = 2;
    SetPads(1, 0, 2, 1, &desc);
    desc.layout = layout;
    descs.push_back(desc);
  }
  // Depthwise NHWC on its own kernel.
  xcorr_conv2d_desc depthwise = Desc(1, 16, 16, 7, 6, 3, 3);
  depthwise.groups = 16;
  depthwise.stride_width = 2;
  SetPads(0, 1, 1, 2, &depthwise);
  depthwise.layout = XCORR_LAYOUT_NHWC;
  descs.push_back(depthwise);
  for (const xcorr_conv2d_desc& desc : descs) {
    const detail::ConvShape shape = test::ShapeOf(desc);
    std::vector<float> x = RandomVector(shape.x_elements, 41);
    std::vector<float> w = RandomVector(shape.w_elements, 42);
    std::vector<float> bias = RandomVector(desc.out_channels, 43);
    const std::vector<float> dy = RandomVector(shape.y_elements, 44);
    const Gradients g = RunBackward(desc, x, w, dy, kAll, false);
    std::vector<float> y(static_cast<size_t>(shape.y_elements));
    const auto loss = [&] {
      reference::Forward(shape, x.data(), w.data(), bias.data(), y.data());
      double sum = 0.0;
      for (size_t k = 0; k < y.size(); ++k)
        sum += static_cast<double>(dy[k]) * y[k];
      return sum;
    };
    const auto check = [&](std::vector<float>* input,
                           const std::vector<float>& grad, const char* name) {
      constexpr float kStep = 0.5f;
      for (size_t k = 0; k < input->size(); ++k) {
        const float saved = (*input)[k];
        (*input)[k] = saved + kStep;
        const double up = loss();
        (*input)[k] = saved - kStep;
        const double down = loss();
        (*input)[k] = saved;
        const double expected = (up - down) / (2.0 * kStep);
        EXPECT_NEAR(grad[k], expected, 1e-4 * (1.0 + std::fabs(expected)))
            << name << "[" << k << "] " << Describe(desc);
      }
    };
    check(&x, g.dx, "dx");
    check(&w, g.dw, "dw");
    check(&bias, g.dbias, "dbias");
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Found by the fuzzer: padding and dilation of 2^60 on a 4-wide input are
// valid and make small tensors, but staged rows as wide as the dilated
// extent; such shapes must still give the reference's gradients, not an
// out-of-memory error.
TEST(BackwardDegenerateTest, HugePaddingAndDilationMatchTheReference) {
  xcorr_conv2d_desc desc = Desc(1, 2, 3, 4, 4, 2, 2);
  desc.pad_left = desc.pad_top = int64_t{1} << 60;
  desc.dilation_width = desc.dilation_height = int64_t{1} << 60;
  ASSERT_LE(test::ShapeOf(desc).y_elements, 100);
  CheckBackward(desc, kAll, 1);
}

// Also from the fuzzer: a stride of 2^62 on a 1x1 input is valid (one output
// row) but must not make the backward loop over 2^62 stride phases.
TEST(BackwardDegenerateTest, HugeStrideMatchesTheReference) {
  for (const bool rows : {true, false}) {
    xcorr_conv2d_desc desc = Desc(1, 1, 1, 1, 1, 1, 1);
    (rows ? desc.stride_height : desc.stride_width) =
        (int64_t{1} << 62) + 26726;
    const std::vector<float> x = {3.0f}, w = {-2.0f}, dy = {5.0f};
    xcorr_plan* plan = nullptr;
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan));
    float dx = 0.0f, dw = 0.0f, dbias = 0.0f;
    EXPECT_EQ(XCORR_OK,
              xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(), &dx,
                                    &dw, &dbias, nullptr))
        << xcorr_last_error();
    xcorr_plan_destroy(plan);
    EXPECT_EQ(-10.0f, dx);
    EXPECT_EQ(15.0f, dw);
    EXPECT_EQ(5.0f, dbias);
  }
}

// Also from the fuzzer: with one tap along a dimension, any dilation is valid
// and changes nothing; a 2^62 dilation must not overflow the dw kernels'
// index arithmetic (UBSan) or move their loads.
TEST(BackwardDegenerateTest, OneTapWithHugeDilationMatchesTheReference) {
  for (const bool rows : {true, false}) {
    xcorr_conv2d_desc desc = Desc(2, 3, 2, 5, 6, rows ? 1 : 2, rows ? 2 : 1);
    (rows ? desc.dilation_height : desc.dilation_width) =
        (int64_t{1} << 62) + 1;
    CheckBackward(desc, kAll, 4);
  }
}

}  // namespace
}  // namespace xcorr
