// Numerics through the C API, on every compiled SIMD target: NaN and Inf
// propagate element by element exactly as in the f64 reference (PyTorch's
// IEEE semantics: a NaN reaches exactly the outputs whose window holds it,
// Inf * 0 is NaN, +Inf + -Inf is NaN), denormals are computed rather than
// flushed, and sizes that need 64-bit arithmetic are either handled exactly
// or refused.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "hwy/tests/hwy_gtest.h"
#include "src/kernels.h"
#include "tests/test_util.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// NaN where the reference has NaN, the same infinity where it has one, and
// within the contract's bound elsewhere. Returns how many NaNs and
// infinities the reference has, so that callers can check the case bites.
int ExpectSameSpecials(const std::vector<float>& got,
                       const std::vector<float>& want,
                       const std::vector<float>& term_sums,
                       const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  int specials = 0, reported = 0;
  for (size_t k = 0; k < got.size() && k < want.size(); ++k) {
    bool ok;
    if (std::isnan(want[k])) {
      ok = std::isnan(got[k]);
    } else if (std::isinf(want[k])) {
      ok = got[k] == want[k];
    } else {
      ok = std::fabs(static_cast<double>(got[k]) - want[k]) <=
           1e-4 * term_sums[k];
    }
    specials += std::isnan(want[k]) || std::isinf(want[k]);
    if (!ok && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << k << " is " << got[k]
                    << ", reference " << want[k];
    }
  }
  return specials;
}

// Shapes that reach the different forward paths: the tiled stride-1 NCHW
// path, and padded, strided, dilated, grouped NCHW and NHWC.
std::vector<xcorr_conv2d_desc> Shapes() {
  xcorr_conv2d_desc plain;
  xcorr_conv2d_desc_init(&plain);
  plain.in_channels = 2;
  plain.out_channels =
      4;  // one channel per special bias case, and a finite one
  plain.in_height = 9;
  plain.in_width = 21;
  plain.kernel_height = plain.kernel_width = 3;
  xcorr_conv2d_desc padded = plain;
  padded.pad_top = padded.pad_left = 1;
  padded.pad_bottom = padded.pad_right = 2;
  padded.stride_width = 2;
  padded.dilation_height = 2;
  xcorr_conv2d_desc nhwc = padded;
  nhwc.in_channels = nhwc.out_channels = 4;
  nhwc.groups = 2;
  nhwc.layout = XCORR_LAYOUT_NHWC;
  // Many input channels, stride 1 and pads within the kernel: the forward's
  // and dx's packed-weights kernel.
  xcorr_conv2d_desc packed = plain;
  packed.in_channels = 20;
  packed.pad_top = packed.pad_bottom = packed.pad_left = packed.pad_right = 1;
  xcorr_conv2d_desc packed_nhwc = packed;
  packed_nhwc.layout = XCORR_LAYOUT_NHWC;
  return {plain, padded, nhwc, packed, packed_nhwc};
}

std::vector<float> Forward(const xcorr_conv2d_desc& desc,
                           const std::vector<float>& x,
                           const std::vector<float>& w,
                           const std::vector<float>& bias) {
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  std::vector<float> y(static_cast<size_t>(test::ShapeOf(desc).y_elements));
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(),
                                           bias.data(), y.data(), nullptr))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
  return y;
}

// Runs forward with (x, w, bias) and compares specials with the reference;
// expects at least one special output and at least one finite one.
void CheckForwardSpecials(const xcorr_conv2d_desc& desc,
                          const std::vector<float>& x,
                          const std::vector<float>& w,
                          const std::vector<float>& bias, const char* what) {
  const test::ForwardOracle oracle = test::ReferenceForward(desc, x, w, &bias);
  const std::vector<float> y = Forward(desc, x, w, bias);
  const int specials = ExpectSameSpecials(y, oracle.y, oracle.term_sums,
                                          what + (" " + test::Describe(desc)));
  EXPECT_GT(specials, 0) << what;
  EXPECT_LT(static_cast<size_t>(specials), y.size()) << what;
}

// x element (n = 0, c, h, w) in desc's layout.
size_t XIndex(const xcorr_conv2d_desc& desc, int64_t c, int64_t h, int64_t w) {
  const detail::Strides4 s = test::ShapeOf(desc).x_strides;
  return static_cast<size_t>(c * s.c + h * s.h + w * s.w);
}

class NumericsTest : public hwy::TestWithParamTarget {};
HWY_TARGET_INSTANTIATE_TEST_SUITE_P(NumericsTest);

TEST_P(NumericsTest, NaNInXReachesExactlyTheWindowsHoldingIt) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    const detail::ConvShape s = test::ShapeOf(desc);
    std::vector<float> x = test::RandomVector(s.x_elements, 1);
    const std::vector<float> w = test::RandomVector(s.w_elements, 2);
    const std::vector<float> bias = test::RandomVector(desc.out_channels, 3);
    // Interior, first and last column: kernels that read past a row's end
    // or start would spread these.
    x[XIndex(desc, 1, 4, 10)] = kNaN;
    x[XIndex(desc, 0, 0, desc.in_width - 1)] = kNaN;
    x[XIndex(desc, 1, 7, 0)] = kNaN;
    CheckForwardSpecials(desc, x, w, bias, "NaN in x");
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(NumericsTest, InfInXTimesZeroTapIsNaNAndOppositeInfsGiveNaN) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    const detail::ConvShape s = test::ShapeOf(desc);
    std::vector<float> x = test::RandomVector(s.x_elements, 4);
    std::vector<float> w = test::RandomVector(s.w_elements, 5);
    const std::vector<float> bias = test::RandomVector(desc.out_channels, 6);
    x[XIndex(desc, 0, 3, 6)] = kInf;
    x[XIndex(desc, 0, 3, 7)] = -kInf;  // meets +Inf in windows covering both
    x[XIndex(desc, 1, 6, 15)] = -kInf;
    // A zero tap in every kernel: Inf * 0 makes NaN where it lands.
    for (size_t k = 0; k < w.size(); k += 9) w[k + 4] = 0.0f;
    CheckForwardSpecials(desc, x, w, bias, "Inf in x");
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(NumericsTest, InfAndNaNInWeightsAndBias) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    // Padded shapes too: as in PyTorch, padding is real zeros, so an Inf
    // weight over it makes NaN (0 * Inf).
    const detail::ConvShape s = test::ShapeOf(desc);
    std::vector<float> x = test::RandomVector(s.x_elements, 7);
    std::vector<float> w = test::RandomVector(s.w_elements, 8);
    std::vector<float> bias = test::RandomVector(desc.out_channels, 9);
    // An Inf weight meeting zeros of x.
    w[0] = kInf;
    for (int64_t col = 2; col < 8; ++col) x[XIndex(desc, 0, 4, col)] = 0.0f;
    bias[1] = -kInf;
    bias[static_cast<size_t>(desc.out_channels - 1)] = kNaN;
    CheckForwardSpecials(desc, x, w, bias, "Inf/NaN in w and bias");
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(NumericsTest, GradientsPropagateNaNAndInfLikeTheReference) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    const detail::ConvShape s = test::ShapeOf(desc);
    std::vector<float> x = test::RandomVector(s.x_elements, 10);
    std::vector<float> w = test::RandomVector(s.w_elements, 11);
    std::vector<float> dy = test::RandomVector(s.y_elements, 12);
    dy[static_cast<size_t>(s.y_elements / 2)] =
        kNaN;                         // dx window, dw and dbias of one o
    x[XIndex(desc, 1, 5, 9)] = kInf;  // dw of channel 1's taps
    w[static_cast<size_t>(s.w_elements - 1)] =
        -kInf;  // dx of the last o's taps
    const test::BackwardOracle oracle = test::ReferenceBackward(desc, x, w, dy);
    xcorr_plan* plan = nullptr;
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
        << xcorr_last_error();
    std::vector<float> dx(x.size()), dw(w.size()), dbias(oracle.dbias.size());
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_backward(plan, x.data(), w.data(),
                                              dy.data(), dx.data(), dw.data(),
                                              dbias.data(), nullptr))
        << xcorr_last_error();
    xcorr_plan_destroy(plan);
    const std::string what = test::Describe(desc);
    EXPECT_GT(ExpectSameSpecials(dx, oracle.dx, oracle.dx_sums, "dx " + what),
              0);
    EXPECT_GT(ExpectSameSpecials(dw, oracle.dw, oracle.dw_sums, "dw " + what),
              0);
    EXPECT_GT(ExpectSameSpecials(dbias, oracle.dbias, oracle.dbias_sums,
                                 "dbias " + what),
              0);
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(NumericsTest, InfAtARowEndInXReachesOnlyTheTapsThatReadIt) {
  // dw's flat loops run across row ends, where zeros after dy's rows meet
  // the next row of x: an Inf there must not turn other taps into NaN.
  std::vector<xcorr_conv2d_desc> descs = Shapes();
  for (const int64_t width : {8, 70}) {
    for (const int64_t channels : {1, 2, 17}) {
      xcorr_conv2d_desc desc;
      xcorr_conv2d_desc_init(&desc);
      desc.in_channels = channels;
      desc.out_channels = channels == 2 ? 5 : channels;
      desc.in_height = 9;
      desc.in_width = width;
      desc.kernel_height = desc.kernel_width = 3;
      descs.push_back(desc);
      desc.pad_left = desc.pad_right = 1;
      descs.push_back(desc);
    }
  }
  for (const xcorr_conv2d_desc& desc : descs) {
    const detail::ConvShape s = test::ShapeOf(desc);
    std::vector<float> x = test::RandomVector(s.x_elements, 13);
    const std::vector<float> w = test::RandomVector(s.w_elements, 14);
    const std::vector<float> dy = test::RandomVector(s.y_elements, 15);
    x[XIndex(desc, 0, 3, 0)] = kInf;
    x[XIndex(desc, desc.in_channels - 1, 5, desc.in_width - 1)] = -kInf;
    const test::BackwardOracle oracle = test::ReferenceBackward(desc, x, w, dy);
    xcorr_plan* plan = nullptr;
    ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
        << xcorr_last_error();
    std::vector<float> dw(w.size());
    ASSERT_EQ(XCORR_OK,
              xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(),
                                    nullptr, dw.data(), nullptr, nullptr))
        << xcorr_last_error();
    xcorr_plan_destroy(plan);
    ExpectSameSpecials(dw, oracle.dw, oracle.dw_sums,
                       "dw " + test::Describe(desc));
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

TEST_P(NumericsTest, DenormalsAreComputedNotFlushed) {
  for (const xcorr_conv2d_desc& desc : Shapes()) {
    const detail::ConvShape s = test::ShapeOf(desc);
    // Denormal inputs and products: flushing any of them to zero breaks the
    // contract's relative bound, whose S is itself denormal here.
    std::vector<float> x = test::RandomVector(s.x_elements, 13);
    for (float& value : x) value *= 1e-38f;
    const std::vector<float> w = test::RandomVector(s.w_elements, 14);
    const std::vector<float> bias(static_cast<size_t>(desc.out_channels), 0.0f);
    const test::ForwardOracle oracle =
        test::ReferenceForward(desc, x, w, &bias);
    const std::vector<float> y = Forward(desc, x, w, bias);
    ASSERT_NE(0.0f, oracle.y[oracle.y.size() / 2]);
    test::ExpectWithinBound(y, oracle.y, oracle.term_sums,
                            "denormal " + test::Describe(desc));
  }
  EXPECT_EQ(GetParam(), detail::DispatchedTarget());
}

// Sizes that need 64-bit arithmetic: validated and planned exactly, with no
// buffers behind them (plans never allocate per element).
xcorr_conv2d_desc Huge(int64_t batch, int64_t channels, int64_t height,
                       int64_t width) {
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.batch = batch;
  desc.in_channels = desc.out_channels = channels;
  desc.in_height = height;
  desc.in_width = width;
  desc.kernel_height = desc.kernel_width = 3;
  return desc;
}

TEST(SixtyFourBitTest, HugeShapesGetExactSizesAndPlans) {
  const int64_t big = (int64_t{1} << 30) + 5;  // x has 2^60 + ... elements
  const xcorr_conv2d_desc desc = Huge(1, 1, big, big);
  int64_t height = 0, width = 0;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_output_size(&desc, &height, &width))
      << xcorr_last_error();
  EXPECT_EQ(big - 2, height);
  EXPECT_EQ(big - 2, width);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
  // Strides and pads near 2^62 still divide exactly.
  xcorr_conv2d_desc strided = Huge(1, 1, 1, 7);
  strided.kernel_height = 1;
  strided.pad_top = int64_t{1} << 61;
  strided.pad_bottom = (int64_t{1} << 61) - 1;
  strided.stride_height = int64_t{1} << 60;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_output_size(&strided, &height, &width));
  EXPECT_EQ(4, height);  // (2^62 - 1) / 2^60 + 1
  EXPECT_EQ(5, width);
}

TEST(SixtyFourBitTest, ByteSizesJustPastInt64AreRefused) {
  // 2^61 - 1 floats is the largest tensor whose byte size fits in int64_t.
  const int64_t max_elements = std::numeric_limits<int64_t>::max() / 4;
  xcorr_conv2d_desc desc = Huge(max_elements, 1, 1, 1);
  desc.kernel_height = desc.kernel_width = 1;
  int64_t height = 0, width = 0;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_output_size(&desc, &height, &width))
      << xcorr_last_error();
  desc.batch = max_elements + 1;
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(&desc, &height, &width));
  EXPECT_STREQ("x has too many elements: its byte size overflows",
               xcorr_last_error());
  // Factors whose product wraps around to a small positive number.
  desc = Huge(int64_t{1} << 32, int64_t{1} << 32, 4, 3);  // 2^66 elements
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT,
            xcorr_conv2d_output_size(&desc, &height, &width));
  EXPECT_STRNE("", xcorr_last_error());
  xcorr_plan* plan = reinterpret_cast<xcorr_plan*>(&desc);  // must be reset
  EXPECT_EQ(XCORR_ERR_INVALID_ARGUMENT, xcorr_conv2d_plan_create(&desc, &plan));
  EXPECT_EQ(nullptr, plan);
}

// Found by tests/fuzz: tile arithmetic once computed min(taps, 2^20) *
// out_width in int64_t, which wraps to exactly 0 for this valid shape with a
// huge padded width, and then divided by zero. The plan could never run (no
// buffer holds y), but creating it must not crash.
TEST(SixtyFourBitTest, PlanOnHugePaddedRowDoesNotCrash) {
  xcorr_conv2d_desc desc = Huge(1, int64_t{1} << 20, 1, 1);
  desc.out_channels = 1;
  desc.kernel_height = desc.kernel_width = 1;
  desc.pad_right =
      (int64_t{1} << 44) - 1;  // out_width 2^44: 2^20 * 2^44 wraps to 0
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
}

// Plans desc and returns what `size` (a workspace or packed-weights size)
// says of it.
size_t PlanSize(const xcorr_conv2d_desc& desc,
                size_t (*size)(const xcorr_plan*)) {
  xcorr_plan* plan = nullptr;
  EXPECT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  const size_t bytes = size(plan);
  xcorr_plan_destroy(plan);
  return bytes;
}

// From the fuzzer: w just under the byte limit, 2^61 - 2^20 floats, plus
// 2^20 dbias floats makes per-tile partials of 2^61 floats, whose byte count
// (2^63) overflowed in the backward plan (UBSan).
TEST(SixtyFourBitTest, PlanWithPartialsPastTheByteLimitDoesNotOverflow) {
  xcorr_conv2d_desc desc = Huge(1, (int64_t{1} << 41) - 1, 1, 1);
  desc.out_channels = int64_t{1} << 20;
  desc.kernel_height = desc.kernel_width = 1;
  EXPECT_EQ(SIZE_MAX, PlanSize(desc, xcorr_plan_workspace_size));
}

// Packed weights round each group's output channels up to 16: for w just
// under the byte limit (2^61 - 2^30 floats, 2^20 + 1 output channels), the
// packed rows' byte count passes 2^63. The size saturates, as the workspace's
// does; it never wraps to a small buffer.
TEST(SixtyFourBitTest, PackedWeightsSizeSaturates) {
  xcorr_conv2d_desc desc = Huge(1, 1, 1, 1);
  desc.layout = XCORR_LAYOUT_NHWC;  // the packed-weights kernel's form
  desc.out_channels = (int64_t{1} << 20) + 1;
  desc.in_channels =
      ((int64_t{1} << 61) - (int64_t{1} << 30)) / desc.out_channels;
  desc.kernel_height = desc.kernel_width = 1;
  EXPECT_EQ(SIZE_MAX, PlanSize(desc, xcorr_plan_packed_weights_size));
  // And where nothing overflows, the exact bytes: a 64-byte header, 64
  // bytes of alignment slack and the rows (16 channels each).
  desc.out_channels = 20;
  desc.in_channels = int64_t{1} << 40;
  EXPECT_EQ(64u + 64u + 4u * ((uint64_t{1} << 40) * 32u),
            PlanSize(desc, xcorr_plan_packed_weights_size));
}

// One real forward whose x and y rows are wider than 2^32 bytes, so that any
// 32-bit byte or element offset would wrap. Needs about 8.6 GB: it runs only
// with XCORR_LARGE_TESTS=1 (ctest -L large; see docs/HARDENING.md).
TEST(LargeTest, RowWiderThanFourGiB) {
  const char* enabled = std::getenv("XCORR_LARGE_TESTS");
  if (enabled == nullptr || std::string(enabled) != "1") {
    GTEST_SKIP() << "set XCORR_LARGE_TESTS=1 to run (8.6 GB)";
  }
  xcorr_conv2d_desc desc;
  xcorr_conv2d_desc_init(&desc);
  desc.in_height = 1;
  desc.in_width = (int64_t{1} << 30) + 37;
  desc.kernel_height = 1;
  desc.kernel_width = 3;
  const size_t width = static_cast<size_t>(desc.in_width);
  // x[j] = j mod 1021, w = {1, 2, -1}: every output is a small exact integer.
  std::vector<float> x(width);
  for (size_t j = 0; j < width; ++j) x[j] = static_cast<float>(j % 1021);
  const std::vector<float> w = {1.0f, 2.0f, -1.0f};
  const float bias = 0.5f;
  std::vector<float> y(width - 2, kNaN);
  xcorr_plan* plan = nullptr;
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_plan_create(&desc, &plan))
      << xcorr_last_error();
  ASSERT_EQ(XCORR_OK, xcorr_conv2d_forward(plan, x.data(), w.data(), &bias,
                                           y.data(), nullptr))
      << xcorr_last_error();
  xcorr_plan_destroy(plan);
  size_t wrong = 0, first_wrong = 0;
  for (size_t j = 0; j < y.size(); ++j) {
    const float want = bias + x[j] + 2 * x[j + 1] - x[j + 2];
    if (y[j] != want && wrong++ == 0) first_wrong = j;
  }
  EXPECT_EQ(0u, wrong) << "first at " << first_wrong;
}

}  // namespace
}  // namespace xcorr
