#!/bin/bash
# A real Prometheus scrapes swanlog over HTTPS with basic auth (scheme https, tls_config
# ca_file, basic_auth) from a --web-config made here: `up` is 1 with no scrape error, and a
# PromQL query through Prometheus's HTTP API returns the exact count followed live. A second
# job with a wrong password sees 401 (up 0). Prometheus asks for gzip, so that path is used too.
# usage: serve_prometheus.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
command -v prometheus >/dev/null || { echo "skip: prometheus is not installed"; exit 77; }
command -v openssl >/dev/null || { echo "skip: openssl is not installed"; exit 77; }
. "$SRC/tests/lib/follow.sh"
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("pr0m", "$2b$05$" + "0123456789abcdefghijkl"))' 2>/dev/null)
[[ "$HASH" == '$2b$05$'* ]] || { echo "skip: python3's crypt module cannot make bcrypt hashes"; exit 77; }
. "$SRC/tests/lib/prometheus.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
n=0
gen 3
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=swanlog-test \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/srv.key" -out "$T/srv.crt" 2> "$T/openssl.err" \
	|| fail "openssl: $(cat "$T/openssl.err")"
printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n' \
	"$T/srv.crt" "$T/srv.key" "'$HASH'" > "$T/web.yml"

PORT=$(free_port)
"$BIN" follow --file "$L" --from head --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/s" \
	--listen "127.0.0.1:$PORT" --web-config "$T/web.yml" > "$T/swanlog.out" 2> "$T/swanlog.err" &
SWL_PID=$!
deadline=$((SECONDS + 15))
until [ "$(curl -s --cacert "$T/srv.crt" "https://127.0.0.1:$PORT/healthz")" = ok ]; do
	kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog exited at start"
	[ $SECONDS -lt $deadline ] || fail "no HTTPS /healthz within 15 s"
	sleep 0.05
done

cat > "$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: swanlog
    scheme: https
    tls_config:
      ca_file: $T/srv.crt
    basic_auth:
      username: prometheus
      password: pr0m
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
  - job_name: wrongpass
    scheme: https
    tls_config:
      ca_file: $T/srv.crt
    basic_auth:
      username: prometheus
      password: nope
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YML
start_prometheus "$T/prometheus.yml"
wait_query 'up{job="swanlog"}' 1
wait_query 'test_ike_established_total{job="swanlog",conn="site-a",peer="198.51.100.7"}' 3
gen 2
wait_query 'test_ike_established_total{job="swanlog",conn="site-a",peer="198.51.100.7"}' 5
wait_query 'sum(test_ike_up{job="swanlog"})' 5
err=$(target_error swanlog)
[ -z "$err" ] || fail "scrape error: $err"
wait_query 'up{job="wrongpass"}' 0
err=$(target_error wrongpass)
[[ "$err" == *401* ]] || fail "wrong password: scrape error is '$err', expected a 401"
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM: exit $STOP_RC"
echo "serve_prometheus: ok"
