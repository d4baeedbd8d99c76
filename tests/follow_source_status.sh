#!/bin/bash
# follow tells the truth about its source, with real files, real journal files
# (systemd-journal-remote) and real permissions (swanlog run as an unprivileged user by
# setpriv): a missing --file, a file its user may not read, a journal directory that is
# readable while its files are not, journal files of a group the user is not in, and a file
# whose reads fail. Each is said at the start in the log (with the fix: the group to add),
# in swanlog_source_up{source=...} 0, in /healthz (503 with the reason); read errors are
# counted; when it is fixed while running, the log says so, the gauge is 1, /healthz is 200
# and the entries are read.
# usage: follow_source_status.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || { echo "skipped: $JR not installed (apt-get install systemd-journal-remote)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to run swanlog as another user"; exit 77; }
command -v setpriv > /dev/null || { echo "skipped: setpriv is not installed (util-linux)"; exit 77; }
getent group systemd-journal > /dev/null || { echo "skipped: no systemd-journal group (apt-get install systemd)"; exit 77; }
. "$SRC/tests/lib/follow.sh"

# the unprivileged users must reach the scratch directory and write their state
chmod 755 "$T"
mkdir -p "$T/log" "$T/state" "$T/j"
chmod 1777 "$T/state"
# their own copies of the binary and the rules: the checkout may be out of their reach (a
# clone under /root, or one made with a strict umask)
install -m 0755 "$BIN" "$T/swanlog"; BIN=$T/swanlog
install -m 0644 "$SRC/tests/follow/rules.yaml" "$T/rules.yaml"
RULES=$T/rules.yaml
EST='test_ike_established_total{conn="site-a",peer="198.51.100.7"}'
nots() { sed 's/^ts=[0-9T:.-]*Z //' "$@"; }     # logfmt lines without their time stamp
n=0

# as USER [GROUP...] -- ARGS...: start swanlog follow as USER (with only the groups given)
as() {
	local user=$1 groups=; shift
	while [ "$1" != -- ]; do groups=${groups:+$groups,}$1; shift; done
	shift
	local ids=(--clear-groups)
	[ -n "$groups" ] && ids=(--groups "$groups")
	PORT=$(free_port)
	: > "$T/swanlog.err"
	setpriv --reuid "$user" --regid "$(id -g "$user")" "${ids[@]}" \
		"$BIN" follow --listen "127.0.0.1:$PORT" --rules "$RULES" --state "$T/state/$user-$PORT" "$@" \
		> /dev/null 2>> "$T/swanlog.err" &
	SWL_PID=$!
	local deadline=$((SECONDS + 15))
	until grep -q ' serving http://' "$T/swanlog.err"; do
		kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog exited at start"
		[ $SECONDS -lt $deadline ] || fail "no start-up line within 15 s"
		sleep 0.05
	done
}

# health BODY CODE: /healthz answers exactly this (and a newline)
health() {
	local got
	got=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/healthz")
	[ "$got" = "$1"$'\n\n'"$2" ] || fail "/healthz: '$got', expected $2 '$1'"
}

# wait_log LINE: poll until the log (time stamps aside) has exactly this line
wait_log() {
	local deadline=$((SECONDS + 20))
	until nots "$T/swanlog.err" | grep -qxF -- "$1"; do
		[ $SECONDS -lt $deadline ] || fail "the log never said: $1"
		sleep 0.05
	done
}

# ---- a missing --file: said at the start, up 0, 503; created: read, up 1, 200 ----
F="$T/log/charon.log"
as daemon -- --file "$F" --from head
WHY="missing: waiting for it to appear"
wait_log "level=warn msg=\"source $F: $WHY\""
assert_metric "swanlog_source_up{source=\"$F\"}" 0
assert_metric "swanlog_source_read_errors_total{source=\"$F\"}" 0
health "nothing can be read: $F: $WHY" 503
gen 2 "$F"
chmod 644 "$F"
wait_metric "$EST" 2
wait_log "level=info msg=\"source $F: can be read again\""
assert_metric "swanlog_source_up{source=\"$F\"}" 1
health ok 200
stop_swanlog TERM

# ---- a file of group adm, mode 0640: the fix is the group; fixed while running ----
chgrp adm "$F"; chmod 640 "$F"
as nobody -- --file "$F" --from head
WHY="permission denied: add user nobody to group adm (SupplementaryGroups= in a systemd unit)"
wait_log "level=error msg=\"source $F: $WHY\""
assert_metric "swanlog_source_up{source=\"$F\"}" 0
health "nothing can be read: $F: $WHY" 503
stop_swanlog TERM
# in the group: read
as nobody adm -- --file "$F" --from head
wait_metric "$EST" 2
assert_metric "swanlog_source_up{source=\"$F\"}" 1
health ok 200
stop_swanlog TERM
# two files, one readable: something can be read, /healthz is 200, the other's gauge is 0
G="$T/log/other.log"
gen 1 "$G"; chmod 644 "$G"
as nobody -- --file "$F" --file "$G" --from head
wait_metric "$EST" 1
assert_metric "swanlog_source_up{source=\"$F\"}" 0
assert_metric "swanlog_source_up{source=\"$G\"}" 1
health ok 200
chmod 644 "$F"                                 # fixed while running: found on the next look
wait_metric "$EST" 3
wait_log "level=info msg=\"source $F: can be read again\""
assert_metric "swanlog_source_up{source=\"$F\"}" 1
stop_swanlog TERM

# ---- reads that fail are counted, and said once ----
as daemon -- --file /proc/self/mem --from head
WHY="read error: Input/output error"
wait_log "level=error msg=\"source /proc/self/mem: $WHY\""
wait_metric_ge 'swanlog_source_read_errors_total{source="/proc/self/mem"}' 2
assert_metric 'swanlog_source_up{source="/proc/self/mem"}' 0
health "nothing can be read: /proc/self/mem: $WHY" 503
[ "$(grep -c 'source /proc/self/mem' "$T/swanlog.err")" = 1 ] || fail "a lasting read error was logged more than once"
stop_swanlog TERM

# ---- journal files ----
BOOT=0123456789abcdef0123456789abcdef
python3 "$SRC/tests/follow/export.py" "$BOOT" 1 charon:3 sshd:1 | "$JR" -o "$T/j/a.journal" - 2> "$T/jr.err" \
	|| fail "journal-remote: $(cat "$T/jr.err")"
J="$T/j/a.journal"
JSRC="journal"

# the directory is readable, its file (nobody's, mode 0600) is not: the user's own problem
chown nobody:nogroup "$J"; chmod 600 "$J"
as daemon -- --journal-dir "$T/j" --from head
WHY="cannot read 1 of 1 journal files, such as $J: permission denied: it is nobody:nogroup, mode 0600, which lets no group read it: let a group of user daemon read it"
wait_log "level=error msg=\"source $JSRC: $WHY\""
assert_metric "swanlog_source_up{source=\"$JSRC\"}" 0
assert_metric "$EST" absent
health "nothing can be read: $JSRC: $WHY" 503
chmod 644 "$J"                                 # fixed while running
wait_metric "$EST" 3
wait_log "level=info msg=\"source $JSRC: can be read again\""
assert_metric "swanlog_source_up{source=\"$JSRC\"}" 1
health ok 200
stop_swanlog TERM

# a journal file of group systemd-journal, as journald leaves them: the group to add
chown root:systemd-journal "$J"; chmod 640 "$J"
WHY="cannot read 1 of 1 journal files, such as $J: permission denied: add user nobody to group systemd-journal (SupplementaryGroups= in a systemd unit)"
# the journal directory: running, said in the log, the gauge and /healthz
as nobody -- --journal-dir "$T/j" --from head
wait_log "level=error msg=\"source $JSRC: $WHY\""
assert_metric "swanlog_source_up{source=\"$JSRC\"}" 0
health "nothing can be read: $JSRC: $WHY" 503
stop_swanlog TERM
# the file named: it cannot be opened at all, which is said with the fix (exit 1)
setpriv --reuid nobody --regid nogroup --clear-groups "$BIN" follow --journal-file "$J" --rules "$RULES" \
	--state "$T/state/j" --listen 127.0.0.1:0 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "an unreadable --journal-file: exit $rc, expected 1"
echo "level=error msg=\"cannot open the journal: $WHY\"" > "$T/want"
nots "$T/err" | cmp -s "$T/want" - || fail "an unreadable --journal-file says: $(cat "$T/err")"
as nobody systemd-journal -- --journal-file "$J" --from head
wait_metric "$EST" 3
assert_metric "swanlog_source_up{source=\"$JSRC\"}" 1
health ok 200
[ "$(nots "$T/swanlog.err" | grep -vc ' serving http://')" = 0 ] || fail "readable, yet: $(cat "$T/swanlog.err")"
stop_swanlog TERM

echo "follow_source_status: ok"
