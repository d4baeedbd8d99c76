#!/bin/bash
# swanlog's benchmark: replay throughput against mtail --one_shot, pcre2grep -c (one regex pass
# over every line, the floor) and cat (the I/O floor) on the same syslog file; a journal file
# against journalctl; rendering 100,000 series; and a check that swanlog's counts equal the
# generator's. Prints markdown tables (paste the last ones into docs/performance.md).
#
#   bash bench/run.sh [RUNS=5] [LINES=1000000]
#
# SWL_BENCH_RULES names another rules directory (default: rules/, copied at the start).
# Builds swanlog in Release (-O2) in build-bench/ (SWL_BENCH_BUILD overrides), works in a
# mktemp -d directory that is removed at the end. The syslog file comes from the shared kit's
# generator when ../shared/bench exists (SWL_SHARED overrides), else from bench/gen_syslog.py.
# mtail is optional (apt-get install mtail); it is always bound to 127.0.0.1 on an unusual
# port, since it listens on [::]:3903 otherwise, even in one-shot mode.
# Tools run alternately, RUNS rounds, each under /usr/bin/time; ratios are medians of the
# per-round ratios, so a load change on the machine hits both sides of a ratio alike.
set -euo pipefail

RUNS=${1:-5}
LINES=${2:-1000000}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SWL_BENCH_BUILD:-$SRC/build-bench}
SHARED=${SWL_SHARED:-$SRC/../shared}
MTAIL_PORT=${SWL_BENCH_MTAIL_PORT:-13917}
YEAR=2026

for tool in cmake python3 pcre2grep /usr/bin/time; do
	command -v "$tool" > /dev/null || { echo "bench: $tool is needed (scripts/deps.sh installs it)" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/swanlog-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "building (Release, -O2) in $BUILD ..." >&2
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DSWL_TESTS=OFF > "$W/cmake.log" || { cat "$W/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target swanlog swl_render_bench > "$W/build.log" ||
	{ cat "$W/build.log" >&2; exit 1; }
SWANLOG=$BUILD/swanlog
# A snapshot of the rules, so that every round runs the same ones even while they are edited.
cp -r "${SWL_BENCH_RULES:-$SRC/rules}" "$W/rules"
"$SWANLOG" check --quiet --rules "$W/rules" >&2 || { echo "bench: the rules do not check" >&2; exit 1; }
RULES_N=$("$SWANLOG" check --rules "$W/rules" | sed -n 's/.*: \([0-9]*\) rules.*/\1/p')

LOG=$W/syslog.log
if [ -f "$SHARED/bench/gen_syslog.py" ]; then
	GEN="$SHARED/bench/gen_syslog.py (shared kit)"
	python3 "$SHARED/bench/gen_syslog.py" "$LOG" "$LINES" 42
else
	GEN="bench/gen_syslog.py"
	python3 "$SRC/bench/gen_syslog.py" "$LOG" "$LINES" 42
fi
echo "generated $LINES lines with $GEN" >&2

# The shared kit's union of what its mtail program counts, anchored on the syslog header.
PCRE='^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ charon(?:-systemd)?(?:\[\d+\])?: \d+\[IKE\] (?:IKE_SA [^\[ ]+\[\d+\] established between|giving up after \d+ retransmits|establishing IKE_SA failed|received AUTHENTICATION_FAILED notify error|CHILD_SA [^{ ]+\{\d+\} established|received NO_PROPOSAL_CHOSEN notify error)'
MTAIL_PROGS=""
if command -v mtail > /dev/null; then
	if [ -d "$SHARED/bench/mtail" ]; then
		MTAIL_PROGS=$SHARED/bench/mtail
	else
		MTAIL_PROGS=$SRC/bench/mtail
	fi
fi

declare -A CMD=(
	[cat]="cat '$LOG' > /dev/null"
	[pcre2grep]="pcre2grep -c '$PCRE' '$LOG' > '$W/out.pcre2grep'"
	[swanlog]="'$SWANLOG' replay --rules '$W/rules' --self-metrics --year $YEAR --timezone UTC '$LOG' > '$W/out.swanlog.prom'"
	[mtail]="mtail --one_shot --one_shot_format=prometheus --progs '$MTAIL_PROGS' --logs '$LOG' --address 127.0.0.1 --port $MTAIL_PORT --logtostderr > '$W/out.mtail.prom' 2> '$W/out.mtail.err'"
)
TOOLS="cat pcre2grep swanlog"
[ -n "$MTAIL_PROGS" ] && TOOLS="$TOOLS mtail"

# One timed run: /usr/bin/time gives CPU times and peak RSS; its wall clock has 10 ms steps,
# too coarse here, so the wall time is taken around it in nanoseconds (the same few ms of
# bash start-up are in every tool's figure).
timed() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S %M" -o "$W/last.time" bash -c "${CMD[$2]}" ||
		{ echo "bench: $2 failed: ${CMD[$2]}" >&2; exit 1; }
	t1=$(date +%s%N)
	echo "$1 $(( (t1 - t0) / 1000 )) $(tail -1 "$W/last.time")" >> "$W/time.$2"
}

cat "$LOG" > /dev/null # into the page cache
echo "syslog: $RUNS rounds of: $TOOLS" >&2
for r in $(seq "$RUNS"); do
	for t in $TOOLS; do
		timed "$r" "$t"
	done
done

# A journal file set of the same lines (systemd-journal-remote rotates its output every ~190,000
# such entries: the rotated files together hold every line). journalctl -o cat reads them all.
JTOOLS=""
JR=/lib/systemd/systemd-journal-remote
if [ -x "$JR" ] && command -v journalctl > /dev/null; then
	echo "journal: converting (export format -> systemd-journal-remote) ..." >&2
	mkdir "$W/journal"
	python3 "$SRC/bench/syslog_to_export.py" "$LOG" "$YEAR" | "$JR" -o "$W/journal/bench.journal" - 2> "$W/jr.err"
	mapfile -t JFILES < <(ls "$W/journal"/bench@*.journal 2> /dev/null | sort; echo "$W/journal/bench.journal")
	CMD[journalctl]="journalctl --file '$W/journal/*.journal' -o cat > /dev/null"
	CMD[swanlog-journal]="'$SWANLOG' replay --rules '$W/rules' --self-metrics ${JFILES[*]} > '$W/out.journal.prom'"
	JTOOLS="journalctl swanlog-journal"
	for r in $(seq "$RUNS"); do
		for t in $JTOOLS; do
			timed "$r" "$t"
		done
	done
	JENTRIES=$(journalctl --file "$W/journal/*.journal" -o cat | wc -l)
fi

"$BUILD/swl_render_bench" 100000 7 > "$W/render.txt"

python3 - "$W" "$LINES" "$RUNS" "$TOOLS" "$JTOOLS" "${JENTRIES:-0}" "$GEN" "$RULES_N" <<'PY'
import os, statistics as st, sys
w, lines, runs, tools, jtools, jentries, gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4].split(), sys.argv[5].split(), int(sys.argv[6]), sys.argv[7]
nrules = sys.argv[8]

def load(t):
    rows = {}
    for l in open(os.path.join(w, "time." + t)):
        p = l.split()
        if len(p) == 5 and p[0].isdigit():
            rows[int(p[0])] = dict(wall=int(p[1]) / 1e6, user=float(p[2]), sys=float(p[3]), rss=int(p[4]) / 1024)
    return rows

data = {t: load(t) for t in tools + jtools}
def med(t, k): return st.median(r[k] for r in data[t].values())
def ratio(a, b, k="wall"):
    """median over rounds of a's time / b's time (how many times faster b is)"""
    rs = [data[a][i][k] / data[b][i][k] for i in data[b] if i in data[a] and data[b][i][k] > 0]
    return st.median(rs) if rs else float("nan")
def cpu_ratio(a, b):
    rs = [(data[a][i]["user"] + data[a][i]["sys"]) / max(data[b][i]["user"] + data[b][i]["sys"], 0.005)
          for i in data[b] if i in data[a]]
    return st.median(rs)

load1 = open("/proc/loadavg").read().split()[:3]
print(f"syslog file: {lines:,} lines ({os.path.getsize(os.path.join(w, 'syslog.log')) / 1048576:.0f} MiB) "
      f"from {gen}; {runs} rounds; nproc {os.cpu_count()}; load {' '.join(load1)}")
print()
print("| tool | wall s, median (min–max) | user s | sys s | peak RSS MiB | lines/s (median wall) |")
print("|---|---|---|---|---|---|")
names = {"cat": "`cat > /dev/null` (I/O floor)", "pcre2grep": "`pcre2grep -c` union (one regex pass)",
         "swanlog": f"**`swanlog replay`**, shipped rules ({nrules})", "mtail": "`mtail --one_shot`",
         "journalctl": f"`journalctl --file … -o cat > /dev/null` ({jentries:,} entries)",
         "swanlog-journal": f"**`swanlog replay`** of the same journal files"}
for t in tools + jtools:
    ws = sorted(r["wall"] for r in data[t].values())
    n = jentries if t in jtools else lines
    print(f"| {names[t]} | {med(t, 'wall'):.3f} ({ws[0]:.3f}–{ws[-1]:.3f}) | {med(t, 'user'):.3f} | "
          f"{med(t, 'sys'):.3f} | {max(r['rss'] for r in data[t].values()):.1f} | {n / med(t, 'wall'):,.0f} |")
print()
print("| comparison | target | wall-time ratio (median of rounds) | CPU-time ratio | met |")
print("|---|---|---|---|---|")
def row(what, target, rw, rc, ok):
    print(f"| {what} | {target} | {rw:.2f} | {rc:.2f} | {'yes' if ok else 'NO'} |")
if "mtail" in tools:
    rw = ratio("mtail", "swanlog"); row("swanlog throughput / mtail's", "≥ 20", rw, cpu_ratio("mtail", "swanlog"), rw >= 20)
rw = ratio("pcre2grep", "swanlog"); row("swanlog throughput / pcre2grep's", "≥ 0.5", rw, cpu_ratio("pcre2grep", "swanlog"), rw >= 0.5)
if "mtail" in tools:
    a, b = max(r["rss"] for r in data["swanlog"].values()), max(r["rss"] for r in data["mtail"].values())
    print(f"| swanlog peak RSS / mtail's | < 1 | {a / b:.2f} ({a:.1f} / {b:.1f} MiB) | | {'yes' if a < b else 'NO'} |")
if jtools:
    rw = ratio("journalctl", "swanlog-journal")
    row("swanlog journal replay throughput / journalctl's", "≥ 1", rw, cpu_ratio("journalctl", "swanlog-journal"), rw >= 1)
kv = dict(p.split("=") for p in open(os.path.join(w, "render.txt")).read().split())
ms = float(kv["render_ms_median"])
print(f"| render {int(kv['series']):,} series (Prometheus text, {int(kv['output_bytes']) / 1048576:.1f} MiB) | < 100 ms | "
      f"{ms:.1f} ms median ({kv['render_ms_min']}–{kv['render_ms_max']}); {kv['heap_bytes_per_series']} heap bytes per series | | "
      f"{'yes' if ms < 100 else 'NO'} |")
PY

echo
echo "counts (syslog replay, as timed: default cap of series per metric) against the generator's expected counts:"
python3 "$SRC/bench/check_counts.py" "$LOG.expected.json" "$W/out.swanlog.prom" || true
# The shared generator gives each establishment a random peer address: ~20,000 (conn, peer)
# label sets, past the default cap. One more, untimed run with a cap that holds them all shows
# that every count is right once nothing lands in the overflow series.
echo
echo "counts (syslog replay with --max-series 100000, untimed; peak RSS $(
	/usr/bin/time -f %M "$SWANLOG" replay --rules "$W/rules" --self-metrics --max-series 100000 --year $YEAR --timezone UTC "$LOG" \
		2>&1 > "$W/out.swanlog.nocap.prom" | awk '{printf "%.1f MiB", $1 / 1024}')):"
python3 "$SRC/bench/check_counts.py" "$LOG.expected.json" "$W/out.swanlog.nocap.prom" | tail -1 || true
if [ -n "$JTOOLS" ]; then
	echo
	echo "counts (journal replay):"
	python3 "$SRC/bench/check_counts.py" "$LOG.expected.json" "$W/out.journal.prom" | tail -1 || true
fi
want=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['matching_lines'])" "$LOG.expected.json")
echo
echo "pcre2grep counted $(cat "$W/out.pcre2grep") matching lines; the generator wrote $want."
if [ -n "$MTAIL_PROGS" ] && [ -f "$SHARED/bench/check_counts.py" ]; then
	echo "mtail: $(python3 "$SHARED/bench/check_counts.py" "$LOG.expected.json" "$W/out.mtail.prom" | tail -1)"
fi
