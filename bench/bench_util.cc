// Shared machinery of the benchmark binaries; see bench_util.h.
#include "bench/bench_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "hwy/targets.h"
#include "src/reference.h"

#ifdef XCORR_HAVE_OPENCV
#include "opencv2/core/version.hpp"
#endif
#ifdef XCORR_HAVE_ONEDNN
#include "oneapi/dnnl/dnnl_version.h"
#endif

namespace xcorr {
namespace bench {
namespace {

// The short run's default --benchmark_min_time (seconds); the default 0.5 s
// of Google Benchmark would take the short run past two minutes.
constexpr const char* kShortMinTime = "--benchmark_min_time=0.1";

bool StartsWith(const std::string& text, const char* prefix) {
  return text.compare(0, std::strlen(prefix), prefix) == 0;
}

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string joined;
  for (const std::string& part : parts) {
    joined += (joined.empty() ? "" : separator) + part;
  }
  return joined;
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (StartsWith(line, "model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

std::string Peers() {
  std::vector<std::string> peers;
#ifdef XCORR_HAVE_OPENCV
  peers.push_back(std::string("OpenCV ") + CV_VERSION);
#endif
#ifdef XCORR_HAVE_ONEDNN
  std::ostringstream onednn;
  onednn << "oneDNN " << DNNL_VERSION_MAJOR << "." << DNNL_VERSION_MINOR << "."
         << DNNL_VERSION_PATCH;
  peers.push_back(onednn.str());
#endif
  return peers.empty() ? "none" : Join(peers, ", ");
}

double MultiplyAdds(const detail::ConvShape& shape) {
  const xcorr_conv2d_desc& d = shape.desc;
  return static_cast<double>(d.batch) * static_cast<double>(d.out_channels) *
         static_cast<double>(shape.in_channels_per_group) *
         static_cast<double>(d.kernel_height * d.kernel_width) *
         static_cast<double>(shape.out_height * shape.out_width);
}

// The cache key of a case: every field of its descriptor.
std::string Key(const xcorr_conv2d_desc& d, const char* pass) {
  std::ostringstream key;
  key << pass;
  for (const int64_t v :
       {d.batch, d.in_channels, d.out_channels, d.in_height, d.in_width,
        d.kernel_height, d.kernel_width, d.stride_height, d.stride_width,
        d.pad_top, d.pad_bottom, d.pad_left, d.pad_right, d.dilation_height,
        d.dilation_width, d.groups}) {
    key << ' ' << v;
  }
  key << ' ' << d.layout;
  return key.str();
}

// The reference's outputs, one entry per pass and descriptor.
std::map<std::string, std::vector<std::vector<float>>>& ReferenceCache() {
  static std::map<std::string, std::vector<std::vector<float>>> cache;
  return cache;
}

bool Matches(benchmark::State& state, const std::string& what, const float* got,
             const std::vector<float>& want, double terms) {
  const double bound = 1e-4 * terms;
  for (size_t k = 0; k < want.size(); ++k) {
    const double error = std::fabs(static_cast<double>(got[k]) - want[k]);
    if (!(error <= bound)) {
      std::ostringstream message;
      message << what << " differs from the reference at element " << k << ": "
              << got[k] << " vs " << want[k] << " (bound " << bound << ")";
      state.SkipWithError(message.str().c_str());
      return false;
    }
  }
  return true;
}

// One benchmark name taken apart: "BM_Forward/AVX2/n:1/.../threads:2/real_time"
// gives family "BM_Forward", implementation "AVX2", case "n:1/..." and 2.
struct ParsedName {
  std::string family, implementation, case_args;
  int64_t threads = 1;
};

ParsedName Parse(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream stream(name);
  for (std::string part; std::getline(stream, part, '/');)
    parts.push_back(part);
  ParsedName parsed;
  parsed.family = parts.empty() ? name : parts[0];
  parsed.implementation = parts.size() > 1 ? parts[1] : "";
  std::vector<std::string> args;
  for (size_t k = 2; k < parts.size(); ++k) {
    if (StartsWith(parts[k], "threads:")) {
      parsed.threads = std::atoll(parts[k].c_str() + std::strlen("threads:"));
    } else if (parts[k].find(':') != std::string::npos) {
      args.push_back(parts[k]);
    }
  }
  parsed.case_args = Join(args, "/");
  return parsed;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid]
                                : 0.5 * (values[mid - 1] + values[mid]);
}

bool IsTarget(const std::string& implementation) {
  const std::vector<std::string>& targets = CompiledTargets();
  return std::find(targets.begin(), targets.end(), implementation) !=
         targets.end();
}

// Orders strings with their digit runs compared as numbers, so that the
// summary lists size:64 before size:256 whatever order the runs came in.
struct NaturalLess {
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  bool operator()(const std::string& a, const std::string& b) const {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      if (IsDigit(a[i]) && IsDigit(b[j])) {
        size_t end_i = i, end_j = j;
        while (end_i < a.size() && IsDigit(a[end_i])) ++end_i;
        while (end_j < b.size() && IsDigit(b[end_j])) ++end_j;
        const long long x = std::atoll(a.c_str() + i);
        const long long y = std::atoll(b.c_str() + j);
        if (x != y) return x < y;
        i = end_i;
        j = end_j;
      } else {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
      }
    }
    return a.size() - i < b.size() - j;
  }
};

// The console reporter plus, at the end, one line per case: the best xcorr
// target at 1 and 2 threads, the reference, the best peer at 1 and 2 threads
// (medians of the repetitions' GFLOP/s) and the ratios between them.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const auto gflops = run.counters.find("GFLOPS");
      if (gflops == run.counters.end()) continue;
      const ParsedName name = Parse(run.benchmark_name());
      const std::string case_key = name.family + "/" + name.case_args;
      samples_[case_key][name.implementation][name.threads].push_back(
          gflops->second.value);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::FILE* out = stdout;
    std::fflush(out);
    std::fprintf(
        out,
        "\nSummary: median GFLOP/s per case; xcorr = best compiled target; "
        "peer = best installed peer; packed = xcorr on weights packed once "
        "(where measured); tN = N threads\n");
    std::fprintf(out, "%-58s %15s %8s %9s %22s %8s %8s %9s %9s %9s %9s\n",
                 "case", "xcorr t1", "xcorr t2", "reference", "peer t1",
                 "peer t2", "x/ref t1", "x/peer t1", "x/peer t2", "packed t1",
                 "pk/peer t1");
    for (const auto& by_case : samples_) {
      const std::string& case_key = by_case.first;
      const Best xcorr1 = BestOf(case_key, 1, true),
                 xcorr2 = BestOf(case_key, 2, true);
      const Best peer1 = BestOf(case_key, 1, false),
                 peer2 = BestOf(case_key, 2, false);
      const Best reference = Get(case_key, "reference", 1);
      const Best packed1 = Get(case_key, kPackedLabel, 1);
      std::fprintf(
          out, "%-58s %7s %7s %8s %9s %13s %8s %8s %8s %9s %9s %9s %9s\n",
          case_key.c_str(), Number(xcorr1.gflops).c_str(),
          ("(" + xcorr1.implementation + ")").c_str(),
          Number(xcorr2.gflops).c_str(), Number(reference.gflops).c_str(),
          Number(peer1.gflops).c_str(),
          ("(" + peer1.implementation + ")").c_str(),
          Number(peer2.gflops).c_str(), Ratio(xcorr1, reference).c_str(),
          Ratio(xcorr1, peer1).c_str(), Ratio(xcorr2, peer2).c_str(),
          Number(packed1.gflops).c_str(), Ratio(packed1, peer1).c_str());
    }
  }

 private:
  struct Best {
    std::string implementation;
    double gflops = 0.0;  // 0 if not measured
  };

  Best Get(const std::string& case_key, const std::string& implementation,
           int64_t threads) const {
    const auto& by_implementation = samples_.at(case_key);
    const auto found = by_implementation.find(implementation);
    if (found == by_implementation.end()) return Best();
    const auto at_threads = found->second.find(threads);
    if (at_threads == found->second.end()) return Best();
    return Best{implementation, Median(at_threads->second)};
  }

  Best BestOf(const std::string& case_key, int64_t threads,
              bool targets) const {
    Best best;
    for (const auto& entry : samples_.at(case_key)) {
      if (entry.first == "reference" || entry.first == kPackedLabel ||
          IsTarget(entry.first) != targets) {
        continue;
      }
      const Best candidate = Get(case_key, entry.first, threads);
      if (candidate.gflops > best.gflops) best = candidate;
    }
    return best;
  }

  static std::string Number(double value) {
    if (value <= 0.0) return "-";
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", value);
    return text;
  }

  static std::string Ratio(const Best& a, const Best& b) {
    if (a.gflops <= 0.0 || b.gflops <= 0.0) return "-";
    char text[32];
    std::snprintf(text, sizeof(text), "%.2fx", a.gflops / b.gflops);
    return text;
  }

  // case (in natural order) -> implementation -> threads -> GFLOP/s of each
  // repetition
  std::map<std::string,
           std::map<std::string, std::map<int64_t, std::vector<double>>>,
           NaturalLess>
      samples_;
};

}  // namespace

double PeakGflopsPerCore() {
  const char* text = std::getenv("XCORR_PEAK_GFLOPS_PER_CORE");
  const double value = text != nullptr ? std::atof(text) : 0.0;
  return value > 0.0 ? value : kDefaultPeakGflopsPerCore;
}

const std::vector<std::string>& CompiledTargets() {
  // Read once, before any benchmark forces a target: xcorr_force_target masks
  // hwy::SupportedTargets() for the whole process.
  static const std::vector<std::string> targets = [] {
    std::vector<std::string> names;
    for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
      names.push_back(
          hwy::TargetName(target));  // best first: lower bits are better
    }
    return names;
  }();
  return targets;
}

bool ForwardMatches(benchmark::State& state, const char* what,
                    const ConvData& data, bool with_bias, const float* y) {
  xcorr_conv2d_desc first_image = data.shape.desc;
  first_image.batch = 1;
  std::vector<std::vector<float>>& want = ReferenceCache()[Key(
      first_image, with_bias ? "forward+bias" : "forward")];
  const detail::ConvShape shape = ShapeOf(first_image);
  if (want.empty()) {
    want.emplace_back(static_cast<size_t>(shape.y_elements));
    reference::Forward(shape, data.x.data(), data.w.data(),
                       with_bias ? data.bias.data() : nullptr, want[0].data());
  }
  const double terms =
      static_cast<double>(shape.in_channels_per_group *
                          shape.desc.kernel_height * shape.desc.kernel_width) +
      (with_bias ? 1.0 : 0.0);
  return Matches(state, std::string(what) + " y", y, want[0], terms);
}

bool BackwardMatches(benchmark::State& state, const char* what,
                     const ConvData& data, const float* dx, const float* dw,
                     const float* dbias) {
  const detail::ConvShape& s = data.shape;
  std::vector<std::vector<float>>& want =
      ReferenceCache()[Key(s.desc, "backward")];
  if (want.empty()) {
    want = {std::vector<float>(data.x.size()),
            std::vector<float>(data.w.size()),
            std::vector<float>(data.bias.size())};
    reference::Backward(s, data.x.data(), data.w.data(), data.dy.data(),
                        want[0].data(), want[1].data(), want[2].data());
  }
  const double per_dx = static_cast<double>(
      s.out_channels_per_group * s.desc.kernel_height * s.desc.kernel_width);
  const double per_dw =
      static_cast<double>(s.desc.batch * s.out_height * s.out_width);
  const std::string name = what;
  return (dx == nullptr || Matches(state, name + " dx", dx, want[0], per_dx)) &&
         (dw == nullptr || Matches(state, name + " dw", dw, want[1], per_dw)) &&
         (dbias == nullptr ||
          Matches(state, name + " dbias", dbias, want[2], per_dw));
}

Work ForwardWork(const detail::ConvShape& shape, bool with_bias) {
  const double elements =
      static_cast<double>(shape.x_elements + shape.w_elements +
                          shape.y_elements) +
      (with_bias ? static_cast<double>(shape.desc.out_channels) : 0.0);
  return Work{2.0 * MultiplyAdds(shape), sizeof(float) * elements};
}

Work BackwardWork(const detail::ConvShape& shape) {
  // Reads x, w, dy; writes dx, dw, dbias.
  const double elements =
      2.0 * static_cast<double>(shape.x_elements + shape.w_elements) +
      static_cast<double>(shape.y_elements + shape.desc.out_channels);
  return Work{4.0 * MultiplyAdds(shape), sizeof(float) * elements};
}

void SetCounters(benchmark::State& state, const Work& work, int64_t threads) {
  using benchmark::Counter;
  const double gflops = work.flops * 1e-9;
  state.counters["GFLOPS"] =
      Counter(gflops, Counter::kIsIterationInvariantRate);
  state.counters["peak_pct"] = Counter(
      100.0 * gflops / (PeakGflopsPerCore() * static_cast<double>(threads)),
      Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(work.bytes) *
                          state.iterations());
}

void TimeChecked(benchmark::State& state, int64_t threads, const Work& work,
                 const std::function<bool()>& run,
                 const std::function<bool()>& check) {
  if (!run() || !check()) return;
  for (auto _ : state) run();
  SetCounters(state, work, threads);
}

bool XcorrOk(benchmark::State& state, xcorr_status status) {
  if (status != XCORR_OK) state.SkipWithError(xcorr_last_error());
  return status == XCORR_OK;
}

void Register(const Family& family, const std::string& label,
              int64_t max_threads, const Body& body) {
  // A family without arguments would run once with none.
  if (family.cases.empty()) return;
  std::vector<std::string> arg_names = family.arg_names;
  arg_names.push_back("threads");
  const size_t threads_index = family.arg_names.size();
  benchmark::internal::Benchmark* benchmark = benchmark::RegisterBenchmark(
      (family.name + "/" + label).c_str(),
      [body, threads_index, desc_of = family.desc_of](benchmark::State& state) {
        std::vector<int64_t> args(threads_index);
        for (size_t k = 0; k < threads_index; ++k) args[k] = state.range(k);
        body(state, desc_of(args), state.range(threads_index));
      });
  benchmark->ArgNames(arg_names)->UseRealTime();
  for (const std::vector<int64_t>& args : family.cases) {
    for (int64_t threads = 1; threads <= max_threads; ++threads) {
      std::vector<int64_t> with_threads = args;
      with_threads.push_back(threads);
      benchmark->Args(with_threads);
    }
  }
}

Family ConvFamily(const std::string& name,
                  std::vector<std::vector<int64_t>> cases) {
  return Family{name,
                {"n", "cin", "cout", "size", "k", "pad", "nhwc"},
                std::move(cases),
                [](const std::vector<int64_t>& a) {
                  return ConvDesc(a[0], a[1], a[2], a[3], a[4], a[5],
                                  a[6] != 0);
                }};
}

Family SlowCases(Family family, const Options& options, bool backward) {
  if (options.full) return family;
  std::vector<std::vector<int64_t>> kept;
  for (const std::vector<int64_t>& args : family.cases) {
    const detail::ConvShape shape = ShapeOf(family.desc_of(args));
    const Work work =
        backward ? BackwardWork(shape) : ForwardWork(shape, false);
    if (work.flops <= kShortRunSlowFlops) kept.push_back(args);
  }
  family.cases = kept;
  return family;
}

namespace {

// body, run at `target` and the case's thread count.
Body AtTarget(const std::string& target, const Body& body) {
  return [target, body](benchmark::State& state, const xcorr_conv2d_desc& desc,
                        int64_t threads) {
    if (xcorr_force_target(target.c_str()) != XCORR_OK ||
        xcorr_set_num_threads(static_cast<int>(threads)) != XCORR_OK) {
      state.SkipWithError(xcorr_last_error());
      return;
    }
    // Guards against a silent fallback to another target (STYLE.md §11).
    if (target != xcorr_target_name()) {
      state.SkipWithError(
          ("forced " + target + " but xcorr runs " + xcorr_target_name())
              .c_str());
      return;
    }
    body(state, desc, threads);
  };
}

}  // namespace

void RegisterPerTarget(const Family& family, const Options& options,
                       bool backward, const Body& body) {
  const Family slow_cases = SlowCases(family, options, backward);
  for (const std::string& target : CompiledTargets()) {
    Register(target == CompiledTargets().front() ? family : slow_cases, target,
             kMaxThreads, AtTarget(target, body));
  }
}

void RegisterAtBestTarget(const Family& family, const std::string& label,
                          const Body& body) {
  Register(family, label, kMaxThreads,
           AtTarget(CompiledTargets().front(), body));
}

int Main(int argc, char** argv,
         const std::function<void(const Options&)>& register_all) {
  Options options;
  bool console = true, min_time_given = false;
  std::vector<char*> args;
  for (int k = 0; k < argc; ++k) {
    const std::string arg = argv[k];
    if (arg == "--full") {
      options.full = true;
      continue;
    }
    if (StartsWith(arg, "--benchmark_format="))
      console = arg == "--benchmark_format=console";
    if (StartsWith(arg, "--benchmark_min_time")) min_time_given = true;
    args.push_back(argv[k]);
  }
  std::string min_time = kShortMinTime;
  if (!options.full && !min_time_given) args.push_back(min_time.data());
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

  benchmark::AddCustomContext("xcorr_version", xcorr_version());
  benchmark::AddCustomContext("xcorr_targets", Join(CompiledTargets(), ","));
  std::vector<std::string> threads;
  for (int64_t n = 1; n <= kMaxThreads; ++n)
    threads.push_back(std::to_string(n));
  benchmark::AddCustomContext("xcorr_threads", Join(threads, ","));
  benchmark::AddCustomContext("cpu", CpuModel());
  benchmark::AddCustomContext("peak_gflops_per_core",
                              std::to_string(PeakGflopsPerCore()));
  benchmark::AddCustomContext("peers", Peers());
  benchmark::AddCustomContext("mode", options.full ? "full" : "short");

  register_all(options);
  if (console) {
    SummaryReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}

}  // namespace bench
}  // namespace xcorr
