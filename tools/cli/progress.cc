// The stderr progress bar; see progress.h.
#include "tools/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace xcorr {
namespace cli {
namespace {

constexpr int kBarWidth = 30;

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total)
    : enabled_(isatty(STDERR_FILENO) == 1),
      label_(std::move(label)),
      total_(total) {
  Draw();
}

ProgressBar::~ProgressBar() { Clear(); }

void ProgressBar::Advance(int64_t steps) {
  done_ = std::min(total_, done_ + steps);
  Draw();
}

void ProgressBar::Clear() {
  if (!enabled_ || drawn_percent_ < 0) return;
  // Carriage return, then erase to the end of the line (ANSI EL).
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_percent_ = -1;
}

void ProgressBar::Draw() {
  if (!enabled_ || total_ <= 0) return;
  const int percent = static_cast<int>(100 * done_ / total_);
  // Redrawing on every step would cost more than a small step's work.
  if (percent == drawn_percent_) return;
  const int filled = percent * kBarWidth / 100;
  std::fprintf(
      stderr, "\r%s [%s%s] %3d%% (%lld/%lld)", label_.c_str(),
      std::string(static_cast<size_t>(filled), '#').c_str(),
      std::string(static_cast<size_t>(kBarWidth - filled), '.').c_str(),
      percent, static_cast<long long>(done_), static_cast<long long>(total_));
  std::fflush(stderr);
  drawn_percent_ = percent;
}

}  // namespace cli
}  // namespace xcorr
