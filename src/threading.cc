// The library's task arena; see threading.h.
#include "src/threading.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace xcorr {
namespace detail {
namespace {

std::shared_ptr<tbb::task_arena> MakeArena(int threads) {
  // The default arena uses all cores.
  return threads > 0 ? std::make_shared<tbb::task_arena>(threads)
                     : std::make_shared<tbb::task_arena>();
}

// XCORR_NUM_THREADS if it is an integer in [0, 65536], else 0 (all cores),
// with a warning, as for a bad XCORR_TARGET.
int ThreadsFromEnvironment() {
  const char* text = std::getenv("XCORR_NUM_THREADS");
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value > 1 << 16) {
    std::fprintf(stderr,
                 "xcorr: ignoring XCORR_NUM_THREADS=\"%s\": not an integer "
                 "from 0 (all cores) to 65536\n",
                 text);
    return 0;
  }
  return static_cast<int>(value);
}

struct ArenaState {
  std::mutex mutex;
  std::shared_ptr<tbb::task_arena> arena = MakeArena(ThreadsFromEnvironment());
};

std::atomic<bool>& CallerArenaFlag() {
  static std::atomic<bool> flag{false};
  return flag;
}

ArenaState& State() {
  static ArenaState* state = new ArenaState();  // never destroyed: used at exit
  return *state;
}

}  // namespace

Status SetNumThreads(int n) {
  if (n < 0)
    return InvalidArgument("thread count ", n, " must be non-negative");
  std::shared_ptr<tbb::task_arena> arena = MakeArena(n);
  ArenaState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.arena.swap(arena);
  return Status();
}

void SetUseCallerArena(bool enable) { CallerArenaFlag().store(enable); }

bool UseCallerArena() {
  return CallerArenaFlag().load(std::memory_order_relaxed);
}

std::shared_ptr<tbb::task_arena> CurrentArena() {
  ArenaState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.arena;
}

}  // namespace detail
}  // namespace xcorr
