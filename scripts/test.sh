#!/bin/bash
# Build with warnings as errors and run every test; then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Usage: scripts/test.sh [--quick]
# A test that skips itself (exit 77: a tool it drives is missing) fails the run: install the
# test dependencies first (scripts/deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# run_ctest BUILD_DIR [ENV...]: ctest, then fail when any test was skipped.
run_ctest() {
	local dir=$1 log
	shift
	log=$(mktemp)
	(cd "$dir" && env "$@" ctest --output-on-failure -j "$jobs") | tee "$log"
	if grep -q '\*\*\*Skipped\|Not Run' "$log"; then
		echo "test.sh: skipped tests (missing tools? run scripts/deps.sh --test):" >&2
		grep '\*\*\*Skipped\|Not Run' "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_WERROR=ON -DSWL_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
run_ctest build
[ "${1:-}" = --quick ] && exit 0
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSWL_WERROR=ON -DSWL_SANITIZE=ON -DSWL_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"
run_ctest build-asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
