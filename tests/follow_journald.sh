#!/bin/bash
# follow the local journal (the default source) as written by a real systemd-journald,
# started privately: a mount namespace gets its own /run, /var/log/journal and journald.conf,
# and journald is socket-activated by systemd-socket-activate. Entries are written with
# logger and systemd-cat under SYSLOG_IDENTIFIER=charon (and sshd, not matched); swanlog is
# restarted after SIGTERM with entries written while it was down; counts are exact. Run as
# nobody without the group systemd-journal it says so (log, swanlog_source_up, /healthz), and
# reads with it. Its own stderr through systemd-cat: the level prefixes become PRIORITY.
#
# Socket activation matters: a journald started with no socket passed opens the kernel audit
# socket and turns auditing off machine-wide. So journald is the direct child of
# systemd-socket-activate (nothing may sit between them, or LISTEN_PID no longer matches).
# usage: follow_journald.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
JOURNALD=/lib/systemd/systemd-journald

if [ "${SWL_IN_NAMESPACE:-}" != 1 ]; then
	skip() { echo "skipped: $*"; exit 77; }
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	for tool in unshare systemd-socket-activate logger systemd-cat; do
		command -v "$tool" >/dev/null || skip "$tool not installed"
	done
	[ -x "$JOURNALD" ] || skip "$JOURNALD not installed"
	[ -s /etc/machine-id ] || skip "/etc/machine-id is missing (journald needs it)"
	[ -f /etc/systemd/journald.conf ] || skip "no /etc/systemd/journald.conf to cover"
	[ -d /var/log/journal ] || mkdir -p /var/log/journal 2>/dev/null || skip "no /var/log/journal to cover"
	unshare --mount --propagation private true 2>/dev/null || skip "this machine does not allow mount namespaces"
	SWL_IN_NAMESPACE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$SRC/tests/lib/follow.sh"
AUDIT_BEFORE=$(python3 "$SRC/tests/follow/auditstat.py")
JD_PID=
cleanup_journald() {
	[ -n "$JD_PID" ] && kill "$JD_PID" 2>/dev/null && wait "$JD_PID" 2>/dev/null
	cleanup
}
trap cleanup_journald EXIT

# the private world: only this namespace sees these mounts
mkdir -p "$T/run" "$T/varlog" "$T/state"
cat > "$T/journald.conf" <<'CONF'
[Journal]
Storage=volatile
ReadKMsg=no
RateLimitIntervalSec=0
RateLimitBurst=0
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
CONF
mount --bind "$T/run" /run || fail "bind /run"
mount --bind "$T/varlog" /var/log/journal || fail "bind /var/log/journal"
mount --bind "$T/journald.conf" /etc/systemd/journald.conf || fail "bind journald.conf"
mkdir -p /run/systemd/journal /run/log/journal
# as systemd's tmpfiles.d leave it: the journal files get the group systemd-journal
getent group systemd-journal > /dev/null && chgrp systemd-journal /run/log/journal && chmod 2755 /run/log/journal

systemd-socket-activate -d -l /run/systemd/journal/socket "$JOURNALD" > "$T/journald.log" 2>&1 &
JD_PID=$!
deadline=$((SECONDS + 10))
until [ -S /run/systemd/journal/socket ]; do [ $SECONDS -lt $deadline ] || fail "no journal socket"; sleep 0.05; done
# journald is started by the first datagram
printf 'MESSAGE=kick\nSYSLOG_IDENTIFIER=test-harness\n' | logger --journald || fail "logger --journald"
until [ -S /run/systemd/journal/stdout ]; do
	[ $SECONDS -lt $deadline ] || fail "journald did not start: $(cat "$T/journald.log")"
	sleep 0.05
done

n=0
# write COUNT: charon lines through two writer paths, plus an sshd line that is not read
write() {
	for _ in $(seq "$1"); do
		n=$((n + 1))
		msg="09[IKE] <site-a|$n> IKE_SA site-a[$n] established between 192.0.2.1[moon]...198.51.100.7[sun]"
		if [ $((n % 2)) = 0 ]; then
			logger -u /run/systemd/journal/dev-log -t charon "$msg"
		else
			echo "$msg" | systemd-cat -t charon
		fi
		logger -u /run/systemd/journal/dev-log -t sshd "Accepted publickey for root"
	done
}
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
READ='swanlog_source_entries_read_total{source="journal"}'
ARGS=(--rules "$SRC/tests/follow/rules.yaml" --state "$T/state/state")

write 2                                      # before the first start: --from head reads them
start_swanlog "${ARGS[@]}" --from head
wait_metric "$EST" 2
write 3
wait_metric "$EST" 5
assert_metric "$READ" 5
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM: exit status $STOP_RC"
write 2                                      # while down
start_swanlog "${ARGS[@]}"
wait_metric "$EST" 7
assert_metric "$READ" 7
stop_swanlog TERM

# --journal without the group that may read it (sd-journal skips such files silently): said
# in the log with the group to add, swanlog_source_up 0, /healthz 503; in the group: read
if getent group systemd-journal > /dev/null && command -v setpriv > /dev/null; then
	chmod 755 "$T"; chmod 1777 "$T/state"
	# nobody's own copies: the checkout may be out of its reach (a clone under /root)
	install -m 0755 "$BIN" "$T/swanlog-nobody"; install -m 0644 "$SRC/tests/follow/rules.yaml" "$T/rules-nobody.yaml"
	for groups in --clear-groups "--groups systemd-journal"; do
		PORT=$(free_port)
		# shellcheck disable=SC2086
		setpriv --reuid nobody --regid nogroup $groups "$T/swanlog-nobody" follow --from head --listen "127.0.0.1:$PORT" \
			--rules "$T/rules-nobody.yaml" --state "$T/state/nobody$PORT" 2> "$T/nobody.err" &
		SWL_PID=$!
		deadline=$((SECONDS + 15))
		until code=$(curl -s -o "$T/health" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz") && [ "$code" != 000 ]; do
			kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog as nobody exited: $(cat "$T/nobody.err")"
			[ $SECONDS -lt $deadline ] || fail "swanlog as nobody did not answer"
			sleep 0.05
		done
		if [ "$groups" = --clear-groups ]; then
			[ "$code" = 503 ] || fail "--journal without its group: /healthz $code"
			grep -qE '^nothing can be read: journal: cannot read (the directory|[0-9]+ of [0-9]+ journal files, such as) /run/log/journal/[^:]*: permission denied: add user nobody to group systemd-journal ' "$T/health" \
				|| fail "--journal without its group: /healthz says $(cat "$T/health")"
			grep -q 'level=error msg="source journal: cannot read .*add user nobody to group systemd-journal' "$T/nobody.err" \
				|| fail "--journal without its group: the log says $(cat "$T/nobody.err")"
			assert_metric 'swanlog_source_up{source="journal"}' 0
			assert_metric "$READ" 0
		else
			wait_metric "$EST" 7
			assert_metric 'swanlog_source_up{source="journal"}' 1
			[ "$code" = 200 ] || fail "--journal in its group: /healthz $code"
		fi
		stop_swanlog TERM
	done
fi

# stderr into the journal (systemd-cat, as a unit's StandardError=journal): each line's level
# is the entry's PRIORITY, and the prefix is not in the message
PORT=$(free_port)
systemd-cat -t swanlog-test "$BIN" follow --file "$T/missing.log" --listen "127.0.0.1:$PORT" \
	--rules "$SRC/tests/follow/rules.yaml" --state "$T/state/cat" &
SWL_PID=$!
deadline=$((SECONDS + 15))
until journalctl -D /run/log/journal -t swanlog-test -o json --output-fields=PRIORITY,MESSAGE 2> /dev/null \
	| python3 -c '
import json, sys
got = [(e["PRIORITY"], e["MESSAGE"]) for e in map(json.loads, sys.stdin)]
if len(got) < 2:
    sys.exit(1)
first = ("4", "source '"$T"'/missing.log: missing: waiting for it to appear")
if got[0] != first or got[1][0] != "6" or not got[1][1].startswith("swanlog ") or " serving http://" not in got[1][1]:
    sys.exit("journal entries: %r" % got)
' 2> "$T/prio.err"; do
	[ -s "$T/prio.err" ] && fail "$(cat "$T/prio.err")"
	[ $SECONDS -lt $deadline ] || fail "swanlog's lines did not reach the journal: $(journalctl -D /run/log/journal -t swanlog-test -o json 2>&1 | head -c 600)"
	sleep 0.1
done
stop_swanlog TERM
kill "$JD_PID"; wait "$JD_PID" 2>/dev/null; JD_PID=
audit_after=$(python3 "$SRC/tests/follow/auditstat.py")
[ "$audit_after" = "$AUDIT_BEFORE" ] || fail "kernel audit flag changed from $AUDIT_BEFORE to $audit_after"
echo "follow_journald: ok (audit flag $AUDIT_BEFORE before and after)"
