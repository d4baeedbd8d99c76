#!/bin/bash
# swanlog omprog when its write-ahead log cannot be written: the state directory is a small
# tmpfs mounted here and filled up. A message then gets "Error: ..." (not applied), rsyslogd
# sends it again and again; once space is freed it is counted exactly once, and a restart
# afterwards still counts right. Needs root (mount); skipped (77) when mounting is refused.
# usage: omprog_diskfull.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
RULES="$SRC/tests/follow/rules.yaml"
. "$SRC/tests/lib/omprog.sh"
fail() { echo "FAIL: $*"; echo "--- swanlog (omprog) stderr:"; tail -20 "$T/omprog-stderr.txt" 2>/dev/null; echo "--- rsyslogd:"; tail -5 "$T/rsyslogd.out" 2>/dev/null; exit 1; }

FS="$T/fs"
mkdir -p "$FS"
mount -t tmpfs -o size=512k,mode=0700 swanlog-test "$FS" 2> "$T/mount.err" \
	|| { echo "skip: cannot mount a tmpfs: $(cat "$T/mount.err")"; exit 77; }
MOUNTED=1
fs_cleanup() {
	[ -n "$RS_PID" ] && kill -KILL "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null
	RS_PID=
	[ -n "${OMPROG_PID:-}" ] && kill -KILL "$OMPROG_PID" 2>/dev/null && while kill -0 "$OMPROG_PID" 2>/dev/null; do sleep 0.05; done
	[ -n "${MOUNTED:-}" ] && umount "$FS"
	rs_cleanup
}
trap fs_cleanup EXIT

rs_config "$FS/s"
rs_start
msgs 1 5 > "$T/m1"
send "$T/m1"
wait_metric "$EST" 5 30
OMPROG_PID=$(omprog_pid)

# fill the file system (dd stops at ENOSPC), then send a message bigger than a page, so no
# slack at the end of the log's last page can take it
dd if=/dev/zero of="$FS/filler" bs=4k > /dev/null 2>&1
[ "$(df --output=avail -B1 "$FS" | tail -1 | tr -d ' ')" = 0 ] || fail "the tmpfs is not full"
msgs 6 6 5000 > "$T/big"
logger -T -n 127.0.0.1 -P "$RS_PORT" -t charon --size 8192 < "$T/big" || fail "logger (big)"
# an error reply, then rsyslogd's retries (resumeInterval 1 s); nothing applied meanwhile
wait_metric_ge 'swanlog_omprog_errors_total' 3 30
assert_metric "$EST" 5
errs=$(metric 'swanlog_omprog_errors_total')

# free the space: the retried message is counted once, and the stream goes on
rm -f "$FS/filler"
wait_metric "$EST" 6 30
msgs 7 7 > "$T/m7"
send "$T/m7"
wait_metric "$EST" 7 30
assert_metric 'test_ike_up{conn="site-a",peer="198.51.100.7"}' 7
now=$(metric 'swanlog_omprog_errors_total')
echo "error replies while full: $errs (then $now); counted once after space came back"

# a restart (state and log from that file system) still counts right
OMPROG_PID=$(omprog_pid)
rs_stop
deadline=$((SECONDS + 15))
while kill -0 "$OMPROG_PID" 2>/dev/null; do [ $SECONDS -lt $deadline ] || fail "swanlog did not exit"; sleep 0.05; done
rs_start
msgs 8 8 > "$T/m8"
send "$T/m8"
wait_metric "$EST" 8 30
assert_metric 'test_ike_up{conn="site-a",peer="198.51.100.7"}' 8
OMPROG_PID=$(omprog_pid)
rs_stop
deadline=$((SECONDS + 15))
while kill -0 "$OMPROG_PID" 2>/dev/null; do [ $SECONDS -lt $deadline ] || fail "swanlog did not exit"; sleep 0.05; done
echo "omprog_diskfull: ok"
