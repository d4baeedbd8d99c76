#!/bin/bash
# Compare the shipped rules' metrics with the corpus ground truth (tests/ground_truth.py),
# then prove the comparison can fail: with a copy of the rules in which CHILD_SA rekeys count
# as new CHILD_SAs, it must report mismatches.
# usage: ground_truth.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
command -v python3 >/dev/null || { echo "skipped: python3 is required"; exit 77; }
python3 "$src/tests/ground_truth.py" "$bin" "$src/rules" "$src/tests/corpus" || { echo "FAIL: ground truth mismatch"; exit 1; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$src"/rules/*.yaml "$tmp/"
python3 - "$tmp/strongswan.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = "  - name: child-rekey-outbound\n"
i = s.index(old)
j = s.index("inc: ipsec_child_sa_rekeyed_total", i)
s = s[:j] + "inc: ipsec_child_sa_established_total" + s[j + len("inc: ipsec_child_sa_rekeyed_total"):]
open(p, "w").write(s)
PY
if python3 "$src/tests/ground_truth.py" "$bin" "$tmp" "$src/tests/corpus" > "$tmp/broken.out"; then
	echo "FAIL: the comparer accepted rules that count CHILD_SA rekeys as new CHILD_SAs"; exit 1
fi
grep -q "^FAIL S02_con1_rekey_manual moon .*child_sa_rekeyed" "$tmp/broken.out" \
	|| { echo "FAIL: the comparer did not name the broken CHILD_SA rekey count:"; cat "$tmp/broken.out"; exit 1; }
echo "ok: a broken rule set is caught ($(grep -c '^FAIL' "$tmp/broken.out") mismatches named)"
