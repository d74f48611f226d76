// Whole-file reads and writes with the tool's error messages ("IN.pgm: cannot
// open: No such file or directory"), shared by the image codecs and the
// kernel-file parser.
#ifndef XCORR_TOOLS_CLI_FILE_IO_H_
#define XCORR_TOOLS_CLI_FILE_IO_H_

#include <string>

namespace xcorr {
namespace cli {

// The bytes of the file at `path`; throws Error if it cannot be read.
std::string ReadFile(const std::string& path);
// Replaces the file at `path` with `bytes`; throws Error on failure.
void WriteFile(const std::string& path, const std::string& bytes);

}  // namespace cli
}  // namespace xcorr

#endif  // XCORR_TOOLS_CLI_FILE_IO_H_
