#!/bin/bash
# The style every file of the tree keeps (.editorconfig says the same to editors; .clang-format
# formats new C code that way): no trailing white space, no CR, a final newline; C indents
# with tabs (a space leads only a comment's continuation " * "). Log fixtures are left as
# they were written. Prints each offending line as path:line: what; exits 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.c' '*.h' '*.sh' '*.py' '*.yaml' '*.yml' '*.md' '*.cmake' 'CMakeLists.txt' \
	'.ci/*' 'dist/*' ':!tests/logs' ':!tests/corpus' ':!tests/journal' | python3 -c '
import re, sys
bad = 0
def say(path, n, what):
    global bad
    print(f"{path}:{n}: {what}")
    bad = 1
for path in sys.stdin.read().split("\0"):
    if not path:
        continue
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        say(path, data.count(b"\n") + 1, "no newline at the end")
    c = path.endswith((".c", ".h"))
    for n, line in enumerate(data.split(b"\n"), 1):
        if b"\r" in line:
            say(path, n, "carriage return")
        elif line != line.rstrip(b" \t"):
            say(path, n, "trailing white space")
        if c and re.match(rb" +[^ *]", line):
            say(path, n, "indented with spaces")
if bad:
    print("style: fix the lines above")
sys.exit(bad)
'
