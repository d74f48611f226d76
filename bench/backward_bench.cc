// Backward benchmarks: xcorr's fused backward pass (dx, dw and dbias in one
// call) per compiled SIMD target, at 1 and 2 threads, against the scalar
// reference and oneDNN's backward-data plus backward-weights, in one run.
//
//   BM_Backward: PERF.md case C (N1 64->64 56x56 3x3 pad 1, NCHW and NHWC)
//                and one-channel cases (the seed's corr2d as a conv2d).
// FLOPs are twice the forward's (dx and dw each cost one forward pass), as in
// PERF.md. --full adds the one-channel size sweep (16 to 4096, kernels 3x3 to
// 11x11) and the channel sweep, and runs the reference on every case.
#include <cstdint>
#include <vector>

#include "bench/bench_util.h"
#include "src/reference.h"
#include "xcorr/xcorr.h"

#ifdef XCORR_HAVE_ONEDNN
#include "bench/onednn_peer.h"
#endif

namespace xcorr {
namespace bench {
namespace {

Family BackwardFamily(const Options& options) {
  std::vector<std::vector<int64_t>> cases = {{1, 64, 64, 56, 3, 1, 0},
                                             {1, 64, 64, 56, 3, 1, 1}};
  if (options.full) {
    for (int64_t size = 16; size <= 4096; size *= 2) {
      for (const int64_t k : {3, 5, 7, 11})
        cases.push_back({1, 1, 1, size, k, 0, 0});
    }
    for (const int64_t channels : {4, 16, 32, 128, 256}) {
      cases.push_back({1, channels, channels, 56, 3, 1, 0});
    }
  } else {
    const std::vector<std::vector<int64_t>> one_channel = {
        {1, 1, 1, 256, 3, 0, 0},
        {1, 1, 1, 1024, 3, 0, 0},
        {1, 1, 1, 1024, 7, 0, 0}};
    cases.insert(cases.end(), one_channel.begin(), one_channel.end());
  }
  return ConvFamily("BM_Backward", cases);
}

// Times `compute` (xcorr or the reference computing data.dx, dw and dbias) on
// `desc`, after checking its gradients once.
template <typename Compute>
void TimeBackward(benchmark::State& state, const xcorr_conv2d_desc& desc,
                  int64_t threads, const char* what, const Compute& compute) {
  ConvData data(desc, /*gradients=*/true);
  TimeChecked(
      state, threads, BackwardWork(data.shape),
      [&] { return compute(state, data); },
      [&] {
        return BackwardMatches(state, what, data, data.dx.data(),
                               data.dw.data(), data.dbias.data());
      });
}

void RegisterBackward(const Options& options) {
  const Family family = BackwardFamily(options);
  RegisterPerTarget(
      family, options, /*backward=*/true,
      [](benchmark::State& state, const xcorr_conv2d_desc& desc,
         int64_t threads) {
        xcorr_plan* plan = nullptr;
        if (!XcorrOk(state, xcorr_conv2d_plan_create(&desc, &plan))) return;
        std::vector<char> workspace(xcorr_plan_workspace_size(plan));
        TimeBackward(state, desc, threads, "xcorr",
                     [&](benchmark::State& st, ConvData& d) {
                       return XcorrOk(
                           st, xcorr_conv2d_backward(
                                   plan, d.x.data(), d.w.data(), d.dy.data(),
                                   d.dx.data(), d.dw.data(), d.dbias.data(),
                                   workspace.data()));
                     });
        xcorr_plan_destroy(plan);
      });
  Register(SlowCases(family, options, /*backward=*/true), "reference", 1,
           [](benchmark::State& state, const xcorr_conv2d_desc& desc,
              int64_t threads) {
             TimeBackward(state, desc, threads, "reference",
                          [](benchmark::State&, ConvData& d) {
                            reference::Backward(d.shape, d.x.data(), d.w.data(),
                                                d.dy.data(), d.dx.data(),
                                                d.dw.data(), d.dbias.data());
                            return true;
                          });
           });
#ifdef XCORR_HAVE_ONEDNN
  RegisterOneDnn(family, /*with_bias=*/true, /*backward=*/true);
#endif
}

}  // namespace
}  // namespace bench
}  // namespace xcorr

int main(int argc, char** argv) {
  return xcorr::bench::Main(argc, argv, xcorr::bench::RegisterBackward);
}
