#!/usr/bin/env bash
# Installs xcorr (static, then shared) into temporary prefixes and builds and
# runs the consumer programs against each: through find_package and through
# pkg-config. The static build is configured with its prefix; the shared one
# is configured with the default prefix and installed with --prefix, so the
# installed files must not depend on the configured prefix.
# Usage: run_install_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
for kind in static shared; do
  shared=$([ "$kind" = shared ] && echo ON || echo OFF)
  prefix=$work/$kind/prefix
  echo "== $kind: build and install the library"
  configured_prefix=$([ "$kind" = static ] && echo "$prefix" || echo /usr/local)
  cmake -S "$source_dir" -B "$work/$kind/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=$shared -DXCORR_BUILD_TESTS=OFF -DXCORR_BUILD_BENCHMARKS=OFF \
    -DXCORR_BUILD_TOOLS=OFF -DXCORR_INSTALL=ON -DCMAKE_INSTALL_PREFIX="$configured_prefix" >/dev/null
  cmake --build "$work/$kind/build" -j 2 >/dev/null
  cmake --install "$work/$kind/build" --prefix "$prefix" >/dev/null

  echo "== $kind: find_package consumer"
  cmake -S "$source_dir/tests/install/consumer" -B "$work/$kind/consumer" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$kind/consumer" >/dev/null
  (export LD_LIBRARY_PATH="$prefix/lib:${LD_LIBRARY_PATH:-}"
   "$work/$kind/consumer/consumer_c"
   "$work/$kind/consumer/consumer_cpp")

  echo "== $kind: pkg-config consumer"
  libdir=$(find "$prefix" -name xcorr.pc -printf '%h\n')
  export PKG_CONFIG_PATH="$libdir"
  static_flag=$([ "$kind" = static ] && echo --static || true)
  # shellcheck disable=SC2046  # pkg-config output is a list of flags
  cc -std=c99 -o "$work/$kind/pc_c" "$source_dir/tests/install/consumer/consumer.c" \
    $(pkg-config --cflags xcorr) $(pkg-config --libs $static_flag xcorr)
  # shellcheck disable=SC2046
  c++ -std=c++17 -o "$work/$kind/pc_cpp" "$source_dir/tests/install/consumer/consumer.cc" \
    $(pkg-config --cflags xcorr) $(pkg-config --libs $static_flag xcorr)
  (export LD_LIBRARY_PATH="$(dirname "$libdir"):${LD_LIBRARY_PATH:-}"
   "$work/$kind/pc_c"
   "$work/$kind/pc_cpp")
done
echo "install test passed"
