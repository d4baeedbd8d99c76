#!/bin/bash
# Hostile input: log lines carry attacker-chosen text (an IKE identity comes from the
# network), rules files may be broken. Whatever comes in, swanlog must not crash, must exit
# as documented, and must print an exposition that `promtool check metrics` accepts and to
# which captured text adds no line, label or series (counted exactly); memory and time stay
# bounded. Generators and the strict exposition reader live in tests/hostile/.
# usage: hostile.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
for tool in promtool python3 /usr/bin/time timeout gzip; do
	command -v "$tool" >/dev/null || { echo "hostile: $tool is required (scripts/deps.sh installs it)"; exit 1; }
done
export LC_ALL=C TZ=UTC
# A sanitizer report must never pass for swanlog's own exit status 1.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86"
# Under ASan memory and speed mean nothing: the bounds on them are checked in normal builds only.
sanitized=0
case "$(ldd "$bin" 2>/dev/null)" in *libasan* | *libubsan*) sanitized=1 ;; esac

gen="python3 $src/tests/hostile/gen.py"
rules=$src/rules
capture=$src/tests/hostile/capture.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# expect NAME GOT WANT
expect() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }
# st FILE KEY: a value from expo_check.py's report ("0" when the key is absent)
st() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? "0" : v) }' "$1.stats"; }

# replay NAME RULES [OPTIONS...] FILE: run, require exit 0 (or $want_rc: 3 for input with no
# line in a log form swanlog reads), promtool and the strict reader.
# Leaves $tmp/NAME.prom, $tmp/NAME.stats and the max RSS in KiB in $tmp/NAME.rss.
replay() {
	local name=$1 r=$2; shift 2
	local out=$tmp/$name.prom rc=0
	/usr/bin/time -f %M -o "$tmp/$name.rss" "$bin" replay --rules "$r" --year 2026 --self-metrics "$@" > "$out" 2> "$tmp/$name.err" || rc=$?
	if [ $rc -ne "${want_rc:-0}" ]; then
		bad "$name: exit $rc (want ${want_rc:-0}): $(head -c 2000 "$tmp/$name.err")"
		: > "$out.stats"
		return 1
	fi
	if promtool check metrics < "$out" > "$tmp/$name.lint" 2>&1; then ok; else
		bad "$name: promtool check metrics: $(head -c 2000 "$tmp/$name.lint")"
	fi
	if python3 "$src/tests/hostile/expo_check.py" "$out" > "$out.stats" 2> "$tmp/$name.chk"; then ok; else
		bad "$name: $(cat "$tmp/$name.chk")"
	fi
	tail -1 "$tmp/$name.rss" > "$tmp/$name.rss.kb"
}
rss() { cat "$tmp/$1.rss.kb"; }
# rss_below NAME MIB
rss_below() {
	[ $sanitized -eq 1 ] && return 0
	local kb; kb=$(rss "$1")
	if [ "$kb" -lt $(($2 * 1024)) ]; then ok; else bad "$1: max RSS ${kb} KiB, want < $2 MiB"; fi
}

# ---- baselines: what the rules print with no input at all ----
: > "$tmp/empty.log"
replay base-shipped "$rules" "$tmp/empty.log"
replay base-capture "$capture" "$tmp/empty.log"
base_shipped_lines=$(st "$tmp/base-shipped.prom" lines)
base_shipped_samples=$(st "$tmp/base-shipped.prom" samples)
base_capture_lines=$(st "$tmp/base-capture.prom" lines)

# ---- 1a. shipped rules: hostile IKE_SA names and peer identities ----
# N established lines, N retransmits whose <name|uid> prefix is hostile, 2000 lines of noise.
N=300
$gen ids $N > "$tmp/ids.log"
replay ids "$rules" "$tmp/ids.log"
s=$tmp/ids.prom
expect "ids: lines read" "$(st "$s" sum:swanlog_lines_read_total)" $((2 * N + 2000))
expect "ids: established series" "$(st "$s" series:ipsec_ike_sa_established_total)" $N
expect "ids: established total" "$(st "$s" sum:ipsec_ike_sa_established_total)" $N
expect "ids: up series" "$(st "$s" series:ipsec_ike_sa_up)" $N
expect "ids: up total" "$(st "$s" sum:ipsec_ike_sa_up)" $N
expect "ids: timestamp series" "$(st "$s" series:ipsec_ike_sa_last_established_timestamp_seconds)" $N
expect "ids: retransmit series" "$(st "$s" series:ipsec_retransmits_total)" $N
expect "ids: retransmit total" "$(st "$s" sum:ipsec_retransmits_total)" $N
expect "ids: labels" "$(st "$s" labels:ipsec_ike_sa_established_total)" conn,peer
# an established line without <conn|uid> also tells its thread which IKE_SA it works on
# (job-sa-peer); the noise matches nothing
expect "ids: rule matches (noise matched nothing)" "$(st "$s" sum:swanlog_rule_matches_total)" $((3 * N))
expect "ids: lines" "$(st "$s" lines)" $((base_shipped_lines + 4 * N))
expect "ids: samples" "$(st "$s" samples)" $((base_shipped_samples + 4 * N))
# Exact renderings: quote, backslash and a literal "\n" escaped; NUL and invalid UTF-8 as U+FFFD.
grep -qxF 'ipsec_retransmits_total{conn="r0x\"y\\z \\n",peer=""} 1' "$s" && ok || bad "ids: r0 rendering"
grep -qxF 'ipsec_ike_sa_established_total{conn="c21\\x\"y\\z",peer="p21\\x\"y\\z"} 1' "$s" \
	&& ok || bad "ids: c21 rendering: $(grep -F '{conn="c21' "$s" | head -1)"
fffd=$(printf '\357\277\275') key=$(printf '\303\251\360\237\224\221')
grep -qxF "ipsec_ike_sa_up{conn=\"c9$fffd$key\",peer=\"p9$fffd$key\"} 1" "$s" \
	&& ok || bad "ids: c9 rendering: $(grep -F '{conn="c9' "$s" | head -1)"

# ---- 1b. a ruleset capturing arbitrary bytes (CR, NUL, ESC, tabs, quotes) into labels ----
N=500
{
	$gen capture $N
	printf '901say "hi" \\ and \\n\n'
	printf '902a\000b\r\n'
} > "$tmp/capture.log"
want_rc=3 replay capture "$capture" "$tmp/capture.log" # (no syslog header: exit 3)
s=$tmp/capture.prom
expect "capture: lines read" "$(st "$s" sum:swanlog_lines_read_total)" $((N + 2))
expect "capture: text series" "$(st "$s" series:hostile_text_total)" $((N + 2))
expect "capture: text total" "$(st "$s" sum:hostile_text_total)" $((N + 2))
expect "capture: up series" "$(st "$s" series:hostile_up)" $((N + 2))
expect "capture: up total" "$(st "$s" sum:hostile_up)" $((N + 2))
expect "capture: labels" "$(st "$s" labels:hostile_text_total)" id,text,mixed
expect "capture: lines" "$(st "$s" lines)" $((base_capture_lines + 2 * (N + 2)))
grep -qF 'hostile_text_total{id="901",text="say \"hi\" \\ and \\n",mixed="<|||say \"hi\" \\ and \\n>"} 1' "$s" \
	&& ok || bad "capture: 901 rendering: $(grep -F 'id="901"' "$s")"
# the CR before the newline ends the line (CRLF); the NUL becomes U+FFFD
grep -qF "hostile_text_total{id=\"902\",text=\"a$(printf '\357\277\275')b\"," "$s" && ok || bad "capture: 902 rendering"

# numbers taken from lines: anything but a finite number is refused and counted as a rule error
printf 'v=abc\nv=inf\nv=nan\nv=1e999\nv=0x\nv=-1e308\no=nan\no=-inf\no=1e300\n' > "$tmp/numbers.log"
want_rc=3 replay numbers "$capture" "$tmp/numbers.log" # (no syslog header: exit 3)
s=$tmp/numbers.prom
grep -qxF 'swanlog_rule_errors_total{rule="value"} 5' "$s" && ok || bad "numbers: value errors: $(grep -F 'rule="value"' "$s")"
grep -qxF 'swanlog_rule_errors_total{rule="observe"} 2' "$s" && ok || bad "numbers: observe errors: $(grep -F 'rule="observe"' "$s")"
grep -qxF 'hostile_value{id=""} -1e+308' "$s" && ok || bad "numbers: value: $(grep '^hostile_value' "$s")"
grep -qxF 'hostile_seconds_count{id=""} 1' "$s" && ok || bad "numbers: observed: $(grep '^hostile_seconds_count' "$s")"

# ---- 1c. a 16 MiB line, from a file, from stdin, and a gzip bomb ----
{
	printf 9
	head -c $((16 << 20)) /dev/zero | tr '\0' A
	printf '\n10 after the long line\n'
} > "$tmp/big.log"
# (no line has a syslog header: replay says so and exits 3, having counted what it matched)
want_rc=3 replay big "$capture" "$tmp/big.log"
want_rc=3 replay big-stdin "$capture" - < "$tmp/big.log"
{
	printf 8
	head -c $((64 << 20)) /dev/zero
	printf '\n11 after the bomb\n'
} | gzip -1 > "$tmp/bomb.log.gz"
want_rc=3 replay bomb "$capture" "$tmp/bomb.log.gz"
for name in big big-stdin bomb; do
	s=$tmp/$name.prom
	expect "$name: lines read" "$(st "$s" sum:swanlog_lines_read_total)" 2
	expect "$name: oversized" "$(st "$s" sum:swanlog_lines_oversized_total)" 1
	expect "$name: text series" "$(st "$s" series:hostile_text_total)" 2
	expect "$name: lines" "$(st "$s" lines)" $((base_capture_lines + 4))
	rss_below "$name" 32
done
# the cut line's label holds 256 bytes (SWL_LABEL_VALUE_MAX), the next line is intact
grep -qE "^hostile_text_total\\{id=\"9\",text=\"A{256}\",mixed=\"<\\|\\|\\|A{252}\"\\} 1\$" "$tmp/big.prom" \
	&& ok || bad "big: cut label: $(grep -F 'id="9"' "$tmp/big.prom" | head -c 400)"
grep -qF 'hostile_text_total{id="10",text=" after the long line",' "$tmp/big.prom" && ok || bad "big: next line"

# ---- 2. cardinality: 300,000 distinct peers ----
N=300000
$gen peers $N > "$tmp/peers.log"
replay peers "$rules" "$tmp/peers.log"
s=$tmp/peers.prom
expect "peers: lines read" "$(st "$s" sum:swanlog_lines_read_total)" $((N + 2))
expect "peers: established series (cap + overflow)" "$(st "$s" series:ipsec_ike_sa_established_total)" 10001
expect "peers: established total" "$(st "$s" sum:ipsec_ike_sa_established_total)" $N
grep -qxF "ipsec_ike_sa_established_total{conn=\"__overflow__\",peer=\"__overflow__\"} $((N - 10000))" "$s" \
	&& ok || bad "peers: overflow series"
grep -qxF "swanlog_series_dropped_total{metric=\"ipsec_ike_sa_established_total\"} $((N - 10000))" "$s" \
	&& ok || bad "peers: dropped counter"
# the live set holds the newest 100,000 IKE_SAs (default context entries); evicted ones went down
expect "peers: up series" "$(st "$s" series:ipsec_ike_sa_up)" 10001
expect "peers: up total" "$(st "$s" sum:ipsec_ike_sa_up)" 100000
# context memory: IKE_SA 1 was evicted (no peer), the last one is remembered
grep -qxF 'ipsec_retransmits_total{conn="con1",peer=""} 1' "$s" && ok || bad "peers: evicted SA"
grep -qxF 'ipsec_retransmits_total{conn="con1",peer="10.4.147.224"} 1' "$s" && ok || bad "peers: newest SA"
rss_below peers 110
replay peers-cap100 "$rules" --max-series 100 "$tmp/peers.log"
s=$tmp/peers-cap100.prom
expect "peers-cap100: established series" "$(st "$s" series:ipsec_ike_sa_established_total)" 101
expect "peers-cap100: established total" "$(st "$s" sum:ipsec_ike_sa_established_total)" $N
expect "peers-cap100: up total" "$(st "$s" sum:ipsec_ike_sa_up)" 100000

# ---- 3. regex cost: catastrophic patterns on long near-miss lines ----
N=500
$gen nearmiss $N > "$tmp/nearmiss.log"
start=$(date +%s%N)
# (exit 3: no line has a syslog header)
timeout 60 "$bin" replay --rules "$src/tests/hostile/catastrophic.yaml" --self-metrics "$tmp/nearmiss.log" \
	> "$tmp/nearmiss.prom" 2> "$tmp/nearmiss.err"
if [ $? -eq 3 ]; then
	ok
	echo "nearmiss: $((2 * N)) lines in $((($(date +%s%N) - start) / 1000000)) ms"
	s=$tmp/nearmiss.prom
	for want in 'swanlog_rule_errors_total{rule="nested-alternation"} '$N \
		'swanlog_rule_errors_total{rule="nested-words"} '$N \
		'nearmiss_total{rule="nested-words"} '$N \
		'nearmiss_total{rule="line-end"} '$((2 * N)); do
		grep -qxF "$want" "$s" && ok || bad "nearmiss: no '$want'"
	done
	promtool check metrics < "$s" > /dev/null 2>&1 && ok || bad "nearmiss: promtool"
else
	bad "nearmiss: replay of $((2 * N)) near-miss lines failed or took over 60 s"
fi

# ---- 3b. a forged timestamp far ahead: --step records at most 10,000 boundaries per gap ----
printf '%s\n' '2026-11-29T17:51:52+00:00 moon charon: 16[IKE] IKE_SA a[1] established between 1.1.1.1[m]...2.2.2.2[s]' \
	'2099-11-29T17:51:52+00:00 moon charon: 16[IKE] IKE_SA b[2] established between 1.1.1.1[m]...2.2.2.3[s]' \
	> "$tmp/jump.log"
rc=0
# without the bound this takes gigabytes a second: cap the address space (not under ASan,
# whose shadow memory needs terabytes of it)
vlimit=unlimited
[ $sanitized -eq 0 ] && vlimit=$((2 << 20))
(ulimit -v $vlimit && exec timeout 120 /usr/bin/time -f %M -o "$tmp/jump.rss" "$bin" replay --rules "$rules" \
	--format openmetrics --step 60 "$tmp/jump.log") > "$tmp/jump.om" 2> "$tmp/jump.err" || rc=$?
if [ $rc -eq 0 ]; then
	ok
	# 10,000 boundaries in the gap, then the last one, after the second line, where every series ends
	expect "jump: samples of the first SA" "$(grep -c '^ipsec_ike_sa_up{conn="a",' "$tmp/jump.om")" 10001
	expect "jump: samples of the second SA" "$(grep -c '^ipsec_ike_sa_up{conn="b",' "$tmp/jump.om")" 1
	expect "jump: last line" "$(tail -1 "$tmp/jump.om")" "# EOF"
	tail -1 "$tmp/jump.rss" > "$tmp/jump.rss.kb"
	rss_below jump 512
else
	bad "jump: exit $rc (124: over 120 s): $(head -c 300 "$tmp/jump.err")"
fi

# ---- 4. bad configuration ----
mkdir -p "$tmp/bad"
printf 'metrics: [\n' > "$tmp/bad/syntax.yaml"
printf 'rulez: []\n' > "$tmp/bad/unknown-key.yaml"
printf 'rules:\n  - name: r\n    match: "(unclosed"\n' > "$tmp/bad/regex.yaml"
printf 'metrics:\n  bad-name:\n    type: counter\n    help: x\n' > "$tmp/bad/metric-name.yaml"
printf 'rules:\n  - name: r\n    match: x\n    inc: undeclared_total\n' > "$tmp/bad/undeclared.yaml"
printf 'metrics:\n  a_total: {type: counter, help: "\\xff"}\n  a_total: {type: gauge, help: x}\n' > "$tmp/bad/duplicate.yaml"
printf 'x: &a [*a, *a]\n' > "$tmp/bad/alias.yaml"
printf 'metrics: {m: {type: counter, help: x, labels: [%s]}}\n' "$(seq -s, -f 'l%g' 40)" > "$tmp/bad/labels.yaml"
for f in "$tmp"/bad/*.yaml; do
	name=bad/$(basename "$f")
	rc=0; "$bin" check "$f" > "$tmp/check.out" 2>&1 || rc=$?
	expect "$name: check exit" $rc 1
	grep -qE "^$f:[0-9]+:[0-9]+: ." "$tmp/check.out" && ok || bad "$name: check says: $(head -c 300 "$tmp/check.out")"
	rc=0; "$bin" replay --rules "$f" "$tmp/empty.log" > "$tmp/replay.out" 2> "$tmp/replay.err" || rc=$?
	expect "$name: replay exit" $rc 2
	grep -qE "^swanlog: $f:[0-9]+:[0-9]+: ." "$tmp/replay.err" && ok || bad "$name: replay says: $(head -c 300 "$tmp/replay.err")"
	[ -s "$tmp/replay.out" ] && bad "$name: replay printed metrics"
done
# Every prefix of a valid rules file (every 50th byte), and every 250th byte with garbage
# written over 5 bytes: check exits 0 or 1 (never a crash), and a failure names path:line:col
# (path: alone when about the file as a whole: one without a rule).
# One check per variant, run $(nproc) at a time; each worker prints "OK" or what went wrong.
cut_one() { # BIN SRCFILE OFFSET VARIANT SCRATCHDIR
	local t="$5/cut-$$-$3-$4.yaml" rc=0
	if [ "$4" = cut ]; then head -c "$3" "$2" > "$t"
	else { head -c "$3" "$2"; printf '\000\377\t"\\'; tail -c +$(($3 + 6)) "$2"; } > "$t"; fi
	"$1" check -q "$t" > "$t.out" 2>&1 || rc=$?
	if [ $rc -gt 1 ]; then echo "$(basename "$2") $4 at $3: check exit $rc: $(head -c 300 "$t.out")"
	elif [ $rc -eq 1 ] && ! grep -qE "^$t(:[0-9]+:[0-9]+)?: ." "$t.out"; then
		echo "$(basename "$2") $4 at $3: no path:line:col (or path: for the whole file): $(head -c 300 "$t.out")"
	else echo OK; fi
	rm -f "$t" "$t.out"
}
export -f cut_one
mkdir -p "$tmp/cuts"
for f in "$rules"/*.yaml "$capture" "$src/tests/hostile/catastrophic.yaml"; do
	size=$(stat -c %s "$f")
	for ((off = 0; off < size; off += 50)); do
		echo "$f $off cut"
		[ $((off % 250)) -eq 0 ] && echo "$f $off junk"
	done
done > "$tmp/cuts.list"
runs=$(wc -l < "$tmp/cuts.list")
xargs -P "$(nproc)" -L 1 bash -c 'cut_one "$0" "$1" "$2" "$3" "$4"' "$bin" < <(sed "s|\$| $tmp/cuts|" "$tmp/cuts.list") \
	> "$tmp/cuts.result" 2>&1
while read -r line; do
	if [ "$line" = OK ]; then ok; else bad "$line"; fi
done < "$tmp/cuts.result"
expect "broken rules files: verdicts" "$(wc -l < "$tmp/cuts.result")" "$runs"
# fuzzing's regression inputs: rules files (check: 0 or 1) and logs (replay: a valid exposition)
for f in "$src"/tests/fuzz/corpus/fuzz_rules_load/*; do
	rc=0; "$bin" check -q "$f" > "$tmp/cut.out" 2>&1 || rc=$?
	runs=$((runs + 1))
	[ $rc -le 1 ] && ok || bad "$(basename "$f"): check exit $rc: $(head -c 300 "$tmp/cut.out")"
done
i=0
for f in "$src"/tests/fuzz/corpus/fuzz_pipeline/*; do
	i=$((i + 1))
	replay "corpus$i" "$rules" "$f"
done
echo "broken rules files checked: $runs"

echo "hostile: $pass passed, $fail failed (max RSS KiB: peers $(rss peers), big $(rss big), bomb $(rss bomb)$([ $sanitized -eq 1 ] && echo ', sanitized build: bounds not checked'))"
[ $fail -eq 0 ]
