// A one-line progress bar on stderr for the long commands (filter over a
// directory, bench, learn). It draws only when stderr is a terminal, so logs,
// pipes and the tests see nothing of it.
#ifndef XCORR_TOOLS_CLI_PROGRESS_H_
#define XCORR_TOOLS_CLI_PROGRESS_H_

#include <cstdint>
#include <string>

namespace xcorr {
namespace cli {

// Usage:
//   ProgressBar bar("filter", files.size());
//   for (...) { ...; bar.Advance(); }
// The destructor erases the bar.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Counts `steps` more units done and redraws if the percentage moved.
  void Advance(int64_t steps = 1);
  // Erases the bar, e.g. before printing a line to stdout; the next
  // Advance() draws it again.
  void Clear();

 private:
  void Draw();

  const bool enabled_;
  const std::string label_;
  const int64_t total_;
  int64_t done_ = 0;
  int drawn_percent_ = -1;  // -1: nothing on screen
};

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_PROGRESS_H_
