#!/bin/bash
# follow --file like tail -F, against the real binary: start at the tail, a partial line,
# rename rotation (the old file drained first), copytruncate, delete + recreate, an oversized
# line, and a rename while swanlog was stopped. Counts are asserted exactly via /metrics.
# usage: follow_file.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"

mkdir -p "$T/log"
L="$T/log/charon.log"
n=0
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
READ="swanlog_source_entries_read_total{source=\"$L\"}"
ROT="swanlog_source_rotations_total{source=\"$L\"}"
TRUNC="swanlog_source_truncations_total{source=\"$L\"}"
ARGS=(--file "$L" --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/state" --max-line 256)

gen 5
start_swanlog "${ARGS[@]}"
wait_metric "$READ" 0
gen 3                                            # default --from tail: only these count
wait_metric "$EST" 3
assert_metric swanlog_lines_read_total 3

# a partial line waits for its newline: one line, not two
printf 'Nov 29 17:51:52 moon charon: 09[IKE] <site-a|99> IKE_SA site-a[99] estab' >> "$L"
sleep 0.6                                        # give a wrong reader time to take the fragment
printf 'lished between 192.0.2.1[moon]...198.51.100.7[sun]\n' >> "$L"
wait_metric "$EST" 4
assert_metric swanlog_lines_read_total 4
assert_metric swanlog_lines_unparsed_total 0

# rename rotation: lines still written to the renamed file before the new one appears count
gen 2
mv "$L" "$L.1"
gen 2 "$L.1"
gen 3
wait_metric "$EST" 11
wait_metric "$ROT" 1

# copytruncate: the file shrinks under the offset, read again from 0
cp "$L" "$L.2"
truncate -s 0 "$L"
gen 2
wait_metric "$EST" 13
wait_metric "$TRUNC" 1

# delete and recreate
rm "$L"
gen 2
wait_metric "$EST" 15
wait_metric "$ROT" 2

# an oversized line is cut and counted, the next line is intact
{ printf 'Nov 29 17:51:52 moon charon: 09[IKE] '; head -c 1000 /dev/zero | tr '\0' x; echo; } >> "$L"
gen 1
wait_metric "$EST" 16
assert_metric swanlog_lines_oversized_total 1
assert_metric swanlog_lines_read_total 17

# renamed while stopped: the rest of the old file (found by inode), then the new one
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM exit status $STOP_RC"
gen 1
mv "$L" "$L.3"
gen 1 "$L.3"
gen 2
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 20
assert_metric "$READ" 21
assert_metric swanlog_lines_read_total 21
# a line that carries no time (charon's file logger without time_format) gets the wall clock
now=$(date +%s)
echo "09[IKE] <site-a|500> IKE_SA site-a[500] established between 192.0.2.1[moon]...198.51.100.7[sun]" >> "$L"
wait_metric "$EST" 21
ts=$(metric "swanlog_source_last_entry_timestamp_seconds{source=\"$L\"}")
awk -v t="$ts" -v n="$now" 'BEGIN { exit !(t >= n - 1 && t <= n + 60) }' || fail "no-time line stamped $ts, now is $now"
stop_swanlog TERM
echo "follow_file: ok"
