#!/bin/bash
# Every line counted exactly once while Debian's logrotate rotates the followed file and
# swanlog is killed (SIGKILL) at random moments and started again. A writer appends numbered
# lines; logrotate runs every 0.6 to 1.1 s, first with rotate 5, create,
# compress and delaycompress, then with copytruncate, compress and delaycompress. The writer
# and logrotate take turns on a lock (as a syslog daemon is told to reopen its file), so no
# line is lost outside swanlog. Each life of swanlog is killed at a random moment within a
# second after one of its state saves (every 2 s): a restart has to read up to two or three
# rotations from the saved position, through the renamed, compressed and copied files. At the end, the count, the sum of the line numbers and the
# sum of their squares must be exact, with no gap counted.
# usage: follow_logrotate.sh SWANLOG_BINARY SOURCE_DIR [SECONDS]
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
CHAOS_S=${3:-20}
. "$SRC/tests/lib/follow.sh"
LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
[ -x "$LOGROTATE" ] || { echo "skip: logrotate is not installed (scripts/deps.sh --test)"; exit 77; }
command -v flock >/dev/null || { echo "skip: flock is not installed (apt-get install util-linux)"; exit 77; }

WRITER_PID= ROTATOR_PID=
wait_saved() {
	local s
	s=$(metric swanlog_state_saves_total)
	wait_metric_ge swanlog_state_saves_total $((s + 1))
}
stop_helpers() {
	touch "$D/stop"
	[ -n "$WRITER_PID" ] && wait "$WRITER_PID"
	[ -n "$ROTATOR_PID" ] && wait "$ROTATOR_PID"
	WRITER_PID= ROTATOR_PID=
}
trap 'touch "$T"/*/stop 2>/dev/null; [ -n "$WRITER_PID" ] && kill "$WRITER_PID"; [ -n "$ROTATOR_PID" ] && kill "$ROTATOR_PID"; cleanup' EXIT

# run MODE DIRECTIVES...: one kill loop with logrotate configured by DIRECTIVES
run() {
	local mode=$1
	shift
	D="$T/$mode"
	mkdir -p "$D/log"
	L="$D/log/app.log"
	{ echo "$L {"; printf '  %s\n' "$@" missingok; echo "}"; } > "$D/logrotate.conf"
	local args=(--file "$L" --rules "$SRC/tests/follow/numbered.yaml" --state "$D/state" --from head)
	# swanlog first: what is rotated away before its first start is not its to read
	start_swanlog "${args[@]}"

	# the writer: batches of 1 to 20 numbered lines, each batch under the lock, the file
	# opened by name each time; it says how many it wrote when told to stop
	"$PYTHON" - "$L" "$D/lock" "$D/stop" "$D/written" <<'PY' &
import fcntl, os, random, sys, time
path, lock, stop, out = sys.argv[1:5]
n = 0
with open(lock, "w") as lk:
    while not os.path.exists(stop):
        fcntl.flock(lk, fcntl.LOCK_EX)
        with open(path, "a") as f:
            for _ in range(random.randint(1, 20)):
                n += 1
                f.write(f"Nov 29 17:51:52 moon writer[1]: line {n} square {n * n}\n")
        fcntl.flock(lk, fcntl.LOCK_UN)
        time.sleep(random.uniform(0, 0.004))
with open(out, "w") as f:
    f.write(f"{n}\n")
PY
	WRITER_PID=$!
	# the rotator: logrotate -f under the lock, every 0.6 to 1.1 s
	(
		r=0
		until [ -e "$D/stop" ]; do
			sleep "$((RANDOM % 6 + 6))e-1"
			flock "$D/lock" "$LOGROTATE" -f -s "$D/logrotate.state" "$D/logrotate.conf" || exit 1
			r=$((r + 1))
		done
		echo "$r" > "$D/rotations"
	) &
	ROTATOR_PID=$!

	local kills=0 end=$((SECONDS + CHAOS_S))
	while [ $SECONDS -lt $end ]; do
		wait_saved
		sleep "0.$((RANDOM % 10))"
		stop_swanlog KILL
		kills=$((kills + 1))
		start_swanlog "${args[@]}"
	done
	stop_helpers
	[ -s "$D/rotations" ] || fail "$mode: logrotate failed"
	local n
	n=$(cat "$D/written")
	# a last line after everything else: once it is counted, nothing before it is pending
	echo "Nov 29 17:51:52 moon writer[1]: line $((n + 1)) square $(((n + 1) * (n + 1)))" >> "$L"
	n=$((n + 1))
	wait_metric test_lines_total "$n" 60
	local sum sq want_sum want_sq
	sum=$(metric test_numbers_total)
	sq=$(metric test_squares_total)
	want_sum=$("$PYTHON" -c "print($n * ($n + 1) // 2)")
	want_sq=$("$PYTHON" -c "print($n * ($n + 1) * (2 * $n + 1) // 6)")
	"$PYTHON" -c "import sys; sys.exit(not (float('$sum') == $want_sum and float('$sq') == $want_sq))" ||
		fail "$mode: line numbers sum to $sum (squares $sq), expected $want_sum ($want_sq): a line lost or counted twice"
	local gaps
	gaps=$(metric "swanlog_source_gaps_total{source=\"$L\"}")
	[ "$gaps" = 0 ] || fail "$mode: $gaps gaps counted"
	echo "$mode: $n of $n lines counted once, through $(cat "$D/rotations") rotations and $kills SIGKILLs" \
		"($(ls "$D/log" | wc -l) files at the end)"
	stop_swanlog TERM
	[ "$STOP_RC" = 0 ] || fail "$mode: SIGTERM exit status $STOP_RC"
}

run rename "rotate 5" create compress delaycompress
run copytruncate "rotate 5" copytruncate compress delaycompress
echo "follow_logrotate: ok"
