#!/usr/bin/env bash
# Fails when a C or C++ source differs from clang-format's output (.clang-format:
# Google style, as Highway). Usage: tools/check_format.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.hpp' '*.c' '*.cc')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
status=0
for file in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$file" 2>/dev/null; then
    echo "not formatted: $file (run tools/check_format.sh --fix)"
    status=1
  fi
done
exit $status
