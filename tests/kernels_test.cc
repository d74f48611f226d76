// The building blocks of kernels-inl.h on every compiled target: row
// packing, tap ranges, partial vectors, each plane-kernel specialization at
// every width and height around its block sizes, and padded planes' masked
// columns; and transpose-inl.h's transposition around whole register blocks.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tests/kernels_test.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "hwy/tests/hwy_gtest.h"
#include "src/kernels-inl.h"
#include "src/random.h"
#include "src/reference.h"
#include "src/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace {

using detail::RandomVector;

// Small integers: every sum is exact, so kernels must match bit for bit.
std::vector<float> IntegerVector(int64_t count, int64_t seed) {
  std::vector<float> values(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    values[static_cast<size_t>(k)] =
        static_cast<float>((k * 7 + seed * 13) % 9 - 4);
  }
  return values;
}

void TestAllTapRange() {
  for (int64_t position = -9; position <= 12; ++position) {
    for (int64_t dilation = 1; dilation <= 3; ++dilation) {
      for (int64_t taps = 1; taps <= 5; ++taps) {
        int64_t begin, end;
        TapRange(position, dilation, taps, 8, &begin, &end);
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t at = position + t * dilation;
          EXPECT_EQ(at >= 0 && at < 8, t >= begin && t < end)
              << position << " " << dilation << " " << taps << " " << t;
        }
        EXPECT_LE(begin, end);
      }
    }
  }
}

void TestAllPackRow() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t width = 2 * N + 3;
  const std::vector<float> row = IntegerVector(width, 1);
  for (int64_t stride = 1; stride <= 3; ++stride) {
    for (int64_t phases = 1; phases <= stride; ++phases) {
      for (int64_t first = -N - 2; first <= width + 1; ++first) {
        for (int64_t length = N; length <= 3 * N; length += N) {
          // A guard vector after the packed rows must survive.
          auto packed = hwy::AllocateAligned<float>(
              static_cast<size_t>((phases + 1) * length));
          std::fill(packed.get(), packed.get() + (phases + 1) * length, 99.0f);
          PackRow(row.data(), width, first, stride, phases, length,
                  packed.get());
          for (int64_t p = 0; p < phases; ++p) {
            for (int64_t k = 0; k < length; ++k) {
              const int64_t col = first + k * stride + p;
              const float want = col >= 0 && col < width
                                     ? row[static_cast<size_t>(col)]
                                     : 0.0f;
              EXPECT_EQ(want, packed[static_cast<size_t>(p * length + k)])
                  << stride << " " << first << " " << length << " " << p << " "
                  << k;
            }
          }
          EXPECT_EQ(99.0f, packed[static_cast<size_t>(phases * length)]);
        }
      }
    }
  }
}

void TestAllPartialVectors() {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t count = 1; count <= N; ++count) {
    std::vector<float> memory(static_cast<size_t>(N + 2), -1.0f);
    for (int64_t k = 0; k < count; ++k)
      memory[static_cast<size_t>(k + 1)] = static_cast<float>(k);
    // Lanes past count load as zero, whatever lies in memory.
    const hn::Vec<decltype(d)> v = LoadUpTo(d, memory.data() + 1, count);
    HWY_ALIGN float lanes[HWY_MAX_BYTES / sizeof(float)];
    hn::Store(v, d, lanes);
    for (int64_t k = 0; k < N; ++k) {
      EXPECT_EQ(k < count ? static_cast<float>(k) : 0.0f, lanes[k]);
    }
    // Stores leave everything past count untouched.
    StoreUpTo(d, hn::Set(d, 5.0f), memory.data() + 1, count);
    EXPECT_EQ(-1.0f, memory[0]);
    for (int64_t k = 0; k < N + 1; ++k) {
      EXPECT_EQ(k < count ? 5.0f : -1.0f, memory[static_cast<size_t>(k + 1)]);
    }
  }
}

struct Kernel {
  int64_t height, width;
};

// The plane kernel (through the library's dispatch, which runs this
// target) against the seed's loop: the fixed 3x3 and 5x5 kernels, and the
// others at every height from 1 to 19 (each height of a single band, and
// tall kernels whose middle run of input rows is empty or up to 14 rows
// long; see PlaneTall), on plane sizes around the row and vector
// blocks (one-row kernels run blocks of up to 8 vectors, after a vector
// alone on long rows), with tiles that start and end mid-plane.
void TestAllPlaneKernels() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  std::vector<Kernel> kernels = {{3, 3}, {5, 5}, {3, 5}, {5, 3}, {1, 5}};
  for (int64_t height = 1; height <= 19; ++height)
    kernels.push_back({height, height % 4 + 1});
  for (const Kernel& kernel : kernels) {
    const std::vector<float> k = IntegerVector(kernel.height * kernel.width, 2);
    // 7 N + 14: AVX-512's 4 x 4-vector 5x5 blocks, the last one
    // overlapping its predecessor; 33 N + 5: one-row kernels first run a
    // vector alone so that their blocks load from whole vectors of x (rows
    // start at every offset from one).
    std::vector<int64_t> out_widths = {6 * N + 3,  7 * N + 14, 8 * N + 1,
                                       12 * N + 5, 16 * N,     33 * N + 5};
    for (int64_t out_width = 1; out_width <= 4 * N + 1; ++out_width)
      out_widths.push_back(out_width);
    for (int64_t out_height = 1; out_height <= 19; out_height += 3) {
      for (const int64_t out_width : out_widths) {
        const int64_t height = out_height + kernel.height - 1;
        const int64_t width = out_width + kernel.width - 1;
        // One float of offset: every load and store is unaligned.
        std::vector<float> x_memory =
            IntegerVector(height * width + 1, out_width);
        const float* x = x_memory.data() + 1;
        std::vector<float> want(static_cast<size_t>(out_height * out_width));
        reference::Corr2d(x, height, width, k.data(), kernel.height,
                          kernel.width, want.data());
        std::vector<float> y_memory(want.size() + 2, 1e30f);
        detail::PlaneTile tile{x,
                               width,
                               k.data(),
                               kernel.height,
                               kernel.width,
                               y_memory.data() + 1,
                               out_width,
                               out_width,
                               0,
                               0,
                               0.0f};
        // Two tiles split at a row that is no multiple of any block.
        const int64_t split = out_height / 3;
        tile.row_end = split;
        detail::CorrPlaneTile(tile);
        tile.row_begin = split;
        tile.row_end = out_height;
        detail::CorrPlaneTile(tile);
        EXPECT_EQ(1e30f, y_memory.front());
        EXPECT_EQ(1e30f, y_memory.back());
        ASSERT_EQ(HWY_TARGET, detail::DispatchedTarget());
        for (size_t e = 0; e < want.size(); ++e) {
          ASSERT_EQ(want[e], y_memory[e + 1])
              << kernel.height << "x" << kernel.width << " out " << out_height
              << "x" << out_width << " element " << e;
        }
      }
    }
  }
}

// Rows of tiles shorter than a register block, and planes narrower than a
// vector, run outside the blocks (PlaneEdge), summing the taps in the same
// order: with data whose sums round, each row run as its own tile gives the
// same bits as the whole plane in blocks (7 N + 2 columns: the last whole
// block overlaps its predecessor, at 2 and 4 vectors per block).
void TestAllPlaneEdges() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (const Kernel kernel :
       {Kernel{3, 3}, Kernel{5, 5}, Kernel{7, 7}, Kernel{1, 2}, Kernel{1, 4}}) {
    for (const int64_t out_width : {N / 2 + 1, 3 * N + 1, 7 * N + 2}) {
      const int64_t out_height = 13;
      const int64_t width = out_width + kernel.width - 1;
      const std::vector<float> x =
          RandomVector((out_height + kernel.height - 1) * width, 5);
      const std::vector<float> k =
          RandomVector(kernel.height * kernel.width, 6);
      std::vector<float> whole(static_cast<size_t>(out_height * out_width));
      std::vector<float> by_row(whole.size());
      detail::PlaneTile tile{x.data(),      width,        k.data(),
                             kernel.height, kernel.width, whole.data(),
                             out_width,     out_width,    0,
                             out_height,    0.25f};
      detail::CorrPlaneTile(tile);
      tile.y = by_row.data();
      for (int64_t row = 0; row < out_height; ++row) {
        tile.row_begin = row;
        tile.row_end = row + 1;
        detail::CorrPlaneTile(tile);
      }
      ASSERT_EQ(whole, by_row) << kernel.height << "x" << kernel.width << ", "
                               << out_width << " wide";
    }
  }
}

// A padded plane's rows with their zero columns read by masked loads
// (AVX-512 3x3 and 5x5): every zero column count up to the kernel's width
// on each side, widths around the blocks, rows whose neighbours in memory
// hold NaN (a load of one of them instead of a zero shows), against the
// reference on a padded copy. Elsewhere, and for shapes the kernel does not
// take, the call declines and writes nothing.
void TestAllPlaneMaskedColumns() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<int64_t> in_widths = {8 * N - 4, 8 * N + 12, 11 * N + 7};
  for (int64_t in_width = 12; in_width <= 5 * N + 3; ++in_width)
    in_widths.push_back(in_width);
  for (const int64_t size : {3, 5}) {
    const std::vector<float> k = IntegerVector(size * size, size);
    // 13 rows: no multiple of any block height.
    const int64_t out_height = 13, in_height = out_height + size - 1;
    for (const int64_t in_width : in_widths) {
      for (int64_t pad_left = 0; pad_left <= size; ++pad_left) {
        for (int64_t pad_right = 0; pad_right <= size; ++pad_right) {
          const int64_t width = pad_left + in_width + pad_right;
          const int64_t out_width = width - size + 1;
          // Rows `gap` NaNs apart, x after as many.
          const int64_t gap = size + 1, stride = in_width + gap;
          std::vector<float> x_memory(
              static_cast<size_t>(in_height * stride + gap), nan);
          std::vector<float> padded(static_cast<size_t>(in_height * width));
          const std::vector<float> values =
              IntegerVector(in_height * in_width, in_width);
          for (int64_t i = 0; i < in_height; ++i) {
            for (int64_t j = 0; j < in_width; ++j) {
              const float value = values[static_cast<size_t>(i * in_width + j)];
              x_memory[static_cast<size_t>(gap + i * stride + j)] = value;
              padded[static_cast<size_t>(i * width + pad_left + j)] = value;
            }
          }
          std::vector<float> want(static_cast<size_t>(out_height * out_width));
          reference::Corr2d(padded.data(), in_height, width, k.data(), size,
                            size, want.data());
          std::vector<float> y(want.size(), 1e30f);
          const detail::PlaneTile tile{x_memory.data() + gap - pad_left,
                                       stride,
                                       k.data(),
                                       size,
                                       size,
                                       y.data(),
                                       out_width,
                                       out_width,
                                       0,
                                       out_height,
                                       0.0f};
          const bool ran =
              detail::CorrPlaneMaskedColumns(tile, {pad_left, in_width});
          ASSERT_EQ(HWY_TARGET, detail::DispatchedTarget());
          const bool takes =
              MasksPlaneColumns(size, size, pad_left, pad_right) &&
              out_width >= N;
          ASSERT_EQ(takes, ran) << size << ": " << pad_left << " + " << in_width
                                << " + " << pad_right;
          ASSERT_EQ(takes, detail::PlaneMasksColumns(size, size, pad_left,
                                                     pad_right) &&
                               out_width >= N);
          if (!ran) {
            ASSERT_EQ(std::vector<float>(want.size(), 1e30f), y);
            continue;
          }
          ASSERT_EQ(want, y) << size << ": " << pad_left << " + " << in_width
                             << " + " << pad_right;
        }
      }
    }
  }
  // AVX-512 takes 3x3 and 5x5 kernels with pads below their width.
  const bool avx512 = HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3;
  EXPECT_EQ(avx512, MasksPlaneColumns(3, 3, 2, 1));
  EXPECT_EQ(avx512, MasksPlaneColumns(5, 5, 4, 0));
  EXPECT_FALSE(MasksPlaneColumns(3, 3, 3, 1));
  EXPECT_FALSE(MasksPlaneColumns(7, 7, 1, 1));
}

void TestAllTranspose() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (int64_t count = 0; count <= 2 * N + 3; ++count) {
    for (int64_t width = 0; width <= 2 * N + 3; ++width) {
      // Rows with room to spare on both sides, which must stay untouched.
      const int64_t src_stride = width + 3, dst_stride = count + 5;
      const std::vector<float> src =
          IntegerVector(std::max<int64_t>(count, 1) * src_stride, count);
      std::vector<float> dst(
          static_cast<size_t>(std::max<int64_t>(width, 1) * dst_stride), 1e30f);
      Transpose(src.data(), src_stride, count, width, dst.data(), dst_stride);
      for (int64_t k = 0; k < std::max<int64_t>(width, 1); ++k) {
        for (int64_t i = 0; i < dst_stride; ++i) {
          const float want = k < width && i < count
                                 ? src[static_cast<size_t>(i * src_stride + k)]
                                 : 1e30f;
          ASSERT_EQ(want, dst[static_cast<size_t>(k * dst_stride + i)])
              << count << " x " << width << " at " << k << ", " << i;
        }
      }
    }
  }
}

// Rows narrower than a vector, read past their width up to src_end, the
// way dx's weight packing transposes a kernel's taps: each element distinct,
// so that a row or column off by one shows; ASan checks that nothing at or
// past src_end (the allocation's end) is read.
void TestAllTransposeWithin() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (int64_t width = 1; width <= N + 3; ++width) {
    for (int64_t src_stride = width; src_stride <= width + 2; ++src_stride) {
      for (int64_t count = 1; count <= 3 * N + 1; ++count) {
        for (int64_t slack = 0; slack <= N; slack += N) {
          const int64_t size = (count - 1) * src_stride + width + slack;
          std::vector<float> src(static_cast<size_t>(size));
          for (int64_t k = 0; k < size; ++k)
            src[static_cast<size_t>(k)] = static_cast<float>(k);
          const int64_t dst_stride = count + 1;
          std::vector<float> dst(static_cast<size_t>(width * dst_stride),
                                 -1.0f);
          TransposeWithin(src.data(), src_stride, count, width,
                          src.data() + size, dst.data(), dst_stride);
          for (int64_t k = 0; k < width; ++k) {
            for (int64_t i = 0; i < dst_stride; ++i) {
              const float want =
                  i < count ? static_cast<float>(i * src_stride + k) : -1.0f;
              ASSERT_EQ(want, dst[static_cast<size_t>(k * dst_stride + i)])
                  << count << " rows of " << width << ", stride " << src_stride
                  << ", slack " << slack << " at " << k << ", " << i;
            }
          }
        }
      }
    }
  }
}

// Rows of dst as long as src has rows, one after the other: fewer rows than
// a vector and more, widths below and past a few vectors, src read up to its
// allocation's end or with rows to spare; a guard after dst's rows must
// survive the whole-vector stores.
void TestAllTransposeToShortRows() {
  const int64_t N = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  for (int64_t count = 1; count <= N + 2; ++count) {
    for (int64_t width = 1; width <= 3 * N + 1; ++width) {
      for (int64_t slack = 0; slack <= N; slack += N) {
        const int64_t src_stride = width + 1;
        const int64_t size = (count + slack - 1) * src_stride + width;
        std::vector<float> src(static_cast<size_t>(size));
        for (int64_t k = 0; k < size; ++k)
          src[static_cast<size_t>(k)] = static_cast<float>(k);
        const int64_t guard = N;
        std::vector<float> dst(static_cast<size_t>(width * count + guard),
                               -1.0f);
        TransposeToShortRows(src.data(), src_stride, count, width,
                             src.data() + size, dst.data());
        for (int64_t j = 0; j < width * count + guard; ++j) {
          const int64_t k = j / count, i = j % count;
          const float want = j < width * count
                                 ? static_cast<float>(i * src_stride + k)
                                 : -1.0f;
          ASSERT_EQ(want, dst[static_cast<size_t>(j)])
              << count << " rows of " << width << ", slack " << slack << " at "
              << j;
        }
      }
    }
  }
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace xcorr {
HWY_BEFORE_TEST(KernelsTest);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllTapRange);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllPackRow);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllPartialVectors);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllPlaneKernels);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllPlaneEdges);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllPlaneMaskedColumns);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllTranspose);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllTransposeWithin);
HWY_EXPORT_AND_TEST_P(KernelsTest, TestAllTransposeToShortRows);
}  // namespace xcorr
#endif  // HWY_ONCE
