#!/bin/bash
# The shipped rules must count the same events in the logs of every strongSwan release from
# 5.3.0 to 6.0.6. tests/versions/formats.tsv holds charon's format strings of the messages
# the rules use, per release (extracted from the strongSwan sources by
# tests/versions/extract.py); check.py renders each scenario of scenarios.txt with each
# release's wording, as the file logger and as syslog with and without ike_name, replays it
# and compares the whole set of ipsec_* lines with expected.txt. Then the comparison is shown
# to fail with a ruleset that lacks one rule.
# usage: charon_versions.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0

python3 "$src/tests/versions/check.py" "$bin" "$src/rules" "$src/tests/versions" || fail=1

# without the rule that counts refused traffic selectors: must be caught
mkdir "$tmp/rules"
cp "$src"/rules/*.yaml "$tmp/rules/"
python3 - "$tmp/rules/strongswan.yaml" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s2 = re.sub(r"\n  - name: ts-unacceptable\n.*?(?=\n  - name: )", "\n", s, flags=re.S)
assert s2 != s
open(p, "w").write(s2)
PY
if python3 "$src/tests/versions/check.py" "$bin" "$tmp/rules" "$src/tests/versions" > "$tmp/broken.out"; then
	echo "FAIL: rules without ts-unacceptable passed the comparison"; fail=1
else
	echo "ok: rules without ts-unacceptable are caught ($(grep -c '^FAIL' "$tmp/broken.out") differences)"
fi
exit $fail
