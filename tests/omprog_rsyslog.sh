#!/bin/bash
# swanlog omprog behind a real rsyslogd (imtcp on 127.0.0.1, omprog with confirmMessages),
# messages sent with logger over TCP: exact counts; swanlog killed with SIGKILL mid-stream
# (rsyslogd starts it again) loses nothing and counts nothing twice; rsyslogd restarted
# mid-stream loses nothing; end of input (rsyslogd stopping) saves the state and exits 0.
# usage: omprog_rsyslog.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
RULES="$SRC/tests/follow/rules.yaml"
. "$SRC/tests/lib/omprog.sh"
fail() { echo "FAIL: $*"; [ -n "$RS_PID" ] && ps --ppid "$RS_PID" -o pid=,stat=,comm=; echo "--- swanlog (omprog) stderr:"; tail -20 "$T/omprog-stderr.txt" 2>/dev/null; echo "--- rsyslogd:"; tail -5 "$T/rsyslogd.out" 2>/dev/null; exit 1; }

mkdir -p "$T/state"
rs_config "$T/state/s"
rs_start

# 1. exact counts: 300 messages, and rsyslogd's noise is not forwarded
msgs 1 300 > "$T/m1"
send "$T/m1"
echo "sshd noise" | logger -T -n 127.0.0.1 -P "$RS_PORT" -t sshd
wait_metric "$EST" 300 30
wait_metric 'swanlog_source_entries_read_total{source="omprog"}' 300
assert_metric 'swanlog_lines_unparsed_total' 0
assert_metric 'test_ike_up{conn="site-a",peer="198.51.100.7"}' 300

# 2. SIGKILL mid-stream: rsyslogd runs swanlog again, which applies its write-ahead log;
#    rsyslogd resends what was not confirmed
P1=$(omprog_pid); [ -n "$P1" ] || fail "no swanlog child of rsyslogd"
msgs 301 20300 > "$T/m2"
send "$T/m2" &
SEND=$!
wait_metric_ge "$EST" 1000 30
before=$(metric "$EST")
kill -KILL "$P1"
[ "$before" -lt 20300 ] || fail "the kill came after the stream ($before): not mid-stream"
wait "$SEND" || fail "logger (batch 2)"
wait_metric "$EST" 20300 60
P2=$(omprog_pid)
[ -n "$P2" ] && [ "$P2" != "$P1" ] || fail "swanlog was not restarted by rsyslogd ($P1 -> $P2)"
echo "killed swanlog at $before of 20300; after restart: exactly 20300"
assert_metric 'test_ike_up{conn="site-a",peer="198.51.100.7"}' 20300

# 3. rsyslogd restarted mid-stream: its queue is saved on shutdown and read back
msgs 20301 40300 > "$T/m3"
send "$T/m3"
wait_metric_ge "$EST" 20400 30
rs_accepted 40300   # all of them in rsyslogd's hands (and swanlog's queue) before the stop
at=$(metric "$EST")
rs_stop   # closes swanlog's stdin: it saves and exits
[ "$at" -lt 40300 ] || fail "rsyslogd stopped after the stream ($at): not mid-stream"
echo "rsyslogd stopped at $at of 40300"
rs_start
msgs 40301 40310 > "$T/m4"
send "$T/m4"
wait_metric "$EST" 40310 90
assert_metric 'test_ike_up{conn="site-a",peer="198.51.100.7"}' 40310
echo "rsyslogd restarted mid-stream: exactly 40310"

# 4. stop: swanlog sees end of input, saves, exits 0 (its stderr says nothing went wrong)
P3=$(omprog_pid)
rs_stop
deadline=$((SECONDS + 15))
while kill -0 "$P3" 2>/dev/null; do [ $SECONDS -lt $deadline ] || fail "swanlog did not exit after rsyslogd"; sleep 0.05; done
grep -q 'cursor wal:' "$T/state/s" || fail "state has no omprog position"
grep -h 'applied again\|resen' "$T/omprog-stderr.txt" || true
echo "omprog_rsyslog: ok"
