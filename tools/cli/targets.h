// The library's SIMD targets as the tool sees them: which of a fixed list the
// library accepts on this machine (probed with xcorr_force_target, so the
// tool needs no Highway headers), and forcing one for a scope.
#ifndef XCORR_TOOLS_CLI_TARGETS_H_
#define XCORR_TOOLS_CLI_TARGETS_H_

#include <string>
#include <vector>

namespace xcorr {
namespace cli {

// The targets xcorr_force_target accepts here, best first. Probing changes
// the process-wide target, which is then restored; call it while no other
// thread uses the library.
std::vector<std::string> AvailableTargets();

// Forces a target for its lifetime, then restores the one in use before
// (which may itself come from XCORR_TARGET).
class ScopedTarget {
 public:
  explicit ScopedTarget(const std::string& name);  // throws if unsupported
  ~ScopedTarget();
  ScopedTarget(const ScopedTarget&) = delete;
  ScopedTarget& operator=(const ScopedTarget&) = delete;

 private:
  const std::string previous_;
};

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_TARGETS_H_
