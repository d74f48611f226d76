// Status: how the library body reports failure without throwing.
//
// Every internal function that can fail returns a Status; c_api.cc turns it
// into an xcorr_status plus the thread's last-error message, and xcorr.hpp
// into an exception. Messages name the value and the rule it breaks.
#ifndef XCORR_SRC_STATUS_H_
#define XCORR_SRC_STATUS_H_

#include <sstream>
#include <string>
#include <utility>

#include "xcorr/xcorr.h"

namespace xcorr {
namespace detail {

class Status {
 public:
  Status() = default;  // OK
  Status(xcorr_status code, std::string message)
      : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == XCORR_OK; }
  xcorr_status code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  xcorr_status code_ = XCORR_OK;
  std::string message_;
};

// Concatenates the streamable arguments into one message.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename... Args>
Status InvalidArgument(const Args&... args) {
  return Status(XCORR_ERR_INVALID_ARGUMENT, StrCat(args...));
}

template <typename... Args>
Status Unsupported(const Args&... args) {
  return Status(XCORR_ERR_UNSUPPORTED, StrCat(args...));
}

// Returns from the enclosing function if `expr` yields a failed Status.
#define XCORR_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::xcorr::detail::Status xcorr_status_ = (expr); \
    if (!xcorr_status_.ok()) return xcorr_status_;  \
  } while (false)

}  // namespace detail
}  // namespace xcorr

#endif  // XCORR_SRC_STATUS_H_
