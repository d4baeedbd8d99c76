#!/bin/bash
# Without ike_name (Debian's default) charon prints no <conn|uid> before its messages; the
# rules tie lines to their IKE_SA through charon's worker threads and the peer addresses.
# Every file-logger log here (ike_name = yes) is turned into what Debian's syslog logger
# writes for the same events ("Mon DD HH:MM:SS host charon: NN[GRP] msg") and must give the
# same IPsec metrics, labels and gauges included. Then the comparison is shown to fail with
# a ruleset that does not follow threads.
# usage: ike_name.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

# strip HOST < charon.log > syslog form
strip() { sed -E "s/^(... .. ..:..:..) ([0-9]+\[[A-Z]+\]) (<[^>]*> )?/\1 $1 charon: \2 /"; }
ipsec() { TZ=UTC "$bin" replay --rules "$1" --year 2026 "${@:2}" | grep '^ipsec_'; }

# compare RULES: every case, 0 when all agree
compare() {
	local rules=$1 bad=0 n=0
	for host in moon sun dave carol; do
		cat "$src"/tests/corpus/logs/S*/$host.charon.log > "$tmp/$host.charon.log"
	done
	for f in "$tmp"/*.charon.log "$src"/tests/logs/X_*/moon.charon.log; do
		local host name
		host=$(basename "$f" .charon.log)
		name=${f#"$src"/}
		[ "$f" = "${f#"$tmp"/}" ] || name="corpus $host (all scenarios)"
		strip "$host" < "$f" > "$tmp/stripped.log"
		ipsec "$rules" "$f" > "$tmp/yes.prom" || { echo "FAIL $name: replay failed"; bad=1; continue; }
		ipsec "$rules" "$tmp/stripped.log" > "$tmp/no.prom"
		n=$((n + 1))
		if ! diff -u "$tmp/yes.prom" "$tmp/no.prom" > "$tmp/diff"; then
			echo "FAIL $name: ike_name = no gives other metrics:"; cat "$tmp/diff"; bad=1
		fi
		[ -s "$tmp/yes.prom" ] || { echo "FAIL $name: no IPsec metrics"; bad=1; }
	done
	echo "compared $n logs"
	return $bad
}

compare "$src/rules" || fail=1

# the same without the rules that follow threads: must be caught
mkdir "$tmp/rules"
cp "$src"/rules/*.yaml "$tmp/rules/"
python3 - "$tmp/rules/strongswan.yaml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r"\n  - name: job-sa-peer\n.*?(?=\n  - name: )", "\n", s, flags=re.S)
assert s2 != s
open(p, "w").write(s2)
PY
if compare "$tmp/rules" > "$tmp/broken.out"; then
	echo "FAIL: rules that do not follow threads passed the comparison"; fail=1
else
	echo "ok: rules that do not follow threads are caught ($(grep -c '^FAIL' "$tmp/broken.out") logs differ)"
fi
exit $fail
