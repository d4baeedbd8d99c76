#!/bin/bash
# The man page (generated from dist/swanlog.1.in next to the binary): groff renders it without a single warning, and it agrees with the binary:
# every command of `swanlog --help` has a section, every long option of `swanlog COMMAND
# --help` appears in that command's section, and the section names no option the command
# lacks. A command the binary does not have yet (omprog while it is being written) is
# reported and skipped; replay, check and follow must be there.
# usage: dist_man.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
page="$(dirname "$bin")/swanlog.1"
[ -f "$page" ] || { echo "FAIL: no generated man page $page"; exit 1; }
command -v groff >/dev/null || { echo "skip: groff is not installed (apt-get install groff-base)"; exit 77; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. Rendering: -ww turns on every warning; none may appear.
if ! groff -man -Tutf8 -ww -z "$page" 2> "$scratch/groff.err" || [ -s "$scratch/groff.err" ]; then
	bad "groff warnings:"; cat "$scratch/groff.err"
fi
if command -v man >/dev/null; then
	if ! MANWIDTH=80 man --warnings -l "$page" > "$scratch/man.txt" 2> "$scratch/man.err" || [ -s "$scratch/man.err" ]; then
		bad "man -l warnings:"; cat "$scratch/man.err"
	fi
	grep -q '^SWANLOG(1)' "$scratch/man.txt" || bad "man -l rendered no SWANLOG(1) header"
fi
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS FILES SIGNALS 'EXIT STATUS' EXAMPLES; do
	grep -qE "^\.SH \"?$sec\"?\$" "$page" || bad "no $sec section"
done

# The roff source of one command's section, with \- turned into -.
section() {
	awk -v cmd="$1" '
		/^\.S[SH] / { on = ($0 ~ ("^\\.SS \"swanlog \\[?" cmd "[] ]")) ; if (on) print; next }
		on { print }' "$page" | sed 's/\\-/-/g'
}
long_opts() { grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | sort -u; }

# 2. Commands from the main help; omprog is documented even before the binary has it.
"$bin" --help > "$scratch/main.help" || bad "swanlog --help failed"
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' "$scratch/main.help")
for c in replay check follow; do
	grep -qx "$c" <<< "$cmds" || bad "swanlog --help does not list $c"
done
# The rendered SYNOPSIS, as plain text.
groff -man -Tascii "$page" 2>/dev/null | col -bx | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' > "$scratch/synopsis"
for want in 'swanlog --version | --help' 'swanlog [follow] [OPTIONS]'; do
	grep -qF -- "$want" "$scratch/synopsis" || bad "SYNOPSIS lacks: $want"
done

checked=0
for c in $(printf '%s\nomprog\n' "$cmds" | sort -u); do
	section "$c" > "$scratch/$c.man"
	if [ ! -s "$scratch/$c.man" ]; then
		bad "no .SS \"swanlog $c ...\" section for the command $c"; continue
	fi
	grep -qE "swanlog \[?$c\b" "$scratch/synopsis" || bad "SYNOPSIS lacks $c"
	if ! "$bin" "$c" --help > "$scratch/$c.help" 2>&1; then
		if grep -qx "$c" <<< "$cmds"; then
			bad "swanlog $c --help failed:"; cat "$scratch/$c.help"
		else
			echo "note: the binary has no '$c' command yet; its section is not checked against --help"
		fi
		continue
	fi
	long_opts < "$scratch/$c.help" > "$scratch/$c.help.opts"
	long_opts < "$scratch/$c.man" > "$scratch/$c.man.opts"
	[ -s "$scratch/$c.help.opts" ] || bad "swanlog $c --help lists no long option"
	missing=$(comm -23 "$scratch/$c.help.opts" "$scratch/$c.man.opts")
	extra=$(comm -13 "$scratch/$c.help.opts" "$scratch/$c.man.opts")
	[ -z "$missing" ] || bad "the man page's $c section lacks: $(echo $missing)"
	[ -z "$extra" ] || bad "the man page's $c section names options swanlog $c does not have: $(echo $extra)"
	checked=$((checked + 1))
done
[ $checked -ge 3 ] || bad "only $checked commands were checked against their --help"

[ $fail -eq 0 ] && echo "dist_man: ok ($checked commands checked against --help)"
exit $fail
