// SGD: torch.optim.SGD's update rule with momentum and weight decay.
#include <utility>

#include "src/status.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {

SGD::SGD(std::vector<Parameter> parameters, float learning_rate, float momentum,
         float weight_decay)
    : parameters_(std::move(parameters)),
      learning_rate_(learning_rate),
      momentum_(momentum),
      weight_decay_(weight_decay) {
  // As torch.optim.SGD, which raises ValueError on negative values (and
  // here NaN too).
  const std::pair<const char*, float> settings[] = {
      {"learning rate", learning_rate},
      {"momentum", momentum},
      {"weight decay", weight_decay}};
  for (const auto& [name, value] : settings) {
    if (!(value >= 0.0f)) {
      throw InvalidArgument(
          XCORR_ERR_INVALID_ARGUMENT,
          detail::StrCat("SGD ", name, " ", value, " must be non-negative"));
    }
  }
  for (const Parameter& p : parameters_) {
    if (p.value == nullptr || p.grad == nullptr ||
        p.value->dims() != p.grad->dims()) {
      throw InvalidArgument(
          XCORR_ERR_INVALID_ARGUMENT,
          "SGD parameter needs a value and a gradient of the same shape");
    }
    momentum_buffers_.emplace_back(momentum > 0.0f ? Tensor(p.value->dims())
                                                   : Tensor());
  }
}

void SGD::zero_grad() {
  for (Parameter& p : parameters_) *p.grad = Tensor(p.grad->dims());
}

void SGD::step() {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    float* value = parameters_[i].value->data();
    const float* grad = parameters_[i].grad->data();
    float* buffer = momentum_buffers_[i].data();
    for (int64_t k = 0; k < parameters_[i].value->size(); ++k) {
      float g = grad[k] + weight_decay_ * value[k];
      if (momentum_ > 0.0f) {
        buffer[k] = first_step_ ? g : momentum_ * buffer[k] + g;
        g = buffer[k];
      }
      value[k] -= learning_rate_ * g;
    }
  }
  first_step_ = false;
}

}  // namespace xcorr
