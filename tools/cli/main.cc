// The xcorr command-line tool: `xcorr filter|learn|bench|info`, the library
// applied to image files (see README.md next to this file). This file holds
// the usage text and each subcommand's glue from arguments to the modules;
// it is the only place that prints results or chooses an exit status.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tools/cli/args.h"
#include "tools/cli/bench.h"
#include "tools/cli/errors.h"
#include "tools/cli/filter.h"
#include "tools/cli/image_io.h"
#include "tools/cli/kernel_spec.h"
#include "tools/cli/learn.h"
#include "tools/cli/output_map.h"
#include "tools/cli/progress.h"
#include "tools/cli/targets.h"
#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace cli {
namespace {

namespace fs = std::filesystem;

constexpr char kUsage[] = R"(usage: xcorr <command> [options]

commands:
  filter IN OUT --kernel SPEC [--pad same|valid] [--map offset|clamp|abs|normalize]
      Correlates every channel of image IN with a kernel and writes OUT.
      IN and OUT may both be directories: every .pgm/.ppm/.pnm/.png file in
      IN is filtered into OUT under the same name.
      SPEC: edge-x ([[1,-1]]), edge-y, sobel-x, sobel-y, laplace, box:N,
            gauss:N, or a text file of rows of numbers.
      --pad  same (default): OUT has IN's size, zero padding (K-1)/2
             top/left and K/2 bottom/right; valid: no padding.
      --map  how responses become pixels in [0,1]: offset (0.5 + 0.5*v,
             default for kernels with negative weights), clamp (default
             otherwise), abs (|v|), normalize (min..max stretched to 0..1).
  learn IN OUT [--kernel-size KHxKW] [--steps N] [--lr F] [--momentum F]
               [--map offset|clamp]
      Learns the kernel that maps image IN to image OUT by gradient descent
      on the squared loss (the seed's Conv2D + SGD), printing the loss and
      the kernel. Defaults: 3x3, 100 steps, the largest stable rate, no
      momentum (photos converge far faster with --momentum 0.99 --steps
      1000). --map says how OUT was written (offset for filter's signed
      defaults).
  bench [--size N] [--kernel K]
      corr2d GFLOP/s on an NxN image with a KxK kernel at every SIMD target
      (defaults 512 and 3).
  info
      Version, SIMD targets and thread count.

Images: PGM/PPM (P2, P3, P5, P6; 8- or 16-bit) and PNG; outputs keep their
input's bit depth. Exit status: 0 success, 1 error, 2 bad command line.
)";

// Two buffers of 8192^2 floats are 512 MiB, plenty for a benchmark.
constexpr int64_t kMaxBenchSize = 8192;
constexpr int64_t kMaxSteps = 100000000;

// Reads, correlates, maps and writes one image.
void FilterFile(const std::string& in, const std::string& out,
                const Kernel& kernel, Padding padding, OutputMap map) {
  Image image = Correlate(ReadImage(in), kernel, padding);
  ApplyOutputMap(map, image.pixels);
  WriteImage(out, image);
}

int RunFilter(const Args& args) {
  if (args.positional().size() != 2)
    throw UsageError("filter needs IN and OUT");
  if (!args.Has("kernel")) throw UsageError("filter needs --kernel");
  const Kernel kernel = ParseKernelSpec(args.Get("kernel", ""));
  const Padding padding = ParsePadding(args.Get("pad", "same"));
  const OutputMap map = ParseOutputMap(
      args.Get("map", kernel.has_negative_weight() ? "offset" : "clamp"));
  const std::string& in = args.positional()[0];
  const std::string& out = args.positional()[1];
  std::error_code ignored;
  if (!fs::is_directory(in, ignored)) {
    FilterFile(in, out, kernel, padding, map);
    return 0;
  }
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(in)) {
    if (entry.is_regular_file() && HasImageExtension(entry.path().string())) {
      files.push_back(entry.path());
    }
  }
  if (files.empty()) throw Error(in + ": no .pgm, .ppm, .pnm or .png files");
  std::sort(files.begin(), files.end());
  fs::create_directories(out);
  ProgressBar bar("filter", static_cast<int64_t>(files.size()));
  for (const fs::path& file : files) {
    FilterFile(file.string(), (fs::path(out) / file.filename()).string(),
               kernel, padding, map);
    bar.Advance();
  }
  return 0;
}

void PrintKernel(const Kernel& kernel) {
  for (int64_t i = 0; i < kernel.height; ++i) {
    for (int64_t j = 0; j < kernel.width; ++j) {
      std::printf(
          "%s%9.4f", j == 0 ? "  " : " ",
          static_cast<double>(
              kernel.weights[static_cast<size_t>(i * kernel.width + j)]));
    }
    std::printf("\n");
  }
}

int RunLearn(const Args& args) {
  if (args.positional().size() != 2) throw UsageError("learn needs IN and OUT");
  LearnOptions options;
  ParseSize("kernel-size", args.Get("kernel-size", "3x3"), kMaxKernelSide,
            &options.kernel_height, &options.kernel_width);
  options.steps = args.GetInt("steps", options.steps, 1, kMaxSteps);
  options.learning_rate = args.GetFloat("lr", 0.0f);
  if (args.Has("lr") && options.learning_rate <= 0.0f) {
    throw UsageError("bad --lr: must be positive");
  }
  options.momentum = args.GetFloat("momentum", options.momentum);
  if (options.momentum < 0.0f || options.momentum >= 1.0f) {
    throw UsageError("bad --momentum: must be in [0, 1)");
  }
  options.map = ParseOutputMap(args.Get("map", "clamp"));
  if (options.map != OutputMap::kOffset && options.map != OutputMap::kClamp) {
    throw UsageError(
        "learn takes --map offset or clamp: abs and normalize lose the sign");
  }
  const Image in = ReadImage(args.positional()[0]);
  const Image out = ReadImage(args.positional()[1]);

  // About ten loss lines, as the seed prints every second of its ten steps.
  const int64_t every = std::max<int64_t>(1, options.steps / 10);
  ProgressBar bar("learn", options.steps);
  const LearnResult result =
      LearnKernel(in, out, options, [&](int64_t step, float loss) {
        if (step % every == 0 || step == options.steps) {
          bar.Clear();
          std::printf("step %lld, loss %.6g\n", static_cast<long long>(step),
                      static_cast<double>(loss));
          std::fflush(stdout);
        }
        bar.Advance();
      });
  bar.Clear();
  std::printf("learning rate %.6g\nlearned kernel (%s):\n",
              static_cast<double>(result.learning_rate),
              SizeText(result.kernel.height, result.kernel.width).c_str());
  PrintKernel(result.kernel);
  return 0;
}

int RunBenchCommand(const Args& args) {
  if (!args.positional().empty()) throw UsageError("bench takes no arguments");
  const int64_t size = args.GetInt("size", 512, 1, kMaxBenchSize);
  const int64_t kernel =
      args.GetInt("kernel", std::min<int64_t>(3, size), 1, size);
  const std::vector<BenchRow> rows = RunBench(size, kernel);
  std::printf("corr2d %s input, %s kernel, xcorr %s\n",
              SizeText(size, size).c_str(), SizeText(kernel, kernel).c_str(),
              version().c_str());
  std::printf("%-8s %12s %10s\n", "target", "ms/call", "GFLOP/s");
  for (const BenchRow& row : rows) {
    std::printf("%-8s %12.4g %10.2f\n", row.target.c_str(), row.milliseconds,
                row.gflops);
  }
  return 0;
}

int RunInfo(const Args& args) {
  if (!args.positional().empty()) throw UsageError("info takes no arguments");
  std::printf("xcorr %s\n", version().c_str());
  std::printf("target in use: %s\n", target_name().c_str());
  std::printf("targets available:");
  for (const std::string& target : AvailableTargets())
    std::printf(" %s", target.c_str());
  std::printf("\n");
  // The API has no getter, so this mirrors the library's rule: a whole
  // integer in 1..65536 in XCORR_NUM_THREADS, else every core.
  const char* env = std::getenv("XCORR_NUM_THREADS");
  char* end = nullptr;
  const long threads = env != nullptr ? std::strtol(env, &end, 10) : 0;
  if (threads > 0 && threads <= 65536 && end != env && *end == '\0') {
    std::printf("threads: %ld (XCORR_NUM_THREADS)\n", threads);
  } else {
    std::printf("threads: %u (hardware concurrency)\n",
                std::thread::hardware_concurrency());
  }
  return 0;
}

int Run(int argc, char** argv) {
  const std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) throw UsageError("no command");
  const std::string& command = words[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  struct Command {
    const char* name;
    std::set<std::string>
        options;  // those taking a value; --help is a flag of all
    int (*run)(const Args& args);
  };
  const Command commands[] = {
      {"filter", {"kernel", "pad", "map"}, RunFilter},
      {"learn", {"kernel-size", "steps", "lr", "momentum", "map"}, RunLearn},
      {"bench", {"size", "kernel"}, RunBenchCommand},
      {"info", {}, RunInfo},
  };
  for (const Command& candidate : commands) {
    if (command != candidate.name) continue;
    const Args args(std::vector<std::string>(words.begin() + 1, words.end()),
                    candidate.options, {"help"});
    if (args.Has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    return candidate.run(args);
  }
  throw UsageError("unknown command '" + command + "'");
}

}  // namespace
}  // namespace cli
}  // namespace xcorr

int main(int argc, char** argv) {
  try {
    return xcorr::cli::Run(argc, argv);
  } catch (const xcorr::cli::UsageError& e) {
    std::fprintf(stderr, "xcorr: %s\nRun 'xcorr --help' for usage.\n",
                 e.what());
    return 2;
  } catch (const std::exception& e) {
    // Error, the library's InvalidArgument/RuntimeError, filesystem errors
    // and std::bad_alloc all end here: a message, never a crash.
    std::fprintf(stderr, "xcorr: %s\n", e.what());
    return 1;
  }
}
