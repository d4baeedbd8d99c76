#!/bin/bash
# Build with warnings as errors and run every test; then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
# Usage: scripts/test.sh [--quick | --label LABEL]
#   --quick        the inner loop: unit and golden tests, normal build only (about a minute)
#   --label LABEL  the tests of one ctest label, normal build only: unit, golden, follow,
#                  serve, dist, alerts, report, hostile, slow (CMakeLists.txt says which test has which)
# A test that skips itself (exit 77) for a missing tool fails the run: install the test
# dependencies first (scripts/deps.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# run_ctest BUILD_DIR [ENV...]: ctest, then look at why tests skipped themselves. A test that
# skipped for a missing tool or package fails the run; one that skipped because this machine
# does not allow what it needs (a mount namespace, a tmpfs) is only reported.
run_ctest() {
	local dir=$1
	shift
	(cd "$dir" && env "$@" ctest --output-on-failure -j "$jobs" "${select[@]}")
	python3 - "$dir/Testing/Temporary/LastTest.log" <<'PY'
import re, sys
log = open(sys.argv[1], errors="replace").read()
missing = re.compile(r"not installed|is missing|is required|apt-get install|deps\.sh|no \S+ found")
bad = 0
for name, out in re.findall(r'"([^"]+)" start time:.*?\nOutput:\n-+\n(.*?)<end of output>', log, re.S):
    reason = out.strip().splitlines()[-1] if out.strip() else ""
    if not re.match(r"skip(ped)?:", reason):
        continue
    if missing.search(reason):
        print(f"test.sh: {name} {reason} -- install the test dependencies: scripts/deps.sh --test")
        bad = 1
    else:
        print(f"test.sh: {name} {reason} (not a failure: the machine does not allow it)")
sys.exit(bad)
PY
}

select=()
case "${1:-}" in
--quick) select=(-L 'unit|golden' -LE slow) ;;
--label) [ -n "${2:-}" ] || { echo "usage: scripts/test.sh [--quick | --label LABEL]" >&2; exit 2; }
	select=(-L "^$2\$") ;;
"") ;;
*) echo "usage: scripts/test.sh [--quick | --label LABEL]" >&2; exit 2 ;;
esac

bash scripts/style.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_WERROR=ON -DSWL_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
run_ctest build
[ ${#select[@]} -eq 0 ] || exit 0
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSWL_WERROR=ON -DSWL_SANITIZE=ON -DSWL_TESTS=ON >/dev/null
cmake --build build-asan -j "$jobs"
run_ctest build-asan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
