// The command line of one subcommand: positional arguments and options given
// as "--name value" or "--name=value", each checked against the options the
// subcommand knows.
#ifndef XCORR_TOOLS_CLI_ARGS_H_
#define XCORR_TOOLS_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace xcorr {
namespace cli {

class Args {
 public:
  // Parses `words` (the arguments after the subcommand). `options` take a
  // value, `flags` do not. Throws UsageError for an unknown option, a
  // missing value or an option given twice.
  Args(const std::vector<std::string>& words,
       const std::set<std::string>& options,
       const std::set<std::string>& flags);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // The option's value, or `fallback` when absent.
  std::string Get(const std::string& name, const std::string& fallback) const;
  // An integer in [min, max]; UsageError otherwise.
  int64_t GetInt(const std::string& name, int64_t fallback, int64_t min,
                 int64_t max) const;
  // A finite number; UsageError otherwise.
  float GetFloat(const std::string& name, float fallback) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

// "KHxKW" (or "K" for K x K) as two sides in 1..max; UsageError otherwise.
void ParseSize(const std::string& option, const std::string& text, int64_t max,
               int64_t* height, int64_t* width);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_ARGS_H_
