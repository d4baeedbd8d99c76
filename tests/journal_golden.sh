#!/bin/bash
# Journal form: real journal files made at test time with systemd-journal-remote, replayed.
#  1. S00_carol: the corpus's `journalctl -o json` export of charon-systemd (carol), written
#     back into a .journal file field by field.
#  2. S11_sun_journal: sun's file-logger lines of scenarios S00..S11 turned into the entries
#     charon-systemd's journal logger writes (message without prefix; GROUP, THREAD,
#     IKE_SA_NAME, IKE_SA_UNIQUE_ID as fields). Its IPsec metrics must equal those of the
#     file-logger golden case S11_sun_charon: the same events, another log form.
#  3., 4.: Debian's default charon logging (daemon and auth facilities) in the journal, below.
# Outputs are compared whole with tests/journal/<case>/expected.prom.
# usage: journal_golden.sh SWANLOG_BINARY SOURCE_DIR [--update [CASE...]]
# --update writes the output of a case whose replay succeeded as its expected output: the
# named cases, or every case when none is named.
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2"); update=${3:-}
shift 2; [ $# -gt 0 ] && shift
declare -A only=(); for c in "$@"; do only[$c]=1; done
remote=/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { echo "skipped: $remote not installed (apt-get install systemd-journal-remote)"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: python3 is required"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
corpus=$src/tests/corpus/logs
fail=0

# make_journal NAME ARGS...: journal_export.py ARGS | journal-remote -> $tmp/NAME.journal
make_journal() {
	local name=$1; shift
	python3 "$src/tests/journal_export.py" "$@" > "$tmp/$name.export" || return 1
	"$remote" -o "$tmp/$name.journal" "$tmp/$name.export" 2> "$tmp/$name.remote.err" || return 1
	[ -s "$tmp/$name.journal" ]
}

check() { # NAME: replay $tmp/NAME.journal, compare with tests/journal/NAME/expected.prom
	local name=$1 expected=$src/tests/journal/$1/expected.prom
	if ! TZ=UTC "$bin" replay --rules "$src/rules" "$tmp/$name.journal" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
		echo "FAIL $name: replay failed: $(cat "$tmp/$name.err")"; fail=1; return
	fi
	if [ "$update" = --update ] && { [ ${#only[@]} -eq 0 ] || [ -n "${only[$name]:-}" ]; } \
		&& ! cmp -s "$tmp/$name.out" "$expected"; then
		mkdir -p "$(dirname "$expected")"; cp "$tmp/$name.out" "$expected"; echo "updated $name"
	fi
	if ! diff -u "$expected" "$tmp/$name.out"; then
		echo "FAIL $name: output differs from $expected"; fail=1
	else
		echo "ok $name"
	fi
}

if make_journal S00_carol json "$corpus/S00_startup/carol.journal.json.log"; then
	check S00_carol
	grep -q '^ipsec_daemon_starts_total 1$' "$tmp/S00_carol.out" || { echo "FAIL S00_carol: charon-systemd start not counted"; fail=1; }
else
	echo "FAIL S00_carol: could not make the journal file: $(cat "$tmp/S00_carol.remote.err" 2>/dev/null)"; fail=1
fi

cat "$corpus"/S*/sun.charon.log > "$tmp/sun.charon.log"
if make_journal S11_sun_journal filelog "$tmp/sun.charon.log" sun 2026; then
	check S11_sun_journal
	grep '^ipsec_' "$src/tests/logs/S11_sun_charon/expected.prom" > "$tmp/filelog.ipsec"
	grep '^ipsec_' "$tmp/S11_sun_journal.out" > "$tmp/journal.ipsec"
	if ! diff -u "$tmp/filelog.ipsec" "$tmp/journal.ipsec"; then
		echo "FAIL S11_sun_journal: journal and file logger disagree on the same events"; fail=1
	fi
	[ -s "$tmp/journal.ipsec" ] || { echo "FAIL S11_sun_journal: no IPsec metrics"; fail=1; }
else
	echo "FAIL S11_sun_journal: could not make the journal file: $(cat "$tmp/S11_sun_journal.remote.err" 2>/dev/null)"; fail=1
fi
# 3. Debian's default logging in the journal: charon's daemon logger (facility 3, levels up to
#    1) and its auth logger (facility 10, level 0), both kept, each auth entry right after its
#    daemon twin. Every event counts once: the IPsec metrics are those of the daemon lines
#    alone (the golden case S11_moon_syslog), and every auth entry is a twin.
daemon=$(ls "$corpus"/S*/moon.syslog.log); auth=$(ls "$corpus"/S*/moon.auth.log)
cat $daemon > "$tmp/daemon.log"; cat $auth > "$tmp/auth.log"
if make_journal S11_moon_journal_twins syslog "$tmp/daemon.log" "$tmp/auth.log" 2026; then
	check S11_moon_journal_twins
	grep '^ipsec_' "$src/tests/logs/S11_moon_syslog/expected.prom" > "$tmp/syslog.ipsec"
	grep '^ipsec_' "$tmp/S11_moon_journal_twins.out" > "$tmp/twins.ipsec"
	diff -u "$tmp/syslog.ipsec" "$tmp/twins.ipsec" || { echo "FAIL S11_moon_journal_twins: an event counted twice or not at all"; fail=1; }
	nauth=$(wc -l < "$tmp/auth.log")
	TZ=UTC "$bin" replay --rules "$src/rules" --self-metrics "$tmp/S11_moon_journal_twins.journal" \
		> "$tmp/S11_moon_journal_twins.self" 2>&1
	grep -qx "swanlog_lines_twin_total $nauth" "$tmp/S11_moon_journal_twins.self" \
		|| { echo "FAIL S11_moon_journal_twins: want $nauth twins (the auth lines)"; fail=1; }
	# the same journal as `journalctl -o short` prints it: both copies as "NN[GRP] msg" lines
	if command -v journalctl >/dev/null; then
		journalctl --file "$tmp/S11_moon_journal_twins.journal" -o short > "$tmp/twins.short"
		TZ=UTC "$bin" replay --rules "$src/rules" --year 2026 "$tmp/twins.short" | grep '^ipsec_' > "$tmp/short.ipsec"
		diff -u "$tmp/syslog.ipsec" "$tmp/short.ipsec" \
			|| { echo "FAIL S11_moon_journal_twins: its journalctl -o short text counts otherwise"; fail=1; }
	fi
else
	echo "FAIL S11_moon_journal_twins: could not make the journal file: $(cat "$tmp/S11_moon_journal_twins.remote.err" 2>/dev/null)"; fail=1
fi

# 4. A gateway whose only logger is the auth one: no twins, every entry counts.
if make_journal auth_only syslog - "$tmp/auth.log" 2026; then
	TZ=UTC "$bin" replay --rules "$src/rules" --self-metrics "$tmp/auth_only.journal" > "$tmp/auth_only.out"
	TZ=UTC "$bin" replay --rules "$src/rules" --year 2026 "$tmp/auth.log" > "$tmp/auth_text.out"
	diff -u <(grep '^ipsec_' "$tmp/auth_text.out") <(grep '^ipsec_' "$tmp/auth_only.out") \
		|| { echo "FAIL auth_only: the journal of the auth logger alone counts otherwise than its lines"; fail=1; }
	grep -qx 'swanlog_lines_twin_total 0' "$tmp/auth_only.out" || { echo "FAIL auth_only: twins found"; fail=1; }
	grep -q '^ipsec_ike_sa_established_total{conn="con1",peer="198.18.1.2"} 3$' "$tmp/auth_only.out" \
		|| { echo "FAIL auth_only: the auth logger's establishments are not all counted"; fail=1; }
else
	echo "FAIL auth_only: could not make the journal file"; fail=1
fi
# 5. `journalctl -o json` and `-o export` saved to a file are journal entries too: a journal of
#    the golden session (tests/logs/L00_syslog) with its auth twins (the authpriv lines of
#    L04_openwrt_logread) and, after the fifth entry, another program's multi-line message (a
#    binary field in the export format). Replaying what journalctl prints must give the whole
#    outputs of the golden cases L16_journalctl_json and L17_journalctl_export, which hold the
#    same journalctl output.
sed -nE 's/^[A-Z][a-z]{2} (.{15}) [0-9]{4} authpriv[.][a-z]+ charon\[[0-9]+\]: /\1 gw charon: /p' \
	"$src/tests/logs/L04_openwrt_logread/logread.txt" > "$tmp/layouts.auth"
python3 "$src/tests/journal_export.py" syslog "$src/tests/logs/L00_syslog/gw.log" "$tmp/layouts.auth" 2026 \
	| python3 -c '
import struct, sys
entries = sys.stdin.buffer.read().split(b"\n\n")
msg = b"hook failed:\nTraceback (most recent call last):\n  File \"/usr/lib/vpn-hook\", line 3\n"
entries.insert(5, b"__REALTIME_TIMESTAMP=1795974712000000\n__MONOTONIC_TIMESTAMP=5\n"
               b"_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=gw\n_TRANSPORT=syslog\n_PID=4300\n"
               b"SYSLOG_IDENTIFIER=vpn-hook\nSYSLOG_FACILITY=3\nPRIORITY=3\nMESSAGE\n"
               + struct.pack("<Q", len(msg)) + msg)
sys.stdout.buffer.write(b"\n\n".join(entries))' > "$tmp/layouts.export"
if ! command -v journalctl >/dev/null; then
	echo "FAIL layouts: journalctl is required"; fail=1
elif "$remote" -o "$tmp/layouts.journal" "$tmp/layouts.export" 2> "$tmp/layouts.remote.err"; then
	journalctl --file "$tmp/layouts.journal" -o json > "$tmp/layouts.json"
	journalctl --file "$tmp/layouts.journal" -o export | gzip > "$tmp/layouts.export.gz"
	grep -q '"SYSLOG_IDENTIFIER":"vpn-hook"' "$tmp/layouts.json" || { echo "FAIL layouts: the multi-line entry is missing"; fail=1; }
	for form in json:L16_journalctl_json export.gz:L17_journalctl_export; do
		file=$tmp/layouts.${form%%:*} case=${form#*:}
		if ! TZ=UTC "$bin" replay --rules "$src/rules" "$file" > "$tmp/$case.out" 2> "$tmp/$case.err"; then
			echo "FAIL $case: replay of journalctl's output failed: $(cat "$tmp/$case.err")"; fail=1
		elif ! diff -u "$src/tests/logs/$case/expected.prom" "$tmp/$case.out"; then
			echo "FAIL $case: journalctl's output of a real journal counts otherwise"; fail=1
		else
			echo "ok $case (from a real journal)"
		fi
	done
else
	echo "FAIL layouts: could not make the journal file: $(cat "$tmp/layouts.remote.err")"; fail=1
fi
exit $fail
