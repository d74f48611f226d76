// Option parsing; see args.h.
#include "tools/cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "tools/cli/errors.h"

namespace xcorr {
namespace cli {
namespace {

// A whole-string integer; false on junk or overflow.
bool ToInt(const std::string& text, int64_t* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno != 0) return false;
  *value = parsed;
  return true;
}

}  // namespace

Args::Args(const std::vector<std::string>& words,
           const std::set<std::string>& options,
           const std::set<std::string>& flags) {
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.rfind("--", 0) != 0) {
      positional_.push_back(word);
      continue;
    }
    const size_t equals = word.find('=');
    const std::string name =
        word.substr(2, equals == std::string::npos ? equals : equals - 2);
    std::string value;
    if (flags.count(name) != 0 && equals == std::string::npos) {
      value = "1";
    } else if (options.count(name) == 0) {
      throw UsageError("unknown option --" + name);
    } else if (equals != std::string::npos) {
      value = word.substr(equals + 1);
    } else if (i + 1 < words.size()) {
      value = words[++i];
    } else {
      throw UsageError("option --" + name + " needs a value");
    }
    if (!values_.emplace(name, value).second)
      throw UsageError("option --" + name + " given twice");
  }
}

std::string Args::Get(const std::string& name,
                      const std::string& fallback) const {
  const auto found = values_.find(name);
  return found == values_.end() ? fallback : found->second;
}

int64_t Args::GetInt(const std::string& name, int64_t fallback, int64_t min,
                     int64_t max) const {
  if (!Has(name)) return fallback;
  int64_t value = 0;
  if (!ToInt(Get(name, ""), &value) || value < min || value > max) {
    throw UsageError("bad --" + name + " '" + Get(name, "") +
                     "': expected an integer in " + std::to_string(min) + ".." +
                     std::to_string(max));
  }
  return value;
}

float Args::GetFloat(const std::string& name, float fallback) const {
  if (!Has(name)) return fallback;
  const std::string text = Get(name, "");
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value)) {
    throw UsageError("bad --" + name + " '" + text + "': expected a number");
  }
  return value;
}

void ParseSize(const std::string& option, const std::string& text, int64_t max,
               int64_t* height, int64_t* width) {
  const size_t x = text.find('x');
  const bool ok = x == std::string::npos
                      ? ToInt(text, height) && ToInt(text, width)
                      : ToInt(text.substr(0, x), height) &&
                            ToInt(text.substr(x + 1), width);
  if (!ok || *height < 1 || *width < 1 || *height > max || *width > max) {
    throw UsageError("bad --" + option + " '" + text +
                     "': expected KHxKW with sides in 1.." +
                     std::to_string(max));
  }
}

}  // namespace cli
}  // namespace xcorr
