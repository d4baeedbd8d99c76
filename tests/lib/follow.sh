# Helpers for the follow-mode shell tests (sourced; not a test itself).
# Every process started is recorded and stopped by PID; scratch lives in $T (mktemp -d).
# Polls use deadlines, never fixed sleeps.

T=$(mktemp -d /tmp/swl_follow_XXXXXX)
SWL_PID=
PORT=
cleanup() {
	[ -n "$SWL_PID" ] && kill -KILL "$SWL_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the interpreter itself, found once (a version manager's python3 shim costs a second a call)
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

fail() { echo "FAIL: $*"; [ -f "$T/swanlog.err" ] && { echo "--- swanlog stderr:"; tail -20 "$T/swanlog.err"; echo; }; exit 1; }

# A free port in an unusual range (the kernel tells us: bind to 0 and read it back).
free_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_swanlog ARGS...: start in the background on $PORT, wait until /healthz answers (with
# any status: 503 while the source cannot be read, e.g. a followed file not created yet).
start_swanlog() {
	[ -n "$PORT" ] || PORT=$(free_port)
	"$BIN" follow --listen "127.0.0.1:$PORT" "$@" >> "$T/swanlog.out" 2>> "$T/swanlog.err" &
	SWL_PID=$!
	local deadline=$((SECONDS + 15))
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" != 000 ]; do
		kill -0 "$SWL_PID" 2>/dev/null || { wait "$SWL_PID"; local rc=$?; SWL_PID=; fail "swanlog exited ($rc) at start"; }
		[ $SECONDS -lt $deadline ] || fail "swanlog did not answer /healthz within 15 s"
		sleep 0.05
	done
}

# stop_swanlog SIGNAL: send it and wait; the exit status is in $STOP_RC.
stop_swanlog() {
	kill "-$1" "$SWL_PID"
	wait "$SWL_PID" 2>/dev/null   # (bash would report a SIGKILL'd job on stderr)
	STOP_RC=$?
	SWL_PID=
}

scrape() { curl -fs "http://127.0.0.1:$PORT/metrics"; }

# metric 'name{labels}': the value of that exact series, or "absent".
metric() {
	scrape | awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }'
}

# wait_metric 'name{labels}' VALUE [SECONDS]: poll until the series has exactly VALUE.
wait_metric() {
	local deadline=$((SECONDS + ${3:-20})) v
	while :; do
		v=$(metric "$1")
		[ "$v" = "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "$1 is $v, expected $2"
		sleep 0.05
	done
}

# wait_metric_ge 'name{labels}' VALUE [SECONDS]
wait_metric_ge() {
	local deadline=$((SECONDS + ${3:-20})) v
	while :; do
		v=$(metric "$1")
		[ "$v" != absent ] && awk -v a="$v" -v b="$2" 'BEGIN { exit !(a >= b) }' && return 0
		[ $SECONDS -lt $deadline ] || fail "$1 is $v, expected >= $2"
		sleep 0.05
	done
}

# assert_metric 'name{labels}' VALUE: exactly, now.
assert_metric() {
	local v
	v=$(metric "$1")
	[ "$v" = "$2" ] || fail "$1 is $v, expected $2"
}

# gen COUNT [FILE]: append COUNT charon lines to FILE (default $L), each a new IKE_SA of
# site-a numbered by the caller's counter n.
gen() {
	local f=${2:-$L}
	for _ in $(seq "$1"); do
		n=$((n + 1))
		echo "Nov 29 17:51:52 moon charon: 09[IKE] <site-a|$n> IKE_SA site-a[$n] established between 192.0.2.1[moon]...198.51.100.7[sun]" >> "$f"
	done
}
