#!/bin/bash
# Memcheck: every unit test binary, `swanlog check` on the rules, `swanlog replay` of every
# golden case and of hostile inputs, and `swanlog report` of every report case and of hostile ids, under valgrind with --leak-check=full. Uses a normal
# (unsanitized) build in BUILD_DIR (default build), building it first.
#
# criterion runs each test in a worker process that it re-executes from the test binary and
# does not fail a test whose worker valgrind flagged, so valgrind follows children
# (--trace-children) and writes one log per process; any log with an error fails the run.
# PCRE2's JIT reads a little past a subject's end: tests/valgrind/pcre2-jit.supp.
# Children that are not ours (systemd-journal-remote, shells, promtool) are not traced.
# usage: scripts/valgrind.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind: not installed (scripts/deps.sh installs it)"; exit 1; }
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWL_WERROR=ON -DSWL_SANITIZE=OFF >/dev/null
cmake --build "$build" -j "$(nproc)"
bin=$(realpath "$build/swanlog")
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

jobs=$(nproc)
# --track-origins doubles the time; set SWL_VALGRIND_OPTS=--track-origins=yes to find a report's source
vg() {
	# shellcheck disable=SC2086
	TZ=UTC valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --trace-children=yes ${SWL_VALGRIND_OPTS:-} \
		--suppressions="$src/tests/valgrind/pcre2-jit.supp" \
		--trace-children-skip='/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*,/lib/systemd/*,/usr/lib/systemd/*' \
		--log-file="$logs/%p.log" "$@"
}

run() { # run NAME [--exit STATUS] COMMAND...: the command's own failure (another status) counts too
	local name=$1 want=0; shift
	[ "$1" = --exit ] && { want=$2; shift 2; }
	local rc=0 start=$SECONDS out
	out=$(mktemp "$logs/out.XXXXXX")
	vg "$@" > "$out" 2>&1 || rc=$?
	if [ $rc -ne "$want" ]; then
		echo "FAIL $name: exit $rc"; tail -20 "$out"
		touch "$logs/failed" # also from the subshells below
	else
		echo "ok   $name ($((SECONDS - start)) s)"
	fi
}

for t in "$build"/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t" --jobs "$jobs"
done
run "check rules" "$bin" check "$src/rules"
run "check hostile rules" "$bin" check "$src/tests/hostile/capture.yaml" "$src/tests/hostile/catastrophic.yaml"
for dir in "$src"/tests/logs/*/; do
	[ -f "$dir/args" ] || continue
	rules=$src/rules
	[ -e "$dir/rules.yaml" ] && rules=$dir/rules.yaml
	# replays in parallel, at most $jobs at a time
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	# shellcheck disable=SC2046
	(cd "$dir" && run "replay $(basename "$dir")" "$bin" replay --rules "$rules" $(cat args)) &
done
wait
python3 "$src/tests/hostile/gen.py" ids 50 > "$logs/ids.txt"
python3 "$src/tests/hostile/gen.py" capture 200 > "$logs/capture.txt"
run "replay hostile ids" "$bin" replay --rules "$src/rules" --year 2026 "$logs/ids.txt"
for dir in "$src"/tests/report/*/; do
	# shellcheck disable=SC2046
	(cd "$dir" && run "report $(basename "$dir")" "$bin" report --rules "$src/rules" -o /dev/null $(cat args))
done
run "report hostile ids" "$bin" report --rules "$src/rules" --year 2026 -o /dev/null "$logs/ids.txt"
# lines with no syslog header: replay says so and exits 3, after the metrics
run "replay hostile capture" --exit 3 "$bin" replay --rules "$src/tests/hostile/capture.yaml" --format openmetrics --step 60 \
	"$logs/capture.txt"

# A worker's errors do not always reach an exit status: the per-process logs are the verdict.
status=0
[ -e "$logs/failed" ] && status=1
for f in "$logs"/*.log; do
	[ -s "$f" ] || continue
	echo "FAIL valgrind reported (process $(basename "$f" .log)):"
	head -60 "$f"
	status=1
done
[ $status -eq 0 ] && echo "valgrind: no errors, no leaks"
exit $status
