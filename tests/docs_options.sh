#!/bin/bash
# Every option of every command is documented alike in its three places: `swanlog CMD --help`,
# the command's section of the man page (generated next to the binary from dist/swanlog.1.in)
# and the command's lines of README's "Commands" synopsis. The long options of each command
# are extracted from each place and compared; any difference fails, naming where. --help
# itself is left out of README's synopsis and of the comparison.
# usage: docs_options.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
page="$(dirname "$bin")/swanlog.1"
[ -f "$page" ] || { echo "FAIL: no generated man page $page"; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
long_opts() { grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | grep -vx -- '--help' | sort -u; }

# The commands, from the main help.
cmds=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ "$(wc -w <<< "$cmds")" -ge 4 ] || bad "swanlog --help lists fewer than 4 commands: $cmds"

# README's synopsis: the fenced block after "## Commands"; a command's lines start with
# "swanlog [CMD]" or "swanlog CMD" and go on while indented.
awk '/^## Commands$/ { on = 1; next } on && /^```$/ { if (fence) exit; fence = 1; next } on && fence { print }' \
	"$src/README.md" > "$scratch/readme.synopsis"
[ -s "$scratch/readme.synopsis" ] || bad "no synopsis block under README's ## Commands"
readme_section() {
	awk -v cmd="$1" '/^swanlog / { on = ($2 == cmd || $2 == "[" cmd "]") } on { print }' "$scratch/readme.synopsis"
}
# The man page's section of one command (.SS "swanlog CMD ..." or "swanlog [CMD] ...").
man_section() {
	awk -v cmd="$1" '
		/^\.S[SH] / { on = ($0 ~ ("^\\.SS \"swanlog \\[?" cmd "[] ]")); next }
		on { print }' "$page" | sed 's/\\-/-/g'
}

checked=0
for c in $cmds; do
	"$bin" "$c" --help 2>&1 | long_opts > "$scratch/$c.help"
	man_section "$c" | long_opts > "$scratch/$c.man"
	readme_section "$c" | long_opts > "$scratch/$c.readme"
	[ -s "$scratch/$c.help" ] || { bad "swanlog $c --help names no option"; continue; }
	for where in man readme; do
		if ! diff "$scratch/$c.help" "$scratch/$c.$where" > "$scratch/$c.$where.diff"; then
			missing=$(sed -n 's/^< //p' "$scratch/$c.$where.diff" | tr '\n' ' ')
			extra=$(sed -n 's/^> //p' "$scratch/$c.$where.diff" | tr '\n' ' ')
			name=$([ $where = man ] && echo "the man page" || echo "README's synopsis")
			[ -z "$missing" ] || bad "$c: $name lacks what --help has: $missing"
			[ -z "$extra" ] || bad "$c: $name names what --help does not: $extra"
		fi
	done
	checked=$((checked + 1))
	echo "$c: $(wc -l < "$scratch/$c.help") options"
done
[ $checked -ge 4 ] || bad "only $checked commands compared"
[ $fail -eq 0 ] && echo "docs_options: ok ($checked commands: --help, man page and README agree)"
exit $fail
