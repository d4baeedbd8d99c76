#!/bin/bash
# The shipped alerts and dashboard, end to end on followed journal files: two `swanlog follow
# --journal-file` on journals written by systemd-journal-remote, the log lines of each failure
# appended as the entries charon-systemd writes (tests/journal_export.py), a real Prometheus
# (loopback, 1 s scrape and evaluation) with dist/prometheus/swanlog-alerts.yml; the acts of
# tests/lib/alerts_e2e.sh: each alert pending or firing with its labels on the first event of a
# new label set and on later ones, nothing on a clean life; every dashboard query counting
# what the journal holds; a refused reload; a saved journal position gone at a restart
# (SwanlogJournalGap); a Prometheus with empty storage firing nothing of the past; the journal
# replayed into blocks giving the same alerts and dashboard answers.
# usage: alerts_journal.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || { echo "skipped: $JR not installed (apt-get install systemd-journal-remote)"; exit 77; }
for tool in prometheus promtool python3 curl; do
	command -v $tool >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done
. "$SRC/tests/lib/follow.sh"
. "$SRC/tests/lib/prometheus.sh"
mkdir -p "$T/j/gw" "$T/j/b" "$T/state"
declare -A NEXT=([gw]=1 [b]=1) # the next entry's number (its monotonic time) in each journal

# seed JOURNAL: a journal file without entries, to follow from the start
seed() {
	"$JR" -o "$1" - < /dev/null 2> "$T/jr.err" || fail "journal-remote: $(cat "$T/jr.err")"
}
src_start() { # NAME ARGS... (journals in their own directories: the state is elsewhere)
	local name=$1
	shift
	[ -e "$T/j/$name/live.journal" ] || seed "$T/j/$name/live.journal"
	start_named "$name" --journal-file "$T/j/$name/live.journal" --from head "$@"
}
src_append() { # NAME FILE
	"$PYTHON" "$SRC/tests/journal_export.py" filelog "$2" moon "$(date -u +%Y)" "${NEXT[$1]}" \
		| "$JR" -o "$T/j/$1/live.journal" - 2> "$T/jr.err" || fail "journal-remote: $(cat "$T/jr.err")"
	NEXT[$1]=$((NEXT[$1] + $(wc -l < "$2")))
}

. "$SRC/tests/lib/alerts_e2e.sh"
e2e_start
e2e_acts
cp "$T/j/gw/live.journal" "$T/gw.journal"
e2e_dashboard "$T/gw.journal"
e2e_reload

# The journal is replaced (vacuumed) while swanlog gw is stopped: at its start the saved
# position is gone; it counts a gap and reads on from the oldest entry.
stop_named gw TERM
rm "$T/j/gw/live.journal"
seed "$T/j/gw/live.journal"
src_start gw --rules "$RULES" --state "$T/state/gw"
LAST_ACT="gw: restarted, its journal position gone"
set_alert firing SwanlogJournalGap gw source=journal
expect "swanlog_source_gaps_total{instance=\"$(addr gw)\"} == 1"

# A Prometheus that has never seen these swanlogs: the events are of unknown age, nothing fires
ACTIVE=()
e2e_restart_prometheus "$T/tsdb-new"

e2e_backfill "$T/gw.journal"
echo "alerts_journal: ok"
