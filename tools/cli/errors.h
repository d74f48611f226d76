// The two kinds of failure the xcorr command-line tool reports: a bad command
// line (exit status 2, with a hint to run --help) and anything else that goes
// wrong while reading, computing or writing (exit status 1). main.cc catches
// both, prints the message and exits; nothing else in the tool exits.
#ifndef XCORR_TOOLS_CLI_ERRORS_H_
#define XCORR_TOOLS_CLI_ERRORS_H_

#include <stdexcept>
#include <string>

namespace xcorr {
namespace cli {

// A file that cannot be read or written, a corrupt image, a kernel file that
// does not parse, shapes that do not fit.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// An unknown command or option, a missing argument, a malformed value.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message)
      : std::runtime_error(message) {}
};

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_ERRORS_H_
