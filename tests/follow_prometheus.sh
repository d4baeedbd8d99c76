#!/bin/bash
# A real Prometheus scrapes `swanlog follow`: it negotiates OpenMetrics by default, so this
# proves that what /metrics serves parses in Prometheus itself, and that a counter followed
# live shows up in queries with its exact value (and `up` is 1, with no scrape error).
# usage: follow_prometheus.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
command -v prometheus >/dev/null || { echo "skipped: prometheus is not installed"; exit 77; }
. "$SRC/tests/lib/follow.sh"
. "$SRC/tests/lib/prometheus.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
n=0
gen 3
start_swanlog --file "$L" --from head --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/s"
wait_metric 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 3

scrape_swanlog
wait_query 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 3
gen 2
wait_query 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 5
wait_query 'test_ike_up{conn="site-a"}' 5
err=$(target_error swanlog)
[ -z "$err" ] || fail "scrape error: $err"
stop_swanlog TERM
echo "follow_prometheus: ok"
