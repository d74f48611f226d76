#!/usr/bin/env bash
# Builds the libFuzzer target on the C API with Clang (ASan + UBSan, library
# instrumented too) and fuzzes for a bounded time, starting from the seed
# corpus in tests/fuzz/corpus. New interesting inputs go to build-fuzz/corpus
# (the committed seeds are never modified); a crash leaves its input in
# build-fuzz/artifacts/ (replay: build-fuzz/tests/fuzz/xcorr_conv2d_fuzzer FILE).
# Usage: tools/fuzz.sh [seconds]   (default 60, as CI; 0 replays the corpus
#        only; extra libFuzzer flags in XCORR_FUZZ_FLAGS, e.g.
#        XCORR_FUZZ_FLAGS="-jobs=4 -workers=4")
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found; skipping (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi
build=build-fuzz
# -O1 -g1 (line tables), not -O2 -g: Clang compiled src/backward_kernels.cc
# instrumented in 223 s instead of about 380.
flags="-O1 -g1 -DNDEBUG"
CC=clang CXX=clang++ cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags" \
  -DXCORR_WERROR=ON -DXCORR_SANITIZE=fuzzer-no-link,address,undefined \
  -DXCORR_BUILD_FUZZERS=ON -DXCORR_BUILD_TESTS=OFF -DXCORR_BUILD_BENCHMARKS=OFF \
  -DXCORR_BUILD_TOOLS=OFF -DXCORR_INSTALL=OFF >/dev/null
nice -n 10 cmake --build $build -j 2 --target xcorr_conv2d_fuzzer
mkdir -p $build/corpus $build/artifacts
if [ "$seconds" = 0 ]; then
  echo "== replaying the fuzz corpus (regression)"
  limit=(-runs=0)
else
  echo "== fuzzing the C API for ${seconds}s"
  limit=(-max_total_time="$seconds")
fi
# detect_leaks: a plan or buffer leaked on any path is a failure too.
# -timeout: one input may take at most 10 s (a hang is a bug).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  $build/tests/fuzz/xcorr_conv2d_fuzzer "${limit[@]}" -timeout=10 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix=$build/artifacts/ \
  ${XCORR_FUZZ_FLAGS:-} $build/corpus tests/fuzz/corpus
