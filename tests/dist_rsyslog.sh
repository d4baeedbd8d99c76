#!/bin/bash
# dist/rsyslog-swanlog.conf: a real rsyslogd validates (-N1) a config that includes it, the
# validation does catch a broken copy, and the snippet keeps what swanlog's omprog mode
# depends on (filter, RFC 3339 template, confirmations, endless retries, EOF on close).
# usage: dist_rsyslog.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
src=$(realpath "$2")
snippet="$src/dist/rsyslog-swanlog.conf"
command -v rsyslogd >/dev/null || { echo "skip: rsyslogd is not installed (scripts/deps.sh installs it)"; exit 77; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# A private main config: own work directory, own socket, never /dev/log; nothing is started.
main_conf() {
	mkdir -p "$scratch/work"
	cat <<EOF
global(workDirectory="$scratch/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$scratch/log.sock" CreatePath="on")
include(file="$1")
action(type="omfile" file="$scratch/other.log")
EOF
}

main_conf "$snippet" > "$scratch/rsyslog.conf"
if ! rsyslogd -N1 -f "$scratch/rsyslog.conf" > "$scratch/n1.out" 2>&1; then
	bad "rsyslogd -N1 refused the snippet:"; cat "$scratch/n1.out"
elif grep -qiE 'error|warning' "$scratch/n1.out"; then
	bad "rsyslogd -N1 complained:"; cat "$scratch/n1.out"
fi

# The check must be able to fail: a misspelt omprog parameter is refused.
sed 's/confirmMessages=/confirmMessage=/' "$snippet" > "$scratch/broken.conf"
main_conf "$scratch/broken.conf" > "$scratch/broken-main.conf"
rsyslogd -N1 -f "$scratch/broken-main.conf" > "$scratch/broken.out" 2>&1 \
	&& bad "rsyslogd -N1 accepted a misspelt parameter; the validation proves nothing"

want_template='string="<%PRI%>%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")'
grep -qF -- "$want_template" "$snippet" || bad "the RFC 3339 template changed"
grep -qF 'if ($programname == "charon" or $programname == "charon-systemd" or $programname == "kernel") then {' \
	"$snippet" || bad "the charon/charon-systemd/kernel filter is gone"
for want in 'confirmMessages="on"' 'action.resumeRetryCount="-1"' 'signalOnClose="off"' 'template="swanlogLine"' \
	'binary="/usr/bin/swanlog omprog --state /var/lib/swanlog/omprog.state --listen 127.0.0.1:9814"'; do
	grep -qF -- "$want" "$snippet" || bad "missing: $want"
done
grep -qE '^[[:space:]]*stop[[:space:]]*$' "$snippet" && bad "the snippet stops charon messages from reaching other actions"

# End to end, when the binary has omprog: a real rsyslogd runs the snippet as shipped, with only
# the program's paths and port changed, and swanlog counts what logger sends through it.
bin=$(realpath "$1")
if "$bin" omprog --help > /dev/null 2>&1 && command -v logger > /dev/null && command -v curl > /dev/null; then
	port=
	for i in $(seq 0 99); do
		p=$((19900 + ($$ + i) % 100))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
	done
	[ -n "$port" ] || { echo "FAIL: no free port in 19900-19999"; exit 1; }
	sed "s#binary=\"/usr/bin/swanlog omprog --state /var/lib/swanlog/omprog.state --listen 127.0.0.1:9814\"#binary=\"$bin omprog --state $scratch/omprog.state --listen 127.0.0.1:$port --rules $src/rules\"#" \
		"$snippet" > "$scratch/live.conf"
	grep -qF "binary=\"$bin omprog" "$scratch/live.conf" || { echo "FAIL: could not point the snippet at $bin"; exit 1; }
	main_conf "$scratch/live.conf" > "$scratch/live-main.conf"
	rsyslogd -n -f "$scratch/live-main.conf" -i "$scratch/rsyslogd.pid" > "$scratch/rsyslogd.out" 2>&1 &
	rpid=$!
	trap 'kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rm -rf "$scratch"' EXIT
	deadline=$((SECONDS + 10))
	while [ ! -S "$scratch/log.sock" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
	[ -S "$scratch/log.sock" ] || bad "rsyslogd made no socket: $(cat "$scratch/rsyslogd.out")"
	msg='09[IKE] IKE_SA site-a[1] established between 192.0.2.1[gw]...198.51.100.7[peer7]'
	logger --socket "$scratch/log.sock" -t charon "$msg"
	logger --socket "$scratch/log.sock" -t sshd "Accepted publickey for root from 192.0.2.9 port 4711 ssh2"
	logger --socket "$scratch/log.sock" -t charon "${msg/site-a\[1\]/site-a[2]}"
	# Debian's default: charon's daemon and auth loggers write the same message (one event);
	# two messages alike from the daemon logger are two events.
	logger --socket "$scratch/log.sock" -t charon -p daemon.info "${msg/site-a\[1\]/site-a[3]}"
	logger --socket "$scratch/log.sock" -t charon -p authpriv.info "${msg/site-a\[1\]/site-a[3]}"
	logger --socket "$scratch/log.sock" -t charon -p daemon.info "${msg/site-a\[1\]/site-a[4]}"
	logger --socket "$scratch/log.sock" -t charon -p daemon.info "${msg/site-a\[1\]/site-a[4]}"
	got=
	deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		# both numbers from one scrape: lines may arrive between two
		curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" > "$scratch/metrics" 2>/dev/null
		got=$(sed -n 's/^ipsec_ike_sa_established_total{conn="site-a",peer="198.51.100.7"} //p' "$scratch/metrics")
		lines=$(sed -n 's/^swanlog_lines_read_total \([0-9]*\)$/\1/p' "$scratch/metrics")
		[ "$lines" = 6 ] && break
		sleep 0.1
	done
	[ "$got" = 5 ] || bad "swanlog omprog under rsyslogd counted '$got' site-a IKE_SAs, want 5"
	twins=$(curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" | sed -n 's/^swanlog_lines_twin_total \([0-9]*\)$/\1/p')
	[ "$twins" = 1 ] || bad "swanlog took '$twins' lines for the auth logger's copies, want 1"
	# The filter: only the six charon lines reached swanlog, not the sshd one.
	[ "$lines" = 6 ] || bad "swanlog read '$lines' lines, want 6 (the charon ones only)"
	# rsyslog closes the program's stdin on shutdown (signalOnClose="off"): state saved.
	kill "$rpid"
	wait "$rpid"
	[ -s "$scratch/omprog.state" ] || bad "no omprog state after rsyslogd stopped (stdin closed)"
	grep -q 'sshd' "$scratch/other.log" 2>/dev/null || bad "other messages did not reach the other action"
	grep -q 'charon' "$scratch/other.log" 2>/dev/null || bad "charon messages were stopped from reaching other actions"
	[ $fail -eq 0 ] && echo "rsyslogd -> swanlog omprog: 5 of 5 IKE_SAs counted (an auth-facility copy once), sshd filtered out, state saved on close"
else
	echo "note: no omprog in this binary (or no logger/curl): the snippet was only validated"
fi

[ $fail -eq 0 ] && echo "dist_rsyslog: ok"
exit $fail
