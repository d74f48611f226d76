#!/usr/bin/env bash
# The README's test command (and CI's): installs what is missing, then builds
# with warnings as errors and runs the whole test suite; then again under
# AddressSanitizer + UndefinedBehaviorSanitizer; then fuzzes the C API for 60 s
# from the committed corpus (XCORR_FUZZ_SECONDS=N for N seconds, 0 replays the
# corpus only; skipped without clang). The
# benchmark gate runs in its noise-free mode (instruction counts) after the
# first build.
# Usage: tools/test.sh [--quick]   (--quick: skip the sanitizer builds and fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
jobs=2
# Sanitized builds: -O1 -g1 (line tables: enough for stack traces), not
# RelWithDebInfo's -O2 -g; GCC compiled src/backward_kernels.cc with ASan +
# UBSan in 130 s instead of 302 (tools/fuzz.sh does the same with Clang).
sanitized_flags="-O1 -g1 -DNDEBUG"
# Each stage's header says when it starts, so that CI's log shows where the
# time goes.
elapsed() { echo "$((SECONDS / 60)) min $((SECONDS % 60)) s"; }
stage() { echo "== $1 (at $(elapsed))"; }

stage "format (clang-format, Google style)"
tools/check_format.sh

stage "build (Release, -Werror) and test"
cmake -S . -B build-ci -G Ninja -DCMAKE_BUILD_TYPE=Release -DXCORR_WERROR=ON >/dev/null
cmake --build build-ci -j $jobs
ctest --test-dir build-ci -j $jobs --output-on-failure

stage "benchmark gate, noise-free mode (callgrind instruction counts)"
python3 tools/bench_gate.py --instructions --driver build-ci/bench/xcorr_instructions_driver \
  --baseline tools/bench_baseline/instructions.json

if [ "${1:-}" != --quick ]; then
  stage "build with AddressSanitizer + UndefinedBehaviorSanitizer and test"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXCORR_WERROR=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$sanitized_flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$sanitized_flags" \
    -DXCORR_SANITIZE=address,undefined -DXCORR_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j $jobs
  # The install test rebuilds the library without sanitizers; it ran above.
  # Allocations too big for any memory fail as they would without ASan (the
  # out-of-memory tests need them to).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -j $jobs --output-on-failure -LE install
  stage "fuzzing (tools/fuzz.sh)"
  tools/fuzz.sh "${XCORR_FUZZ_SECONDS:-60}"
fi
echo "all tests passed in $(elapsed)"
