#!/bin/bash
# follow --file through rotation chains, against the real binary and Debian's logrotate:
# two renames between saves and a SIGKILL (the file rotated in between is read); the same
# with logrotate's numbering while swanlog was stopped; compress + delaycompress, where the
# saved file is now NAME.2.gz with an unread tail; rotations outpacing a running follower;
# copytruncate followed at once by more bytes than the read offset (running and after a
# SIGKILL); and a saved file gone for good (a gap, counted). Every count is exact: after each
# case a sentinel line is appended and counted, so nothing read twice later can hide.
# usage: follow_rotation.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
[ -x "$LOGROTATE" ] || { echo "skip: logrotate is not installed (scripts/deps.sh --test)"; exit 77; }

EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
case_no=0
# fresh NAME: a new directory, log file and state for one case (swanlog stopped)
fresh() {
	[ -n "$SWL_PID" ] && stop_swanlog KILL
	case_no=$((case_no + 1))
	D="$T/c$case_no"
	mkdir -p "$D/log"
	L="$D/log/charon.log"
	S="$D/state"
	n=0
	CASE=$1
	ARGS=(--file "$L" --rules "$SRC/tests/follow/rules.yaml" --state "$S" --from head)
	READ="swanlog_source_entries_read_total{source=\"$L\"}"
	ROT="swanlog_source_rotations_total{source=\"$L\"}"
	TRUNC="swanlog_source_truncations_total{source=\"$L\"}"
	GAPS="swanlog_source_gaps_total{source=\"$L\"}"
}
# logrotate_conf DIRECTIVES...: this case's logrotate configuration
logrotate_conf() {
	{ echo "$L {"; printf '  %s\n' "$@"; echo "}"; } > "$D/logrotate.conf"
}
rotate() { "$LOGROTATE" -f -s "$D/logrotate.state" "$D/logrotate.conf" || fail "$CASE: logrotate failed"; }
# wait_saved: until a state save newer than now holds what was read
wait_saved() {
	local s
	s=$(metric swanlog_state_saves_total)
	wait_metric_ge swanlog_state_saves_total $((s + 1))
}
# expect COUNT: exactly COUNT lines counted, and nothing more after a sentinel line
expect() {
	local want=$1
	wait_metric "$EST" "$want"
	gen 1
	wait_metric "$EST" $((want + 1))
	assert_metric "$READ" $((want + 1))
	echo "$CASE: $want of $want lines"
}

fresh "two renames between saves, SIGKILL"
gen 11
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 11
wait_saved
kill -STOP "$SWL_PID"          # the restart alone must find the chain
mv "$L" "$L.1"; gen 10; mv "$L" "$L.2"; gen 10
stop_swanlog KILL
start_swanlog "${ARGS[@]}"
expect 31
assert_metric "$GAPS" 0

fresh "logrotate numbering while stopped"
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
stop_swanlog TERM
mv "$L" "$L.1"; gen 10; mv "$L.1" "$L.2"; mv "$L" "$L.1"; gen 10
start_swanlog "${ARGS[@]}"
expect 30
assert_metric "$ROT" 2

fresh "compress + delaycompress: the saved file is now .2.gz with an unread tail"
logrotate_conf "rotate 5" compress delaycompress
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
wait_saved
kill -STOP "$SWL_PID"
gen 5; rotate; gen 10; rotate; gen 10
[ -f "$L.2.gz" ] && [ -f "$L.1" ] || fail "$CASE: logrotate did not make $L.2.gz and $L.1"
stop_swanlog KILL
start_swanlog "${ARGS[@]}"
expect 35

fresh "rotations outpace the running follower"
logrotate_conf "rotate 5" compress
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
kill -STOP "$SWL_PID"          # a busy follower: three rotations, compressed, before it reads on
gen 3; rotate; gen 4; rotate; gen 5; rotate; gen 6
kill -CONT "$SWL_PID"
expect 28
assert_metric "$ROT" 3
assert_metric "$GAPS" 0

fresh "copytruncate, then more bytes than the read offset at once"
logrotate_conf "rotate 5" copytruncate
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
kill -STOP "$SWL_PID"
gen 3; rotate; gen 20
kill -CONT "$SWL_PID"
expect 33
assert_metric "$TRUNC" 1

fresh "copytruncate, then more bytes than the saved offset, SIGKILL"
logrotate_conf "rotate 5" copytruncate compress
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
wait_saved
kill -STOP "$SWL_PID"
gen 3; rotate; gen 20; rotate; gen 7
stop_swanlog KILL
start_swanlog "${ARGS[@]}"
expect 40

fresh "the saved file is gone: a gap, counted and logged"
gen 10
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
wait_saved
kill -STOP "$SWL_PID"
gen 2; mv "$L" "$L.1"; rm "$L.1"; gen 5
stop_swanlog KILL
n=12                            # lines 11 and 12 went with the file
start_swanlog "${ARGS[@]}"
wait_metric "$GAPS" 1
expect 15
grep -q "charon.log: the file read up to byte [0-9]* at the last save is gone" "$T/swanlog.err" ||
	fail "$CASE: the gap was not logged"

stop_swanlog TERM
echo "follow_rotation: ok"
