#!/bin/bash
# Golden replay tests: each tests/logs/<case>/ holds input logs, an `args` file (the replay
# arguments, paths relative to the case), optionally its own rules.yaml, and the whole
# expected output (expected.prom or expected.om). Output is compared whole, and every
# Prometheus-format output must also pass `promtool check metrics`.
# Optionally: `mtime` ("FILE DATE" lines: the case is replayed in a copy whose FILE has that
# modification time, for logs that take their date from it), and `same-events` (another
# case's name: the IKE_SA and CHILD_SA counters must equal that case's, the same events in
# another log form).
# usage: golden.sh SWANLOG_BINARY SOURCE_DIR [--update [CASE...]]
# --update writes a case's output as its expected output when every other check of it passed
# (the replay succeeded, promtool accepts it): the named cases, or every case when none is named.
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2"); update=${3:-}
shift 2; [ $# -gt 0 ] && shift
declare -A only=(); for c in "$@"; do only[$c]=1; done
command -v promtool >/dev/null || { echo "promtool is required (apt-get install prometheus)"; exit 1; }
pass=0; fail=0
for dir in "$src"/tests/logs/*/; do
	[ -f "$dir/args" ] || continue
	name=$(basename "$dir")
	[ ${#only[@]} -eq 0 ] || [ -n "${only[$name]:-}" ] || continue
	rules="$src/rules"
	[ -e "$dir/rules.yaml" ] && rules="$dir/rules.yaml"
	expected="$dir/expected.prom"
	[ -f "$dir/expected.om" ] && expected="$dir/expected.om"
	got=$(mktemp)
	run=$dir
	if [ -f "$dir/mtime" ]; then
		run=$(mktemp -d) && cp -r "$dir"/. "$run"
		while read -r file date; do touch -d "$date" "$run/$file"; done < "$dir/mtime"
	fi
	# shellcheck disable=SC2046
	(cd "$run" && TZ=UTC "$bin" replay --rules "$rules" $(cat args)) > "$got" 2> "$got.err"
	rc=$?
	[ "$run" = "$dir" ] || rm -rf "$run"
	sa_counters() { grep -E '^ipsec_(ike|child)_sa_[a-z_]+_total' "$1"; }
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit $rc: $(cat "$got.err")"; fail=$((fail + 1))
	elif [ "$update" != --update ] && ! diff -u "$expected" "$got" > "$got.diff"; then
		echo "FAIL $name: output differs from $(basename "$expected"):"; cat "$got.diff"; fail=$((fail + 1))
	elif [ -f "$dir/same-events" ] && ! diff -u <(sa_counters "$src/tests/logs/$(cat "$dir/same-events")/expected.prom") \
		<(sa_counters "$got") > "$got.diff"; then
		echo "FAIL $name: not the events of $(cat "$dir/same-events"):"; cat "$got.diff"; fail=$((fail + 1))
	elif [ "$expected" = "$dir/expected.prom" ] && ! promtool check metrics < "$got" > "$got.lint" 2>&1 \
		&& ! grep -q 'lint' "$got.lint"; then
		echo "FAIL $name: promtool check metrics:"; cat "$got.lint"; fail=$((fail + 1))
	else
		if [ "$update" = --update ] && ! cmp -s "$got" "$expected"; then
			cp "$got" "$expected"; echo "updated $name"
		fi
		pass=$((pass + 1))
	fi
	rm -f "$got" "$got.err" "$got.diff" "$got.lint"
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
