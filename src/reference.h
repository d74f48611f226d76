// The scalar reference: the seed's corr2d loops generalized to the whole
// semantics of API.md (both layouts, stride, asymmetric padding, dilation,
// groups), forward and backward.
//
// It is written to be obviously correct, not fast: one output (or one dy
// element) at a time, taps read through the layout's element strides, sums
// accumulated in double. As in PyTorch, padding is made of real zeros for y
// and dw (so 0 * Inf = NaN there), while dx sums only the terms of real
// input elements. It is the oracle of every test and the baseline of
// every benchmark, and it lives in the internal target xcorr_reference.
#ifndef XCORR_SRC_REFERENCE_H_
#define XCORR_SRC_REFERENCE_H_

#include "src/shape.h"

namespace xcorr {
namespace reference {

// y = corr(x, w) + bias; bias may be NULL.
void Forward(const detail::ConvShape& shape, const float* x, const float* w,
             const float* bias, float* y);

// Overwrites the requested gradients (NULL to skip) given dy.
void Backward(const detail::ConvShape& shape, const float* x, const float* w,
              const float* dy, float* dx, float* dw, float* dbias);

// The seed's corr2d exactly: y[i][j] = sum_{u,v} x[i+u][j+v] * k[u][v].
void Corr2d(const float* x, int64_t height, int64_t width, const float* k,
            int64_t kernel_height, int64_t kernel_width, float* y);

}  // namespace reference
}  // namespace xcorr

#endif  // XCORR_SRC_REFERENCE_H_
