#!/bin/bash
# What swanlog report costs beside replay on the same syslog file: wall and CPU time and peak
# RSS of each, in alternating rounds, and the ratio (the goal: a report costs at most about
# twice a replay). Prints a markdown table.
#
#   bash bench/report.sh [RUNS=3] [LINES=1000000]
#
# Builds swanlog in Release (-O2) in build-bench/ (SWL_BENCH_BUILD overrides); the log comes
# from bench/gen_syslog.py; works in a mktemp -d directory removed at the end.
set -euo pipefail
RUNS=${1:-3}
LINES=${2:-1000000}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SWL_BENCH_BUILD:-$SRC/build-bench}
for tool in cmake python3 /usr/bin/time; do
	command -v "$tool" > /dev/null || { echo "bench: $tool is needed (scripts/deps.sh installs it)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/swanlog-bench-report.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "building (Release, -O2) in $BUILD ..." >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DSWL_TESTS=OFF > "$W/cmake.log" || { cat "$W/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target swanlog > "$W/build.log" || { cat "$W/build.log" >&2; exit 1; }
cp -r "$SRC/rules" "$W/rules"
python3 "$SRC/bench/gen_syslog.py" "$W/syslog.log" "$LINES" 42
echo "generated $LINES lines" >&2

SWANLOG=$BUILD/swanlog
declare -A CMD=(
	[replay]="'$SWANLOG' replay --rules '$W/rules' --year 2026 --max-series 100000 '$W/syslog.log' > /dev/null"
	[report]="'$SWANLOG' report --rules '$W/rules' --year 2026 --max-series 100000 -o /dev/null '$W/syslog.log'"
	[report-text]="'$SWANLOG' report --rules '$W/rules' --year 2026 --max-series 100000 -f text -o /dev/null '$W/syslog.log'"
)
TOOLS=(replay report report-text)

# one timed run: wall time in ns around /usr/bin/time, which gives CPU and peak RSS
run() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S %M" -o "$W/last.time" bash -c "${CMD[$1]}" || { echo "bench: $1 failed" >&2; exit 1; }
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(tail -1 "$W/last.time")" >> "$W/time.$1"
}
for _ in $(seq "$RUNS"); do
	for t in "${TOOLS[@]}"; do run "$t"; done
done

python3 - "$W" "$LINES" "$RUNS" "${TOOLS[@]}" <<'PY'
import os, statistics as st, sys
w, lines, runs, tools = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
data = {t: [list(map(float, l.split())) for l in open(os.path.join(w, "time." + t))] for t in tools}
med = lambda t, k: st.median(r[k] for r in data[t])
print(f"{lines:,} lines from bench/gen_syslog.py; {runs} rounds; nproc {os.cpu_count()}; "
      f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
print("| command | wall s, median | user s | sys s | peak RSS MiB | lines/s |")
print("|---|---|---|---|---|---|")
for t in tools:
    wall = med(t, 0) / 1e6
    print(f"| `swanlog {t}` | {wall:.3f} | {med(t, 1):.2f} | {med(t, 2):.2f} | {med(t, 3) / 1024:.1f} | {lines / wall:,.0f} |")
ratio = lambda a, b, k: st.median(x[k] / y[k] for x, y in zip(data[a], data[b]))
cpu = lambda t: [r[1] + r[2] for r in data[t]]
cr = st.median(a / b for a, b in zip(cpu("report"), cpu("replay")) if b > 0)
print(f"\n| comparison | target | wall-time ratio | CPU-time ratio | met |\n|---|---|---|---|---|")
wr = ratio("report", "replay", 0)
print(f"| report / replay | <= 2 | {wr:.2f} | {cr:.2f} | {'yes' if wr <= 2 else 'NO'} |")
PY
