#!/bin/bash
# Every metric that dist/grafana/swanlog.json and dist/prometheus/swanlog-alerts.yml query
# exists: declared by the shipped rules (as `swanlog replay` lists them) or one of swanlog's
# self-metrics (named in src/). A copy of the dashboard with a misspelt metric must be caught.
# usage: dashboard.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
command -v python3 >/dev/null || { echo "skipped: python3 is required"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
: > "$tmp/empty.log"
"$bin" replay --rules "$src/rules" "$tmp/empty.log" > "$tmp/declared.prom" || { echo "FAIL: replay"; exit 1; }
sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$tmp/declared.prom" > "$tmp/names"
grep -rhoE '"swanlog_[a-z0-9_]+"' "$src"/src/*.c | tr -d '"' >> "$tmp/names"
check() { # FILE...: print unknown metric names, fail if any
	python3 - "$tmp/names" "$@" <<'PY'
import json, re, sys
known = set(open(sys.argv[1]).read().split())
bad, used = [], set()
for path in sys.argv[2:]:
    text = open(path).read()
    if path.endswith(".json"):
        exprs = []
        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in ("expr", "query", "definition") and isinstance(v, str):
                        exprs.append(v)
                    else:
                        walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(json.loads(text))
        if not exprs:
            bad.append(f"{path}: no queries")
    else:
        exprs = re.findall(r"expr: (.*(?:\n {10,}.*)*)", text)
    for e in exprs:
        for name in re.findall(r"\b((?:ipsec|swanlog)_[a-z0-9_]+)\b", e):
            used.add(name)
            if name not in known:
                bad.append(f"{path}: unknown metric {name} in: {e.strip()[:100]}")
for b in bad:
    print("FAIL " + b)
unused = sorted(n for n in known if n.startswith("ipsec_") and n not in used)
print(f"{len(used)} metrics queried; rule metrics no query uses: {', '.join(unused) or 'none'}")
sys.exit(1 if bad else 0)
PY
}
check "$src/dist/grafana/swanlog.json" "$src/dist/prometheus/swanlog-alerts.yml" || exit 1
sed 's/ipsec_ike_sa_rekeyed_total/ipsec_ike_sa_rekeys_total/' "$src/dist/grafana/swanlog.json" > "$tmp/typo.json"
if check "$tmp/typo.json" > "$tmp/typo.out"; then
	echo "FAIL: a misspelt metric in the dashboard was not caught"; exit 1
fi
grep -q "unknown metric ipsec_ike_sa_rekeys_total" "$tmp/typo.out" || { echo "FAIL: typo not named"; cat "$tmp/typo.out"; exit 1; }
echo "ok: dashboard and alerts query only existing metrics; a misspelt one is caught"
