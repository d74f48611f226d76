// Tensor and TensorView: dense row-major f32 storage for the C++ API.
#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#include "src/dims_string.h"
#include "src/status.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace {

constexpr std::align_val_t kAlignment{64};

// Element count of `dims`, checking each is positive and the bytes fit.
int64_t ElementCount(const Dims& dims) {
  if (dims.empty() || dims.size() > 4) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat("a tensor has 1 to 4 dimensions, not ", dims.size()));
  }
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (dim <= 0) {
      throw InvalidArgument(
          XCORR_ERR_INVALID_ARGUMENT,
          detail::StrCat("tensor dimension ", dim, " must be positive"));
    }
    if (__builtin_mul_overflow(count, dim, &count) ||
        count > std::numeric_limits<int64_t>::max() / 4) {
      throw InvalidArgument(
          XCORR_ERR_INVALID_ARGUMENT,
          "tensor has too many elements: its byte size overflows");
    }
  }
  return count;
}

}  // namespace

using detail::DimsString;

TensorView::TensorView(float* data, Dims dims)
    : data_(data), dims_(std::move(dims)) {
  ElementCount(dims_);
  if (data_ == nullptr) {
    throw InvalidArgument(XCORR_ERR_INVALID_ARGUMENT,
                          "tensor view of NULL data");
  }
}

int64_t TensorView::size() const {
  int64_t count = dims_.empty() ? 0 : 1;
  for (int64_t dim : dims_) count *= dim;
  return count;
}

float& TensorView::at(std::initializer_list<int64_t> index) const {
  if (index.size() != dims_.size()) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat("index of ", index.size(), " coordinates into a ",
                       dims_.size(), "-d tensor"));
  }
  int64_t offset = 0;
  size_t axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= dims_[axis]) {
      throw InvalidArgument(
          XCORR_ERR_INVALID_ARGUMENT,
          detail::StrCat("index ", i, " is out of range for dimension ", axis,
                         " of size ", dims_[axis]));
    }
    offset = offset * dims_[axis] + i;
    ++axis;
  }
  return data_[offset];
}

TensorView TensorView::reshape(Dims dims) const {
  if (ElementCount(dims) != size()) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        "cannot reshape " + DimsString(dims_) + " to " + DimsString(dims));
  }
  return TensorView(data_, std::move(dims));
}

void Tensor::AlignedDelete::operator()(float* data) const {
  ::operator delete[](data, kAlignment);
}

Tensor::Tensor(Dims dims) : dims_(std::move(dims)) {
  const auto count = static_cast<size_t>(ElementCount(dims_));
  // Out of memory is a RuntimeError, as the C API's XCORR_ERR_OUT_OF_MEMORY,
  // not a std::bad_alloc outside the API's exceptions.
  data_.reset(static_cast<float*>(
      ::operator new[](count * sizeof(float), kAlignment, std::nothrow)));
  if (data_ == nullptr) {
    throw RuntimeError(
        XCORR_ERR_OUT_OF_MEMORY,
        detail::StrCat("out of memory for a ", DimsString(dims_), " tensor (",
                       count * sizeof(float), " bytes)"));
  }
  std::memset(data_.get(), 0, count * sizeof(float));
}

Tensor Tensor::full(Dims dims, float value) {
  Tensor t(std::move(dims));
  std::fill(t.data(), t.data() + t.size(), value);
  return t;
}

Tensor Tensor::from(Dims dims, const std::vector<float>& values) {
  Tensor t(std::move(dims));
  if (static_cast<int64_t>(values.size()) != t.size()) {
    throw InvalidArgument(
        XCORR_ERR_INVALID_ARGUMENT,
        detail::StrCat(values.size(), " values for a ", DimsString(t.dims()),
                       " tensor of ", t.size(), " elements"));
  }
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::from(Dims dims, std::initializer_list<float> values) {
  return from(std::move(dims), std::vector<float>(values));
}

Tensor Tensor::copy_of(const TensorView& view) {
  Tensor t(view.dims());
  std::copy(view.data(), view.data() + view.size(), t.data());
  return t;
}

Tensor::Tensor(const Tensor& other) : dims_() {
  if (other.data_ != nullptr) *this = copy_of(other.view());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

int64_t Tensor::size() const { return data_ != nullptr ? view().size() : 0; }

float Tensor::at(std::initializer_list<int64_t> index) const {
  return view().at(index);
}

float Tensor::sum() const {
  double total = 0.0;
  for (int64_t k = 0; k < size(); ++k) total += data_.get()[k];
  return static_cast<float>(total);
}

}  // namespace xcorr
