# Helpers for the tests that run a real Prometheus (sourced after follow.sh, whose fail, free_port
# and cleanup it uses). Prometheus runs on a free loopback port with its data in $T, one at a
# time, and is stopped by PID at exit, before follow.sh's cleanup. Polls use deadlines.

PROM_PID=
PPORT=
API=
stop_prometheus() {
	[ -n "$PROM_PID" ] || return 0
	kill "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
	PROM_PID=
}
trap 'stop_prometheus; cleanup' EXIT

# start_prometheus CONFIG [STORAGE]: check the configuration with promtool, then start
# Prometheus on it with STORAGE (default $T/tsdb); returns once it is ready.
start_prometheus() {
	promtool check config "$1" > "$T/pcheck" 2>&1 || fail "prometheus config: $(cat "$T/pcheck")"
	PPORT=$(free_port)
	prometheus --config.file="$1" --storage.tsdb.path="${2:-$T/tsdb}" \
		--web.listen-address="127.0.0.1:$PPORT" >> "$T/prometheus.log" 2>&1 &
	PROM_PID=$!
	API="http://127.0.0.1:$PPORT/api/v1"
	local deadline=$((SECONDS + 30))
	until curl -fs "http://127.0.0.1:$PPORT/-/ready" > /dev/null 2>&1; do
		kill -0 "$PROM_PID" 2>/dev/null || { PROM_PID=; fail "prometheus exited at start: $(tail -5 "$T/prometheus.log")"; }
		[ $SECONDS -lt $deadline ] || fail "prometheus not ready within 30 s"
		sleep 0.1
	done
}

# scrape_swanlog [SCRAPE_TIMEOUT]: Prometheus scrapes the swanlog on $PORT (plain HTTP, job
# swanlog) every second; returns once a scrape has worked.
scrape_swanlog() {
	cat > "$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: ${1:-1s}
scrape_configs:
  - job_name: swanlog
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
YML
	start_prometheus "$T/prometheus.yml"
	wait_query 'up{job="swanlog"}' 1
}

# query EXPR: the first result's value, or "" when there is none
query() {
	curl -fs --data-urlencode "query=$1" "$API/query" \
		| "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

# targets: Prometheus's view of its targets (JSON)
targets() { curl -fs "$API/targets" > "$T/targets" 2>/dev/null; cat "$T/targets"; }

# target_error JOB: the last scrape error of that job's target ("" when the scrape worked)
target_error() {
	targets | "$PYTHON" -c 'import json,sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["labels"]["job"] == sys.argv[1]: print(t["lastError"])' "$1"
}

# wait_query EXPR VALUE [SECONDS]: poll until the query gives VALUE (30 s by default).
wait_query() {
	local deadline=$((SECONDS + ${3:-30})) v
	while :; do
		v=$(query "$1" 2>/dev/null)
		[ "$v" = "$2" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "Prometheus: $1 is '$v', expected $2; targets: $(targets)"
		sleep 0.2
	done
}
