// Forward conv2d against the scalar reference, on every compiled SIMD target.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

using test::Desc;
using test::Grouped;
using test::Nhwc;
using test::Padded;
using test::Strided;

using test::Describe;
using test::RandomVector;

class ForwardTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(ForwardTest);

// Runs forward through the C API on copies of the inputs placed `offset`
// floats into their buffers (offset 1: nothing is vector-aligned), into a
// poisoned output with guards on both sides; checks the guards.
std::vector<float> RunForward(const xcorr_conv2d_desc& desc,
                              const std::vector<float>& x,
                              const std::vector<float>& w,
                              const std::vector<float>* bias, size_t offset) {
  const auto place = [offset](const std::vector<float>& values) {
    std::vector<float> memory(values.size() + offset + 1, 7.0f);
    std::copy(values.begin(), values.end(),
              memory.begin() + static_cast<ptrdiff_t>(offset));
    return memory;
  };
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x_memory = place(x);
  const std::vector<float> w_memory = place(w);
  const std::vector<float> bias_memory =
      bias != nullptr ? place(*bias) : std::vector<float>();
  // Poison: every element must be written, nothing outside it.
  std::vector<float> y_memory(
      static_cast<size_t>(shape.y_elements) + offset + 1, 1e30f);
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  std::vector<unsigned char> workspace(xcorr_plan_workspace_size(plan));
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_forward(
                plan, x_memory.data() + offset, w_memory.data() + offset,
                bias != nullptr ? bias_memory.data() + offset : nullptr,
                y_memory.data() + offset,
                workspace.empty() ? nullptr : workspace.data()))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
  EXPECT_EQ(1e30f, y_memory.back()) << Describe(desc);
  if (offset > 0) {
    EXPECT_EQ(1e30f, y_memory.front()) << Describe(desc);
  }
  return std::vector<float>(y_memory.begin() + static_cast<ptrdiff_t>(offset),
                            y_memory.end() - 1);
}

// Runs forward on random data and checks it against the reference.
void CheckForward(const xcorr_conv2d_desc& desc, bool with_bias, uint64_t seed,
                  size_t offset = 0) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  const std::vector<float> x = RandomVector(shape.x_elements, seed);
  const std::vector<float> w = RandomVector(shape.w_elements, seed + 1);
  const std::vector<float> bias = RandomVector(desc.out_channels, seed + 2);
  const test::ForwardOracle oracle =
      test::ReferenceForward(desc, x, w, with_bias ? &bias : nullptr);
  const std::vector<float> y =
      RunForward(desc, x, w, with_bias ? &bias : nullptr, offset);
  test::ExpectWithinBound(y, oracle.y, oracle.term_sums, Describe(desc));
}

// Small integers in [-4, 4]: every partial sum is exact in f32.
std::vector<float> IntegerVector(int64_t count, int64_t seed) {
  std::vector<float> values(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    values[static_cast<size_t>(k)] =
        static_cast<float>((k * 5 + seed * 11) % 9 - 4);
  }
  return values;
}

TEST_P(ForwardTest, OneChannelValidMatchesReferenceAtEveryWidth) {
  // Widths around one and two vectors of every target (up to 16 lanes).
  for (int64_t width = 1; width <= 40; ++width) {
    for (int64_t kernel : {1, 2, 3, 5}) {
      if (kernel > width) continue;
      CheckForward(Desc(1, 1, 1, 7, width, kernel, kernel), width % 2 == 0,
                   static_cast<uint64_t>(width * 10 + kernel));
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Padded single planes run the plane kernels over their input staged in
// pieces: widths around the vectors, asymmetric pads, both layouts (one
// channel: the same bytes), depthwise groups and rows in several chunks.
TEST_P(ForwardTest, OneChannelPaddedMatchesReference) {
  uint64_t seed = 500;
  for (int64_t width = 1; width <= 35; width += 2) {
    for (int64_t kernel : {1, 2, 3, 5, 7}) {
      xcorr_conv2d_desc desc = Desc(2, 1, 1, 9, width, kernel, kernel);
      desc.pad_top = kernel / 2;
      desc.pad_bottom = kernel - 1 - kernel / 2;
      desc.pad_left = width % 3;
      desc.pad_right = kernel - 1;
      desc.layout = width % 4 == 1 ? XCORR_LAYOUT_NHWC : XCORR_LAYOUT_NCHW;
      CheckForward(desc, width % 2 == 1, seed++);
    }
  }
  xcorr_conv2d_desc depthwise = Desc(2, 3, 3, 20, 21, 3, 3);
  depthwise.groups = 3;
  depthwise.pad_top = depthwise.pad_bottom = 2;
  depthwise.pad_left = depthwise.pad_right = 1;
  CheckForward(depthwise, true, seed++);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Padded planes wider than 128 columns (256, a strip of the stage, for
// kernels of 49 taps or more) read their interior in place and stage the
// rest: each side padded or not, pads wider than the edge pieces, an
// interior narrower than the edges or empty (pads beyond the kernel),
// kernels too tall for the stage (the direct kernel instead), and rows in
// several strips and tiles; 140 columns: in place below 7x7, staged whole
// from it.
TEST_P(ForwardTest, WidePaddedPlanesMatchReference) {
  uint64_t seed = 900;
  struct Pads {
    int64_t top, bottom, left, right;
  };
  const Pads pads[] = {{1, 1, 1, 1}, {0, 2, 0, 0},  {0, 0, 3, 0},
                       {2, 0, 0, 4}, {3, 1, 20, 2}, {0, 0, 1, 40}};
  for (int64_t width : {140, 257, 600}) {
    for (int64_t kernel : {1, 3, 5, 7}) {
      for (const Pads& p : pads) {
        xcorr_conv2d_desc desc = Desc(1, 1, 1, 24, width, kernel, kernel);
        desc.pad_top = p.top;
        desc.pad_bottom = p.bottom;
        desc.pad_left = p.left;
        desc.pad_right = p.right;
        CheckForward(desc, kernel % 2 == 1, seed++);
      }
    }
  }
  // Inputs narrower than their padding: an empty interior.
  xcorr_conv2d_desc narrow = Desc(1, 1, 1, 3, 5, 3, 3);
  narrow.pad_top = narrow.pad_bottom = 4;
  narrow.pad_left = narrow.pad_right = 200;
  CheckForward(narrow, true, seed++);
  xcorr_conv2d_desc depthwise = Desc(2, 3, 3, 70, 600, 5, 3);
  depthwise.groups = 3;
  depthwise.pad_top = depthwise.pad_left = 2;
  depthwise.pad_bottom = depthwise.pad_right = 1;
  CheckForward(depthwise, true, seed++);
  xcorr_conv2d_desc tall = Desc(1, 1, 1, 80, 1500, 70, 3);
  tall.pad_top = tall.pad_bottom = tall.pad_left = tall.pad_right = 1;
  CheckForward(tall, true, seed++);
  for (int64_t width : {1500, 9000}) {
    xcorr_conv2d_desc wide = Desc(1, 1, 1, 70, width, 3, 3);
    wide.pad_top = wide.pad_bottom = wide.pad_left = wide.pad_right = 1;
    CheckForward(wide, true, seed++);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, StridePadDilationGroupsAndLayoutsMatchReference) {
  uint64_t seed = 1;
  // Channels per group 2 -> 3 and 9 -> 10: NCHW on the direct kernel, NHWC
  // on the packed-weights kernel with its vector tails (NCHW shapes on that
  // kernel are in DirectKernelSplitsPassesColumnsAndTaps).
  for (int64_t channels : {2, 9}) {
    test::ForEachGeometry(channels, {0, 1, 2},
                          [&](const xcorr_conv2d_desc& desc) {
                            CheckForward(desc, desc.groups == 1, seed++);
                          });
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, DepthwiseAndOneByOneMatchReference) {
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc depthwise = Desc(2, 5, 10, 9, 17, 3, 3);
    depthwise.groups = 5;
    depthwise.pad_top = depthwise.pad_bottom = depthwise.pad_left =
        depthwise.pad_right = 1;
    depthwise.layout = layout;
    CheckForward(depthwise, true, 7);
    xcorr_conv2d_desc pointwise = Desc(3, 7, 5, 6, 19, 1, 1);
    pointwise.layout = layout;
    CheckForward(pointwise, true, 8);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, KernelAsLargeAsThePaddedInput) {
  xcorr_conv2d_desc desc = Desc(1, 2, 3, 5, 6, 7, 8);
  desc.pad_top = desc.pad_bottom = desc.pad_left = desc.pad_right = 1;
  CheckForward(desc, true, 11);
  CheckForward(Desc(1, 1, 1, 33, 35, 33, 35), false, 12);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, LargerImagesRunInParallelTilesAndMatchReference) {
  CheckForward(Desc(2, 3, 4, 70, 90, 3, 3), true, 21);
  CheckForward(Desc(1, 1, 1, 300, 257, 5, 7), true, 22);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// One shape per algorithm and kernel path, each large enough for several
// tiles: the plane kernels (3x3, 5x5, generic, depthwise), the NCHW direct
// kernel (padded, strided, dilated, grouped, padded one-channel and
// depthwise, 1x1 as a matrix product with column tiles, output-channel
// tiles), and NHWC (dot products, depthwise).
std::vector<xcorr_conv2d_desc> EveryPath() {
  return {
      Desc(1, 1, 1, 70, 67, 3, 3),
      Desc(1, 1, 1, 302, 123, 3, 3),   // plane tiles of 120, 120, 60 rows
      Desc(1, 1, 1, 192, 1024, 3, 3),  // 60, 60, 60, 10 rows
      Desc(2, 1, 1, 40, 35, 5, 5),
      Desc(1, 1, 1, 50, 45, 4, 7),
      Grouped(Desc(2, 6, 6, 30, 21, 3, 3), 6),
      Padded(Desc(1, 1, 1, 130, 41, 3, 3), 1, 1, 1, 1),
      Grouped(Padded(Desc(1, 4, 4, 70, 33, 5, 5), 2, 1, 0, 3), 4),
      Padded(Desc(2, 5, 7, 30, 37, 3, 3), 1, 1, 1, 1),
      Strided(Padded(Desc(1, 4, 6, 33, 41, 5, 3), 2, 0, 1, 3), 2, 3, 2, 1),
      Grouped(Padded(Desc(1, 6, 9, 25, 26, 3, 3), 1, 1, 1, 1), 3),
      Desc(1, 64, 20, 47, 45, 1, 1),  // pointwise, split into column tiles
      Padded(Desc(1, 256, 30, 6, 6, 3, 3), 1, 1, 1, 1),
      Nhwc(Padded(Desc(2, 5, 11, 30, 23, 3, 3), 1, 1, 1, 1)),
      Nhwc(Grouped(Strided(Desc(1, 6, 4, 20, 19, 2, 3), 1, 2, 2, 2), 2)),
      Nhwc(Grouped(Strided(Padded(Desc(2, 21, 21, 30, 17, 3, 3), 1, 2, 0, 1), 2,
                           1, 1, 2),
                   21))};
}

TEST_P(ForwardTest, EveryPathMatchesReferenceOnUnalignedPointers) {
  uint64_t seed = 100;
  for (const xcorr_conv2d_desc& desc : EveryPath())
    CheckForward(desc, true, seed++, 1);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, IntegerInputsMatchExactly) {
  int64_t seed = 1;
  for (const xcorr_conv2d_desc& desc : EveryPath()) {
    const detail::ConvShape shape = test::ShapeOf(desc);
    const std::vector<float> x = IntegerVector(shape.x_elements, seed);
    const std::vector<float> w = IntegerVector(shape.w_elements, seed + 1);
    const std::vector<float> bias = IntegerVector(desc.out_channels, seed + 2);
    seed += 3;
    const test::ForwardOracle oracle =
        test::ReferenceForward(desc, x, w, &bias);
    const std::vector<float> y = RunForward(desc, x, w, &bias, 0);
    ASSERT_EQ(oracle.y.size(), y.size());
    size_t mismatches = 0;
    for (size_t e = 0; e < y.size(); ++e) mismatches += y[e] != oracle.y[e];
    EXPECT_EQ(0u, mismatches) << Describe(desc);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, BitwiseIdenticalAcrossThreadCounts) {
  uint64_t seed = 200;
  for (const xcorr_conv2d_desc& desc : EveryPath()) {
    const detail::ConvShape shape = test::ShapeOf(desc);
    const std::vector<float> x = RandomVector(shape.x_elements, seed);
    const std::vector<float> w = RandomVector(shape.w_elements, seed + 1);
    const std::vector<float> bias = RandomVector(desc.out_channels, seed + 2);
    seed += 3;
    std::vector<float> first;
    for (int threads : {1, 2, 5}) {
      ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(threads));
      const std::vector<float> y = RunForward(desc, x, w, &bias, 0);
      if (first.empty()) {
        first = y;
      } else {
        EXPECT_EQ(0,
                  std::memcmp(first.data(), y.data(), y.size() * sizeof(float)))
            << Describe(desc) << " on " << threads << " threads";
      }
    }
  }
  ASSERT_EQ(XCORR_OK, xcorr_set_num_threads(0));
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The packed-weights kernel's weights are transposed from w in blocks (of
// 16 reduction rows by 256 output channels from OIHW): 260 output and 67
// input channels per group leave partial blocks both ways, in both layouts.
TEST_P(ForwardTest, PackedWeightsFromBothLayoutsWithGroups) {
  uint64_t seed = 700;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc desc =
        Grouped(Padded(Desc(1, 2 * 67, 2 * 260, 5, 6, 3, 3), 1, 0, 1, 1), 2);
    desc.layout = layout;
    CheckForward(desc, true, seed++);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// NCHW planes of whole 4 KiB pages (32 x 32) store each output channel's
// pixels as runs (StoreChannelRuns) where the packed kernel runs them; 70
// output channels end in a partial vector.
TEST_P(ForwardTest, PackedNchwPlanesOfWholePages) {
  xcorr_conv2d_desc desc = Padded(Desc(1, 64, 70, 32, 32, 3, 3), 1, 1, 1, 1);
  CheckForward(desc, true, 710);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Small padded images on the packed-weights kernel (NHWC; NCHW from 64
// channels on AVX-512): runs of 2 to 5 pixels that share their taps go in
// blocks along rows and down border columns (ResNet's last stage: 7x7).
TEST_P(ForwardTest, PackedKernelBlocksOnSmallPaddedImages) {
  uint64_t seed = 720;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    for (int64_t size : {3, 4, 5, 6, 7, 8, 9}) {
      xcorr_conv2d_desc desc =
          Padded(Desc(2, 64, 67, size, size + 1, 3, 3), 1, 1, 1, 1);
      desc.layout = layout;
      CheckForward(desc, true, seed++);
    }
    xcorr_conv2d_desc wide_pads =
        Padded(Desc(1, 64, 64, 7, 7, 5, 5), 2, 1, 2, 3);
    wide_pads.layout = layout;
    CheckForward(wide_pads, true, seed++);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, DirectKernelsAtEveryWidthAndChannelCount) {
  // NCHW: widths around one and two vectors of every target (up to 16
  // lanes), with column tails, output-channel tails and strided packing.
  uint64_t seed = 300;
  for (int64_t width = 1; width <= 33; ++width) {
    CheckForward(Padded(Desc(1, 2, 7, 3, width, 3, 3), 1, 1, 1, 1), true,
                 seed++);
    if (width >= 3) {  // the dilated kernel spans 5 columns of the padded row
      CheckForward(Strided(Padded(Desc(1, 1, 5, 4, width, 2, 3), 0, 1, 2, 0), 1,
                           2, 1, 2),
                   false, seed++);
    }
  }
  // 3x3, 5x5 and 7x7 blocks make their taps' vectors by windows on AVX-512:
  // rows of whole 4-vector blocks, and of blocks of 1 to 3 vectors after.
  for (int64_t kernel : {3, 5, 7}) {
    for (int64_t width : {5, 17, 40, 64, 70, 100}) {
      const int64_t pad = kernel / 2;
      CheckForward(
          Padded(Desc(1, 2, 7, 3, width, kernel, kernel), pad, pad, pad, pad),
          true, seed++);
    }
  }
  // Channel counts around the vector sizes, with and without groups: NCHW on
  // the direct kernel, NHWC on the packed-weights kernel.
  for (int64_t channels = 1; channels <= 33; ++channels) {
    // 11 columns, 4 rows: interior pixels in blocks of 5 and 4 along rows,
    // border columns in blocks of 2 down them, corners one by one.
    for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
      xcorr_conv2d_desc padded =
          Padded(Desc(1, channels, channels + 8, 4, 11, 3, 3), 1, 1, 1, 1);
      xcorr_conv2d_desc grouped =
          Grouped(Desc(1, 2 * channels, 2 * channels, 4, 5, 2, 2), 2);
      padded.layout = grouped.layout = layout;
      CheckForward(padded, true, seed++);
      CheckForward(grouped, false, seed++);
    }
    // Depthwise: vectors over the channels themselves.
    CheckForward(Nhwc(Grouped(Padded(Desc(1, channels, channels, 5, 4, 3, 3), 1,
                                     1, 1, 1),
                              channels)),
                 channels % 2 == 0, seed++);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The packed-weights kernel runs each row's interior in blocks of 6 pixels
// and what is left (1 to 5 pixels) as one narrower block: interior widths 6
// to 12 give every remainder, from OHWI (NHWC) and OIHW (NCHW, 64 channels)
// weights, with 1x1 kernels too.
TEST_P(ForwardTest, PackedKernelRowTails) {
  uint64_t seed = 720;
  for (int64_t width = 8; width <= 14; ++width) {
    CheckForward(Nhwc(Padded(Desc(1, 5, 20, 3, width, 3, 3), 1, 1, 1, 1)), true,
                 seed++);
    CheckForward(Nhwc(Desc(1, 7, 33, 2, width - 2, 1, 1)), false, seed++);
    CheckForward(Padded(Desc(1, 64, 64, 3, width, 3, 3), 0, 0, 1, 1), true,
                 seed++);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The NHWC depthwise kernel runs the pixels whose taps lie inside x in
// blocks of 8, the last one overlapping, and the others one by one; its
// channels in vectors of halving widths (whole ones, then 8, 4, 2, 1 lanes),
// in blocks of at most 128 or so. Rows of 8 to 21 interior pixels (one
// block, blocks and an overlapping one), and fewer (none in blocks), with
// strides, dilations and asymmetric pads; channel counts with every tail
// and several blocks; input rows staged or not; groups of 2 and 4.
TEST_P(ForwardTest, NhwcDepthwisePixelBlocksAndChannelTails) {
  uint64_t seed = 1100;
  for (int64_t width = 5; width <= 24; width += 3) {
    for (int64_t channels : {1, 7, 16, 27, 150}) {
      CheckForward(
          Nhwc(Grouped(
              Padded(Desc(1, channels, channels, 6, width, 3, 3), 1, 0, 2, 1),
              channels)),
          true, seed++);
    }
    CheckForward(
        Nhwc(Grouped(
            Strided(Padded(Desc(2, 19, 19, 9, 2 * width, 3, 2), 2, 1, 0, 3), 2,
                    2, 1, 2),
            19)),
        width % 2 == 0, seed++);
    CheckForward(
        Nhwc(Grouped(Strided(Desc(1, 33, 33, 12, width + 4, 5, 3), 1, 1, 2, 2),
                     33)),
        false, seed++);
  }
  // Groups of 2 and 4 channels in and out run the same kernel, each input
  // channel of a group shuffled to its lanes: group counts with every tail
  // of vector widths down to the group's, with strides and dilations.
  for (int64_t group_channels : {2, 4}) {
    for (int64_t groups : {1, 3, 4, 5, 9}) {
      const int64_t channels = groups * group_channels;
      CheckForward(Nhwc(Grouped(Padded(Desc(2, channels, channels, 7, 17, 3, 3),
                                       1, 0, 2, 1),
                                groups)),
                   groups % 2 == 1, seed++);
      CheckForward(
          Nhwc(Grouped(
              Strided(Desc(1, channels, channels, 12, 29, 3, 2), 2, 2, 2, 1),
              groups)),
          true, seed++);
    }
  }
  // One input channel and up to 8 output channels per group: the plane
  // kernel, output plane by output plane (LeNet's first layer, a channel
  // multiplier of 3, valid and padded).
  CheckForward(Padded(Desc(3, 1, 6, 28, 28, 5, 5), 2), true, seed++);
  CheckForward(Grouped(Desc(2, 4, 12, 19, 23, 3, 3), 4), false, seed++);
  CheckForward(Padded(Desc(1, 1, 8, 9, 40, 3, 2), 1, 0, 0, 1), true, seed++);
  // NCHW depthwise on planes of at most 16x16 pixels: the depthwise kernel
  // on channels-last copies (larger planes: the plane kernel).
  for (int64_t size : {5, 14, 16, 17}) {
    CheckForward(Grouped(Padded(Desc(2, 40, 40, size, size, 3, 3), 1), 40),
                 size % 2 == 0, seed++);
  }
  // NCHW on small planes, from 3 input and 16 output channels per group
  // (fewer than 64 on one side; groups too): the packed-weights kernel on
  // channels-last copies of x and y, with strides, dilations, pads, output
  // channels in partial vectors and two images. LeNet's second layer first.
  CheckForward(Desc(2, 6, 16, 14, 14, 5, 5), true, seed++);
  CheckForward(Strided(Padded(Desc(1, 3, 20, 9, 10, 3, 3), 1), 2, 2, 1, 1),
               false, seed++);
  CheckForward(Padded(Desc(1, 32, 64, 7, 7, 3, 3), 1), true, seed++);
  // Pointwise on planes of at most 8x8, whatever the channels.
  CheckForward(Desc(2, 70, 40, 7, 7, 1, 1), true, seed++);
  CheckForward(Grouped(Desc(1, 48, 96, 8, 5, 1, 1), 3), false, seed++);
  CheckForward(Grouped(Padded(Desc(2, 64, 48, 9, 11, 3, 3), 1), 2), true,
               seed++);
  CheckForward(Grouped(Padded(Desc(1, 96, 96, 7, 7, 3, 3), 1), 3), false,
               seed++);
  CheckForward(
      Grouped(Strided(Padded(Desc(1, 40, 34, 13, 12, 3, 3), 2, 0, 1, 2), 2, 2,
                      2, 1),
              2),
      true, seed++);
  // Channels a multiple of 512: input rows staged, a few output rows at a
  // time, with pixels an odd number of cache lines apart; rows too wide to
  // stage read x as given.
  for (int64_t width : {9, 30, 200}) {
    CheckForward(Nhwc(Grouped(Strided(Padded(Desc(1, 512, 512, 11, width, 3, 3),
                                             1, 1, 0, 2),
                                      1, 2, 1, 1),
                              512)),
                 true, seed++);
  }
  CheckForward(Nhwc(Grouped(Strided(Padded(Desc(2, 1024, 1024, 9, 8, 3, 3), 2),
                                    1, 1, 2, 1),
                            1024)),
               false, seed++);
  CheckForward(Nhwc(Grouped(Padded(Desc(1, 512, 512, 6, 11, 3, 3), 1), 128)),
               true, seed++);
  // NCHW groups of 2 and 4, and strided or dilated depthwise, of 16 channels
  // or more: the same kernel on channels-last copies of x and y.
  for (int64_t group_channels : {1, 2, 4}) {
    for (int64_t groups : {4, 9, 16}) {
      const int64_t channels = groups * group_channels;
      CheckForward(
          Grouped(Strided(Padded(Desc(2, channels, channels, 13, 21, 3, 3), 1,
                                 2, 0, 1),
                          2, 2, 1, 1),
                  groups),
          groups % 2 == 0, seed++);
      CheckForward(
          Grouped(Strided(Padded(Desc(1, channels, channels, 12, 17, 3, 2), 2),
                          1, 1, 2, 2),
                  groups),
          true, seed++);
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// The NCHW direct kernel packs stride-2 rows by splitting vectors into
// their even and odd columns where both phases lie inside x, and column by
// column elsewhere: rows with every left and right pad, kernel widths with
// one phase or two, and output rows from under one vector to several.
TEST_P(ForwardTest, DirectKernelSplitsStrideTwoRows) {
  uint64_t seed = 1200;
  for (int64_t width = 29; width <= 75; width += 6) {
    for (int64_t kernel_width : {1, 2, 3, 5}) {
      for (int64_t left = 0; left <= 2; ++left) {
        CheckForward(
            Grouped(Strided(Padded(Desc(1, 4, 4, 3, width, 2, kernel_width), 0,
                                   1, left, (width + left) % 3),
                            1, 2, 1, 1),
                    2),
            left == 1, seed++);
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, PaddedOneChannelAndDepthwise) {
  // One channel and depthwise, stride 1, asymmetric pads: the direct kernel
  // with a single output channel per group, at sizes where the unpadded
  // interior is wide, thin or empty.
  uint64_t seed = 600;
  for (int64_t width = 1; width <= 35; width += 2) {
    for (int64_t kernel : {1, 3, 4}) {
      CheckForward(Padded(Desc(1, 1, 1, 9, width, kernel, kernel), 1, 2, 2, 1),
                   true, seed++);
      if (width >= 2) {  // the padded row must hold the 3 kernel columns
        CheckForward(
            Grouped(Padded(Desc(1, 2, 2, 5, width, kernel, 3), 0, 3, 1, 0), 2),
            false, seed++);
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, DirectKernelSplitsPassesColumnsAndTaps) {
  // More (channel, kernel row) runs than one pass packs: y is revisited.
  CheckForward(Padded(Desc(1, 64, 5, 7, 20, 5, 5), 2, 2, 2, 2), true, 401);
  // Rows wider than a packed segment: column chunks.
  CheckForward(Padded(Desc(1, 1, 2, 3, 2100, 3, 3), 1, 1, 1, 1), true, 402);
  // Kernel rows longer than a run of taps.
  CheckForward(Padded(Desc(1, 2, 3, 2, 80, 1, 70), 0, 0, 35, 34), true, 403);
  // Large strides and dilations: phases and taps far apart.
  CheckForward(
      Strided(Padded(Desc(1, 2, 3, 30, 61, 2, 3), 1, 0, 4, 3), 5, 7, 6, 11),
      true, 404);
  // Depthwise NHWC with more taps than the depthwise kernel takes
  // (kNhwcDepthwiseMaxTaps): the packed-weights path instead.
  CheckForward(
      Nhwc(Grouped(Padded(Desc(1, 3, 3, 24, 24, 23, 23), 1, 1, 1, 1), 3)), true,
      406);
  // NCHW on the packed-weights kernel (AVX-512, and the other targets for
  // output planes up to 28x28): 64+ channels per group with groups, stride,
  // dilation and asymmetric padding; rows narrower than a pixel block.
  CheckForward(
      Strided(Padded(Grouped(Desc(1, 128, 130, 9, 11, 3, 2), 2), 1, 2, 0, 1), 2,
              1, 1, 2),
      true, 412);
  CheckForward(Padded(Desc(2, 64, 70, 4, 5, 3, 3), 1, 1, 1, 1), false, 413);
  // Output channels one short of a whole block on every target: the
  // remaining vectors as one block, the last one partial.
  CheckForward(Nhwc(Padded(Desc(1, 5, 63, 4, 9, 3, 3), 1, 1, 1, 1)), true, 414);
  // Packed weights past the tile budget: output channels split in chunks of
  // 64, the last one partial, in both layouts.
  CheckForward(Padded(Desc(1, 256, 130, 5, 7, 3, 3), 1, 0, 1, 2), true, 407);
  CheckForward(Nhwc(Padded(Desc(2, 256, 130, 5, 7, 3, 3), 0, 1, 2, 1)), true,
               408);
  // Output rows entirely in the padding: bias only (direct kernel, then
  // packed weights in both layouts); rows narrower than a pixel block.
  CheckForward(Padded(Desc(1, 2, 3, 1, 9, 1, 3), 2, 3, 0, 0), true, 405);
  CheckForward(Padded(Desc(1, 64, 65, 1, 9, 1, 3), 2, 3, 0, 0), true, 409);
  CheckForward(Nhwc(Padded(Desc(1, 8, 9, 1, 9, 1, 3), 2, 3, 0, 0)), true, 410);
  CheckForward(Nhwc(Padded(Desc(2, 8, 9, 3, 4, 3, 3), 1, 1, 1, 1)), true, 411);
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(ForwardTest, OneByOneAndDepthwiseVariants) {
  uint64_t seed = 500;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc pointwise_strided =
        Strided(Desc(2, 5, 6, 9, 11, 1, 1), 2, 3, 1, 1);
    xcorr_conv2d_desc pointwise_padded =
        Padded(Desc(1, 5, 6, 9, 11, 1, 1), 1, 0, 2, 1);
    // From the fuzzer: a one-row input padded on the right or below is no
    // matrix product (its output is larger than x).
    xcorr_conv2d_desc one_row_padded_right =
        Padded(Desc(1, 1, 3, 1, 21, 1, 1), 0, 0, 0, 1);
    xcorr_conv2d_desc one_row_padded_below =
        Padded(Desc(1, 2, 3, 1, 40, 1, 1), 0, 1, 0, 0);
    xcorr_conv2d_desc depthwise_valid = Grouped(Desc(2, 4, 4, 12, 37, 3, 3), 4);
    xcorr_conv2d_desc depthwise_multiplier =
        Grouped(Desc(1, 3, 6, 12, 19, 5, 5), 3);
    for (xcorr_conv2d_desc* desc :
         {&pointwise_strided, &pointwise_padded, &one_row_padded_right,
          &one_row_padded_below, &depthwise_valid, &depthwise_multiplier}) {
      desc->layout = layout;
      CheckForward(*desc, true, seed++);
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// From the fuzzer: strides, dilations and padding of about 2^60 are valid on
// tiny tensors. Huge strides and padding make the geometry degenerate (the
// reference runs it); a huge dilation with one tap changes nothing and runs
// the kernels. None may overflow index arithmetic (UBSan) or read outside x.
TEST_P(ForwardTest, HugeStridesDilationsAndPadsMatchReference) {
  const int64_t huge = int64_t{1} << 60;
  uint64_t seed = 600;
  for (xcorr_layout layout : {XCORR_LAYOUT_NCHW, XCORR_LAYOUT_NHWC}) {
    xcorr_conv2d_desc one_output =
        Strided(Desc(1, 9, 4, 3, 1, 2, 1), 1, huge, 1, huge + 1);
    xcorr_conv2d_desc padded_two_outputs = Strided(
        Padded(Desc(1, 9, 4, 1, 1, 1, 1), 0, 0, 0, huge), 1, huge, 1, 1);
    xcorr_conv2d_desc padded_dilated = Strided(
        Padded(Desc(2, 3, 2, 4, 5, 2, 2), huge, 0, 0, huge), 1, 1, huge, huge);
    for (xcorr_conv2d_desc* desc :
         {&one_output, &padded_two_outputs, &padded_dilated}) {
      desc->layout = layout;
      ASSERT_LE(test::ShapeOf(*desc).y_elements, 100) << Describe(*desc);
      CheckForward(*desc, true, seed++);
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

}  // namespace
}  // namespace xcorr
