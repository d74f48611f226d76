// Runs one conv2d forward + backward through the C API for torch_check.py.
// Arguments: the 17 descriptor fields in xcorr_conv2d_desc order, then
// "bias" or "nobias". Standard input: x, w, [bias,] dy as raw f32. Standard
// output: y, dx, dw, dbias as raw f32. On an error: the message, exit 1.
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "xcorr/xcorr.h"

namespace {

std::vector<float> Read(size_t count) {
  std::vector<float> values(count);
  if (std::fread(values.data(), sizeof(float), count, stdin) != count) {
    std::fprintf(stderr, "short input\n");
    std::exit(2);
  }
  return values;
}

void Write(const std::vector<float>& values) {
  std::fwrite(values.data(), sizeof(float), values.size(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 19) {
    std::fprintf(stderr, "usage: conv_runner <17 desc fields> bias|nobias\n");
    return 2;
  }
  int64_t f[17];
  for (int i = 0; i < 17; ++i) f[i] = std::strtoll(argv[i + 1], nullptr, 10);
  xcorr_conv2d_desc d = {f[0],
                         f[1],
                         f[2],
                         f[3],
                         f[4],
                         f[5],
                         f[6],
                         f[7],
                         f[8],
                         f[9],
                         f[10],
                         f[11],
                         f[12],
                         f[13],
                         f[14],
                         f[15],
                         static_cast<xcorr_layout>(f[16])};
  const bool with_bias = std::string_view(argv[18]) == "bias";
  int64_t out_height = 0, out_width = 0;
  xcorr_plan* plan = nullptr;
  if (xcorr_conv2d_output_size(&d, &out_height, &out_width) != XCORR_OK ||
      xcorr_conv2d_plan_create(&d, &plan) != XCORR_OK) {
    std::printf("%s", xcorr_last_error());
    return 1;
  }
  const auto x_size =
      static_cast<size_t>(d.batch * d.in_channels * d.in_height * d.in_width);
  const auto w_size =
      static_cast<size_t>(d.out_channels * (d.in_channels / d.groups) *
                          d.kernel_height * d.kernel_width);
  const auto y_size =
      static_cast<size_t>(d.batch * d.out_channels * out_height * out_width);
  const auto bias_size = static_cast<size_t>(d.out_channels);
  const std::vector<float> x = Read(x_size), w = Read(w_size);
  const std::vector<float> bias =
      with_bias ? Read(bias_size) : std::vector<float>();
  const std::vector<float> dy = Read(y_size);
  std::vector<float> y(y_size), dx(x_size), dw(w_size), dbias(bias_size);
  if (xcorr_conv2d_forward(plan, x.data(), w.data(),
                           with_bias ? bias.data() : nullptr, y.data(),
                           nullptr) != XCORR_OK ||
      xcorr_conv2d_backward(plan, x.data(), w.data(), dy.data(), dx.data(),
                            dw.data(), dbias.data(), nullptr) != XCORR_OK) {
    std::printf("%s", xcorr_last_error());
    return 1;
  }
  xcorr_plan_destroy(plan);
  Write(y);
  Write(dx);
  Write(dw);
  Write(dbias);
  return 0;
}
