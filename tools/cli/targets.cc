// Probing and forcing SIMD targets; see targets.h.
#include "tools/cli/targets.h"

#include <algorithm>

#include "xcorr/xcorr.hpp"

namespace xcorr {
namespace cli {
namespace {

// Every x86 target Highway 1.0.3 compiles by default, best first; the
// fallback is SCALAR with GCC 12.2 and EMU128 with Clang.
constexpr const char* kKnownTargets[] = {"AVX3",  "AVX2",   "SSE4",
                                         "SSSE3", "EMU128", "SCALAR"};

// Forcing the name keeps an XCORR_TARGET override; NULL is the fallback.
void RestoreTarget(const std::string& name) {
  if (xcorr_force_target(name.c_str()) != XCORR_OK) xcorr_force_target(nullptr);
}

}  // namespace

std::vector<std::string> AvailableTargets() {
  const std::string previous = target_name();
  std::vector<std::string> available;
  for (const char* name : kKnownTargets) {
    if (xcorr_force_target(name) != XCORR_OK) continue;
    // The library accepts both fallback names for the one fallback it has;
    // list what it reports running.
    const std::string running = target_name();
    if (std::find(available.begin(), available.end(), running) ==
        available.end()) {
      available.push_back(running);
    }
  }
  RestoreTarget(previous);
  return available;
}

ScopedTarget::ScopedTarget(const std::string& name) : previous_(target_name()) {
  force_target(name.c_str());
}

ScopedTarget::~ScopedTarget() { RestoreTarget(previous_); }

}  // namespace cli
}  // namespace xcorr
