// Every kernel stays inside the caller's buffers: each tensor is placed to
// end where an unreadable, unwritable page begins, so that a read or write
// past it faults, on every compiled SIMD target and in every build
// (AddressSanitizer sees such reads only in the sanitized one); and, for
// the padded planes whose zero columns masked loads read, to begin where
// one ends. The values
// are checked by the other tests; these check that the calls succeed.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

using test::Desc;
using test::Describe;
using test::Nhwc;
using test::Padded;

class BoundsTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(BoundsTest);

// Where GuardedFloats puts its PROT_NONE page.
enum class Guard { kAfter, kBefore };

// `count` floats (at least one) that end where a PROT_NONE page begins, or
// begin where one ends.
class GuardedFloats {
 public:
  explicit GuardedFloats(int64_t count, Guard guard = Guard::kAfter) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = sizeof(float) * static_cast<size_t>(count);
    size_ = (bytes + page - 1) / page * page + page;
    void* memory = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(MAP_FAILED, memory);
    memory_ = static_cast<char*>(memory);
    const bool after = guard == Guard::kAfter;
    EXPECT_EQ(0,
              mprotect(memory_ + (after ? size_ - page : 0), page, PROT_NONE));
    data_ = reinterpret_cast<float*>(after ? memory_ + size_ - page - bytes
                                           : memory_ + page);
    for (int64_t k = 0; k < count; ++k)
      data_[k] = static_cast<float>(k % 7) * 0.25f - 0.5f;
  }
  ~GuardedFloats() { munmap(memory_, size_); }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  float* data() { return data_; }

 private:
  char* memory_ = nullptr;
  size_t size_ = 0;
  float* data_ = nullptr;
};

// Forward, and backward with every gradient and with dw alone, on guarded
// tensors (the workspace is the library's own).
void RunGuarded(const xcorr_conv2d_desc& desc, Guard guard = Guard::kAfter) {
  const detail::ConvShape shape = test::ShapeOf(desc);
  GuardedFloats x(shape.x_elements, guard), w(shape.w_elements, guard),
      bias(desc.out_channels, guard), y(shape.y_elements, guard),
      dy(shape.y_elements, guard), dx(shape.x_elements, guard),
      dw(shape.w_elements, guard), dbias(desc.out_channels, guard);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(),
                                           bias.data(), y.data(), nullptr))
      << Describe(desc);
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(),
                                  dx.data(), dw.data(), dbias.data(), nullptr))
      << Describe(desc);
  EXPECT_EQ(XCORR_OK,
            xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(), nullptr,
                                  dw.data(), nullptr, nullptr))
      << Describe(desc);
  xcorr_plan_destroy(plan);
}

// The seed's corr2d: the plane kernels' blocks (3x3 and 1x2 on windows of
// a vector past their last column, on AVX-512), their edges and one-row
// kernels (a lone first vector on rows of 32 vectors or more), on rows
// around one and four vectors of every target.
TEST_P(BoundsTest, Corr2dReadsOnlyItsPlanes) {
  for (const int64_t kernel_height : {1, 3, 5, 7}) {
    for (const int64_t kernel_width : {2, 3, 5, 7}) {
      for (const int64_t height : {7, 17}) {
        for (const int64_t width :
             {7, 16, 18, 33, 63, 64, 65, 66, 80, 130, 257, 600}) {
          if (kernel_width > width) continue;
          const int64_t out_height = height - kernel_height + 1;
          const int64_t out_width = width - kernel_width + 1;
          GuardedFloats x(height * width), k(kernel_height * kernel_width),
              y(out_height * out_width);
          EXPECT_EQ(XCORR_OK,
                    xcorr_corr2d(x.data(), height, width, k.data(),
                                 kernel_height, kernel_width, y.data()))
              << kernel_height << "x" << kernel_width << " on " << height << "x"
              << width;
        }
      }
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Forward and backward on one channel (padded planes), a few channels (the
// NCHW direct kernel, its 3-, 5- and 7-tap windows on AVX-512) and NHWC
// (the packed-weights kernel).
TEST_P(BoundsTest, ConvolutionsReadOnlyTheirTensors) {
  for (const int64_t kernel : {1, 2, 3, 5, 7}) {
    for (const int64_t width : {9, 17, 64, 70}) {
      const int64_t pad = kernel / 2;
      RunGuarded(Desc(1, 1, 1, 9, width, kernel, kernel));
      RunGuarded(Padded(Desc(1, 1, 1, 9, width, kernel, kernel), pad));
      RunGuarded(Padded(Desc(2, 2, 3, 6, width, kernel, kernel), pad));
      RunGuarded(Nhwc(Padded(Desc(1, 5, 17, 6, width, kernel, kernel), pad)));
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// One-channel planes padded by up to the kernel less one column (the dx of
// an unpadded one), whose first rows' masked loads (AVX-512) start before x
// and dy: the tensors begin where a PROT_NONE page ends, so that a load
// that read a masked-off lane would fault.
TEST_P(BoundsTest, PaddedPlanesReadNothingBeforeTheirTensors) {
  for (const int64_t kernel : {2, 3, 5, 7}) {
    for (const int64_t width : {16, 17, 64, 70, 300}) {
      for (const int64_t pad : {int64_t{1}, kernel / 2, kernel - 1}) {
        RunGuarded(Padded(Desc(1, 1, 1, 13, width, kernel, kernel), pad),
                   Guard::kBefore);
      }
      RunGuarded(Desc(1, 1, 1, 13, width, kernel, kernel), Guard::kBefore);
    }
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

}  // namespace
}  // namespace xcorr
