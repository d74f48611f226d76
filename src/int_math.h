// Integer helpers for tile arithmetic on validated shapes.
#ifndef XCORR_SRC_INT_MATH_H_
#define XCORR_SRC_INT_MATH_H_

#include <cstdint>

namespace xcorr {
namespace detail {

// ceil(a / b) for a >= 0, b > 0, without overflow for any such a and b.
inline int64_t CeilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0); }

// a rounded up to a multiple of b, for a >= 0, b > 0 where that fits.
inline int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

// Saturates instead of overflowing: for huge shapes (a 2^44-wide padded row
// is valid) tile arithmetic only needs its comparisons to come out right.
inline int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_INT_MATH_H_
