// Whole-file reads and writes; see file_io.h.
#include "tools/cli/file_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tools/cli/errors.h"

namespace xcorr {
namespace cli {

std::string ReadFile(const std::string& path) {
  // A directory opens as an ifstream on Linux and then fails obscurely.
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw Error(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": read error");
  return bytes;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot create: " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(path + ": write error");
}

}  // namespace cli
}  // namespace xcorr
