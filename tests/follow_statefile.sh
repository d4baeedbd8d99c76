#!/bin/bash
# The state file as an operator or a hostile neighbour may leave it: a FIFO (or a directory)
# at the state path is refused at the start instead of blocking it; a second swanlog that
# reaches a running one's state file through a symlinked path is refused (one lock for one
# file), and a save keeps the operator's symlink, writing the file it points at; a symlink
# planted at the old predictable temporary name is never written through. A state file of
# another mode (journal follower, omprog, follow --file) is refused by each of the others.
# usage: follow_statefile.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"

mkdir -p "$T/log" "$T/real" "$T/link"
L="$T/log/charon.log"
n=0
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
args() { ARGS=(--file "$L" --rules "$SRC/tests/follow/rules.yaml" --state "$1" --from head); }

# refused PATH WHAT: a start with state PATH exits 2 within 10 s, naming PATH and saying WHAT
refused() {
	args "$1"
	timeout 10 "$BIN" follow "${ARGS[@]}" --listen "127.0.0.1:$(free_port)" > "$T/out" 2> "$T/err"
	local rc=$?
	[ $rc != 124 ] || fail "state $1: the start blocked (still running after 10 s)"
	[ $rc = 2 ] || fail "state $1: exit status $rc, expected 2: $(cat "$T/err")"
	grep -qF "$1: $2" "$T/err" || fail "state $1: expected '$1: $2', got: $(cat "$T/err")"
}
mkfifo "$T/fifo"
refused "$T/fifo" "not a regular file"
mkdir "$T/dir"
refused "$T/dir" "not a regular file"
ln -s "$T/fifo" "$T/fifolink"
refused "$T/fifolink" "not a regular file"
echo "refused: a FIFO, a directory, a link to a FIFO"

# one state file, two paths to it: the second swanlog is refused
gen 3
ln -s "$T/real/state" "$T/link/state"
args "$T/real/state"
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 3
args "$T/link/state"
"$BIN" follow "${ARGS[@]}" --listen "127.0.0.1:$(free_port)" > "$T/out" 2> "$T/err" &
second=$!
deadline=$((SECONDS + 15))
while kill -0 "$second" 2>/dev/null; do
	if [ $SECONDS -ge $deadline ]; then
		kill -KILL "$second"
		wait "$second"
		fail "a second swanlog through a symlinked state path runs next to the first"
	fi
	sleep 0.05
done
wait "$second"
rc=$?
[ $rc = 1 ] || fail "second swanlog: exit status $rc, expected 1: $(cat "$T/err")"
grep -q "another swanlog is using this state file" "$T/err" || fail "second swanlog: $(cat "$T/err")"
stop_swanlog TERM
echo "refused: a second swanlog through a symlinked path"

# through the symlink alone: the link stays, the file it names holds the state
start_swanlog "${ARGS[@]}"
gen 2
wait_metric "$EST" 5
stop_swanlog TERM
[ -L "$T/link/state" ] || fail "the save replaced the operator's symlink"
head -1 "$T/real/state" | grep -qx 'swanlog-state 1' || fail "the file behind the symlink holds no state"
start_swanlog "${ARGS[@]}"
assert_metric "$EST" 5
stop_swanlog TERM
echo "kept: the operator's symlink"

# a link planted where the temporary state file used to be made: nothing written through it
echo precious > "$T/victim"
for name in state.tmp .state.tmp; do ln -s "$T/victim" "$T/real/$name"; done
args "$T/real/state"
start_swanlog "${ARGS[@]}"
gen 1
wait_metric "$EST" 6
stop_swanlog TERM
[ "$(cat "$T/victim")" = precious ] || fail "a save wrote through a planted symlink"
[ -f "$T/real/state" ] && [ ! -L "$T/real/state" ] || fail "the state file is not a regular file"
echo "safe: a planted link at a temporary name"

# each mode refuses the others' state files: exit 2, naming the file and who saved it
mkdir -p "$T/om" "$T/jdir"            # (an empty journal directory)
"$BIN" omprog --rules "$SRC/tests/follow/rules.yaml" --state "$T/om/state" --listen "127.0.0.1:$(free_port)" \
	< /dev/null > /dev/null 2> "$T/err" || fail "omprog with stdin closed: $(cat "$T/err")"
grep -qx 'cursor wal:[0-9]*' "$T/om/state" || fail "omprog saved no position"
other() { # other STATE WHO COMMAND...: COMMAND with --state STATE is refused, STATE saved by WHO
	local state=$1 who=$2
	shift 2
	timeout 10 "$BIN" "$@" --rules "$SRC/tests/follow/rules.yaml" --state "$state" \
		--listen "127.0.0.1:$(free_port)" < /dev/null > "$T/out" 2> "$T/err"
	local rc=$?
	[ $rc = 2 ] || fail "$* with a state saved by $who: exit status $rc, expected 2: $(cat "$T/err")"
	grep -qF "$state: the state file was saved by $who, not by " "$T/err" ||
		fail "$* with a state saved by $who: $(cat "$T/err")"
}
other "$T/om/state" omprog follow --journal-dir "$T/jdir"
other "$T/real/state" "follow --file" follow --journal-dir "$T/jdir"
other "$T/om/state" omprog follow --file "$L"
other "$T/real/state" "follow --file" omprog
echo "refused: another mode's state file"
echo "follow_statefile: ok"
