// Per-target vector building blocks shared by the forward (kernels-inl.h) and
// backward (backward_kernels-inl.h) kernels (Highway -inl.h: included once per
// target).
#if defined(XCORR_SRC_VECTORS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef XCORR_SRC_VECTORS_INL_H_
#undef XCORR_SRC_VECTORS_INL_H_
#else
#define XCORR_SRC_VECTORS_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace xcorr {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// AVX-512 has 32 vector registers; the other x86 targets have 16. Block sizes
// are chosen so that accumulators, weights and loads all fit.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr size_t kVectorRegisters = 32;
#else
constexpr size_t kVectorRegisters = 16;
#endif

// When the other factor of several FMAs sits in a register, GCC folds a
// loaded vector into every FMA that uses it instead (one load per FMA). With
// 64-byte vectors the kernels then become load-bound (and unaligned loads
// split cache lines), so on AVX-512 an empty asm pins each loaded vector in a
// register. Pin a local and then copy it into an array if need be: pinned
// array elements can make GCC keep the whole array, and the accumulators
// beside it, on the stack.
template <class V>
HWY_INLINE void KeepInRegister(V& v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3 && defined(__GNUC__)
  asm("" : "+v"(v.raw));
#else
  (void)v;
#endif
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// Lanes [kShift, kShift + 16) of lo's lanes followed by hi's: where hi was
// loaded right after lo, what a load kShift floats further would read, by
// one shuffle (valignd; Highway 1.0.3's CombineShiftRightBytes shifts
// within 128-bit blocks). A 64-byte load at a float offset from a cache
// line crosses into the next one, which costs Zen 4 a second load cycle.
template <int kShift>
HWY_INLINE hn::Vec512<float> LaneWindow(hn::Vec512<float> lo,
                                        hn::Vec512<float> hi) {
  static_assert(kShift >= 0 && kShift < 16, "a shift within one vector");
  if constexpr (kShift == 0) return lo;  // GCC emits valignd by 0 as is
  return hn::Vec512<float>{_mm512_castsi512_ps(_mm512_alignr_epi32(
      _mm512_castps_si512(hi.raw), _mm512_castps_si512(lo.raw), kShift))};
}
#endif

// Without a native FMA (SSE4, SSSE3) MulAdd is a multiply and an add, and
// GCC expands an accumulator's unrolled chain of them as one expression at
// the chain's end, keeping every input loaded for it alive until then: the
// kernel-columns plane blocks spilled (SSE4 3x3: 265 stack accesses in the
// band function, 33 with this). An empty asm after each step makes GCC emit
// the sum where it is written.
template <class V>
HWY_INLINE void EmitSumNow(V& sum) {
#if HWY_ARCH_X86 && !HWY_NATIVE_FMA && HWY_TARGET <= HWY_SSSE3 && \
    defined(__GNUC__)
  asm("" : "+x"(sum.raw));
#else
  (void)sum;
#endif
}

// Lanes beyond `count` of a vector at p: loads read zeros there and stores
// leave them untouched, so that nothing past the caller's buffer is touched.
template <class D>
HWY_INLINE hn::Vec<D> LoadUpTo(D d, const float* p, int64_t count) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  if (count >= N) return hn::LoadU(d, p);
  HWY_ALIGN float lanes[HWY_MAX_BYTES / sizeof(float)] = {};
  for (int64_t k = 0; k < count; ++k) lanes[k] = p[k];
  return hn::Load(d, lanes);
}
template <class D>
HWY_INLINE void StoreUpTo(D d, hn::Vec<D> v, float* p, int64_t count) {
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  if (count >= N) return hn::StoreU(v, d, p);
  HWY_ALIGN float lanes[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, lanes);
  for (int64_t k = 0; k < count; ++k) p[k] = lanes[k];
}

// Asks for the cache line at p, to be written soon (a hint: never faults).
HWY_INLINE void PrefetchToWrite(const float* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p, /*rw=*/1, /*locality=*/3);
#else
  (void)p;
#endif
}

// Calls fn(std::integral_constant<size_t, i>()) for i = 0, 1, ..., kCount - 1
// in turn: a loop whose index is a compile-time constant.
template <class Fn, size_t... kIndices>
HWY_INLINE void ForEachIndexIn(const Fn& fn,
                               std::index_sequence<kIndices...> /*indices*/) {
  (fn(std::integral_constant<size_t, kIndices>()), ...);
}
template <size_t kCount, class Fn>
HWY_INLINE void ForEachIndex(const Fn& fn) {
  ForEachIndexIn(fn, std::make_index_sequence<kCount>());
}

// Calls fn(std::integral_constant<size_t, size>()) for size in [1, kMax]:
// a block size known at run time made a compile-time constant, so that the
// block's loops unroll and its accumulators stay in registers.
template <size_t kMax, class Fn>
HWY_INLINE void WithBlockSize(int64_t size, const Fn& fn) {
  if constexpr (kMax > 1) {
    if (size < static_cast<int64_t>(kMax)) {
      return WithBlockSize<kMax - 1>(size, fn);
    }
  }
  fn(std::integral_constant<size_t, kMax>());
}

}  // namespace HWY_NAMESPACE
}  // namespace xcorr
HWY_AFTER_NAMESPACE();

#endif  // XCORR_SRC_VECTORS_INL_H_
