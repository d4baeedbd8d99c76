#!/bin/bash
# replay.sh - `swanlog replay` and `swanlog check` against the real binary: plain, gzip and
# stdin input, several files in order, a missing file, --year/--timezone, a Dec->Jan rollover,
# OpenMetrics (with and without --step) backfilled by the real promtool, and exit codes.
# Outputs are compared whole. usage: replay.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
command -v promtool >/dev/null || { echo "promtool is required (apt-get install prometheus)"; exit 1; }
tmp=$(mktemp -d /tmp/swanlog-replay-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export TZ=UTC
pass=0
fail=0

bad() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}

# run CMD...: stdout in $tmp/out, stderr in $tmp/err, status in $rc
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# check NAME WANT_RC WANT_STDOUT_FILE [WANT_STDERR_TEXT]: the last run, whole
check() {
	local name=$1 want_rc=$2 want_out=$3 want_err=${4:-}
	local ok=1
	if [ "$rc" -ne "$want_rc" ]; then
		bad "$name: exit $rc, want $want_rc"
		ok=0
	fi
	if ! diff -u "$want_out" "$tmp/out" >"$tmp/diff"; then
		bad "$name: stdout differs:"
		cat "$tmp/diff"
		ok=0
	fi
	if [ "$(cat "$tmp/err")" != "$want_err" ]; then
		bad "$name: stderr is '$(cat "$tmp/err")', want '$want_err'"
		ok=0
	fi
	[ $ok -eq 1 ] && pass=$((pass + 1))
}

cat >rules.yaml <<'EOF'
metrics:
  t_last_seconds: {type: gauge, help: Log time of the last line per host., labels: [host]}
  t_lines_total: {type: counter, help: Lines per host and first word., labels: [host, word]}
rules:
  - name: seen
    match: '^(?<word>\w+)'
    updates:
      - {set: t_last_seconds, value: time}
      - {inc: t_lines_total}
    examples:
      - line: 'Nov 29 17:51:52 moon charon: hello'
        expect: {t_last_seconds: {host: moon}, t_lines_total: {host: moon, word: hello}}
EOF

# The whole Prometheus output for this rules file.
# prom LINES MATCHES MOON_T SUN_T HELLO BYE (an empty value leaves the series out)
prom() {
	cat <<EOF
# HELP swanlog_lines_oversized_total Lines longer than the maximum line length, cut before matching.
# TYPE swanlog_lines_oversized_total counter
swanlog_lines_oversized_total 0
# HELP swanlog_lines_read_total Log lines and journal entries read.
# TYPE swanlog_lines_read_total counter
swanlog_lines_read_total $1
# HELP swanlog_lines_twin_total Second copies of charon messages that two of its loggers wrote (syslog's daemon and auth facilities, syslog and the journal), counted once.
# TYPE swanlog_lines_twin_total counter
swanlog_lines_twin_total 0
# HELP swanlog_lines_unparsed_total Lines with no recognised syslog header (they still reach rules without a program filter).
# TYPE swanlog_lines_unparsed_total counter
swanlog_lines_unparsed_total 0
# HELP swanlog_rule_errors_total Rule evaluations that failed (regex match or depth limit, a value that is not a number).
# TYPE swanlog_rule_errors_total counter
swanlog_rule_errors_total{rule="seen"} 0
# HELP swanlog_rule_matches_total Lines matched, per rule.
# TYPE swanlog_rule_matches_total counter
swanlog_rule_matches_total{rule="seen"} $2
# HELP swanlog_series_dropped_total Updates that went to the overflow series because a metric reached its series cap.
# TYPE swanlog_series_dropped_total counter
# HELP t_last_seconds Log time of the last line per host.
# TYPE t_last_seconds gauge
EOF
	[ -n "$3" ] && echo "t_last_seconds{host=\"moon\"} $3"
	[ -n "$4" ] && echo "t_last_seconds{host=\"sun\"} $4"
	echo "# HELP t_lines_total Lines per host and first word."
	echo "# TYPE t_lines_total counter"
	[ -n "$5" ] && echo "t_lines_total{host=\"moon\",word=\"hello\"} $5"
	[ -n "$6" ] && echo "t_lines_total{host=\"sun\",word=\"bye\"} $6"
	return 0
}

# 2026-11-29 17:51:52 UTC = 1795974712
printf '%s\n' 'Nov 29 17:51:52 moon charon: hello world' \
	'Nov 29 17:51:53 sun charon[42]: bye' \
	'Nov 29 17:52:30 moon charon: hello again' >a.log
printf '%s\n' 'Nov 29 18:00:00 sun charon: bye now' >b.log
# --self-metrics: the expected outputs below hold swanlog's own families too (and check them)
R=(replay --rules rules.yaml --year 2026 --self-metrics)

# ---- one file, plain, gzip, stdin ----
prom 3 3 1795974750 1795974713 2 1 >want.a
run "$bin" "${R[@]}" a.log
check "plain file" 0 want.a
gzip -c a.log >a.log.gz
run "$bin" "${R[@]}" a.log.gz
check "gzip file" 0 want.a
run "$bin" "${R[@]}" - <a.log
check "stdin" 0 want.a
run "$bin" "${R[@]}" - <a.log.gz
check "gzip on stdin" 0 want.a

# ---- by default only the rules' metrics: swanlog's own families are left out ----
grep -v '^swanlog_\|^# [A-Z]* swanlog_' want.a >want.a.rules
run "$bin" replay --rules rules.yaml --year 2026 a.log
check "without --self-metrics" 0 want.a.rules
grep -q '^# TYPE t_lines_total counter$' want.a.rules && ! grep -q swanlog_ want.a.rules \
	|| bad "without --self-metrics: the expected output is not the rules' families alone"

# ---- a line longer than --max-line: cut, counted, still matched ----
{
	printf 'Nov 29 17:51:52 moon charon: hello '
	head -c 400 /dev/zero | tr '\0' x
	echo
	echo 'Nov 29 17:51:53 moon charon: hello'
} >long.log
prom 2 2 1795974713 "" 2 "" | sed 's/^swanlog_lines_oversized_total 0$/swanlog_lines_oversized_total 1/' >want.long
run "$bin" "${R[@]}" --max-line 256 long.log
check "oversized line" 0 want.long

# ---- several files, in the order given ----
prom 4 4 1795974750 1795975200 2 2 >want.ab
run "$bin" "${R[@]}" a.log b.log
check "a then b" 0 want.ab
prom 4 4 1795974750 1795974713 2 2 >want.ba
run "$bin" "${R[@]}" b.log a.log
check "b then a" 0 want.ba

# ---- a missing file: reported, the others still read, exit 1 ----
run "$bin" "${R[@]}" a.log missing.log b.log
check "missing file" 1 want.ab "swanlog: missing.log: No such file or directory"

# ---- --timezone: the same wall clock in Zurich (CET, UTC+1) is one hour earlier ----
printf '%s\n' 'Nov 29 17:51:52 moon charon: hello' >z.log
prom 1 1 1795974712 "" 1 "" >want.utc
run "$bin" "${R[@]}" --timezone UTC z.log
check "timezone UTC" 0 want.utc
prom 1 1 1795971112 "" 1 "" >want.zurich
run "$bin" "${R[@]}" --timezone Europe/Zurich z.log
check "timezone Europe/Zurich" 0 want.zurich
# --year
prom 1 1 1764438712 "" 1 "" >want.2025
run "$bin" replay --rules rules.yaml --year 2025 --self-metrics z.log
check "year 2025" 0 want.2025

# ---- Dec -> Jan inside one file: the year moves on ----
printf '%s\n' 'Dec 31 23:59:59 moon charon: hello' 'Jan  1 00:00:01 sun charon: bye' >newyear.log
prom 2 2 1798761599 1798761601 1 1 >want.newyear
run "$bin" "${R[@]}" newyear.log
check "Dec to Jan rollover, --year" 0 want.newyear
# logs rotated at New Year, given in order: the pinned year goes on into the second file
printf '%s\n' 'Dec 31 23:59:59 moon charon: hello' >old.log
printf '%s\n' 'Jan  1 00:00:01 sun charon: bye' >new.log
run "$bin" "${R[@]}" old.log new.log
check "Dec to Jan rollover across files, --year" 0 want.newyear
# without --year: from the file's mtime (written on Jan 5th, so December was last year)
touch -d '2027-01-05 12:00:00 UTC' newyear.log
run "$bin" replay --rules rules.yaml --self-metrics newyear.log
check "Dec to Jan rollover, year from mtime" 0 want.newyear

# ---- OpenMetrics: timestamps, # EOF, --step ----
cat >want.om <<'EOF'
# HELP swanlog_lines_oversized Lines longer than the maximum line length, cut before matching.
# TYPE swanlog_lines_oversized counter
# HELP swanlog_lines_read Log lines and journal entries read.
# TYPE swanlog_lines_read counter
swanlog_lines_read_total 3 1795974750.000000
# HELP swanlog_lines_twin Second copies of charon messages that two of its loggers wrote (syslog's daemon and auth facilities, syslog and the journal), counted once.
# TYPE swanlog_lines_twin counter
# HELP swanlog_lines_unparsed Lines with no recognised syslog header (they still reach rules without a program filter).
# TYPE swanlog_lines_unparsed counter
# HELP swanlog_rule_errors Rule evaluations that failed (regex match or depth limit, a value that is not a number).
# TYPE swanlog_rule_errors counter
# HELP swanlog_rule_matches Lines matched, per rule.
# TYPE swanlog_rule_matches counter
swanlog_rule_matches_total{rule="seen"} 3 1795974750.000000
# HELP swanlog_series_dropped Updates that went to the overflow series because a metric reached its series cap.
# TYPE swanlog_series_dropped counter
# HELP t_last_seconds Log time of the last line per host.
# TYPE t_last_seconds gauge
t_last_seconds{host="moon"} 1795974750 1795974750.000000
t_last_seconds{host="sun"} 1795974713 1795974713.000000
# HELP t_lines Lines per host and first word.
# TYPE t_lines counter
t_lines_total{host="moon",word="hello"} 2 1795974750.000000
t_lines_total{host="sun",word="bye"} 1 1795974713.000000
# EOF
EOF
run "$bin" "${R[@]}" --format openmetrics a.log
check "openmetrics" 0 want.om

# a line without a time (a continuation, say) takes the time of the line before it in the same
# input: the series it touches carry that time (backfilling refuses samples without one)
printf '%s\n' 'Nov 29 17:51:52 moon charon: hello' 'continued garbage' >timeless.log
cat >want.timeless <<'EOF'
# HELP swanlog_lines_oversized Lines longer than the maximum line length, cut before matching.
# TYPE swanlog_lines_oversized counter
# HELP swanlog_lines_read Log lines and journal entries read.
# TYPE swanlog_lines_read counter
swanlog_lines_read_total 2 1795974712.000000
# HELP swanlog_lines_twin Second copies of charon messages that two of its loggers wrote (syslog's daemon and auth facilities, syslog and the journal), counted once.
# TYPE swanlog_lines_twin counter
# HELP swanlog_lines_unparsed Lines with no recognised syslog header (they still reach rules without a program filter).
# TYPE swanlog_lines_unparsed counter
swanlog_lines_unparsed_total 1 1795974712.000000
# HELP swanlog_rule_errors Rule evaluations that failed (regex match or depth limit, a value that is not a number).
# TYPE swanlog_rule_errors counter
# HELP swanlog_rule_matches Lines matched, per rule.
# TYPE swanlog_rule_matches counter
swanlog_rule_matches_total{rule="seen"} 2 1795974712.000000
# HELP swanlog_series_dropped Updates that went to the overflow series because a metric reached its series cap.
# TYPE swanlog_series_dropped counter
# HELP t_last_seconds Log time of the last line per host.
# TYPE t_last_seconds gauge
t_last_seconds{host=""} 1795974712 1795974712.000000
t_last_seconds{host="moon"} 1795974712 1795974712.000000
# HELP t_lines Lines per host and first word.
# TYPE t_lines counter
t_lines_total{host="",word="continued"} 1 1795974712.000000
t_lines_total{host="moon",word="hello"} 1 1795974712.000000
# EOF
EOF
run "$bin" "${R[@]}" --format openmetrics timeless.log
check "openmetrics, last line without a time" 0 want.timeless

# --step 30: a sample per series at every 30 s boundary of log time (the state up to and
# including it), from its first event on, the last at the first boundary at or after the last
# line, where every series ends (as they do in one scrape)
printf '%s\n' 'Nov 29 17:51:52 moon charon: hello world' \
	'Nov 29 17:52:30 moon charon: hello again' \
	'Nov 29 17:53:40 sun charon: bye' >s.log
# boundaries: 17:52:00 = 1795974720, :30 = ..750, 17:53:00 = ..780, :30 = ..810; last line ..820,
# so the last boundary is 17:54:00 = ..840
series5() { # NAME V1 V2 V3 V4 V5
	local n=$1
	printf '%s %s %s.000000\n' "$n" "$2" 1795974720 "$n" "$3" 1795974750 "$n" "$4" 1795974780 \
		"$n" "$5" 1795974810 "$n" "$6" 1795974840
}
{
	echo "# HELP swanlog_lines_oversized Lines longer than the maximum line length, cut before matching."
	echo "# TYPE swanlog_lines_oversized counter"
	series5 swanlog_lines_oversized_total 0 0 0 0 0
	echo "# HELP swanlog_lines_read Log lines and journal entries read."
	echo "# TYPE swanlog_lines_read counter"
	series5 swanlog_lines_read_total 1 2 2 2 3
	echo "# HELP swanlog_lines_twin Second copies of charon messages that two of its loggers wrote (syslog's daemon and auth facilities, syslog and the journal), counted once."
	echo "# TYPE swanlog_lines_twin counter"
	series5 swanlog_lines_twin_total 0 0 0 0 0
	echo "# HELP swanlog_lines_unparsed Lines with no recognised syslog header (they still reach rules without a program filter)."
	echo "# TYPE swanlog_lines_unparsed counter"
	series5 swanlog_lines_unparsed_total 0 0 0 0 0
	echo "# HELP swanlog_rule_errors Rule evaluations that failed (regex match or depth limit, a value that is not a number)."
	echo "# TYPE swanlog_rule_errors counter"
	series5 'swanlog_rule_errors_total{rule="seen"}' 0 0 0 0 0
	echo "# HELP swanlog_rule_matches Lines matched, per rule."
	echo "# TYPE swanlog_rule_matches counter"
	series5 'swanlog_rule_matches_total{rule="seen"}' 1 2 2 2 3
	echo "# HELP swanlog_series_dropped Updates that went to the overflow series because a metric reached its series cap."
	echo "# TYPE swanlog_series_dropped counter"
	echo "# HELP t_last_seconds Log time of the last line per host."
	echo "# TYPE t_last_seconds gauge"
	series5 't_last_seconds{host="moon"}' 1795974712 1795974750 1795974750 1795974750 1795974750
	echo 't_last_seconds{host="sun"} 1795974820 1795974840.000000'
	echo "# HELP t_lines Lines per host and first word."
	echo "# TYPE t_lines counter"
	series5 't_lines_total{host="moon",word="hello"}' 1 2 2 2 2
	echo 't_lines_total{host="sun",word="bye"} 1 1795974840.000000'
	echo "# EOF"
} >want.step
run "$bin" "${R[@]}" --format openmetrics --step 30 s.log
check "openmetrics --step 30" 0 want.step

# ---- promtool backfills it: log lines from the last hours, so inside any retention ----
now=$(date +%s)
t1=$((now - 3 * 3600)) t2=$((now - 2 * 3600)) t3=$((now - 3600))
year=$(date -u -d "@$t1" +%Y)
for t in $t1 $t2 $t3; do
	echo "$(date -u -d "@$t" '+%b %e %H:%M:%S') moon charon: hello"
done >recent.log
# without --step the output is known whole
cat >want.recent <<EOF
# HELP swanlog_lines_oversized Lines longer than the maximum line length, cut before matching.
# TYPE swanlog_lines_oversized counter
# HELP swanlog_lines_read Log lines and journal entries read.
# TYPE swanlog_lines_read counter
swanlog_lines_read_total 3 $t3.000000
# HELP swanlog_lines_twin Second copies of charon messages that two of its loggers wrote (syslog's daemon and auth facilities, syslog and the journal), counted once.
# TYPE swanlog_lines_twin counter
# HELP swanlog_lines_unparsed Lines with no recognised syslog header (they still reach rules without a program filter).
# TYPE swanlog_lines_unparsed counter
# HELP swanlog_rule_errors Rule evaluations that failed (regex match or depth limit, a value that is not a number).
# TYPE swanlog_rule_errors counter
# HELP swanlog_rule_matches Lines matched, per rule.
# TYPE swanlog_rule_matches counter
swanlog_rule_matches_total{rule="seen"} 3 $t3.000000
# HELP swanlog_series_dropped Updates that went to the overflow series because a metric reached its series cap.
# TYPE swanlog_series_dropped counter
# HELP t_last_seconds Log time of the last line per host.
# TYPE t_last_seconds gauge
t_last_seconds{host="moon"} $t3 $t3.000000
# HELP t_lines Lines per host and first word.
# TYPE t_lines counter
t_lines_total{host="moon",word="hello"} 3 $t3.000000
# EOF
EOF
run "$bin" replay --rules rules.yaml --year "$year" --timezone UTC --format openmetrics --self-metrics recent.log
check "openmetrics of recent lines" 0 want.recent
for step in "" "--step 600"; do
	# shellcheck disable=SC2086
	run "$bin" replay --rules rules.yaml --year "$year" --timezone UTC --format openmetrics $step recent.log
	if [ "$rc" -ne 0 ] || [ -s err ]; then
		bad "openmetrics $step of recent lines: exit $rc: $(cat err)"
		continue
	fi
	if [ "$(tail -n 1 out)" != "# EOF" ]; then
		bad "openmetrics $step: does not end with # EOF"
		continue
	fi
	# the last sample: at the line's time, or with --step at the first boundary after it
	last=$t3
	[ -n "$step" ] && last=$(((t3 + 599) / 600 * 600))
	if ! grep -qx "t_last_seconds{host=\"moon\"} $t3 $last.000000" out; then
		bad "openmetrics $step: no t_last_seconds sample of $t3 at $last:"
		cat out
		continue
	fi
	cp out recent.om
	rm -rf tsdb
	if promtool tsdb create-blocks-from openmetrics recent.om tsdb >promtool.log 2>&1 && ls tsdb/*/meta.json >/dev/null 2>&1; then
		pass=$((pass + 1))
	else
		bad "promtool tsdb create-blocks-from openmetrics $step refused the output:"
		cat promtool.log
		cat recent.om
	fi
done

# ---- exit codes and usage ----
run "$bin" replay --help
if [ "$rc" -eq 0 ] && head -n 1 out | grep -q '^usage: swanlog replay' && [ ! -s err ]; then
	pass=$((pass + 1))
else
	bad "replay --help: exit $rc"
fi
for args in "--bogus a.log" "" "--format xml a.log" "--step 30 a.log" "--year 99 a.log" "--step 0 --format openmetrics a.log" \
	"--timezone Mars/Olympus a.log" "--timezone ../../etc/passwd a.log"; do
	# shellcheck disable=SC2086
	run "$bin" replay --rules rules.yaml $args
	# the error and a pointer to --help: two lines, not the whole help
	if [ "$rc" -eq 2 ] && [ ! -s out ] && [ "$(wc -l < err)" = 2 ] && grep -q '^swanlog: ' err \
		&& [ "$(tail -1 err)" = "Try 'swanlog replay --help' for more information." ]; then
		pass=$((pass + 1))
	else
		bad "replay $args: exit $rc (want 2, the error and a pointer to --help on stderr, nothing on stdout): $(cat err)"
	fi
done
printf 'metrics:\n  m: {type: counter}\nrules:\n  - name: r\n    match: x(\n    inc: m\n' >broken.yaml
: >want.empty
run "$bin" replay --rules broken.yaml a.log
check "replay with broken rules" 2 want.empty \
	"swanlog: broken.yaml:5:14: bad pattern: missing closing parenthesis"

# ---- --label: first on every series printed, escaped; checked ----
# (every sample line: NAME{L,...} V or NAME V -> NAME{L} V)
L='instance="gw1",job="a\"b\\c"'
prom 3 3 1795974750 1795974713 2 1 | L=$L awk '/^#/ { print; next } { l = ENVIRON["L"]; i = index($0, "{") }
	i { print substr($0, 1, i) l "," substr($0, i + 1); next }
	{ j = index($0, " "); print substr($0, 1, j - 1) "{" l "}" substr($0, j) }' >want.label
run "$bin" "${R[@]}" --label instance=gw1 --label 'job=a"b\c' a.log
check "--label" 0 want.label
grep -q '^t_lines_total{instance="gw1",job="a\\"b\\\\c",host="moon",word="hello"} 2$' out \
	|| bad "--label: not first and escaped: $(grep '^t_lines_total' out)"
grep -v '^swanlog_\|^# [A-Z]* swanlog_' want.label >want.label.rules
run "$bin" replay --rules rules.yaml --year 2026 --label instance=gw1 --label 'job=a"b\c' a.log
check "--label without --self-metrics" 0 want.label.rules
run "$bin" "${R[@]}" --label rule=x a.log
check "--label a label of swanlog's own metrics" 2 want.empty \
	"swanlog: --label rule: the metric swanlog_rule_matches_total has a label rule already"
grep -v '^swanlog_\|^# [A-Z]* swanlog_' want.a >want.a.rules.x
sed -E 's/^(t_[a-z_]+)\{/\1{rule="x",/' want.a.rules.x >want.rule.x
run "$bin" replay --rules rules.yaml --year 2026 --label rule=x a.log
check "--label rule= when swanlog's own metrics are not printed" 0 want.rule.x
grep -q '^swanlog_lines_read_total{instance="gw1",job="a\\"b\\\\c"} 3$' want.label || bad "--label: want.label is wrong"
run "$bin" "${R[@]}" --label host=gw1 a.log
check "--label a rule's label" 2 want.empty \
	"swanlog: --label host: the metric t_last_seconds has a label host already"
for l in 1x=a __name__=a le=1 x= x x-y=1 x=a --label=x=b; do
	run "$bin" "${R[@]}" --label "$l" --label x=a a.log
	if [ "$rc" -eq 2 ] && [ ! -s out ] && head -n 1 err | grep -q '^swanlog: --label'; then
		pass=$((pass + 1))
	else
		bad "--label '$l': exit $rc (want 2, a --label message first on stderr, nothing on stdout): $(head -n 1 err)"
	fi
done
run "$bin" "${R[@]}" --label $'x=\xff' a.log
[ "$rc" -eq 2 ] && head -n 1 err | grep -q 'UTF-8' && pass=$((pass + 1)) || bad "--label with invalid UTF-8: exit $rc: $(head -n 1 err)"

# ---- nothing in a form swanlog reads: said, exit 3, the rest counted; empty: a note ----
printf '%s\n' '"time","host","message"' '"2026-11-29 17:51:52","moon","hello"' >csv.log
prom 2 0 "" "" "" "" | sed 's/^swanlog_lines_unparsed_total 0$/swanlog_lines_unparsed_total 2/' >want.csv
run "$bin" "${R[@]}" csv.log
check "a CSV export" 3 want.csv \
	"swanlog: csv.log: none of its 2 lines is in a log form swanlog reads"
prom 5 3 1795974750 1795974713 2 1 | sed 's/^swanlog_lines_unparsed_total 0$/swanlog_lines_unparsed_total 2/' >want.acsv
run "$bin" "${R[@]}" a.log csv.log
check "a good file and a wrong one" 3 want.acsv \
	"swanlog: csv.log: none of its 2 lines is in a log form swanlog reads"
: >empty.log
prom 0 0 "" "" "" "" >want.none
run "$bin" "${R[@]}" empty.log
check "an empty file" 0 want.none "swanlog: replay: the input held no log line or journal entry"

# ---- progress: on stderr when it is a terminal (a pseudo-terminal here), never otherwise ----
# big.log: more than one batch of lines (a progress line after the first batch of each input).
awk '{ for (i = 0; i < 100000; i++) print }' a.log >big.log
tty_run() { # tty_run ARGS...: stdout in out, the terminal's bytes in tty, status in rc
	python3 - "$@" <<'PY'
import os, pty, subprocess, sys
m, s = pty.openpty()
with open("out", "wb") as out:
    p = subprocess.Popen(sys.argv[1:], stdout=out, stderr=s, stdin=subprocess.DEVNULL)
os.close(s)
data = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:  # EIO: the other side closed
        break
    if not d:
        break
    data += d
open("tty", "wb").write(data)
sys.exit(p.wait())
PY
	rc=$?
}
run "$bin" "${R[@]}" big.log b.log
cp out want.big
[ "$rc" -eq 0 ] && [ ! -s err ] && pass=$((pass + 1)) || bad "progress: stderr not a terminal: exit $rc, stderr '$(head -c 300 err)'"
tty_run "$bin" "${R[@]}" big.log b.log
diff -q want.big out >/dev/null && [ "$rc" -eq 0 ] && pass=$((pass + 1)) || bad "progress: on a terminal, exit $rc or stdout differs"
tr '\r' '\n' <tty | sed 's/\x1b\[K//' | grep -v '^$' >tty.lines
size=$(($(stat -c %s big.log) + $(stat -c %s b.log)))
human() { awk -v b="$1" 'BEGIN { split("B KiB MiB GiB", u); i = 1; while (b >= 1024 && i < 4) { b /= 1024; i++ }
	printf(i == 1 ? "%.0f %s" : "%.1f %s", b, u[i]) }'; }
total=$(human $size)
# each file's first line; in big.log, at least one line with part of it done; the summary
grep -qxF "swanlog: replay: file 1 of 2, 0 B of $total, 0 lines/s, ETA ?" tty.lines || bad "progress: no first line: $(head -n 3 tty.lines)"
grep -qE "^swanlog: replay: file 1 of 2, [0-9.]+ [KM]iB of $total, [0-9]+ lines/s, ETA [0-9]+:[0-5][0-9]:[0-5][0-9]\$" tty.lines \
	|| bad "progress: no line with bytes done, lines/s and ETA inside big.log: $(cat tty.lines)"
grep -qE "^swanlog: replay: file 2 of 2, $(human "$(stat -c %s big.log)") of $total, [0-9]+ lines/s, ETA [0-9]+:[0-5][0-9]:[0-5][0-9]\$" tty.lines \
	|| bad "progress: no line at the start of the second file: $(cat tty.lines)"
tail -n 1 tty.lines | grep -qE "^swanlog: replay: 2 files, $total, 300001 lines in [0-9.]+ s, [0-9]+ lines/s\$" \
	|| bad "progress: summary: $(tail -n 1 tty.lines)"
[ "$(grep -cv '^swanlog: replay: ' tty.lines)" -eq 0 ] || bad "progress: other text on the terminal: $(grep -v '^swanlog: replay: ' tty.lines)"
[ $fail -eq 0 ] && pass=$((pass + 1))

# ---- check ----
echo "rules.yaml: 1 rules, 1 examples, 0 failed" >want.check
run "$bin" check rules.yaml
check "check ok" 0 want.check
run "$bin" check -q --rules rules.yaml
check "check -q ok" 0 want.empty
sed 's/word: hello}/word: bonjour}/' rules.yaml >failing.yaml
cat >want.failing <<'EOF'
failing.yaml:11:9: rule 'seen' example 1: unexpected update t_lines_total{host="moon",word="hello"}
failing.yaml:12:63: rule 'seen' example 1: expected update t_lines_total{host="moon",word="bonjour"} did not happen
failing.yaml: 1 rules, 1 examples, 1 failed
EOF
run "$bin" check failing.yaml
check "check with a failing example" 1 want.failing
echo "broken.yaml:5:14: bad pattern: missing closing parenthesis" >want.broken
run "$bin" check -q rules.yaml broken.yaml
check "check with broken rules" 1 want.broken
run "$bin" check --bogus
if [ "$rc" -eq 2 ] && [ ! -s out ]; then pass=$((pass + 1)); else bad "check --bogus: exit $rc, want 2"; fi

echo "replay: $pass passed, $fail failed"
[ $fail -eq 0 ]
