#!/bin/bash
# Serving and operating follow mode, with curl and openssl against the real binary:
# --web-config (HTTPS with a certificate made here, bcrypt basic auth: right password 200,
# wrong or none 401 with WWW-Authenticate, plain HTTP to the TLS port gets 400, /healthz
# open), gzip with Vary, 300 idle connections do not keep a scrape out, keep-alive over TLS,
# 16 clients sending wrong passwords do not slow a scrape whose password passed, --textfile, and
# reloading good and broken rules by SIGHUP and by POST /-/reload (--web.enable-lifecycle):
# the old rules keep counting after a broken reload, counters keep their values.
# usage: serve_web.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
command -v openssl >/dev/null || { echo "skip: openssl is not installed"; exit 77; }
# cost 10, as htpasswd -nBC 10 makes: a check takes tens of milliseconds
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", "$2b$10$" + "abcdefghijklmnopqrstuv"))' 2>/dev/null)
[[ "$HASH" == '$2b$10$'* ]] || { echo "skip: python3's crypt module cannot make bcrypt hashes"; exit 77; }

mkdir -p "$T/log" "$T/state" "$T/tf"
L="$T/log/charon.log"
est() { echo "Nov 29 17:51:5$1 moon charon: 09[IKE] <site-a|$1> IKE_SA site-a[$1] established between 192.0.2.1[moon]...198.51.100.7[sun]"; }
est 1 > "$L"
cp "$SRC/tests/follow/rules.yaml" "$T/rules.yaml"

# a self-signed certificate for 127.0.0.1 and the web config
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$T/srv.key" -out "$T/srv.crt" 2> "$T/openssl.err" \
	|| fail "openssl: $(cat "$T/openssl.err")"
cat > "$T/web.yml" <<EOF
tls_server_config:
  cert_file: srv.crt
  key_file: srv.key
  min_version: TLS12
basic_auth_users:
  prometheus: '$HASH'
EOF

PORT=$(free_port)
URL="https://127.0.0.1:$PORT"
C=(curl -sS --max-time 10 --cacert "$T/srv.crt")
A=(-u prometheus:s3cret)
"$BIN" follow --file "$L" --from head --rules "$T/rules.yaml" --state "$T/state/s" --listen "127.0.0.1:$PORT" \
	--web-config "$T/web.yml" --web.enable-lifecycle --textfile "$T/tf/swanlog.prom" \
	> "$T/swanlog.out" 2> "$T/swanlog.err" &
SWL_PID=$!
deadline=$((SECONDS + 15))
until [ "$("${C[@]}" "$URL/healthz" 2>/dev/null)" = ok ]; do   # /healthz needs no password
	kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog exited at start"
	[ $SECONDS -lt $deadline ] || fail "no HTTPS /healthz within 15 s"
	sleep 0.05
done

hscrape() { "${C[@]}" "${A[@]}" "$URL/metrics"; }
hmetric() { hscrape | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }'; }
hwait() {
	local deadline=$((SECONDS + ${3:-20})) v
	while :; do
		v=$(hmetric "$1")
		[ "$v" = "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "$1 is $v, expected $2"
		sleep 0.05
	done
}
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
hwait "$EST" 1

# --- basic auth ---
code=$("${C[@]}" "${A[@]}" -o "$T/m" -w '%{http_code}' "$URL/metrics"); [ "$code" = 200 ] || fail "right password: $code"
grep -q '^test_ike_established_total{' "$T/m" || fail "no metrics with the right password"
code=$("${C[@]}" -u prometheus:wrong -D "$T/h" -o "$T/b" -w '%{http_code}' "$URL/metrics"); [ "$code" = 401 ] || fail "wrong password: $code"
grep -qi '^www-authenticate: Basic realm="swanlog"' "$T/h" || fail "401 without WWW-Authenticate: $(cat "$T/h")"
grep -q test_ike "$T/b" && fail "a wrong password got metrics"
code=$("${C[@]}" -u nobody:s3cret -o /dev/null -w '%{http_code}' "$URL/metrics"); [ "$code" = 401 ] || fail "unknown user: $code"
code=$("${C[@]}" -D "$T/h" -o "$T/b" -w '%{http_code}' "$URL/metrics"); [ "$code" = 401 ] || fail "no password: $code"
grep -qi '^www-authenticate: Basic realm="swanlog"' "$T/h" || fail "401 (no password) without WWW-Authenticate"
code=$("${C[@]}" -o /dev/null -w '%{http_code}' "$URL/"); [ "$code" = 401 ] || fail "/ without password: $code"
# --- plain HTTP to the TLS port: 400 at once, no metrics, and the server goes on ---
code=$(curl -s --max-time 5 -u prometheus:s3cret -o "$T/plain" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 400 ] || fail "plain HTTP to the TLS port: $code"
[ "$(cat "$T/plain")" = "bad request: this port speaks HTTPS" ] || fail "plain HTTP to the TLS port: $(cat "$T/plain")"
# TLS 1.1 is refused (min_version TLS12)
if openssl s_client -help 2>&1 | grep -q -- '-tls1_1'; then
	openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 < /dev/null > "$T/s11" 2>&1 \
		&& grep -q '^ *Protocol *: TLSv1.1' "$T/s11" && fail "a TLS 1.1 handshake succeeded"
fi
hwait "$EST" 1

# --- gzip ---
for try in 1 2 3; do
	"${C[@]}" "${A[@]}" -H 'Accept-Encoding: gzip' -D "$T/h" -o "$T/gz" "$URL/metrics" || fail "gzip fetch"
	hscrape > "$T/plain"
	gzip -dc < "$T/gz" > "$T/ungz" || fail "the gzip body does not decompress"
	cmp -s "$T/ungz" "$T/plain" && break
	[ $try = 3 ] && fail "the gzip body differs from the plain one"
done
grep -qi '^content-encoding: gzip' "$T/h" || fail "no Content-Encoding: gzip"
grep -qi '^vary: Accept-Encoding' "$T/h" || fail "gzip response without Vary"
"${C[@]}" "${A[@]}" -H 'Accept-Encoding: gzip;q=0, identity' -D "$T/h" -o "$T/b" "$URL/metrics" || fail "q=0 fetch"
grep -qi '^content-encoding' "$T/h" && fail "gzip;q=0 still got gzip"
grep -qi '^vary: Accept-Encoding' "$T/h" || fail "plain response without Vary"
grep -q '^test_ike_established_total{' "$T/b" || fail "q=0 body is not plain text"
# OpenMetrics gzipped too
"${C[@]}" "${A[@]}" -H 'Accept-Encoding: gzip' -H 'Accept: application/openmetrics-text; version=1.0.0' -o "$T/omgz" "$URL/metrics"
[ "$(gzip -dc < "$T/omgz" | tail -1)" = "# EOF" ] || fail "gzipped OpenMetrics does not end with # EOF"

# --- 300 idle half-open connections do not keep a scrape out ---
python3 - "$PORT" "$T" <<'PY' || fail "idle connections"
import socket, subprocess, sys, time
port, t = int(sys.argv[1]), sys.argv[2]
held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]
start = time.monotonic()
r = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", t + "/srv.crt", "-u", "prometheus:s3cret",
                    "https://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
took = time.monotonic() - start
for s in held: s.close()
if r.returncode != 0 or "test_ike_established_total" not in r.stdout:
    sys.exit("scrape with 300 idle connections open failed (%.1f s): %s" % (took, r.stderr))
print("scrape with 300 idle connections: %.3f s" % took)
PY

# --- keep-alive over TLS: two scrapes, one connection and one handshake ---
conns=$("${C[@]}" "${A[@]}" -o /dev/null -o /dev/null -w '%{num_connects} ' "$URL/metrics" "$URL/metrics")
[ "$conns" = "1 0 " ] || fail "two HTTPS scrapes took $conns new connections, want 1 0 (keep-alive)"

# --- 16 clients sending wrong passwords do not slow a scrape whose password passed before ---
# Each wrong password costs a bcrypt, run on a thread of its own; a password that passed is
# remembered. Times are curl's, each on a new connection (a TLS handshake included).
python3 - "$PORT" "$T" <<'PY' || fail "password flood"
import base64, http.client, ssl, statistics, subprocess, sys, threading, time
port, t = int(sys.argv[1]), sys.argv[2]

def scrape(user):
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", t + "/srv.crt", "-u", user, "-o", "/dev/null",
                        "-w", "%{http_code} %{time_total}", "https://127.0.0.1:%d/metrics" % port],
                       capture_output=True, text=True)
    code, took = r.stdout.split()
    return code, float(took)

def median_time(user, n, want):
    got = [scrape(user) for _ in range(n)]
    if any(code != want for code, _ in got):
        sys.exit("%s: %s, want %s" % (user, [code for code, _ in got], want))
    return statistics.median(took for _, took in got)

scrape("prometheus:s3cret")
valid = median_time("prometheus:s3cret", 5, "200")
wrong = median_time("prometheus:wrong", 3, "401")

stop = threading.Event()
answers = {}
def flood():
    ctx = ssl.create_default_context(cafile=t + "/srv.crt")
    auth = {"Authorization": "Basic " + base64.b64encode(b"prometheus:wrong").decode()}
    c = None
    while not stop.is_set():
        try:
            c = c or http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
            c.request("GET", "/metrics", headers=auth)
            r = c.getresponse()
            r.read()
            answers[r.status] = answers.get(r.status, 0) + 1
        except (OSError, http.client.HTTPException):
            c = None
clients = [threading.Thread(target=flood) for _ in range(16)]
for c in clients:
    c.start()
deadline = time.monotonic() + 10
while sum(answers.values()) < 16 and time.monotonic() < deadline:  # the flood is under way
    time.sleep(0.05)
flooded = median_time("prometheus:s3cret", 10, "200")
stop.set()
for c in clients:
    c.join()
print("scrape: %.3f s at rest, %.3f s under 16 clients sending wrong passwords (answers %s); "
      "a wrong password: %.3f s" % (valid, flooded, answers, wrong))
if answers.get(401, 0) < 16:
    sys.exit("the flood got too few 401s: %s" % answers)
# a remembered password costs no bcrypt: less than a wrong one, flood or not
if valid >= wrong or flooded >= wrong:
    sys.exit("a valid scrape took %.3f s at rest and %.3f s under the flood, a wrong password %.3f s"
             % (valid, flooded, wrong))
PY

# --- textfile: written, atomically replaced when values change ---
deadline=$((SECONDS + 15))
until grep -q "^$EST 1\$" "$T/tf/swanlog.prom" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "textfile: $(cat "$T/tf/swanlog.prom" 2>&1 | grep test_ike)"; sleep 0.1
done
est 2 >> "$L"
hwait "$EST" 2
deadline=$((SECONDS + 15))
until grep -q "^$EST 2\$" "$T/tf/swanlog.prom"; do
	[ $SECONDS -lt $deadline ] || fail "textfile not updated within 15 s"; sleep 0.1
done
[ "$(ls "$T/tf")" = swanlog.prom ] || fail "textfile directory holds more: $(ls "$T/tf")"
promtool check metrics < "$T/tf/swanlog.prom" > "$T/lint" 2>&1 || grep -q lint "$T/lint" || fail "textfile: $(cat "$T/lint")"

# --- reload ---
RELOAD_OK='swanlog_config_last_reload_successful'
hwait "$RELOAD_OK" 1
code=$("${C[@]}" "${A[@]}" -o /dev/null -w '%{http_code}' "$URL/-/reload"); [ "$code" = 405 ] || fail "GET /-/reload: $code"
code=$("${C[@]}" -X POST -o /dev/null -w '%{http_code}' "$URL/-/reload"); [ "$code" = 401 ] || fail "POST /-/reload without password: $code"
# a good change by POST: a new metric; the old counter keeps its value
cat >> "$T/rules.yaml" <<'EOF'

  - name: retransmit
    match: '^giving up after (?<n>\d+) retransmits'
    updates:
      - inc: test_giveup_total
EOF
python3 - "$T/rules.yaml" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("metrics:\n", "metrics:\n  test_giveup_total:\n    type: counter\n    help: Gave up.\n", 1)
open(p, "w").write(s)
PY
code=$("${C[@]}" "${A[@]}" -X POST -o "$T/b" -w '%{http_code}' "$URL/-/reload"); [ "$code" = 200 ] || fail "POST /-/reload (good): $code $(cat "$T/b")"
grep -q 'rules reloaded' "$T/b" || fail "reload answer: $(cat "$T/b")"
echo "Nov 29 17:52:10 moon charon: 11[IKE] <site-a|2> giving up after 5 retransmits" >> "$L"
hwait 'test_giveup_total' 1
hwait "$EST" 2
hwait "$RELOAD_OK" 1
# a broken change by POST: 500 with path:line:col, the old rules keep counting
cp "$T/rules.yaml" "$T/rules.good"
sed -i 's/giving up after (?<n>/giving up after ((?<n>/' "$T/rules.yaml"
code=$("${C[@]}" "${A[@]}" -X POST -o "$T/b" -w '%{http_code}' "$URL/-/reload"); [ "$code" = 500 ] || fail "POST /-/reload (broken): $code"
grep -qE "$T/rules.yaml:[0-9]+:[0-9]+: " "$T/b" || fail "the reload error names no path:line:col: $(cat "$T/b")"
grep -qE "reload failed.*$T/rules.yaml:[0-9]+:[0-9]+: " "$T/swanlog.err" || fail "the reload error is not logged"
hwait "$RELOAD_OK" 0
hwait swanlog_rules_load_errors_total 1
est 3 >> "$L"
echo "Nov 29 17:52:11 moon charon: 11[IKE] <site-a|3> giving up after 5 retransmits" >> "$L"
hwait "$EST" 3
hwait 'test_giveup_total' 2
# SIGHUP: broken stays broken, good again is 1, and the values stay
kill -HUP "$SWL_PID"
deadline=$((SECONDS + 10))
until [ "$(grep -c 'reload failed' "$T/swanlog.err")" -ge 2 ]; do [ $SECONDS -lt $deadline ] || fail "SIGHUP (broken) not logged"; sleep 0.05; done
hwait "$RELOAD_OK" 0
hwait swanlog_rules_load_errors_total 2
ts1=$(hmetric swanlog_config_last_reload_success_timestamp_seconds)
cp "$T/rules.good" "$T/rules.yaml"
kill -HUP "$SWL_PID"
hwait "$RELOAD_OK" 1
ts2=$(hmetric swanlog_config_last_reload_success_timestamp_seconds)
awk -v a="$ts1" -v b="$ts2" 'BEGIN { exit !(b > a) }' || fail "success timestamp did not move: $ts1 -> $ts2"
hwait "$EST" 3
hwait 'test_giveup_total' 2

# SIGTERM: exit 0, the textfile holds the final values
kill -TERM "$SWL_PID"; wait "$SWL_PID"; rc=$?; SWL_PID=
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc"
grep -q "^test_giveup_total 2\$" "$T/tf/swanlog.prom" || fail "textfile at exit: $(grep giveup "$T/tf/swanlog.prom")"

# --- without --web.enable-lifecycle: no /-/reload; a bad web config is refused at start ---
PORT=$(free_port)
start_swanlog --file "$L" --rules "$T/rules.yaml" --state "$T/state/s2"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/-/reload"); [ "$code" = 404 ] || fail "/-/reload without lifecycle: $code"
# a second swanlog on the same state file is refused (exit 1), the first one goes on
"$BIN" follow --file "$L" --rules "$T/rules.yaml" --state "$T/state/s2" --listen "127.0.0.1:$(free_port)" 2> "$T/err2"
rc=$?
[ "$rc" = 1 ] || fail "a second swanlog on one state file: exit $rc"
grep -q "state/s2: another swanlog is using this state file" "$T/err2" || fail "second swanlog: $(cat "$T/err2")"
[ "$(curl -fs "http://127.0.0.1:$PORT/healthz")" = ok ] || fail "the first swanlog stopped answering"
stop_swanlog TERM
printf 'tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: RequestClientCert\n' > "$T/bad.yml"
"$BIN" follow --file "$L" --rules "$T/rules.yaml" --state "$T/state/s3" --listen "127.0.0.1:$(free_port)" \
	--web-config "$T/bad.yml" 2> "$T/err"
rc=$?
[ "$rc" = 2 ] || fail "bad web config: exit $rc"
grep -q "bad.yml:4:21: client_auth_type RequestClientCert needs client_ca_file" "$T/err" || fail "bad web config: $(cat "$T/err")"
grep -q 'level=warn msg="http: ' "$T/swanlog.err" && ! grep -q "^Error:" "$T/swanlog.err" || fail "libmicrohttpd messages are not prefixed"
echo "serve_web: ok"
