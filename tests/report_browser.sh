#!/bin/bash
# swanlog report in a real browser: headless Chromium opens the report of the whole corpus and
# a report of hostile names; tests/lib/report_browser.py says what is checked. The screenshot
# is left in $SWL_REPORT_SCREENSHOT when that is set.
# usage: report_browser.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
command -v chromium > /dev/null || { echo "chromium is required (scripts/deps.sh --test installs it)"; exit 77; }
T=$(mktemp -d /tmp/swl_browser_XXXXXX)
trap 'rm -rf "$T"' EXIT
export TZ=UTC
python3 "$src/tests/lib/report_browser.py" "$bin" "$src/rules" "$src/tests/corpus/logs" "$T" \
	${SWL_REPORT_SCREENSHOT:+"$SWL_REPORT_SCREENSHOT"}
