#!/bin/bash
# What an operator of a Prometheus exporter expects, against the real binary: the
# exporter-toolkit flag names (--web.listen-address, --web.config.file) beside the old ones;
# --version with revision and build date (the build stamp honours SOURCE_DATE_EPOCH and says
# "unknown" outside git); swanlog_build_info and the process_* metrics as client libraries
# write them, read when rendered, accepted by promtool; the start-up line with the port the
# kernel chose for :0 and nothing else on stderr (no libmicrohttpd chatter); journald level
# prefixes when stderr is the journal; the landing page (escaped, no external resources); a
# second instance on a busy address exits 1 while the first keeps serving; ports out of
# range, usage errors in two lines; exit statuses: a corrupt journal file 1, a missing rules
# file 2 with "path: message"; check refuses a rules file without a rule.
# usage: serve_operator.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
echo "Nov 29 17:51:52 moon charon: 09[IKE] <site-a|1> IKE_SA site-a[1] established between 192.0.2.1[moon]...198.51.100.7[sun]" > "$L"
RULES="$SRC/tests/follow/rules.yaml"
NRULES=$("$BIN" check "$RULES" | sed -n 's/.*: \([0-9]*\) rules,.*/\1/p')
[ -n "$NRULES" ] && [ "$NRULES" -gt 0 ] || fail "check does not count the test rules"
nots() { sed 's/^ts=[0-9T:.-]*Z //' "$@"; }     # logfmt lines without their time stamp

# ---- --version ----
"$BIN" --version > "$T/version" || fail "--version exit status"
VER=$(sed -n '1s/^swanlog \([0-9][0-9.]*\)$/\1/p' "$T/version")
REV=$(sed -n 's/^  revision: *//p' "$T/version")
[ -n "$VER" ] || fail "--version first line: $(head -1 "$T/version")"
[[ "$REV" =~ ^([0-9a-f]{40}|unknown)$ ]] || fail "--version revision: '$REV'"
if git -C "$SRC" rev-parse HEAD > /dev/null 2>&1; then
	# built from this checkout: the commit at build time is one of this checkout's
	git -C "$SRC" cat-file -e "$REV^{commit}" 2>/dev/null || fail "revision $REV is not a commit of $SRC"
fi
grep -qE '^  build date: [0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}$' "$T/version" || fail "--version build date: $(cat "$T/version")"
grep -qE '^  libraries:  libpcre2 [0-9.]+, libyaml [0-9.]+, zlib [0-9.]+$' "$T/version" || fail "--version libraries: $(cat "$T/version")"
# the build stamp: SOURCE_DATE_EPOCH is the date; outside a git checkout the revision is unknown
mkdir -p "$T/notgit"
SOURCE_DATE_EPOCH=1700000000 cmake -DSRC="$T/notgit" -DOUT="$T/stamp.h" -P "$SRC/cmake/build_stamp.cmake" || fail "build_stamp.cmake"
grep -qx '#define SWL_REVISION "unknown"' "$T/stamp.h" || fail "stamp outside git: $(cat "$T/stamp.h")"
grep -qx '#define SWL_BUILD_DATE "20231114-22:13:20"' "$T/stamp.h" || fail "stamp with SOURCE_DATE_EPOCH: $(cat "$T/stamp.h")"

# ---- usage errors: the error and a pointer to --help, exit 2 ----
usage() { # WANT_MESSAGE HELP_COMMAND ARGS...
	local want=$1 cmd=$2; shift 2
	"$BIN" "$@" > "$T/out" 2> "$T/err" < /dev/null
	local rc=$?
	[ $rc = 2 ] || fail "'$*': exit $rc, expected 2"
	printf 'swanlog: %s\nTry '\''%s --help'\'' for more information.\n' "$want" "$cmd" > "$T/want"
	cmp -s "$T/want" "$T/err" || fail "'$*' says:
$(cat "$T/err")
expected:
$(cat "$T/want")"
	[ ! -s "$T/out" ] || fail "'$*' wrote to stdout: $(head -3 "$T/out")"
}
usage "unknown option '--bogus'" "swanlog follow" follow --bogus
usage "unknown option '-z'" "swanlog omprog" omprog -z
usage "option '--web.listen-address' needs an argument" "swanlog follow" follow --file "$L" --web.listen-address
usage "--web.listen-address: the port in '127.0.0.1:99999' is not a number from 0 to 65535" "swanlog follow" \
	follow --file "$L" --listen 127.0.0.1:99999
usage "--web.listen-address: the port in '[::1]:65536' is not a number from 0 to 65535" "swanlog omprog" \
	omprog --web.listen-address '[::1]:65536'
usage "--web.listen-address: '127.0.0.1' is not ADDR:PORT" "swanlog follow" follow --web.listen-address 127.0.0.1
usage "unknown command 'folow'" "swanlog" folow
"$BIN" check --bogus > /dev/null 2> "$T/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 2 ] || fail "check --bogus: exit $rc, $(cat "$T/err")"

# ---- rules errors: "path: message"; check refuses a file without a rule ----
"$BIN" check "$T/nope.yaml" > "$T/out" 2>&1; rc=$?
[ $rc = 1 ] || fail "check of a missing file: exit $rc"
echo "$T/nope.yaml: cannot open rules: No such file or directory" > "$T/want"
cmp -s "$T/want" "$T/out" || fail "check of a missing file says: $(cat "$T/out")"
"$BIN" follow --file "$L" --rules "$T/nope.yaml" --state "$T/state/r" --listen 127.0.0.1:0 2> "$T/err"; rc=$?
[ $rc = 2 ] || fail "follow with a missing rules file: exit $rc"
echo "level=error msg=\"$T/nope.yaml: cannot open rules: No such file or directory\"" > "$T/want"
nots "$T/err" | cmp -s "$T/want" - || fail "follow with a missing rules file says: $(cat "$T/err")"
: > "$T/empty.yaml"
"$BIN" check "$T/empty.yaml" > "$T/out" 2>&1; rc=$?
[ $rc = 1 ] || fail "check of an empty rules file: exit $rc ($(cat "$T/out"))"
printf '%s\n' "$T/empty.yaml: no rules: a rules file needs at least one rule under 'rules:'" \
	"$T/empty.yaml: 0 rules, 0 examples, 1 failed" > "$T/want"
cmp -s "$T/want" "$T/out" || fail "check of an empty rules file says: $(cat "$T/out")"

# ---- a corrupt journal file is a source that fails (1), not a usage error (2) ----
printf 'LPKSHHRH' > "$T/log/bad.journal"; head -c 4096 /dev/zero >> "$T/log/bad.journal"
"$BIN" follow --journal-file "$T/log/bad.journal" --rules "$RULES" --state "$T/state/j" --listen 127.0.0.1:0 2> "$T/err"; rc=$?
[ $rc = 1 ] || fail "a corrupt journal file: exit $rc, expected 1 ($(cat "$T/err"))"
grep -q "cannot open the journal at $T/log/bad.journal: " "$T/err" || fail "a corrupt journal file says: $(cat "$T/err")"

# ---- start on :0 under the new flag names, the real port in the start-up line ----
# a source path with HTML's special characters, for the landing page
W="$T/log/<b>&\"it's\".log"
cp "$L" "$W"
"$BIN" follow --file "$W" --from head --rules "$RULES" --state "$T/state/s" --web.listen-address 127.0.0.1:0 \
	> "$T/swanlog.out" 2> "$T/swanlog.err" &
SWL_PID=$!
deadline=$((SECONDS + 15))
until PORT=$(sed -n 's|.* serving http://127\.0\.0\.1:\([0-9]*\)/metrics;.*|\1|p' "$T/swanlog.err") && [ -n "$PORT" ]; do
	kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog exited at start"
	[ $SECONDS -lt $deadline ] || fail "no start-up line within 15 s"
	sleep 0.05
done
[ "$PORT" != 0 ] || fail "the start-up line says port 0"
URL="http://127.0.0.1:$PORT"
wait_metric 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 1
# the whole of stderr: the start-up line only (libmicrohttpd says nothing)
echo "level=info msg=\"swanlog $VER (revision $REV) serving $URL/metrics; source: file ${W//\"/\\\"}; rules: $RULES ($NRULES rules); state: $T/state/s\"" > "$T/want"
nots "$T/swanlog.err" | cmp -s "$T/want" - || fail "stderr at start:
$(cat "$T/swanlog.err")
expected:
$(cat "$T/want")"

# ---- /metrics: build info and process metrics, promtool ----
scrape > "$T/m" || fail "GET /metrics"
printf '%s\n' "# HELP swanlog_build_info A metric with a constant '1' value labeled by version, revision and compiler from which swanlog was built, and the versions of the libraries it runs with." \
	'# TYPE swanlog_build_info gauge' > "$T/want"
grep -A1 '^# HELP swanlog_build_info ' "$T/m" | cmp -s "$T/want" - || fail "build_info HELP/TYPE: $(grep -A1 '^# HELP swanlog_build_info' "$T/m")"
grep -qE "^swanlog_build_info\{version=\"$VER\",revision=\"$REV\",compiler=\"(gcc|clang) [^\"]+\",libpcre2=\"[0-9.]+\",libyaml=\"[0-9.]+\",zlib=\"[0-9.]+\"\} 1$" "$T/m" \
	|| fail "build_info: $(grep '^swanlog_build_info' "$T/m")"
# HELP and TYPE as client_golang's process collector writes them
cat > "$T/want" <<'EOF'
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
# HELP process_max_fds Maximum number of open file descriptors.
# TYPE process_max_fds gauge
# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
EOF
grep '^# [A-Z]* process_' "$T/m" | cmp -s "$T/want" - || fail "process metrics' HELP/TYPE: $(grep '^# [A-Z]* process_' "$T/m")"
# the values are this process's, as /proc tells them
python3 - "$T/m" "$SWL_PID" <<'PY' || fail "process metrics"
import os, re, sys, time
text, pid = open(sys.argv[1]).read(), sys.argv[2]
v = {m[0]: float(m[1]) for m in re.findall(r"^(process_\w+) (\S+)$", text, re.M)}
want = {"process_cpu_seconds_total", "process_max_fds", "process_open_fds", "process_resident_memory_bytes",
        "process_start_time_seconds", "process_virtual_memory_bytes"}
if set(v) != want:
    sys.exit("process metrics: %s" % sorted(v))
start = os.stat("/proc/" + pid).st_mtime  # about when the process began
if abs(v["process_start_time_seconds"] - start) > 5:
    sys.exit("start time %f, the process began about %f" % (v["process_start_time_seconds"], start))
soft = int(open("/proc/%s/limits" % pid).read().split("Max open files")[1].split()[0])
if v["process_max_fds"] != soft:
    sys.exit("max fds %f, limit %d" % (v["process_max_fds"], soft))
rss = int(open("/proc/%s/statm" % pid).read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
if not 0.5 * rss < v["process_resident_memory_bytes"] < 2 * rss or v["process_virtual_memory_bytes"] < rss:
    sys.exit("memory: %s, statm rss %d" % (v, rss))
if not 0 < v["process_cpu_seconds_total"] < 60 or not 3 <= v["process_open_fds"] < 100:
    sys.exit("cpu or fds: %s" % v)
PY
if command -v promtool > /dev/null; then
	promtool check metrics < "$T/m" > "$T/lint" 2>&1 || fail "promtool: $(cat "$T/lint")"
	[ ! -s "$T/lint" ] || fail "promtool complains: $(cat "$T/lint")"
else
	echo "skip: promtool is not installed (scripts/deps.sh --test)"; exit 77
fi
# read when rendered, not when a line comes: 20 idle connections show in process_open_fds
# with no new log line
base=$(metric process_open_fds)
python3 - "$PORT" "$base" <<'PY' || fail "process_open_fds does not follow open connections"
import socket, sys, time, urllib.request
port, base = int(sys.argv[1]), float(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    now = float(next(l.split()[1] for l in text.splitlines() if l.startswith("process_open_fds ")))
    if now >= base + 20:
        sys.exit(0)
    time.sleep(0.2)
sys.exit("process_open_fds stayed at %s with 20 more connections (was %s)" % (now, base))
PY

# ---- the landing page, whole ----
curl -fsS -D "$T/h" -o "$T/page" "$URL/" || fail "GET /"
grep -qi '^content-type: text/html; charset=utf-8' "$T/h" || fail "landing page type: $(cat "$T/h")"
esc=$(printf '%s' "$W" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g; s/'\''/\&#39;/g')
cat > "$T/want" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>swanlog</title></head><body>
<h1>swanlog</h1>
<p>strongSwan and kernel IPsec log metrics.</p>
<p>Version: $VER (revision $REV)<br>
Source: file $esc</p>
<ul>
<li><a href="/metrics">Metrics</a></li>
<li><a href="/healthz">Health</a></li>
</ul>
</body></html>
EOF
cmp -s "$T/want" "$T/page" || fail "landing page:
$(diff "$T/want" "$T/page")"
[ "$(curl -fsS "$URL/healthz")" = ok ] || fail "/healthz"

# ---- a second instance on the same address: exit 1, the first keeps every scrape ----
"$BIN" follow --file "$L" --rules "$RULES" --state "$T/state/s2" --listen "127.0.0.1:$PORT" > /dev/null 2> "$T/err2"; rc=$?
[ $rc = 1 ] || fail "a second instance on 127.0.0.1:$PORT: exit $rc, expected 1"
echo "level=error msg=\"--web.listen-address: cannot listen on 127.0.0.1:$PORT: Address already in use\"" > "$T/want"
nots "$T/err2" | cmp -s "$T/want" - || fail "the second instance says: $(cat "$T/err2")"
for _ in $(seq 20); do
	curl -fsS "$URL/metrics" | grep -q "^process_start_time_seconds $(metric process_start_time_seconds)$" \
		|| fail "a scrape was not answered by the first instance"
done
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "SIGTERM: exit status $STOP_RC"

# ---- --web.config.file is --web-config; journald level prefixes when stderr is the journal ----
HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", "$2b$05$" + "abcdefghijklmnopqrstuv"))' 2>/dev/null)
[[ "$HASH" == '$2b$05$'* ]] || { echo "skip: python3's crypt module cannot make bcrypt hashes"; exit 77; }
printf 'basic_auth_users:\n  prom: %s\n' "$HASH" > "$T/web.yml"
PORT=$(free_port)
mkfifo "$T/in"
exec 3<> "$T/in"                               # omprog's stdin, open until the end
(
	exec 2> "$T/journal.err"
	# what systemd sets for a service whose stderr is the journal: that stream's device and inode
	JOURNAL_STREAM=$(stat -c '%d:%i' "$T/journal.err") exec "$BIN" omprog --web.config.file "$T/web.yml" \
		--web.listen-address "127.0.0.1:$PORT" --rules "$RULES" --state "$T/state/o" < "$T/in"
) &
SWL_PID=$!
deadline=$((SECONDS + 15))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ]; do
	kill -0 "$SWL_PID" 2>/dev/null || fail "omprog exited at start: $(cat "$T/journal.err")"
	[ $SECONDS -lt $deadline ] || fail "omprog did not answer within 15 s"
	sleep 0.05
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
[ "$code" = 401 ] || fail "--web.config.file with basic auth: /metrics without a password gets $code"
curl -fsS -u prom:s3cret -o /dev/null "http://127.0.0.1:$PORT/metrics" || fail "--web.config.file: the password is refused"
echo "<6>swanlog $VER (revision $REV) serving http://127.0.0.1:$PORT/metrics; source: rsyslog omprog on stdin; rules: $RULES ($NRULES rules); state: $T/state/o" > "$T/want"
cmp -s "$T/want" "$T/journal.err" || fail "stderr into the journal:
$(cat "$T/journal.err")
expected:
$(cat "$T/want")"
stop_swanlog TERM
exec 3>&-
# JOURNAL_STREAM that names another file is not the journal (stderr was redirected since)
JOURNAL_STREAM=1:1 "$BIN" follow --file "$L" --rules "$T/nope.yaml" --state "$T/state/r" 2> "$T/err"
grep -q '^ts=.* level=error msg=' "$T/err" || fail "a JOURNAL_STREAM of another file taken for the journal: $(cat "$T/err")"

echo "serve_operator: ok"
