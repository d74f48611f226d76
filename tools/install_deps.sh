#!/usr/bin/env bash
# Installs, with apt-get, the Debian 12 packages that xcorr needs and that are
# missing. Usage: tools/install_deps.sh [--peers]
#   --peers  also the optional peers: OpenCV, oneDNN (benchmarks), PyTorch (torch_check)
set -euo pipefail
# clang + libclang-rt-14-dev: the fuzzer (tools/fuzz.sh); valgrind: the
# benchmark gate's instruction counts; libpng-dev: PNG in the xcorr tool;
# clang-format: tools/check_format.sh.
packages=(cmake ninja-build g++ pkg-config libhwy-dev libtbb-dev libgtest-dev
          libbenchmark-dev libpng-dev python3 valgrind clang libclang-rt-14-dev
          clang-format)
if [ "${1:-}" = --peers ]; then
  packages+=(libopencv-dev libdnnl-dev python3-torch)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
