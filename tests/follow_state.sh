#!/bin/bash
# Exactly-once across restarts of follow --file: after SIGTERM and after SIGKILL (before and
# after a state save), with lines written while swanlog was down, every count is exact; the
# context (live SAs) survives, so a delete after a restart takes the gauge down. A corrupt,
# truncated or foreign state file is refused (exit 2, naming the file); --reset-state starts over.
# usage: follow_state.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
S="$T/state/state"
n=0
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
UP='test_ike_up{conn="site-a",peer="198.51.100.7"}'
ARGS=(--file "$L" --rules "$SRC/tests/follow/rules.yaml" --state "$S")

gen 4                                              # there before the first start
start_swanlog "${ARGS[@]}" --from head
wait_metric "$EST" 4
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM: exit status $STOP_RC"
head -1 "$S" | grep -qx 'swanlog-state 1' || fail "state file has no header"
tail -1 "$S" | grep -q '^checksum ' || fail "state file has no checksum line"

gen 3                                              # written while down
start_swanlog "${ARGS[@]}" --from head             # a saved position wins over --from
wait_metric "$EST" 7
assert_metric swanlog_lines_read_total 7
assert_metric "$UP" 7

# SIGKILL right after the lines are counted: most likely before the next save
gen 2
wait_metric "$EST" 9
stop_swanlog KILL
gen 2
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 11
assert_metric swanlog_lines_read_total 11

# SIGKILL after a save that holds everything
saves=$(metric swanlog_state_saves_total)
gen 1
wait_metric "$EST" 12
wait_metric_ge swanlog_state_saves_total $((saves + 1))
stop_swanlog KILL
gen 1
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 13
assert_metric swanlog_lines_read_total 13
assert_metric "$UP" 13

# the context survived: a delete of an SA from before the restarts takes it down
echo "Nov 29 17:59:00 moon charon: 09[IKE] <site-a|2> deleting IKE_SA site-a[2] between 192.0.2.1[moon]...198.51.100.7[sun]" >> "$L"
wait_metric "$UP" 12
assert_metric 'test_ike_down_total{conn="site-a",peer="198.51.100.7"}' 1
stop_swanlog TERM

# SIGHUP reloads the rules: a new rule counts, the old values stay; broken rules keep the old
cp "$SRC/tests/follow/rules.yaml" "$T/rules.yaml"
start_swanlog --file "$L" --rules "$T/rules.yaml" --state "$S"
wait_metric "$EST" 13
cat >> "$T/rules.yaml" <<'YAML'
  - name: retransmit
    match: '^retransmit \d+ of request'
    updates:
      - inc: test_retransmits_total
YAML
sed -i 's/^metrics:$/metrics:\n  test_retransmits_total: {type: counter, help: Retransmits.}/' "$T/rules.yaml"
kill -HUP "$SWL_PID"
deadline=$((SECONDS + 10))
until scrape | grep -q '^# TYPE test_retransmits_total counter$'; do
	[ $SECONDS -lt $deadline ] || fail "SIGHUP did not load the new rules"
	sleep 0.05
done
echo "Nov 29 17:59:01 moon charon: 09[IKE] <site-a|3> retransmit 1 of request with message ID 0" >> "$L"
wait_metric test_retransmits_total 1
assert_metric "$EST" 13
echo "rules: [" >> "$T/rules.yaml"
kill -HUP "$SWL_PID"
deadline=$((SECONDS + 10))
until grep -q 'reload failed' "$T/swanlog.err"; do
	[ $SECONDS -lt $deadline ] || fail "no message for a failed reload"
	sleep 0.05
done
echo "Nov 29 17:59:02 moon charon: 09[IKE] <site-a|3> retransmit 2 of request with message ID 0" >> "$L"
wait_metric test_retransmits_total 2
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "exit status $STOP_RC after reloads"

# refused state files: exit 2 and a message naming the file; nothing started
refused() { # refused WHAT: the state file as it is now must be refused
	"$BIN" follow "${ARGS[@]}" --listen "127.0.0.1:$(free_port)" > "$T/out" 2> "$T/err"
	local rc=$?
	[ $rc = 2 ] || fail "$1 state: exit status $rc, expected 2"
	grep -qF "$S" "$T/err" || fail "$1 state: message does not name the file: $(cat "$T/err")"
}
cp "$S" "$T/good"
sed -i '3s/./X/' "$S"; refused corrupt
head -c $(($(stat -c %s "$T/good") - 30)) "$T/good" > "$S"; refused truncated
printf 'hello world\n' > "$S"; refused foreign
: > "$S"; refused empty
cp "$T/good" "$S"
sed -i 's/^swanlog-state 1$/swanlog-state 2/' "$S"; refused "version 2"

# --reset-state starts over (and from the tail by default)
start_swanlog "${ARGS[@]}" --reset-state
wait_metric "$EST" absent
gen 1
wait_metric "$EST" 1
stop_swanlog TERM
start_swanlog "${ARGS[@]}"                         # the reset state was saved and is valid
assert_metric "$EST" 1
stop_swanlog TERM
echo "follow_state: ok"
