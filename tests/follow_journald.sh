#!/bin/bash
# follow the local journal (the default source) as written by a real systemd-journald,
# started privately: a mount namespace gets its own /run, /var/log/journal and journald.conf,
# and journald is socket-activated by systemd-socket-activate. Entries are written with
# logger and systemd-cat under SYSLOG_IDENTIFIER=charon (and sshd, not matched); swanlog is
# restarted after SIGTERM with entries written while it was down; counts are exact.
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
kill "$JD_PID"; wait "$JD_PID" 2>/dev/null; JD_PID=
audit_after=$(python3 "$SRC/tests/follow/auditstat.py")
[ "$audit_after" = "$AUDIT_BEFORE" ] || fail "kernel audit flag changed from $AUDIT_BEFORE to $audit_after"
echo "follow_journald: ok (audit flag $AUDIT_BEFORE before and after)"
