#!/bin/bash
# The HTTP side of follow mode, with curl against the real binary: /metrics in both formats
# (and promtool accepts it), HEAD, /healthz, the landing page, 404, 405, the connection bounds;
# follow as the default command; usage errors; a busy port; SIGINT; --help lists every flag.
# usage: follow_http.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
echo "Nov 29 17:51:52 moon charon: 09[IKE] <site-a|1> IKE_SA site-a[1] established between 192.0.2.1[moon]...198.51.100.7[sun]" > "$L"
RULES="$SRC/tests/follow/rules.yaml"

# options only: follow is the default command
PORT=$(free_port)
"$BIN" --file "$L" --from head --rules "$RULES" --state "$T/state/s" --listen "127.0.0.1:$PORT" \
	> "$T/swanlog.out" 2> "$T/swanlog.err" &
SWL_PID=$!
wait_metric 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 1
URL="http://127.0.0.1:$PORT"

# /metrics, Prometheus text
curl -fsS -D "$T/h" -o "$T/m" "$URL/metrics" || fail "GET /metrics"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$T/h" || fail "content type: $(cat "$T/h")"
grep -q '^# TYPE test_ike_established_total counter$' "$T/m" || fail "no TYPE line"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T/m" > "$T/lint" 2>&1 || grep -q lint "$T/lint" || fail "promtool: $(cat "$T/lint")"
fi
# OpenMetrics on request
curl -fsS -D "$T/h" -o "$T/om" -H 'Accept: application/openmetrics-text; version=1.0.0' "$URL/metrics" || fail "GET om"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$T/h" || fail "om content type: $(cat "$T/h")"
[ "$(tail -1 "$T/om")" = "# EOF" ] || fail "OpenMetrics does not end with # EOF"
# HEAD: headers, no body
curl -fsS -I -o "$T/head" "$URL/metrics" || fail "HEAD /metrics"
grep -q '^HTTP/1.1 200' "$T/head" || fail "HEAD status: $(head -1 "$T/head")"
# other endpoints
[ "$(curl -fsS "$URL/healthz")" = ok ] || fail "/healthz body"
curl -fsS "$URL/" | grep -q 'href="/metrics"' || fail "landing page has no link to /metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope"); [ "$code" = 404 ] || fail "/nope: $code"
code=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code}' -X POST -d x=1 "$URL/metrics"); [ "$code" = 405 ] || fail "POST: $code"
grep -qi '^allow: GET, HEAD' "$T/h" || fail "405 without Allow"

# the connection bounds: 32 per client address, 512 in all; a connection waiting for its
# request makes room for a new one, and one that sends nothing is closed after 5 s
python3 - "$PORT" <<'PY' || fail "connection bounds"
import select, socket, sys, time
port = int(sys.argv[1])

def connect(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def closed(socks, wait, all_=False):
    """The sockets the server closed (EOF or reset) within wait seconds (or, with all_, until
    every one is closed)."""
    gone, deadline = set(), time.monotonic() + wait
    while time.monotonic() < deadline and not (all_ and len(gone) == len(socks)):
        r, _, _ = select.select([s for s in socks if s not in gone], [], [], 0.05)
        for s in r:
            try:
                if s.recv(100) == b"":
                    gone.add(s)
            except ConnectionResetError:
                gone.add(s)
    return gone

# one client, 40 connections: the 8 that waited longest made room for the last 8
one = [connect("127.0.0.2") for _ in range(40)]
gone = closed(one, 1)
if gone != set(one[:8]):
    sys.exit("one client with 40 connections: %d closed (%s), want the first 8"
             % (len(gone), sorted(one.index(s) for s in gone)))
for s in one:
    s.close()
time.sleep(0.3)  # the server sees them go

# 512 connections from 16 addresses: the 513th, with a request, is served; the connection
# that waited longest made room
t0 = time.monotonic()
held = [connect("127.0.0.%d" % (3 + i // 32)) for i in range(512)]
extra = connect("127.0.0.1")
extra.settimeout(3)
extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
data = extra.recv(1000)
if not data.startswith(b"HTTP/1.1 200"):
    sys.exit("the 513th connection, with a request: %r" % data[:100])
gone = closed(held, 0.5)
if gone != {held[0]}:
    sys.exit("%d connections made room for the 513th, want the first one: %s"
             % (len(gone), sorted(held.index(s) for s in gone)[:10]))
# the rest sent nothing: closed 5 s after they connected (the kept-alive extra stays)
gone |= closed([s for s in held if s not in gone], 8, all_=True)
took = time.monotonic() - t0
if len(gone) != 512 or not 4.5 < took < 7.5:
    sys.exit("%d of 512 silent connections closed after %.1f s, want all after 5 s" % (len(gone), took))
if closed([extra], 0.1):
    sys.exit("the kept-alive connection was closed with the silent ones")
print("bounds: 8 of 40 from one client closed at once; the 513th served; 512 silent closed after %.1f s" % took)
PY
deadline=$((SECONDS + 10))
until [ "$(curl -fs "$URL/healthz")" = ok ]; do
	[ $SECONDS -lt $deadline ] || fail "no answer after the idle connections closed"
	sleep 0.05
done

stop_swanlog INT
[ "$STOP_RC" = 0 ] || fail "SIGINT: exit status $STOP_RC"

# the port is busy: exit 1 with a message
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)' > "$T/busy" &
BUSY=$!
deadline=$((SECONDS + 10))
until [ -s "$T/busy" ]; do [ $SECONDS -lt $deadline ] || fail "no busy port"; sleep 0.05; done
"$BIN" follow --file "$L" --rules "$RULES" --state "$T/state/s" --listen "127.0.0.1:$(cat "$T/busy")" 2> "$T/err"
rc=$?
kill "$BUSY"; wait "$BUSY" 2>/dev/null
[ $rc = 1 ] || fail "busy port: exit $rc"
grep -q 'cannot listen' "$T/err" || fail "busy port message: $(cat "$T/err")"

# usage errors: exit 2
for bad in "--from middle" "--file $L --journal" "--listen" "--max-series 0" "extra-arg"; do
	# shellcheck disable=SC2086
	"$BIN" follow $bad --state "$T/state/s" > /dev/null 2>&1
	rc=$?; [ $rc = 2 ] || fail "'follow $bad': exit $rc, expected 2"
done

# --help documents every flag
"$BIN" follow --help > "$T/help" || fail "--help exit status"
for flag in --journal --journal-dir --journal-file --file --identifier --no-kernel --from --state \
	--reset-state --listen --rules --max-series --max-line --timezone --help; do
	grep -q -- "$flag\b" "$T/help" || fail "follow --help does not document $flag"
done
# ... and every flag the option table knows is in that list
sed -n '/^static int cmd_follow/,/^}/p' "$SRC/src/main.c" | grep -E '_argument, NULL' | grep -o '{ "[a-z-]*",' | tr -d '{",' | while read -r f; do
	grep -q -- "--$f\b" "$T/help" || { echo "FAIL: --$f is not in follow --help"; exit 1; }
done || exit 1
"$BIN" --help | grep -q '^  follow' || fail "swanlog --help does not list follow"
echo "follow_http: ok"
