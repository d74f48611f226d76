// libFuzzer target for the whole C API: decodes a conv2d descriptor (biased
// towards small valid shapes, but also zero, negative, huge and overflowing
// sizes and bad layouts), then calls output_size, plan_create, forward and
// backward with random NULL subsets, corr2d, force_target with fuzzed names
// and set_num_threads. Every call must either fail with a status other than
// XCORR_OK and a non-empty xcorr_last_error(), or succeed with results within
// the contract's bound (1e-4 * S) of the f64 reference. Outputs are framed by
// canary floats, and inputs are checked unmodified, so that a write outside
// the caller's buffers is caught even without AddressSanitizer's redzones.
//
// Build and run: tools/fuzz.sh [seconds]; see docs/HARDENING.md.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/reference.h"
#include "src/shape.h"
#include "xcorr/xcorr.h"

namespace {

// Above these, buffers are not allocated (the descriptor is still validated
// and planned), so that one input stays fast under ASan.
constexpr int64_t kMaxElements = int64_t{1} << 16;
constexpr int64_t kMaxMultiplyAdds = int64_t{1} << 20;
// Floats of canary on each side of every output buffer.
constexpr size_t kCanaryFloats = 16;
constexpr uint32_t kCanaryBits = 0x7fa5a5a5u;  // a NaN no kernel computes

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "xcorr fuzzer: %s\n", what.c_str());
  std::abort();
}

void Check(bool condition, const std::string& what) {
  if (!condition) Fail(what);
}

// A failing call must say why.
void CheckFailure(xcorr_status status, const char* call) {
  Check(status != XCORR_OK,
        std::string(call) + " succeeded where it must fail");
  Check(xcorr_last_error()[0] != '\0',
        std::string(call) + " failed with an empty xcorr_last_error()");
}

// A size field: mostly (15 in 16) a small valid value, so that a third of
// the 17-field descriptors are wholly valid; else the edges of int64_t.
int64_t ConsumeSize(FuzzedDataProvider& data, int64_t small_min,
                    int64_t small_max) {
  switch (data.ConsumeIntegralInRange<int>(0, 63)) {
    case 0:
      return 0;
    case 1:
      return -data.ConsumeIntegralInRange<int64_t>(1, 3);
    case 2:  // near a power of two, where products overflow
      return (int64_t{1} << data.ConsumeIntegralInRange<int>(15, 62)) +
             data.ConsumeIntegralInRange<int64_t>(-2, 2);
    case 3:
      return data.ConsumeIntegral<int64_t>();
    default:
      return data.ConsumeIntegralInRange<int64_t>(small_min, small_max);
  }
}

xcorr_conv2d_desc ConsumeDesc(FuzzedDataProvider& data) {
  xcorr_conv2d_desc d;
  xcorr_conv2d_desc_init(&d);
  d.batch = ConsumeSize(data, 1, 3);
  d.groups = ConsumeSize(data, 1, 3);
  // Channel counts are mostly multiples of a small group count.
  const int64_t groups = d.groups > 0 && d.groups < 8 ? d.groups : 1;
  d.in_channels = ConsumeSize(data, 1, 3);
  d.out_channels = ConsumeSize(data, 1, 3);
  for (int64_t* channels : {&d.in_channels, &d.out_channels}) {
    if (*channels > 0 && *channels < 16) *channels *= groups;
  }
  d.in_height = ConsumeSize(data, 1, 12);
  d.in_width = ConsumeSize(data, 1, 160);
  d.kernel_height = ConsumeSize(data, 1, 4);
  d.kernel_width = ConsumeSize(data, 1, 5);
  d.stride_height = ConsumeSize(data, 1, 3);
  d.stride_width = ConsumeSize(data, 1, 3);
  d.pad_top = ConsumeSize(data, 0, 2);
  d.pad_bottom = ConsumeSize(data, 0, 2);
  d.pad_left = ConsumeSize(data, 0, 2);
  d.pad_right = ConsumeSize(data, 0, 2);
  d.dilation_height = ConsumeSize(data, 1, 3);
  d.dilation_width = ConsumeSize(data, 1, 3);
  // Mostly a valid layout; otherwise any int, as a C caller may store.
  const int layout = data.ConsumeIntegralInRange<int>(0, 7) == 0
                         ? data.ConsumeIntegral<int>()
                         : data.ConsumeBool();
  std::memcpy(&d.layout, &layout, sizeof(layout));
  return d;
}

// What the contract allows for a descriptor, decided in 128-bit arithmetic
// (independently of shape.cc).
enum class Verdict {
  kInvalid,       // must be refused
  kValid,         // must be accepted, with this output size
  kMayBeRefused,  // valid, but a padded or dilated size overflows int64_t
};

Verdict Judge(const xcorr_conv2d_desc& d, int64_t* out_height,
              int64_t* out_width) {
  int layout = 0;
  std::memcpy(&layout, &d.layout, sizeof(layout));
  if (layout != 0 && layout != 1) return Verdict::kInvalid;
  for (int64_t positive :
       {d.batch, d.in_channels, d.out_channels, d.in_height, d.in_width,
        d.kernel_height, d.kernel_width, d.stride_height, d.stride_width,
        d.dilation_height, d.dilation_width, d.groups}) {
    if (positive < 1) return Verdict::kInvalid;
  }
  for (int64_t pad : {d.pad_top, d.pad_bottom, d.pad_left, d.pad_right}) {
    if (pad < 0) return Verdict::kInvalid;
  }
  if (d.in_channels % d.groups != 0 || d.out_channels % d.groups != 0) {
    return Verdict::kInvalid;
  }
  using I128 = __int128;
  const I128 padded_h = I128{d.in_height} + d.pad_top + d.pad_bottom;
  const I128 padded_w = I128{d.in_width} + d.pad_left + d.pad_right;
  const I128 dilated_h = I128{d.dilation_height} * (d.kernel_height - 1) + 1;
  const I128 dilated_w = I128{d.dilation_width} * (d.kernel_width - 1) + 1;
  if (dilated_h > padded_h || dilated_w > padded_w) return Verdict::kInvalid;
  const I128 oh = (padded_h - dilated_h) / d.stride_height + 1;
  const I128 ow = (padded_w - dilated_w) / d.stride_width + 1;
  // Every tensor's byte size must fit in int64_t; checking the running
  // product at each step keeps it far from 2^127.
  auto fits = [](std::initializer_list<I128> factors) {
    I128 bytes = 4;
    for (I128 factor : factors) {
      bytes *= factor;
      if (bytes > INT64_MAX) return false;
    }
    return true;
  };
  if (!fits({d.batch, d.in_channels, d.in_height, d.in_width}) ||
      !fits({d.out_channels, d.in_channels / d.groups, d.kernel_height,
             d.kernel_width}) ||
      !fits({d.batch, d.out_channels, oh, ow})) {
    return Verdict::kInvalid;
  }
  *out_height = static_cast<int64_t>(oh);
  *out_width = static_cast<int64_t>(ow);
  const bool intermediate_overflows =
      padded_h > INT64_MAX || padded_w > INT64_MAX || dilated_h > INT64_MAX ||
      dilated_w > INT64_MAX;
  return intermediate_overflows ? Verdict::kMayBeRefused : Verdict::kValid;
}

// Small exact values (multiples of 1/8 in [-16, 16)), so that f32 sums of
// them are exact or nearly so and never overflow.
std::vector<float> ConsumeData(FuzzedDataProvider& data, int64_t count) {
  std::vector<float> values(static_cast<size_t>(count));
  for (float& value : values)
    value = static_cast<float>(data.ConsumeIntegral<int8_t>()) / 8;
  return values;
}

// As test::Abs; tests/test_util.h is not used here because it needs gtest.
std::vector<float> Abs(std::vector<float> values) {
  for (float& value : values) value = std::fabs(value);
  return values;
}

// An output buffer framed by canaries, starting at a fuzzed float offset so
// that kernels also see unaligned pointers.
class FramedBuffer {
 public:
  FramedBuffer(int64_t count, size_t misalign)
      : offset_(kCanaryFloats + misalign), count_(static_cast<size_t>(count)) {
    const float canary = Canary();
    storage_.assign(offset_ + count_ + kCanaryFloats, canary);
    // Every element must be written: start from a value no result equals.
    for (size_t k = 0; k < count_; ++k) storage_[offset_ + k] = 1e30f;
  }
  float* data() { return storage_.data() + offset_; }
  std::vector<float> values() const {
    return std::vector<float>(
        storage_.begin() + static_cast<ptrdiff_t>(offset_),
        storage_.begin() + static_cast<ptrdiff_t>(offset_ + count_));
  }
  bool Untouched() const {
    for (size_t k = 0; k < count_; ++k) {
      if (storage_[offset_ + k] != 1e30f) return false;
    }
    return true;
  }
  void CheckCanaries(const char* name) const {
    for (size_t k = 0; k < storage_.size(); ++k) {
      if (k >= offset_ && k < offset_ + count_) continue;
      uint32_t bits = 0;
      std::memcpy(&bits, &storage_[k], sizeof(bits));
      Check(bits == kCanaryBits,
            std::string("write outside ") + name + " at float " +
                std::to_string(static_cast<int64_t>(k) -
                               static_cast<int64_t>(offset_)));
    }
  }

 private:
  static float Canary() {
    float canary;
    std::memcpy(&canary, &kCanaryBits, sizeof(canary));
    return canary;
  }
  size_t offset_, count_;
  std::vector<float> storage_;
};

void CheckWithinBound(const std::vector<float>& got,
                      const std::vector<float>& want,
                      const std::vector<float>& term_sums, const char* name) {
  for (size_t k = 0; k < got.size(); ++k) {
    const double error = std::fabs(static_cast<double>(got[k]) - want[k]);
    if (!(error <= 1e-4 * term_sums[k])) {
      Fail(std::string(name) + "[" + std::to_string(k) + "] = " +
           std::to_string(got[k]) + ", reference " + std::to_string(want[k]) +
           ", bound " + std::to_string(1e-4 * term_sums[k]));
    }
  }
}

// A workspace of the plan's size with canary bytes after it, or NULL.
struct Workspace {
  Workspace(const xcorr_plan* plan, bool provide)
      : bytes(xcorr_plan_workspace_size(plan)), provide(provide) {
    if (provide) storage.assign(bytes + 64, 0xa5);
  }
  void* data() { return provide ? storage.data() : nullptr; }
  void CheckCanaries() const {
    for (size_t k = bytes; k < storage.size(); ++k) {
      Check(storage[k] == 0xa5,
            "write past the workspace at byte " + std::to_string(k));
    }
  }
  size_t bytes;
  bool provide;
  std::vector<unsigned char> storage;
};

void FuzzForward(FuzzedDataProvider& data, const xcorr_plan* plan,
                 const xcorr::detail::ConvShape& s, bool compare) {
  const std::vector<float> x = ConsumeData(data, s.x_elements);
  const std::vector<float> w = ConsumeData(data, s.w_elements);
  const std::vector<float> bias = ConsumeData(data, s.desc.out_channels);
  const unsigned nulls = data.ConsumeIntegral<uint8_t>();
  // Mostly all pointers present, so that results get compared.
  const unsigned mask = nulls < 192 ? 0 : nulls;
  const bool with_bias = (mask & 8) == 0 && data.ConsumeBool();
  FramedBuffer y(s.y_elements, data.ConsumeIntegralInRange<size_t>(0, 3));
  Workspace workspace(plan, data.ConsumeBool());
  const xcorr_status status = xcorr_conv2d_forward(
      (mask & 16) ? nullptr : plan, (mask & 1) ? nullptr : x.data(),
      (mask & 2) ? nullptr : w.data(), with_bias ? bias.data() : nullptr,
      (mask & 4) ? nullptr : y.data(), workspace.data());
  y.CheckCanaries("y");
  workspace.CheckCanaries();
  if ((mask & (1 | 2 | 4 | 16)) != 0) {
    CheckFailure(status, "xcorr_conv2d_forward with a NULL argument");
    Check(y.Untouched(), "failed xcorr_conv2d_forward wrote y");
    return;
  }
  Check(status == XCORR_OK,
        std::string("xcorr_conv2d_forward: ") + xcorr_last_error());
  if (data.ConsumeBool()) {
    // The same weights packed once, into a buffer of any alignment: the
    // same bits.
    const size_t misalign = data.ConsumeIntegralInRange<size_t>(0, 7);
    std::vector<unsigned char> packed(
        misalign + xcorr_plan_packed_weights_size(plan) + 64, 0xa5);
    Check(xcorr_conv2d_pack_weights(plan, w.data(), packed.data() + misalign) ==
              XCORR_OK,
          std::string("xcorr_conv2d_pack_weights: ") + xcorr_last_error());
    for (size_t k = packed.size() - 64; k < packed.size(); ++k)
      Check(packed[k] == 0xa5, "write past the packed weights");
    FramedBuffer packed_y(s.y_elements, misalign % 4);
    Check(xcorr_conv2d_forward_packed(plan, x.data(), packed.data() + misalign,
                                      with_bias ? bias.data() : nullptr,
                                      packed_y.data(),
                                      workspace.data()) == XCORR_OK,
          std::string("xcorr_conv2d_forward_packed: ") + xcorr_last_error());
    packed_y.CheckCanaries("y of forward_packed");
    workspace.CheckCanaries();
    Check(std::memcmp(packed_y.values().data(), y.values().data(),
                      y.values().size() * sizeof(float)) == 0,
          "xcorr_conv2d_forward_packed differs from xcorr_conv2d_forward");
  }
  if (!compare) return;
  std::vector<float> want(static_cast<size_t>(s.y_elements));
  std::vector<float> term_sums(want.size());
  const std::vector<float> abs_bias = Abs(bias);
  xcorr::reference::Forward(s, x.data(), w.data(),
                            with_bias ? bias.data() : nullptr, want.data());
  xcorr::reference::Forward(s, Abs(x).data(), Abs(w).data(),
                            with_bias ? abs_bias.data() : nullptr,
                            term_sums.data());
  CheckWithinBound(y.values(), want, term_sums, "y");
}

void FuzzBackward(FuzzedDataProvider& data, const xcorr_plan* plan,
                  const xcorr::detail::ConvShape& s, bool compare) {
  const std::vector<float> x = ConsumeData(data, s.x_elements);
  const std::vector<float> w = ConsumeData(data, s.w_elements);
  const std::vector<float> dy = ConsumeData(data, s.y_elements);
  // Bits 0-2 drop inputs x, w, dy; bits 3-5 skip outputs dx, dw, dbias.
  const unsigned nulls = data.ConsumeIntegral<uint8_t>();
  const unsigned mask = nulls < 128 ? nulls & 0x38 : nulls;
  const size_t misalign = data.ConsumeIntegralInRange<size_t>(0, 3);
  FramedBuffer dx(s.x_elements, misalign), dw(s.w_elements, misalign),
      dbias(s.desc.out_channels, misalign);
  Workspace workspace(plan, data.ConsumeBool());
  const bool want_dx = (mask & 8) == 0, want_dw = (mask & 16) == 0,
             want_dbias = (mask & 32) == 0;
  const xcorr_status status = xcorr_conv2d_backward(
      plan, (mask & 1) ? nullptr : x.data(), (mask & 2) ? nullptr : w.data(),
      (mask & 4) ? nullptr : dy.data(), want_dx ? dx.data() : nullptr,
      want_dw ? dw.data() : nullptr, want_dbias ? dbias.data() : nullptr,
      workspace.data());
  dx.CheckCanaries("dx");
  dw.CheckCanaries("dw");
  dbias.CheckCanaries("dbias");
  workspace.CheckCanaries();
  // dy is always needed; x only for dw, w only for dx.
  const bool must_fail = (mask & 4) != 0 || (want_dw && (mask & 1) != 0) ||
                         (want_dx && (mask & 2) != 0);
  if (must_fail) {
    CheckFailure(status, "xcorr_conv2d_backward with a needed argument NULL");
    Check(dx.Untouched() && dw.Untouched() && dbias.Untouched(),
          "failed xcorr_conv2d_backward wrote a gradient");
    return;
  }
  Check(status == XCORR_OK,
        std::string("xcorr_conv2d_backward: ") + xcorr_last_error());
  if (!compare) return;
  std::vector<float> ref_dx(x.size()), ref_dw(w.size()),
      ref_dbias(dbias.values().size());
  std::vector<float> sum_dx(x.size()), sum_dw(w.size()),
      sum_dbias(ref_dbias.size());
  xcorr::reference::Backward(s, x.data(), w.data(), dy.data(), ref_dx.data(),
                             ref_dw.data(), ref_dbias.data());
  xcorr::reference::Backward(s, Abs(x).data(), Abs(w).data(), Abs(dy).data(),
                             sum_dx.data(), sum_dw.data(), sum_dbias.data());
  if (want_dx) CheckWithinBound(dx.values(), ref_dx, sum_dx, "dx");
  if (want_dw) CheckWithinBound(dw.values(), ref_dw, sum_dw, "dw");
  if (want_dbias)
    CheckWithinBound(dbias.values(), ref_dbias, sum_dbias, "dbias");
}

void FuzzConv2d(FuzzedDataProvider& data) {
  const xcorr_conv2d_desc desc = ConsumeDesc(data);
  int64_t want_height = 0, want_width = 0;
  const Verdict verdict = Judge(desc, &want_height, &want_width);
  // Now and then, NULL in each pointer argument: refused whatever the desc.
  if (data.ConsumeIntegralInRange<int>(0, 15) == 0) {
    int64_t size = 0;
    xcorr_plan* untouched = nullptr;
    CheckFailure(xcorr_conv2d_output_size(nullptr, &size, &size),
                 "output_size(NULL, ...)");
    CheckFailure(xcorr_conv2d_output_size(&desc, nullptr, &size),
                 "output_size(.., NULL, ..)");
    CheckFailure(xcorr_conv2d_output_size(&desc, &size, nullptr),
                 "output_size(..., NULL)");
    CheckFailure(xcorr_conv2d_plan_create(nullptr, &untouched),
                 "plan_create(NULL, ...)");
    CheckFailure(xcorr_conv2d_plan_create(&desc, nullptr),
                 "plan_create(..., NULL)");
    Check(untouched == nullptr && xcorr_plan_workspace_size(nullptr) == 0,
          "NULL plan handling");
    xcorr_plan_destroy(nullptr);
  }

  int64_t out_height = -1, out_width = -1;
  const xcorr_status size_status =
      xcorr_conv2d_output_size(&desc, &out_height, &out_width);
  if (verdict == Verdict::kInvalid ||
      (verdict == Verdict::kMayBeRefused && size_status != XCORR_OK)) {
    CheckFailure(size_status,
                 "xcorr_conv2d_output_size on an invalid descriptor");
  } else {
    Check(size_status == XCORR_OK,
          std::string("xcorr_conv2d_output_size refused a valid descriptor: ") +
              xcorr_last_error());
    Check(out_height == want_height && out_width == want_width,
          "xcorr_conv2d_output_size: wrong size");
  }

  xcorr_plan* plan =
      reinterpret_cast<xcorr_plan*>(&out_height);  // must be reset to NULL
  const xcorr_status plan_status = xcorr_conv2d_plan_create(&desc, &plan);
  if (verdict == Verdict::kInvalid ||
      (verdict == Verdict::kMayBeRefused && plan_status != XCORR_OK)) {
    CheckFailure(plan_status,
                 "xcorr_conv2d_plan_create on an invalid descriptor");
    Check(plan == nullptr, "failed xcorr_conv2d_plan_create left *plan set");
    return;
  }
  Check(plan_status == XCORR_OK && plan != nullptr,
        std::string("xcorr_conv2d_plan_create refused a valid descriptor: ") +
            xcorr_last_error());

  xcorr::detail::ConvShape s;
  Check(xcorr::detail::ValidateConvDesc(&desc, &s).ok(),
        "ValidateConvDesc disagrees");
  const int64_t taps =
      s.in_channels_per_group * desc.kernel_height * desc.kernel_width;
  const bool small = s.x_elements <= kMaxElements &&
                     s.w_elements <= kMaxElements &&
                     s.y_elements <= kMaxElements && taps <= kMaxMultiplyAdds;
  if (small && s.y_elements * taps <= 16 * kMaxMultiplyAdds) {
    const bool compare = s.y_elements * taps <= kMaxMultiplyAdds;
    if (data.ConsumeBool()) {
      FuzzForward(data, plan, s, compare);
    } else {
      FuzzBackward(data, plan, s, compare);
    }
  }
  xcorr_plan_destroy(plan);
}

void FuzzCorr2d(FuzzedDataProvider& data) {
  const int64_t h = ConsumeSize(data, 1, 9), w = ConsumeSize(data, 1, 160);
  const int64_t kh = ConsumeSize(data, 1, 4), kw = ConsumeSize(data, 1, 5);
  const bool valid =
      h >= 1 && w >= 1 && kh >= 1 && kw >= 1 && kh <= h && kw <= w &&
      static_cast<unsigned __int128>(h) * static_cast<unsigned __int128>(w) <=
          INT64_MAX / 4;
  if (!valid) {
    const float dummy[1] = {0};
    FramedBuffer y(1, 0);
    CheckFailure(xcorr_corr2d(dummy, h, w, dummy, kh, kw, y.data()),
                 "xcorr_corr2d on invalid sizes");
    y.CheckCanaries("y");
    Check(y.Untouched(), "failed xcorr_corr2d wrote y");
    return;
  }
  if (h * w > kMaxElements) return;  // valid, but too big to allocate here
  const std::vector<float> x = ConsumeData(data, h * w);
  const std::vector<float> k = ConsumeData(data, kh * kw);
  const int64_t oh = h - kh + 1, ow = w - kw + 1;
  FramedBuffer y(oh * ow, data.ConsumeIntegralInRange<size_t>(0, 3));
  const xcorr_status status =
      xcorr_corr2d(x.data(), h, w, k.data(), kh, kw, y.data());
  y.CheckCanaries("y");
  Check(status == XCORR_OK, std::string("xcorr_corr2d: ") + xcorr_last_error());
  if (oh * ow * kh * kw > kMaxMultiplyAdds) return;
  // The f64 reference forward on the same shape (reference::Corr2d sums in
  // f32, as the seed does, so it is no oracle for long sums).
  xcorr::detail::ConvShape s;
  Check(xcorr::detail::Corr2dShape(h, w, kh, kw, &s).ok(),
        "Corr2dShape refused");
  std::vector<float> want(static_cast<size_t>(oh * ow)), term_sums(want.size());
  xcorr::reference::Forward(s, x.data(), k.data(), nullptr, want.data());
  xcorr::reference::Forward(s, Abs(x).data(), Abs(k).data(), nullptr,
                            term_sums.data());
  CheckWithinBound(y.values(), want, term_sums, "corr2d y");
}

void FuzzSettings(FuzzedDataProvider& data) {
  if (data.ConsumeBool()) {
    // Thread counts: negatives must be refused; keep positives small.
    const int n = data.ConsumeIntegralInRange<int>(-3, 4);
    const xcorr_status status = xcorr_set_num_threads(n);
    if (n < 0) {
      CheckFailure(status, "xcorr_set_num_threads(negative)");
    } else {
      Check(status == XCORR_OK, "xcorr_set_num_threads refused a valid count");
    }
    return;
  }
  // A fuzzed name (any bytes), a real one, or NULL; the target in use must
  // always be one that xcorr_target_name can name.
  const int choice = data.ConsumeIntegralInRange<int>(0, 3);
  static const char* const kNames[] = {"SCALAR", "EMU128", "SSSE3",
                                       "SSE4",   "AVX2",   "AVX3"};
  const std::string fuzzed = data.ConsumeRandomLengthString(16);
  const char* name = choice == 0 ? nullptr
                     : choice == 1
                         ? kNames[data.ConsumeIntegralInRange<size_t>(0, 5)]
                         : fuzzed.c_str();
  const xcorr_status status = xcorr_force_target(name);
  if (status != XCORR_OK) {
    Check(status == XCORR_ERR_UNSUPPORTED,
          "xcorr_force_target: unexpected status");
    CheckFailure(status, "xcorr_force_target");
  }
  Check(xcorr_target_name()[0] != '\0', "xcorr_target_name is empty");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  FuzzedDataProvider data(bytes, size);
  switch (data.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      FuzzCorr2d(data);
      break;
    case 1:
      FuzzSettings(data);
      break;
    default:
      FuzzConv2d(data);
      break;
  }
  return 0;
}
