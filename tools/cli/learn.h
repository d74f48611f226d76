// `xcorr learn`: the seed's "learning a kernel" on two images. A bias-free
// Conv2D is trained by SGD on the squared loss sum((conv(X) - Y)^2) to map
// image IN (X) to image OUT (Y), pixels in [0, 1].
#ifndef XCORR_TOOLS_CLI_LEARN_H_
#define XCORR_TOOLS_CLI_LEARN_H_

#include <cstdint>
#include <functional>

#include "tools/cli/image.h"
#include "tools/cli/kernel_spec.h"
#include "tools/cli/output_map.h"

namespace xcorr {
namespace cli {

struct LearnOptions {
  int64_t kernel_height = 3;
  int64_t kernel_width = 3;
  int64_t steps = 100;
  // <= 0 picks 1 / sum of the squares of every input a weight sees, the
  // largest rate for which gradient descent on this loss cannot diverge; on
  // the seed's 6x8 example that is 1/36, close to the seed's 3e-2.
  float learning_rate = 0.0f;
  // Heavy-ball momentum of torch.optim.SGD; the seed uses none.
  float momentum = 0.0f;
  // How OUT's pixels were written (filter's --map): offset or clamp.
  OutputMap map = OutputMap::kClamp;
};

struct LearnResult {
  Kernel kernel;
  float learning_rate;  // the one used
  float loss;           // before the last step, as the seed prints it
};

// Trains one kernel shared by all channels (IN and OUT must have the same
// channel count). OUT must have IN's size (filter's --pad same) or IN's size
// minus the kernel's plus one (--pad valid); otherwise Error. `on_step`
// receives every step's 1-based number and loss.
LearnResult LearnKernel(
    const Image& in, const Image& out, const LearnOptions& options,
    const std::function<void(int64_t step, float loss)>& on_step);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_LEARN_H_
