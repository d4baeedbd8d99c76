# End to end: dist/prometheus/swanlog-alerts.yml and dist/grafana/swanlog.json against a real
# Prometheus scraping real `swanlog follow` processes that follow the real log lines of each
# failure (sourced by tests/alerts_file.sh and tests/alerts_journal.sh after follow.sh and
# prometheus.sh; not a test itself). The test that sources it defines
#   src_start NAME ARGS...   start swanlog NAME (gw or b) on its own source with ARGS
#   src_append NAME FILE     append the log lines in FILE to NAME's source
# then calls e2e_start, e2e_acts, e2e_dashboard, e2e_reload, e2e_restart_swanlog,
# e2e_restart_prometheus and e2e_backfill (each described below).
#
# Two swanlogs: gw goes through the acts of tests/lib/alerts_e2e.py (its lines are also kept in
# $T/gw.log for the replays); b is a gateway that logs little (the silent source and a rekey
# loop). One Prometheus, 1 s scrape and evaluation, scrapes both with the shipped rules. After
# each act the whole set of alerts (state, labels, the value where it is exact) must be what
# $ACTIVE says, once the act was scraped and every rule group evaluated since.

E2E="$PYTHON $SRC/tests/lib/alerts_e2e.py"
CORPUS=$SRC/tests/corpus/logs
ALERTS=$SRC/dist/prometheus/swanlog-alerts.yml
DASHBOARD=$SRC/dist/grafana/swanlog.json
RUNBOOK_URL=https://runbooks.test/swanlog/RUNBOOK.md
declare -A PIDS=() PORTS=() LINES=([gw]=0 [b]=0) ACTIVE=()
STAMP=0      # the time of the last act (each act of today gets its own second)
LAST_ACT=     # the acts since the last expect
RECORD=/dev/null  # $T/record.jsonl during gw's acts: what the backfill must show at each

stop_all() {
	local n
	for n in "${!PIDS[@]}"; do
		[ -n "${PIDS[$n]}" ] || continue
		kill -KILL "${PIDS[$n]}" 2>/dev/null
		wait "${PIDS[$n]}" 2>/dev/null   # (bash would report the SIGKILL'd job on stderr)
	done
	return 0
}
trap 'stop_all; stop_prometheus; cleanup' EXIT

# start_named NAME ARGS...: swanlog NAME on its own port (kept across restarts)
start_named() {
	local name=$1
	shift
	PORT=${PORTS[$name]:-} SWL_PID=
	start_swanlog "$@"
	PIDS[$name]=$SWL_PID PORTS[$name]=$PORT
	SWL_PID=
}
# stop_named NAME SIGNAL
stop_named() {
	SWL_PID=${PIDS[$1]}
	stop_swanlog "$2"
	PIDS[$1]=
	[ "$STOP_RC" = 0 ] || fail "swanlog $1: exit $STOP_RC after SIG$2"
}
addr() { echo "127.0.0.1:${PORTS[$1]}"; }

# The shipped rules, with ipsec_notify_errors_total capped at one series: the second kind of
# notify of the acts (AUTHENTICATION_FAILED after NO_PROPOSAL_CHOSEN) overflows.
RULES=$T/rules
mkdir -p "$RULES"
cp "$SRC"/rules/*.yaml "$RULES/"
sed -i '/^  ipsec_notify_errors_total:$/a\    max_series: 1' "$RULES/strongswan.yaml"
grep -A1 '^  ipsec_notify_errors_total:$' "$RULES/strongswan.yaml" | grep -qx '    max_series: 1' \
	|| fail "could not cap ipsec_notify_errors_total in the copy of the rules"

prometheus_config() { # FILE [SCRAPE]: the test's Prometheus; SCRAPE=no: no targets
	{
		echo "global:"
		echo "  scrape_interval: 1s"
		echo "  evaluation_interval: 1s"
		echo "  external_labels:"
		echo "    swanlog_runbook_url: $RUNBOOK_URL"
		echo "rule_files: [\"$ALERTS\"]"
		if [ "${2:-}" != no ]; then
			echo "scrape_configs:"
			echo "  - job_name: swanlog"
			echo "    static_configs:"
			echo "      - targets: [\"$(addr gw)\", \"$(addr b)\"]"
		fi
	} > "$1"
}

# e2e_start: both swanlogs (src_start), then Prometheus; wait until it scraped them.
e2e_start() {
	src_start gw --rules "$RULES" --state "$T/state/gw"
	src_start b --rules "$RULES" --state "$T/state/b"
	prometheus_config "$T/prometheus.yml"
	start_prometheus "$T/prometheus.yml"
	: > "$T/gw.log"
	expect
}

# act NAME [@TIME] ACT...: the lines of the ACTs (see alerts_e2e.py), stamped TIME or now,
# appended to swanlog NAME's source (and named in $LAST_ACT until the next expect)
act() {
	local name=$1 stamp
	shift
	if [[ $1 == @* ]]; then
		stamp=${1#@}
		shift
	else
		# one act a second, never stamped ahead of the clock: a scrape after the act then has
		# a time at or after its lines' log time, as the backfill's samples do
		stamp=$(date +%s)
		until [ "$stamp" -gt "$STAMP" ]; do sleep 0.05; stamp=$(date +%s); done
		STAMP=$stamp
	fi
	$E2E lines "$CORPUS" "$stamp" "$@" > "$T/act.log" || fail "act $*"
	[ "$name" = gw ] && cat "$T/act.log" >> "$T/gw.log"
	LINES[$name]=$((LINES[$name] + $(wc -l < "$T/act.log")))
	src_append "$name" "$T/act.log"
	LAST_ACT="${LAST_ACT:+$LAST_ACT, }$name: $*"
}

# set_alert STATE ALERTNAME INSTANCE LABEL=VALUE... [= VALUE]; clear_alert ALERTNAME INSTANCE LABEL=VALUE...
set_alert() {
	local k="${*:2}"
	ACTIVE[${k%% = *}]="$*"
}
clear_alert() {
	[ -n "${ACTIVE[$*]+x}" ] || fail "clear_alert: $* was not set"
	unset "ACTIVE[$*]"
}

# expect [SENTINEL...]: the alerts are $ACTIVE once both swanlogs' lines were scraped (and each
# SENTINEL query has a result) and every rule group was evaluated since
expect() {
	local set=
	[ ${#ACTIVE[@]} -gt 0 ] && set=$(printf '%s\n' "${ACTIVE[@]}")
	$E2E expect "$API" "$(addr gw)=gw,$(addr b)=b" "$RUNBOOK_URL" "$RECORD" "$STAMP" \
		"swanlog_lines_read_total{instance=\"$(addr gw)\"} == ${LINES[gw]}" \
		"swanlog_lines_read_total{instance=\"$(addr b)\"} == ${LINES[b]}" "$@" <<< "$set" \
		|| fail "after ${LAST_ACT:-the start}"
	echo "ok: ${LAST_ACT:-start}: ${#ACTIVE[@]} alerts ($SECONDS s)"
	LAST_ACT=
}

# e2e_acts: gw goes through a clean life (up, a CHILD_SA deleted by the peer, rekeys and a
# reauthentication, a terminate by the operator), then each failure, first and later events.
# Alongside, b read charon's start three hours ago and nothing since (an idle standby: quiet),
# then an IKE_SA up three hours ago (its log source is silent), then a rekey loop today.
e2e_acts() {
	local old=$(($(date +%s) - 3 * 3600))
	RECORD=$T/record.jsonl
	act gw quiet
	act b "@$old" startup
	expect
	act gw startup up
	act b "@$((old + 1))" up
	set_alert pending SwanlogLogSourceSilent b
	expect
	act gw child_deleted          # first event of a new label set
	act b child_rekeys+21
	set_alert pending IPsecCHILDSADownWhileIKEUp gw child=con1 conn=con1 peer=198.18.1.2
	clear_alert SwanlogLogSourceSilent b
	set_alert pending IPsecFrequentRekeys b conn=con1 peer=198.18.1.2 = 21
	expect
	act gw startup up             # charon restarts, the tunnel comes back
	act b child_rekeys+3@22       # a later event
	clear_alert IPsecCHILDSADownWhileIKEUp gw child=con1 conn=con1 peer=198.18.1.2
	set_alert pending IPsecFrequentRekeys b conn=con1 peer=198.18.1.2 = 24
	expect
	act gw rekey                  # CHILD_SA and IKE_SA rekeys, a reauthentication: nothing
	expect
	act gw terminate              # the operator takes it down: nothing
	expect
	act gw no_proposal
	set_alert firing IPsecProposalMismatch gw conn=con4 peer=198.18.1.14 sa=ike = 1
	expect
	act gw no_proposal+100        # a later event
	set_alert firing IPsecProposalMismatch gw conn=con4 peer=198.18.1.14 sa=ike = 2
	expect
	act gw psk_mismatch           # one authentication failure is no burst; its notify overflows
	set_alert firing SwanlogSeriesOverflow gw metric=ipsec_notify_errors_total = 1
	expect
	act gw psk_mismatch+100
	set_alert firing SwanlogSeriesOverflow gw metric=ipsec_notify_errors_total = 2
	expect
	act gw psk_mismatch+200       # the third in ten minutes
	set_alert firing IPsecAuthFailureBurst gw conn=con6 peer=198.18.1.16 side=local = 3
	set_alert firing SwanlogSeriesOverflow gw metric=ipsec_notify_errors_total = 3
	expect
	act gw psk_mismatch+300
	set_alert firing IPsecAuthFailureBurst gw conn=con6 peer=198.18.1.16 side=local = 4
	set_alert firing SwanlogSeriesOverflow gw metric=ipsec_notify_errors_total = 4
	expect
	act gw dpd_timeout            # the peer is gone: DPD gives up, the IKE_SA goes down
	set_alert pending IPsecIKESADown gw conn=con1 peer=198.18.1.2
	set_alert firing IPsecRetransmitTimeouts gw conn=con1 peer=198.18.1.2 = 1
	expect
	act gw dpd_giveup             # the new attempt gives up too
	set_alert firing IPsecRetransmitTimeouts gw conn=con1 peer=198.18.1.2 = 2
	expect
	act gw startup up             # back up
	clear_alert IPsecIKESADown gw conn=con1 peer=198.18.1.2
	expect
	act gw ike_rekey_failed
	set_alert firing IPsecRekeyFailures gw conn=con1 peer=198.18.1.2 sa=ike = 1
	expect
	act gw ike_rekey_failed@17    # the retry fails too
	set_alert firing IPsecRekeyFailures gw conn=con1 peer=198.18.1.2 sa=ike = 2
	expect
	RECORD=/dev/null # from here on, no more expectations for the backfill
}

# e2e_dashboard REPLAY_INPUT: every panel and annotation query of the dashboard, with
# $instance = gw and a 30 m window (the whole test), gives what `swanlog replay` of gw's log
# (REPLAY_INPUT: a copy of it) gives (alerts_e2e.py dashboard), at the time of gw's last scrape
# (counters of swanlog's own that start at 0 are exact there)
e2e_dashboard() {
	DASH_T=$(query "timestamp(swanlog_lines_read_total{instance=\"$(addr gw)\"})")
	[ -n "$DASH_T" ] || fail "no scrape of gw"
	TZ=UTC "$BIN" replay --rules "$RULES" --timezone UTC --year "$(date -u +%Y)" --self-metrics "$1" > "$T/gw.prom" \
		|| fail "replay of gw's log"
	$E2E dashboard "$API" "$DASHBOARD" "$T/gw.prom" "$(addr gw)" "$DASH_T" 30m || fail "dashboard"
}

# e2e_reload: a bad rules file is refused on SIGHUP (the alert fires), a good one accepted
e2e_reload() {
	printf 'rules:\n  - name: broken\n    match: "(unclosed"\n' > "$RULES/zz-broken.yaml"
	kill -HUP "${PIDS[gw]}"
	LAST_ACT="gw: a refused reload"
	set_alert firing SwanlogRulesReloadFailed gw
	expect "swanlog_config_last_reload_successful{instance=\"$(addr gw)\"} == 0"
	rm "$RULES/zz-broken.yaml"
	kill -HUP "${PIDS[gw]}"
	LAST_ACT="gw: a reload that succeeds"
	clear_alert SwanlogRulesReloadFailed gw
	expect "swanlog_config_last_reload_successful{instance=\"$(addr gw)\"} == 1"
}

# e2e_restart_swanlog: swanlog gw stops (SIGTERM) and starts again on its state: nothing new fires
e2e_restart_swanlog() {
	local t
	stop_named gw TERM
	t=$(date +%s)
	src_start gw --rules "$RULES" --state "$T/state/gw"
	LAST_ACT="gw: swanlog restarted"
	expect "timestamp(swanlog_config_last_reload_success_timestamp_seconds{instance=\"$(addr gw)\"}) > $t"
}

# e2e_restart_prometheus [STORAGE]: Prometheus again, on its own storage (nothing new fires)
# or on an empty STORAGE (it knows nothing of the events: only state-based alerts may fire)
e2e_restart_prometheus() {
	local t
	stop_prometheus
	t=$(date +%s)
	start_prometheus "$T/prometheus.yml" "${1:-$T/tsdb}"
	LAST_ACT="Prometheus restarted${1:+ on empty storage}"
	expect "timestamp(up{instance=\"$(addr gw)\"}) > $t" "timestamp(up{instance=\"$(addr b)\"}) > $t"
}

# e2e_backfill REPLAY_INPUT: `swanlog replay --format openmetrics --step 1` of gw's log (as for
# e2e_dashboard), made
# into blocks by promtool, served by a Prometheus without scrapes: each alert expression at
# each act's time gives the alerts the live Prometheus gave, and the dashboard's IPsec queries
# give what they gave live
e2e_backfill() {
	stop_prometheus
	TZ=UTC "$BIN" replay --rules "$RULES" --timezone UTC --year "$(date -u +%Y)" --format openmetrics --step 1 --self-metrics \
		"$1" > "$T/gw.om" 2> "$T/replay.err" || fail "replay --format openmetrics: $(cat "$T/replay.err")"
	promtool tsdb create-blocks-from openmetrics "$T/gw.om" "$T/backfill" > "$T/blocks.log" 2>&1 \
		|| fail "promtool tsdb create-blocks-from openmetrics: $(tail -5 "$T/blocks.log")"
	prometheus_config "$T/backfill.yml" no
	start_prometheus "$T/backfill.yml" "$T/backfill"
	$E2E backfill "$API" "$T/record.jsonl" || fail "backfill: alerts"
	$E2E dashboard "$API" "$DASHBOARD" "$T/gw.prom" "" "$DASH_T" 30m --ipsec-only || fail "backfill: dashboard"
}
