#!/bin/bash
# follow --journal-file against real journal files written by systemd-journal-remote:
# entries appended while swanlog follows, identifier + kernel matches, restarts after SIGTERM
# and SIGKILL with entries written while down (exact counts), a saved cursor that is gone
# (counted as a gap, reading goes on from the oldest entry), and --from tail.
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
echo "follow_journal: ok"
