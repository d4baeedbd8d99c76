#!/bin/bash
# swanlog report: golden reports, the report's counts against replay's, hostile names, many
# tunnels, usage errors.
#   - Golden: each tests/report/<case>/ holds `args` (report arguments, paths relative to the
#     case) and the whole expected output (expected.html or expected.txt), compared whole.
#     The page holds no time of its making, so nothing is normalised.
#   - Counts: for every log form of the corpus, and for a real journal file of Debian's default
#     logging (twins), the counters the report lists (text; HTML for the log forms) are exactly
#     replay's non-zero counters for the same input.
#   - Hostile: conn names with markup, quotes, bidi controls and 10 KB of text come out as text
#     (HTML: no element from them; text: no control or bidi character).
#   - 10,000 tunnels: the page stays small (--top), the rest is one summed row.
# usage: report.sh SWANLOG_BINARY SOURCE_DIR [--update [CASE...]]
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2"); update=${3:-}
shift 2; [ $# -gt 0 ] && shift
declare -A only=(); for c in "$@"; do only[$c]=1; done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
T=$(mktemp -d /tmp/swl_report_XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=UTC
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# ---- golden ----
for dir in "$src"/tests/report/*/; do
	name=$(basename "$dir")
	[ ${#only[@]} -eq 0 ] || [ -n "${only[$name]:-}" ] || continue
	expected="$dir/expected.html"
	grep -q -- '-f text' "$dir/args" && expected="$dir/expected.txt"
	# shellcheck disable=SC2046
	(cd "$dir" && "$bin" report --rules "$src/rules" $(cat args)) > "$T/got" 2> "$T/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "$name: exit $rc: $(cat "$T/err")"
	elif [ "$update" = --update ]; then
		cp "$T/got" "$expected"; echo "updated $name"; ok
	elif ! diff -u "$expected" "$T/got" > "$T/diff"; then
		bad "$name: output differs:"; head -40 "$T/diff"
	else
		ok
	fi
done
[ "$update" = --update ] && { echo "report: $pass updated, $fail failed"; [ $fail -eq 0 ]; exit; }

# ---- counts: the report's against replay's ----
# replay's counters with a value above 0, in its order
replay_counters() {
	"$bin" replay --rules "$src/rules" --year 2026 "$@" > "$T/prom" || return 1
	awk '/^# TYPE .* counter$/ { c[$3] = 1; next } /^#/ { next }
	     { n = $1; sub(/\{.*/, "", n); if ((n in c) && $NF != "0") print }' "$T/prom"
}
# the HTML page's count tables, in the page's order, as "series value" lines
html_counts() {
	"$PYTHON" - "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.inside = False; self.cell = None; self.row = []; self.rows = []
    def handle_starttag(self, tag, attrs):
        if tag == "section": self.inside = dict(attrs).get("id") == "counts"
        if self.inside and tag == "td": self.cell = ""
    def handle_endtag(self, tag):
        if self.inside and tag == "td": self.row.append(self.cell); self.cell = None
        if self.inside and tag == "tr": self.rows.append(self.row); self.row = []
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for r in p.rows: print(" ".join(r))
PY
}
corpus=$src/tests/corpus/logs
# every charon log form (kern.log holds no kernel error the rules count: nothing to compare)
forms=$(cd "$corpus" && ls S*/ | grep '\.log$' | grep -v '^kern\.log$' | sort -u)
for form in $forms; do
	files=$(ls "$corpus"/S*/"$form")
	# shellcheck disable=SC2086
	replay_counters $files > "$T/want" || { bad "counts $form: replay failed"; continue; }
	# shellcheck disable=SC2086
	"$bin" report --rules "$src/rules" --year 2026 -f text $files > "$T/text" 2> "$T/err" ||
		{ bad "counts $form: report -f text failed: $(cat "$T/err")"; continue; }
	sed '1,/^Counts (as swanlog replay prints them)$/d' "$T/text" > "$T/got"
	[ -s "$T/want" ] || { bad "counts $form: replay counted nothing (the test would prove nothing)"; continue; }
	diff -u "$T/want" "$T/got" > "$T/diff" && ok || { bad "counts $form (text):"; head -20 "$T/diff"; }
	# shellcheck disable=SC2086
	"$bin" report --rules "$src/rules" --year 2026 -o "$T/page.html" $files 2> "$T/err" ||
		{ bad "counts $form: report failed: $(cat "$T/err")"; continue; }
	html_counts "$T/page.html" | sort > "$T/got"
	sort "$T/want" > "$T/want.sorted"
	diff -u "$T/want.sorted" "$T/got" > "$T/diff" && ok || { bad "counts $form (html):"; head -20 "$T/diff"; }
done

# the journal Debian's default logging fills (daemon and auth facilities, each event twice),
# made by systemd-journal-remote: the report reads journal files as replay does, twins included
remote=/lib/systemd/systemd-journal-remote
if [ -x "$remote" ]; then
	cat "$corpus"/S*/moon.syslog.log > "$T/daemon.log"; cat "$corpus"/S*/moon.auth.log > "$T/auth.log"
	if python3 "$src/tests/journal_export.py" syslog "$T/daemon.log" "$T/auth.log" 2026 > "$T/j.export" &&
		"$remote" -o "$T/moon.journal" "$T/j.export" 2> "$T/err"; then
		replay_counters "$T/moon.journal" > "$T/want"
		"$bin" report --rules "$src/rules" -f text "$T/moon.journal" > "$T/text" 2> "$T/err" || bad "counts journal: $(cat "$T/err")"
		sed '1,/^Counts (as swanlog replay prints them)$/d' "$T/text" > "$T/got"
		if [ ! -s "$T/want" ]; then
			bad "counts journal: replay counted nothing"
		elif diff -u "$T/want" "$T/got" > "$T/diff"; then ok; else bad "counts journal:"; head -20 "$T/diff"; fi
	else
		bad "counts journal: could not make the journal file: $(cat "$T/err")"
	fi
else
	bad "counts journal: $remote is missing (scripts/deps.sh --test installs it)"
fi

# ---- hostile names ----
"$PYTHON" - "$T/hostile.log" <<'PY'
import sys
names = ['"><script>alert(1)</script>', "it's&\"q\"<b>", "\u202eevil\u202c\u2066x", "\u05e9\u05dc\u05d5\u05dd",
         "a" * 10240, "<img/src=x/onerror=alert(1)>"]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i, n in enumerate(names):
        peer = f"198.51.100.{i + 1}"
        f.write(f"Nov 29 17:{10 + i}:00 moon charon: 16[IKE] IKE_SA {n}[{i + 1}] established between "
                f"198.18.1.1[moon]...{peer}[{n}]\n")
        f.write(f"Nov 29 17:{10 + i}:30 moon charon: 16[IKE] CHILD_SA {n}{{{i + 1}}} established with SPIs "
                f"c1d2e3f4_i 01020304_o and TS 10.0.0.0/24 === 10.0.{i}.0/24\n")
        f.write(f"Nov 29 17:{10 + i}:40 moon charon: 16[IKE] deleting IKE_SA {n}[{i + 1}] between "
                f"198.18.1.1[moon]...{peer}[{n}]\n")
PY
"$bin" report --rules "$src/rules" --year 2026 -o "$T/hostile.html" "$T/hostile.log" 2> "$T/err" ||
	bad "hostile: report failed: $(cat "$T/err")"
"$PYTHON" - "$T/hostile.html" "$T/hostile.log" <<'PY' && ok || bad "hostile: a name from the logs became markup"
import html.parser, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = set(); self.attrs = set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag); self.attrs.update(a for a, _ in attrs)
p = P(); p.feed(page)
allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "nav", "a", "section", "table",
           "thead", "tbody", "tr", "th", "td", "br", "small", "bdi", "div", "svg", "g", "rect", "text", "line",
           "path", "span", "i", "details", "summary", "code"}
bad = p.tags - allowed
if bad or "onerror" in p.attrs or "src" in p.attrs:
    sys.exit(f"elements or attributes from the logs: {sorted(bad)} {sorted(p.attrs)}")
# every name is on the page as text, escaped, and the long one cut to the label limit (256 bytes)
for n in ['&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;', "it&#39;s&amp;&quot;q&quot;&lt;b&gt;",
          "\u202eevil\u202c\u2066x", "<bdi>" + "a" * 256 + "</bdi>", "&lt;img/src=x/onerror=alert(1)&gt;"]:
    if n not in page:
        sys.exit(f"missing on the page: {n[:60]}")
if "a" * 257 in page:
    sys.exit("the 10 KB name was not cut")
PY
"$bin" report --rules "$src/rules" --year 2026 -f text "$T/hostile.log" > "$T/hostile.txt" 2> "$T/err" ||
	bad "hostile: report -f text failed: $(cat "$T/err")"
if LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$T/hostile.txt"; then
	bad "hostile: the text report carries control or bidi characters"
elif ! grep -qF '\u{202e}evil\u{202c}\u{2066}x' "$T/hostile.txt"; then
	bad "hostile: the bidi controls are not shown escaped"
else
	ok
fi

# ---- 10,000 tunnels: bounded by --top ----
"$PYTHON" - "$T/many.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        t = f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        f.write(f"Nov 29 {t} moon charon: 16[IKE] IKE_SA gw{i}[{i + 1}] established between "
                f"198.18.1.1[moon]...10.{i // 65536}.{i // 256 % 256}.{i % 256}[peer{i}]\n")
        if i % 7 == 0:
            f.write(f"Nov 29 {t} moon charon: 16[IKE] giving up after 5 retransmits\n")
PY
"$bin" report --rules "$src/rules" --year 2026 --max-series 100000 -o "$T/many.html" "$T/many.log" 2> "$T/err" ||
	bad "10,000 tunnels: report failed: $(cat "$T/err")"
size=$(stat -c %s "$T/many.html")
rows=$(grep -c '<tr class="tunnel"' "$T/many.html")
timelines=$(grep -c '<div class="timeline"' "$T/many.html")
if [ "$size" -gt 1000000 ] || [ "$rows" -ne 100 ] || [ "$timelines" -ne 100 ] ||
	! grep -q '<tr class="rest" data-tunnels="9900"><td>9900 more tunnels' "$T/many.html"; then
	bad "10,000 tunnels: $size bytes, $rows rows, $timelines timelines, rest row: $(grep -o '<tr class="rest"[^>]*>' "$T/many.html")"
else
	ok
fi

# ---- usage ----
for args in "--format pdf x" "--from yesterday x" "--from 2026-11-29 --to 2026-11-28 x" "--top 0 x" ""; do
	# shellcheck disable=SC2086
	"$bin" report --rules "$src/rules" $args > /dev/null 2> "$T/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "swanlog report --help" "$T/err" && ok || bad "usage '$args': exit $rc: $(head -2 "$T/err")"
done

echo "report: $pass passed, $fail failed"
[ $fail -eq 0 ]
