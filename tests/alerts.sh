#!/bin/bash
# dist/prometheus/swanlog-alerts.yml: valid for promtool, its unit tests
# (tests/prometheus/swanlog-alerts.test.yml) pass, every runbook_url points at a heading of
# dist/RUNBOOK.md where the package installs it (or at the swanlog_runbook_url external label),
# and the Prometheus configuration the README shows is valid with these rules.
# usage: alerts.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
src=$(realpath "$2")
command -v promtool >/dev/null || { echo "skipped: promtool is required (apt-get install prometheus)"; exit 77; }
command -v python3 >/dev/null || { echo "skipped: python3 is required"; exit 77; }
promtool check rules "$src/dist/prometheus/swanlog-alerts.yml" || { echo "FAIL: promtool check rules"; exit 1; }
(cd "$src/tests/prometheus" && promtool test rules swanlog-alerts.test.yml) || { echo "FAIL: promtool test rules"; exit 1; }
python3 - "$src" <<'PY' || exit 1
import re, sys
src = sys.argv[1]
alerts = open(f"{src}/dist/prometheus/swanlog-alerts.yml").read()
runbook = open(f"{src}/dist/RUNBOOK.md").read()
# GitHub's heading anchors: lower case, spaces to '-', punctuation other than '-' and '_' dropped
anchors = {re.sub(r"[^a-z0-9_\- ]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#{1,6} (.+)$", runbook, re.M)}
# the installed copy unless the external label names another
base = ("{{ with $externalLabels.swanlog_runbook_url }}{{ . }}{{ else }}"
        "file:///usr/share/doc/swanlog/RUNBOOK.md{{ end }}#")
urls = re.findall(r"runbook_url: '" + re.escape(base) + r"([^']+)'", alerts)
names = re.findall(r"^\s*- alert: (\S+)", alerts, re.M)
bad = [u for u in urls if u not in anchors]
if len(urls) != len(names) or bad or not names:
    sys.exit(f"FAIL: {len(names)} alerts, {len(urls)} runbook links, missing anchors: {bad}")
for key in ("summary:", "description:"):
    if alerts.count(key) != len(names):
        sys.exit(f"FAIL: not every alert has a {key[:-1]}")
for block in alerts.split("- alert: ")[1:]:
    if "`swanctl --list-" not in block or "journalctl -u strongswan" not in block:
        sys.exit(f"FAIL: alert {block.split()[0]}: the description must say what to check "
                 "(swanctl --list-..., journalctl -u strongswan)")
print(f"ok: {len(names)} alerts, every runbook link resolves")
PY
# the README's prometheus.yml, with the rules where this checkout has them
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
awk '/^\*\*Prometheus side\.\*\*/ { on = 1 } on && /^```$/ { exit } on && go { print } on && /^```yaml$/ { go = 1 }' \
	"$src/README.md" | sed "s|/usr/share/swanlog/prometheus/swanlog-alerts.yml|$src/dist/prometheus/swanlog-alerts.yml|" \
	> "$tmp/prometheus.yml"
grep -q "rule_files" "$tmp/prometheus.yml" || { echo "FAIL: no prometheus.yml in the README's Prometheus side"; exit 1; }
promtool check config "$tmp/prometheus.yml" || { echo "FAIL: the README's prometheus.yml"; cat "$tmp/prometheus.yml"; exit 1; }
