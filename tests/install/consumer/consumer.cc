// Uses an installed xcorr from C++: corr2d on Tensors and a Conv2D layer.
#include <cstdio>
#include <xcorr/xcorr.hpp>

int main() {
  const xcorr::Tensor x =
      xcorr::Tensor::from({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  const xcorr::Tensor y =
      xcorr::corr2d(x, xcorr::Tensor::from({2, 2}, {0, 1, 2, 3}));
  if (y.at({1, 1}) != 43.0f) return 1;
  xcorr::Conv2D conv(1, 2, {2, 2});
  if (conv(x.reshape({1, 1, 3, 3})).dims() != xcorr::Dims{1, 2, 2, 2}) return 2;
  try {
    xcorr::Conv2dPlan bad(xcorr::Conv2dDesc().input(2, 2).kernel(3, 3));
    return 3;
  } catch (const xcorr::InvalidArgument& e) {
    std::printf("C++ consumer: xcorr %s, expected error: %s\n",
                xcorr::version().c_str(), e.what());
  }
  return 0;
}
