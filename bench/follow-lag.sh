#!/bin/bash
# How far does `swanlog follow` lag behind a busy log? A writer appends charon lines at RATE
# lines/s for SECONDS seconds (to a file, or as journal entries through systemd-journal-remote)
# while swanlog follows; /metrics is sampled during the run, and at the end we measure the time
# from the last write until /metrics shows the full count. Also reports swanlog's CPU time.
# usage: bench/follow-lag.sh [SWANLOG_BINARY] [file|journal] [RATE] [SECONDS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(realpath "${1:-$HERE/build/swanlog}")
MODE=${2:-file}; RATE=${3:-10000}; DUR=${4:-10}
T=$(mktemp -d /tmp/swl_bench_XXXXXX)
SWL=; WRITER=
cleanup() { for p in $SWL $WRITER; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/src" "$T/state"

case $MODE in
file)
	: > "$T/src/charon.log"
	SRCARGS=(--file "$T/src/charon.log") ;;
journal)
	JR=/lib/systemd/systemd-journal-remote
	python3 "$HERE/tests/follow/export.py" 0123456789abcdef0123456789abcdef 0 sshd:1 | "$JR" -o "$T/src/b.journal" - 2>/dev/null
	SRCARGS=(--journal-file "$T/src/b.journal") ;;
*) echo "mode: file or journal" >&2; exit 2 ;;
esac

"$BIN" follow "${SRCARGS[@]}" --from head --rules "$HERE/tests/follow/rules.yaml" --state "$T/state/state" \
	--listen "127.0.0.1:$PORT" 2> "$T/swanlog.err" &
SWL=$!
until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.05; done

# The writer paces itself in 10 ms slices. Every 200 ms it asks /metrics how far swanlog is
# (backlog = lines written - lines counted); after its last line it polls /metrics every
# millisecond until the full count shows, and reports that time.
cat > "$T/writer.py" <<'PY'
import re, sys, time, urllib.request
mode, rate, dur, out, url = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
total = int(rate * dur)
pat = re.compile(rb"^test_ike_established_total\{[^}]*\} (\d+)$", re.M)
def count():
    m = pat.search(urllib.request.urlopen(url).read())
    return int(m.group(1)) if m else 0
f = open(out, "ab", buffering=0) if mode == "file" else sys.stdout.buffer
start = time.monotonic(); n = 0; next_sample = start + 0.2; backlog = []
while n < total:
    due = min(total, int((time.monotonic() - start) * rate) + rate // 100)
    chunk = []
    while n < due:
        n += 1
        msg = f"09[IKE] <site-a|{n}> IKE_SA site-a[{n}] established between 192.0.2.1[moon]...198.51.100.7[sun]"
        if mode == "file":
            chunk.append(f"Nov 29 17:51:52 moon charon: {msg}\n")
        else:
            chunk.append(f"__REALTIME_TIMESTAMP={1764438000000000 + n}\n__MONOTONIC_TIMESTAMP={n + 10}\n"
                         f"_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=moon\nSYSLOG_IDENTIFIER=charon\n"
                         f"MESSAGE={msg}\n\n")
    f.write("".join(chunk).encode()); f.flush()
    if time.monotonic() >= next_sample:
        backlog.append(n - count()); next_sample += 0.2
    time.sleep(0.01)
last = time.monotonic()
wdur = last - start
while count() < n:
    time.sleep(0.001)
lag = time.monotonic() - last
backlog.sort()
med = backlog[len(backlog) // 2] if backlog else 0
print(f"writer: {n} lines in {wdur:.2f} s ({n / wdur:.0f} lines/s)", file=sys.stderr)
print(f"backlog sampled every 200 ms while writing: median {med} lines ({med * 1000 / rate:.0f} ms), "
      f"max {backlog[-1] if backlog else 0} lines ({(backlog[-1] if backlog else 0) * 1000 / rate:.0f} ms)", file=sys.stderr)
print(f"last write -> /metrics shows all {n}: {lag * 1000:.0f} ms", file=sys.stderr)
PY

echo "mode=$MODE rate=$RATE lines/s duration=${DUR}s"
URL="http://127.0.0.1:$PORT/metrics"
if [ "$MODE" = file ]; then
	python3 "$T/writer.py" file "$RATE" "$DUR" "$T/src/charon.log" "$URL" 2> "$T/report"
else
	python3 "$T/writer.py" journal "$RATE" "$DUR" - "$URL" 2> "$T/report" | "$JR" -o "$T/src/b.journal" - 2>/dev/null
fi
cat "$T/report"
written=$((RATE * DUR))
cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$SWL/stat")
rss=$(awk '/VmHWM/ { print $2 " " $3 }' "/proc/$SWL/status")
printf 'swanlog CPU (user+sys): %ss for %s lines; peak RSS %s\n' "$cpu" "$written" "$rss"
