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

want_template='string="%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")'
grep -qF -- "$want_template" "$snippet" || bad "the RFC 3339 template changed"
grep -qF 'if ($programname == "charon" or $programname == "charon-systemd" or $programname == "kernel") then {' \
	"$snippet" || bad "the charon/charon-systemd/kernel filter is gone"
for want in 'confirmMessages="on"' 'action.resumeRetryCount="-1"' 'signalOnClose="off"' 'template="swanlogLine"' \
	'binary="/usr/bin/swanlog omprog --state /var/lib/swanlog/omprog.state --listen 127.0.0.1:9814"'; do
	grep -qF -- "$want" "$snippet" || bad "missing: $want"
done
grep -qE '^[[:space:]]*stop[[:space:]]*$' "$snippet" && bad "the snippet stops charon messages from reaching other actions"

[ $fail -eq 0 ] && echo "dist_rsyslog: ok"
exit $fail
