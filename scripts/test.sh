#!/bin/bash
# Build with warnings as errors and run every test; then the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Usage: scripts/test.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")
[ "${1:-}" = --quick ] && exit 0
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSWL_WERROR=ON -DSWL_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")
