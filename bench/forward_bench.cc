// Forward benchmarks: xcorr per compiled SIMD target, at 1 and 2 threads,
// against the scalar reference and the installed peers, in one run.
//
//   BM_Corr2d:  PERF.md case A, the seed's one-channel valid corr2d
//               (xcorr_corr2d; the reference is the seed's f32 loop
//               reference::Corr2d; peers cv::filter2D and oneDNN).
//   BM_Forward: PERF.md case B, multi-channel conv2d with bias, NCHW and
//               NHWC (xcorr_conv2d_forward; BM_Forward/packed: with weights
//               packed once, xcorr_conv2d_forward_packed; reference::Forward;
//               oneDNN).
// --full adds the size sweep (image side 16 to 4096 for every kernel) and the
// channel sweep, and runs the reference on every case.
#include <cstdint>
#include <vector>

#include "bench/bench_util.h"
#include "src/reference.h"
#include "xcorr/xcorr.h"

#ifdef XCORR_HAVE_OPENCV
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#endif
#ifdef XCORR_HAVE_ONEDNN
#include "bench/onednn_peer.h"
#endif

namespace xcorr {
namespace bench {
namespace {

struct Kernel {
  int64_t height, width;
};
constexpr Kernel kSweepKernels[] = {{1, 2}, {3, 3}, {5, 5}, {7, 7}, {11, 11}};

Family Corr2dFamily(const Options& options) {
  Family family{
      "BM_Corr2d", {"size", "kh", "kw"}, {}, [](const std::vector<int64_t>& a) {
        return Corr2dDesc(a[0], a[1], a[2]);
      }};
  if (options.full) {
    for (int64_t size = 16; size <= 4096; size *= 2) {
      for (const Kernel& k : kSweepKernels)
        family.cases.push_back({size, k.height, k.width});
    }
  } else {
    family.cases = {{64, 3, 3},    {64, 7, 7},    {256, 3, 3},  {256, 5, 5},
                    {256, 11, 11}, {1024, 1, 2},  {1024, 3, 3}, {1024, 5, 5},
                    {1024, 7, 7},  {1024, 11, 11}};
  }
  return family;
}

Family ForwardFamily(const Options& options) {
  std::vector<std::vector<int64_t>> cases;
  for (const int64_t nhwc : {0, 1}) {
    const std::vector<std::vector<int64_t>> perf_b = {
        {1, 64, 64, 56, 3, 1, nhwc},
        {1, 3, 64, 224, 7, 3, nhwc},
        {1, 256, 256, 14, 3, 1, nhwc},
        {1, 64, 64, 56, 1, 0, nhwc},
        {8, 64, 64, 56, 3, 1, nhwc}};
    cases.insert(cases.end(), perf_b.begin(), perf_b.end());
    if (options.full) {
      for (const int64_t channels : {1, 4, 16, 32, 128, 256}) {
        cases.push_back({1, channels, channels, 56, 3, 1, nhwc});
      }
    }
  }
  return ConvFamily("BM_Forward", cases);
}

// Times `compute` (xcorr, the reference or a peer computing data.y) on the
// one-channel case `desc`, after checking its output once.
template <typename Compute>
void TimeCorr2d(benchmark::State& state, const xcorr_conv2d_desc& desc,
                int64_t threads, const char* what, const Compute& compute) {
  ConvData data(desc, /*gradients=*/false);
  TimeChecked(
      state, threads, ForwardWork(data.shape, /*with_bias=*/false),
      [&] { return compute(state, data); },
      [&] {
        return ForwardMatches(state, what, data, /*with_bias=*/false,
                              data.y.data());
      });
}

void RegisterCorr2d(const Options& options) {
  const Family family = Corr2dFamily(options);
  RegisterPerTarget(
      family, options, /*backward=*/false,
      [](benchmark::State& state, const xcorr_conv2d_desc& desc,
         int64_t threads) {
        TimeCorr2d(state, desc, threads, "xcorr",
                   [](benchmark::State& st, ConvData& d) {
                     return XcorrOk(
                         st,
                         xcorr_corr2d(d.x.data(), d.shape.desc.in_height,
                                      d.shape.desc.in_width, d.w.data(),
                                      d.shape.desc.kernel_height,
                                      d.shape.desc.kernel_width, d.y.data()));
                   });
      });
  Register(SlowCases(family, options, /*backward=*/false), "reference", 1,
           [](benchmark::State& state, const xcorr_conv2d_desc& desc,
              int64_t threads) {
             TimeCorr2d(state, desc, threads, "reference",
                        [](benchmark::State&, ConvData& d) {
                          reference::Corr2d(d.x.data(), d.shape.desc.in_height,
                                            d.shape.desc.in_width, d.w.data(),
                                            d.shape.desc.kernel_height,
                                            d.shape.desc.kernel_width,
                                            d.y.data());
                          return true;
                        });
           });
#ifdef XCORR_HAVE_OPENCV
  // cv::filter2D correlates and writes a "same"-size output. Given the valid
  // region as a view (a ROI) of the whole image, it reads the real pixels
  // around the view instead of the border, so it computes exactly the valid
  // output and its FLOP count is ours.
  Register(
      family, "opencv", 1,
      [](benchmark::State& state, const xcorr_conv2d_desc& desc,
         int64_t threads) {
        cv::setNumThreads(1);
        TimeCorr2d(
            state, desc, threads, "opencv", [](benchmark::State&, ConvData& d) {
              const detail::ConvShape& s = d.shape;
              const cv::Mat image(static_cast<int>(s.desc.in_height),
                                  static_cast<int>(s.desc.in_width), CV_32F,
                                  d.x.data());
              const cv::Mat kernel(static_cast<int>(s.desc.kernel_height),
                                   static_cast<int>(s.desc.kernel_width),
                                   CV_32F, d.w.data());
              const cv::Point anchor(kernel.cols / 2, kernel.rows / 2);
              const cv::Mat valid = image(
                  cv::Rect(anchor.x, anchor.y, static_cast<int>(s.out_width),
                           static_cast<int>(s.out_height)));
              cv::Mat out(valid.rows, valid.cols, CV_32F, d.y.data());
              cv::filter2D(valid, out, CV_32F, kernel, anchor, 0.0,
                           cv::BORDER_CONSTANT);
              return true;
            });
      });
#endif
#ifdef XCORR_HAVE_ONEDNN
  RegisterOneDnn(family, /*with_bias=*/false, /*backward=*/false);
#endif
}

// Times xcorr_conv2d_forward on `desc`, or with weights packed once
// beforehand (xcorr_conv2d_pack_weights: inference with constant weights)
// xcorr_conv2d_forward_packed.
void TimeForward(benchmark::State& state, const xcorr_conv2d_desc& desc,
                 int64_t threads, bool packed_once) {
  ConvData data(desc, /*gradients=*/false);
  xcorr_plan* plan = nullptr;
  if (!XcorrOk(state, xcorr_conv2d_plan_create(&desc, &plan))) return;
  std::vector<char> workspace(xcorr_plan_workspace_size(plan));
  std::vector<char> packed(packed_once ? xcorr_plan_packed_weights_size(plan)
                                       : 0);
  if (packed_once && !XcorrOk(state, xcorr_conv2d_pack_weights(
                                         plan, data.w.data(), packed.data()))) {
    xcorr_plan_destroy(plan);
    return;
  }
  TimeChecked(
      state, threads, ForwardWork(data.shape, /*with_bias=*/true),
      [&] {
        return XcorrOk(
            state, packed_once
                       ? xcorr_conv2d_forward_packed(
                             plan, data.x.data(), packed.data(),
                             data.bias.data(), data.y.data(), workspace.data())
                       : xcorr_conv2d_forward(plan, data.x.data(),
                                              data.w.data(), data.bias.data(),
                                              data.y.data(), workspace.data()));
      },
      [&] {
        return ForwardMatches(state, "xcorr", data, true, data.y.data());
      });
  xcorr_plan_destroy(plan);
}

void RegisterForward(const Options& options) {
  const Family family = ForwardFamily(options);
  RegisterPerTarget(family, options, /*backward=*/false,
                    [](benchmark::State& state, const xcorr_conv2d_desc& desc,
                       int64_t threads) {
                      TimeForward(state, desc, threads, /*packed_once=*/false);
                    });
  RegisterAtBestTarget(family, kPackedLabel,
                       [](benchmark::State& state,
                          const xcorr_conv2d_desc& desc, int64_t threads) {
                         TimeForward(state, desc, threads,
                                     /*packed_once=*/true);
                       });
  Register(SlowCases(family, options, /*backward=*/false), "reference", 1,
           [](benchmark::State& state, const xcorr_conv2d_desc& desc,
              int64_t threads) {
             ConvData data(desc, /*gradients=*/false);
             TimeChecked(
                 state, threads, ForwardWork(data.shape, /*with_bias=*/true),
                 [&] {
                   reference::Forward(data.shape, data.x.data(), data.w.data(),
                                      data.bias.data(), data.y.data());
                   return true;
                 },
                 [&] {
                   return ForwardMatches(state, "reference", data, true,
                                         data.y.data());
                 });
           });
#ifdef XCORR_HAVE_ONEDNN
  RegisterOneDnn(family, /*with_bias=*/true, /*backward=*/false);
#endif
}

}  // namespace
}  // namespace bench
}  // namespace xcorr

int main(int argc, char** argv) {
  return xcorr::bench::Main(argc, argv,
                            [](const xcorr::bench::Options& options) {
                              xcorr::bench::RegisterCorr2d(options);
                              xcorr::bench::RegisterForward(options);
                            });
}
