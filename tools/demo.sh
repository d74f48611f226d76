#!/usr/bin/env bash
# The README's main command: installs what is missing, builds xcorr and runs
# the seed chapter's walkthrough with a short benchmark line.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j 2 --target xcorr_walkthrough
./build/tools/xcorr_walkthrough
