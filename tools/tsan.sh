#!/usr/bin/env bash
# Builds the concurrency stress test with Clang's ThreadSanitizer (library and
# test instrumented) and runs it. Debian's libtbb.so is not instrumented, so
# TSan cannot see the synchronization inside TBB's scheduler:
# tools/tsan.supp removes the reports on TBB's own task objects, but reports
# of fork/join edges (a worker touching the caller's data) remain, so this is
# a diagnostic, not a CI gate, until TBB is built with -fsanitize=thread
# (docs/HARDENING.md says how to read a report).
# Usage: tools/tsan.sh [runs]   (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null; then
  echo "tsan: clang++ not found; skipping (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
build=build-tsan
CC=clang CXX=clang++ cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DXCORR_WERROR=ON -DXCORR_SANITIZE=thread -DXCORR_BUILD_BENCHMARKS=OFF \
  -DXCORR_BUILD_TOOLS=OFF -DXCORR_INSTALL=OFF >/dev/null
nice -n 10 cmake --build $build -j 2 --target xcorr_stress_test
echo "== stress test under ThreadSanitizer"
for run in $(seq 1 "${1:-1}"); do
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp" \
    $build/tests/xcorr_stress_test
done
