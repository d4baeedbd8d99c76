#!/bin/bash
# The HTTP side of follow mode, with curl against the real binary: /metrics in both formats
# (and promtool accepts it), HEAD, /healthz, the landing page, 404, 405, the connection limit;
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

# the connection limit (512): with 512 idle connections open, one more is turned away,
# and once they are gone /metrics answers again
python3 - "$PORT" <<'PY' || fail "connection limit"
import socket, sys, time
port = int(sys.argv[1])
held = []
for _ in range(512):
    s = socket.create_connection(("127.0.0.1", port)); held.append(s)
time.sleep(0.3)  # let the server accept them all
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(2)
extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    data = extra.recv(100)
except (ConnectionResetError, socket.timeout):
    data = b""
if data.startswith(b"HTTP/1.1 200"):
    sys.exit("a 513th connection was served")
for s in held: s.close()
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
