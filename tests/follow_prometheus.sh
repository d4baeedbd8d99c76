#!/bin/bash
# A real Prometheus scrapes `swanlog follow`: it negotiates OpenMetrics by default, so this
# proves that what /metrics serves parses in Prometheus itself, and that a counter followed
# live shows up in queries with its exact value (and `up` is 1, with no scrape error).
# usage: follow_prometheus.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
command -v prometheus >/dev/null || { echo "skipped: prometheus is not installed"; exit 77; }
. "$SRC/tests/lib/follow.sh"
PROM_PID=
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null; cleanup' EXIT

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
n=0
gen 3
start_swanlog --file "$L" --from head --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/s"
wait_metric 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 3

PPORT=$(free_port)
cat > "$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: swanlog
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YML
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" > "$T/prometheus.log" 2>&1 &
PROM_PID=$!
API="http://127.0.0.1:$PPORT/api/v1"
# query EXPR: the first result's value, or "" when there is none
query() {
	curl -fs --data-urlencode "query=$1" "$API/query" \
		| python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
wait_query() { # wait_query EXPR VALUE
	local deadline=$((SECONDS + 30)) v
	while :; do
		v=$(query "$1" 2>/dev/null)
		[ "$v" = "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || {
			curl -fs "$API/targets" > "$T/targets" 2>/dev/null
			fail "Prometheus: $1 is '$v', expected $2; targets: $(cat "$T/targets")"
		}
		sleep 0.2
	done
}
wait_query 'up{job="swanlog"}' 1
wait_query 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 3
gen 2
wait_query 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 5
wait_query 'test_ike_up{conn="site-a"}' 5
err=$(curl -fs "$API/targets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["activeTargets"][0]["lastError"])')
[ -z "$err" ] || fail "scrape error: $err"
stop_swanlog TERM
echo "follow_prometheus: ok"
