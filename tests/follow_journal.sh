#!/bin/bash
# follow --journal-file against real journal files written by systemd-journal-remote:
# entries appended while swanlog follows, identifier + kernel matches, restarts after SIGTERM
# and SIGKILL with entries written while down (exact counts), a saved cursor that is gone
# (counted as a gap, reading goes on from the oldest entry), --from tail, and charon's daemon
# and auth facilities' copies of one message counted once.
# usage: follow_journal.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || { echo "skipped: $JR not installed (apt-get install systemd-journal-remote)"; exit 77; }
. "$SRC/tests/lib/follow.sh"

# journal files in their own directory: sd-journal wakes on any write in it
mkdir -p "$T/j" "$T/state"
J="$T/j/live.journal"
S="$T/state/state"
BOOT=0123456789abcdef0123456789abcdef
next=1
# append BOOT_ID FILE KIND:COUNT...: numbered on from $next
append() {
	local boot=$1 file=$2 total=0 spec
	shift 2
	python3 "$SRC/tests/follow/export.py" "$boot" "$next" "$@" | "$JR" -o "$file" - 2> "$T/jr.err" \
		|| fail "journal-remote: $(cat "$T/jr.err")"
	for spec in "$@"; do total=$((total + ${spec#*:})); done
	next=$((next + total))
}
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
UP='test_ike_up{conn="site-a",peer="198.51.100.7"}'
KRN=test_kernel_replay_total
READ='swanlog_source_entries_read_total{source="journal"}'
GAPS='swanlog_source_gaps_total{source="journal"}'
ARGS=(--journal-file "$J" --rules "$SRC/tests/follow/rules.yaml" --state "$S")

append $BOOT "$J" charon:3 kernel:1 sshd:1
start_swanlog "${ARGS[@]}" --from head
wait_metric "$EST" 3
wait_metric "$KRN" 1
assert_metric "$READ" 4                          # sshd is not matched: never read
assert_metric "$GAPS" 0

append $BOOT "$J" charon:2 sshd:2 kernel:1        # while following
wait_metric "$EST" 5
wait_metric "$KRN" 2
assert_metric "$READ" 7

stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM: exit status $STOP_RC"
append $BOOT "$J" charon:2 kernel:1               # while down
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 7
wait_metric "$KRN" 3
assert_metric "$READ" 10
assert_metric "$UP" 7

# SIGKILL just after the entries are counted (most likely before the next save)
append $BOOT "$J" charon:1
wait_metric "$EST" 8
stop_swanlog KILL
append $BOOT "$J" charon:2
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 10
assert_metric "$READ" 13

# SIGKILL after a save that holds everything
saves=$(metric swanlog_state_saves_total)
append $BOOT "$J" kernel:2
wait_metric "$KRN" 5
wait_metric_ge swanlog_state_saves_total $((saves + 1))
stop_swanlog KILL
append $BOOT "$J" charon:1 kernel:1
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 11
wait_metric "$KRN" 6
assert_metric "$READ" 17
assert_metric "$UP" 11
assert_metric "$GAPS" 0
stop_swanlog TERM

# the saved cursor is gone (the journal was replaced by one of another boot): a gap, counted,
# and reading goes on from the oldest entry of the new file
rm "$J"
append fedcba9876543210fedcba9876543210 "$J" charon:2 kernel:1
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 13
wait_metric "$KRN" 7
assert_metric "$GAPS" 1
assert_metric "$READ" 20
stop_swanlog TERM

# identifiers and --no-kernel; with no saved position the default is the tail
start_swanlog --journal-file "$J" --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/other" \
	--identifier sshd --no-kernel
wait_metric "$READ" 0
append fedcba9876543210fedcba9876543210 "$J" sshd:3 charon:1 kernel:1
wait_metric "$READ" 3
assert_metric "$EST" absent
assert_metric "$KRN" absent
stop_swanlog TERM

# Debian's default charon logging, followed: the daemon and auth facilities' copies of one
# message are one event. The corpus' moon logs as entries, appended while swanlog follows.
TW="$T/j/twins.journal"
cat "$SRC"/tests/corpus/logs/S0[0-3]*/moon.syslog.log > "$T/d1.log"
cat "$SRC"/tests/corpus/logs/S0[0-3]*/moon.auth.log > "$T/a1.log"
cat "$SRC"/tests/corpus/logs/S0[6-9]*/moon.syslog.log "$SRC"/tests/corpus/logs/S1*/moon.syslog.log > "$T/d2.log"
cat "$SRC"/tests/corpus/logs/S0[6-9]*/moon.auth.log "$SRC"/tests/corpus/logs/S1*/moon.auth.log > "$T/a2.log"
python3 "$SRC/tests/journal_export.py" syslog "$T/d1.log" "$T/a1.log" 2026 | "$JR" -o "$TW" - 2> "$T/jr.err" || fail "journal-remote: $(cat "$T/jr.err")"
PORT=
start_swanlog --journal-file "$TW" --rules "$SRC/rules" --state "$T/state/twins" --from head
wait_metric 'ipsec_ike_sa_established_total{conn="con1",peer="198.18.1.2"}' 2
python3 "$SRC/tests/journal_export.py" syslog "$T/d2.log" "$T/a2.log" 2026 | "$JR" -o "$TW" - 2> "$T/jr.err" || fail "journal-remote: $(cat "$T/jr.err")"
wait_metric 'ipsec_ike_sa_established_total{conn="con1",peer="198.18.1.2"}' 3
wait_metric 'swanlog_lines_twin_total' "$(cat "$T/a1.log" "$T/a2.log" | wc -l)"
scrape | grep '^ipsec_.*_total' | sort > "$T/follow.ipsec"
grep '^ipsec_.*_total' "$SRC/tests/logs/S11_moon_syslog/expected.prom" | sort > "$T/replay.ipsec"
diff -u "$T/replay.ipsec" "$T/follow.ipsec" || fail "following both facilities counts otherwise than the daemon lines alone"
stop_swanlog TERM
echo "follow_journal: ok"
