#!/bin/bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang in build-fuzz, the library
# instrumented the same way (ASan + UBSan + coverage), and run each for SECONDS (default 60),
# starting from its seed corpus in tests/fuzz/corpus/<target>/. New inputs go to
# build-fuzz/corpus/<target>/ (the seeds in the tree are left alone), crashes to
# build-fuzz/artifacts/. Exit status 1 when any target found a crash, leak or timeout.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
command -v clang >/dev/null || { echo "fuzz: clang is required (scripts/deps.sh installs it)"; exit 1; }
CC=clang cmake -S . -B build-fuzz -DSWL_FUZZ=ON -DSWL_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi

# Longest input per target: a log line of a few KiB covers every header form and prefix;
# a rules file needs more room.
max_len() {
	case $1 in
	fuzz_rules_load) echo 16384 ;;
	fuzz_pipeline) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

mkdir -p build-fuzz/artifacts build-fuzz/tmp
# a target that stops on a crash leaves its scratch here, not in /tmp
export TMPDIR=$PWD/build-fuzz/tmp
status=0
for t in "${targets[@]}"; do
	work=build-fuzz/corpus/$t
	mkdir -p "$work"
	log=build-fuzz/$t.log
	echo "== $t: ${secs}s"
	rc=0
	TZ=UTC ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"build-fuzz/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
		"$work" "tests/fuzz/corpus/$t" > "$log" 2>&1 || rc=$?
	# the last status line carries coverage (cov), features (ft) and the corpus size
	grep -E '^#[0-9]+' "$log" | tail -1 || true
	grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
	if [ $rc -ne 0 ]; then
		echo "FAIL $t: exit $rc; see $log and build-fuzz/artifacts/"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 || true
		status=1
	fi
done
exit $status
