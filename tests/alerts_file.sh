#!/bin/bash
# The shipped alerts and dashboard, end to end on followed files: two `swanlog follow --file`
# (charon's file logger, ike_name = yes), a real Prometheus (loopback, 1 s scrape and
# evaluation) with dist/prometheus/swanlog-alerts.yml, and real log lines of each failure
# appended act by act (tests/lib/alerts_e2e.sh, tests/lib/alerts_e2e.py): each alert pending
# or firing with its labels on the first event of a new label set and on later ones, nothing on
# a clean up / rekey / reauthentication / terminate; every dashboard query counting what the
# lines hold; a refused reload; restarts of swanlog and of Prometheus firing nothing new; the
# same lines replayed into blocks (replay --format openmetrics --step 1, promtool tsdb
# create-blocks-from openmetrics) giving the same alerts and dashboard answers.
# usage: alerts_file.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
for tool in prometheus promtool python3 curl; do
	command -v $tool >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done
. "$SRC/tests/lib/follow.sh"
. "$SRC/tests/lib/prometheus.sh"
mkdir -p "$T/log" "$T/state"

src_start() { # NAME ARGS...
	local name=$1
	shift
	[ -e "$T/log/$name.log" ] || : > "$T/log/$name.log"
	start_named "$name" --file "$T/log/$name.log" --from head --timezone UTC "$@"
}
src_append() { cat "$2" >> "$T/log/$1.log"; }

. "$SRC/tests/lib/alerts_e2e.sh"
e2e_start
e2e_acts
e2e_dashboard "$T/gw.log"
e2e_reload
e2e_restart_swanlog
e2e_restart_prometheus
e2e_backfill "$T/gw.log"
echo "alerts_file: ok"
