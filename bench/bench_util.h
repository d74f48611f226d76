// Shared machinery of xcorr's benchmark binaries (forward_bench.cc,
// backward_bench.cc): the benchmark cases as conv2d descriptors, their data
// and cost, registration of one family per compiled SIMD target plus the
// scalar reference and the installed peers, the rate counters, the check of
// every implementation against the reference, and the main() that parses
// --full and prints a summary table after the run.
//
// Names follow STYLE.md §7: BM_<Family>/<implementation>/<arg>:<value>/...,
// where the implementation is a Highway target (AVX3, AVX2, ...),
// "reference" or a peer ("opencv", "onednn_any", "onednn_nchw", ...). The
// last argument is always "threads", the thread count given to the library
// (or the peer); every benchmark uses real time.
#ifndef XCORR_BENCH_BENCH_UTIL_H_
#define XCORR_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/bench_data.h"
#include "benchmark/benchmark.h"
#include "src/shape.h"
#include "xcorr/xcorr.h"

namespace xcorr {
namespace bench {

// f32 FMA peak of one core of the project's machine (PERF.md: Zen 4 at about
// 3.66 GHz, AVX-512 and AVX2 alike; 232 GFLOP/s on 2 cores). The peak_pct
// counter divides by this times the thread count; the environment variable
// XCORR_PEAK_GFLOPS_PER_CORE overrides it on other machines.
inline constexpr double kDefaultPeakGflopsPerCore = 117.0;
double PeakGflopsPerCore();

// Command-line options of the benchmark binaries, parsed before
// benchmark::Initialize sees the arguments.
struct Options {
  bool full = false;  // --full: every size of the sweeps, every reference case
};

// The Highway targets that are both compiled and supported by this CPU, best
// first, as hwy::TargetName spells them (e.g. {"AVX3", "AVX2", ...}).
const std::vector<std::string>& CompiledTargets();

// xcorr and the multi-threaded peers run at 1 to kMaxThreads threads (the
// project's machine has 2 cores).
inline constexpr int64_t kMaxThreads = 2;

// The work of one call. Forward: 2 FLOPs per multiply-add; backward (dx, dw
// and dbias): twice the forward's, as PERF.md counts it (dbias' additions are
// left out). Bytes: every tensor read or written once (the compulsory traffic).
struct Work {
  double flops, bytes;
};
Work ForwardWork(const detail::ConvShape& shape, bool with_bias);
Work BackwardWork(const detail::ConvShape& shape);

// Sets GFLOPS and peak_pct (rates over real time) and bytes_per_second from
// the work of one iteration.
void SetCounters(benchmark::State& state, const Work& work, int64_t threads);

// True if `y` (the output of data's forward pass with bias, or without when
// `with_bias` is false) matches the reference within the API.md bound, with
// S bounded by the number of terms (all data lie in [-1, 1)). Only the first
// image is checked: batch items are independent, and the reference is slow.
// The reference runs once per case. Otherwise skips the benchmark with an
// error naming `what` and returns false.
bool ForwardMatches(benchmark::State& state, const char* what,
                    const ConvData& data, bool with_bias, const float* y);
// The same for the gradients of data's backward pass (a NULL one is skipped).
bool BackwardMatches(benchmark::State& state, const char* what,
                     const ConvData& data, const float* dx, const float* dw,
                     const float* dbias);

// The common shape of every benchmark body: calls `run` once, lets `check`
// compare its outputs with the reference, then times `run` and sets the
// counters for the `work` of one call. `run` and `check` return
// false after calling state.SkipWithError, which ends the benchmark.
void TimeChecked(benchmark::State& state, int64_t threads, const Work& work,
                 const std::function<bool()>& run,
                 const std::function<bool()>& check);

// Skips the benchmark with xcorr's last error unless `status` is XCORR_OK.
bool XcorrOk(benchmark::State& state, xcorr_status status);

// The body of one benchmark: runs the case `desc` with `threads` threads.
using Body = std::function<void(
    benchmark::State& state, const xcorr_conv2d_desc& desc, int64_t threads)>;

// A benchmark family: `name` ("BM_Forward"), the names of its case arguments,
// the cases (one argument vector each, without the thread count) and the
// descriptor that a case's arguments stand for.
struct Family {
  std::string name;
  std::vector<std::string> arg_names;
  std::vector<std::vector<int64_t>> cases;
  std::function<xcorr_conv2d_desc(const std::vector<int64_t>& args)> desc_of;
};

// A family of multi-channel cases with arguments n, cin, cout, size, k, pad,
// nhwc (square image and kernel, symmetric padding, stride 1; see ConvDesc).
Family ConvFamily(const std::string& name,
                  std::vector<std::vector<int64_t>> cases);

// The family's cases for the slow implementations (the reference, and every
// target but the best): all of them with --full, else those of at most
// kShortRunSlowFlops, since these run at a few GFLOP/s or less.
inline constexpr double kShortRunSlowFlops = 5e8;
Family SlowCases(Family family, const Options& options, bool backward);

// Registers family.name + "/" + label for every case at 1 to max_threads
// threads.
void Register(const Family& family, const std::string& label,
              int64_t max_threads, const Body& body);

// Registers one family per compiled target, e.g. BM_Forward/AVX2/..., at every
// thread count up to kMaxThreads; each body first forces its target and thread
// count on the main thread (xcorr_force_target, xcorr_set_num_threads). All
// targets but the best run only SlowCases(family, options, backward).
void RegisterPerTarget(const Family& family, const Options& options,
                       bool backward, const Body& body);

// Registers family.name + "/" + label, run like RegisterPerTarget's family
// of the best compiled target.
void RegisterAtBestTarget(const Family& family, const std::string& label,
                          const Body& body);

// The label of xcorr on weights packed once (xcorr_conv2d_forward_packed),
// which the summary shows beside the peers.
inline constexpr char kPackedLabel[] = "packed";

// Runs the benchmarks that register_all registers: parses and removes --full,
// adds the custom context (targets, threads, version, CPU, peers), runs, and
// after a console run prints the summary table of median GFLOP/s.
int Main(int argc, char** argv,
         const std::function<void(const Options&)>& register_all);

}  // namespace bench
}  // namespace xcorr

#endif  // XCORR_BENCH_BENCH_UTIL_H_
