# Helpers for the omprog tests: a private rsyslogd (imtcp on 127.0.0.1, omprog running
# `swanlog omprog`), sourced after tests/lib/follow.sh. Not a test itself.
# rsyslogd is started and stopped by PID; the swanlog it runs is found as its child.

command -v rsyslogd >/dev/null || { echo "skip: rsyslogd is not installed"; exit 77; }
command -v logger >/dev/null || { echo "skip: logger is not installed"; exit 77; }

RS_PID=
RS_PORT=
rs_cleanup() {
	[ -n "$RS_PID" ] && kill -KILL "$RS_PID" 2>/dev/null
	# the swanlog rsyslogd ran, if it outlived it
	[ -n "${OMPROG_PID:-}" ] && kill -KILL "$OMPROG_PID" 2>/dev/null
	cleanup
}
trap rs_cleanup EXIT

# rs_config STATE_PATH [EXTRA_SWANLOG_ARGS]: write $T/rsyslog.conf. The action's queue is the
# one dist/rsyslog-swanlog.conf ships: its own, saved on shutdown; with the main queue saved
# too (as that file advises), a restart of rsyslogd loses nothing it accepted.
rs_config() {
	[ -n "$PORT" ] || PORT=$(free_port)
	[ -n "$RS_PORT" ] || RS_PORT=$(free_port)
	mkdir -p "$T/rs/work"
	cat > "$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rs/work" maxMessageSize="64k")
# rsyslog's main queue is not kept across a restart by default: what it still held when the
# shutdown timed out (on a loaded machine, thousands) would be dropped before reaching
# swanlog's queue. Saved like the action's, a restart loses nothing rsyslogd accepted.
main_queue(queue.type="LinkedList" queue.filename="main" queue.saveOnShutdown="on")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$RS_PORT")
module(load="omprog")
template(name="charonLine" type="string"
         string="%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
if (\$programname == "charon" or \$programname == "kernel") then {
    action(type="omprog" name="swanlog"
           binary="$BIN omprog --rules $RULES --state $1 --listen 127.0.0.1:$PORT ${2:-}"
           template="charonLine" confirmMessages="on" confirmTimeout="10000"
           output="$T/omprog-stderr.txt" signalOnClose="off" closeTimeout="5000"
           killUnresponsive="on" forceSingleInstance="on" action.resumeInterval="1" action.resumeRetryCount="-1"
           queue.type="LinkedList" queue.size="100000" queue.filename="swanlog" queue.saveOnShutdown="on")
    # after the action: a line here means rsyslogd has the message in swanlog's queue
    action(type="omfile" file="$T/rs/charon.log")
    stop
}
action(type="omfile" file="$T/rs/other.log")
EOF
	rsyslogd -N1 -f "$T/rsyslog.conf" > "$T/rs-check" 2>&1 || fail "rsyslog config: $(cat "$T/rs-check")"
}

rs_start() {
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rs/rsyslogd.pid" >> "$T/rsyslogd.out" 2>&1 &
	RS_PID=$!
	local deadline=$((SECONDS + 15))
	until (exec 3<>"/dev/tcp/127.0.0.1/$RS_PORT") 2>/dev/null; do
		kill -0 "$RS_PID" 2>/dev/null || fail "rsyslogd exited at start: $(cat "$T/rsyslogd.out")"
		[ $SECONDS -lt $deadline ] || fail "rsyslogd does not listen within 15 s"
		sleep 0.05
	done
}

# rs_accepted N: wait until rsyslogd has put N charon messages in swanlog's queue (what logger
# wrote may still sit in the TCP socket, unread, and would be lost by a stop).
rs_accepted() {
	local deadline=$((SECONDS + 60))
	until [ "$(wc -l < "$T/rs/charon.log" 2>/dev/null || echo 0)" -ge "$1" ]; do
		[ $SECONDS -lt $deadline ] || fail "rsyslogd did not take $1 charon messages within 60 s"
		sleep 0.05
	done
}

rs_stop() {
	kill -TERM "$RS_PID"
	wait "$RS_PID" 2>/dev/null
	RS_PID=
}

# The swanlog omprog process rsyslogd runs now (its child), or nothing.
omprog_pid() {
	[ -n "$RS_PID" ] || return 0
	ps --ppid "$RS_PID" -o pid=,comm= | awk '$2 == "swanlog" { print $1; exit }'
}

# send FILE: every line of FILE as one charon message over TCP (RFC 5424 framing).
send() { logger -T -n 127.0.0.1 -P "$RS_PORT" -t charon < "$1" || fail "logger failed"; }

# msgs FROM TO [PAD]: established messages with unique ids FROM..TO (PAD: bytes of padding).
msgs() {
	python3 - "$1" "$2" "${3:-0}" <<'PY'
import sys
a, b, pad = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tail = (" " + "x" * pad) if pad else ""
for i in range(a, b + 1):
    print("09[IKE] <site-a|%d> IKE_SA site-a[%d] established between 192.0.2.1[moon]...198.51.100.7[sun]%s" % (i, i, tail))
PY
}
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
