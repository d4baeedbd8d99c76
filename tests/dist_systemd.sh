#!/bin/bash
# The unit, as the build generates it from dist/swanlog.service.in next to the binary:
# `systemd-analyze verify` accepts it (with ExecStart pointed at the built binary and
# Documentation= resolved against the generated man page), and with the --textfile drop-in
# the man page and README document (the same lines in both), the offline security
# review rates its exposure below 2.0, and the hardening the brief promises is there, with
# MemoryDenyWriteExecute absent (PCRE2's JIT needs writable+executable memory).
# usage: dist_systemd.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
build=$(dirname "$bin")
unit="$build/swanlog.service"
[ -f "$unit" ] && [ -f "$build/swanlog.1" ] || { echo "FAIL: no generated swanlog.service and swanlog.1 in $build"; exit 1; }
# The install prefix, from the rules directory the binary defaults to (PREFIX/share/swanlog/rules).
rules_dir=$("$bin" check --help | sed -n 's/.*(default \(\/[^)]*\)).*/\1/p' | head -n 1)
prefix=${rules_dir%/share/swanlog/rules}
[ -n "$rules_dir" ] && [ "$prefix" != "$rules_dir" ] || { echo "FAIL: no PREFIX/share/swanlog/rules in check --help"; exit 1; }
MAX_EXPOSURE=2.0
command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze is not installed"; exit 77; }
systemd-analyze security --help 2>&1 | grep -q -- --offline \
	|| { echo "skip: systemd-analyze has no --offline (systemd < 252)"; exit 77; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. verify: the installed paths do not exist here, so point them at the build and the source.
mkdir -p "$scratch/man/man1"
cp "$build/swanlog.1" "$scratch/man/man1/swanlog.1"
grep -qxF "# Installed as $prefix/lib/systemd/system/swanlog.service. Local changes belong in a drop-in" "$unit" \
	|| bad "the unit does not say it is installed in $prefix/lib/systemd/system"
sed "s#^ExecStart=$prefix/bin/swanlog #ExecStart=$bin #" "$unit" > "$scratch/swanlog.service"
grep -q "^ExecStart=$bin follow " "$scratch/swanlog.service" || bad "ExecStart is not $prefix/bin/swanlog follow ..."
if ! MANPATH="$scratch/man" systemd-analyze verify "$scratch/swanlog.service" > "$scratch/verify.out" 2>&1; then
	bad "systemd-analyze verify:"; cat "$scratch/verify.out"
elif [ -s "$scratch/verify.out" ]; then
	bad "systemd-analyze verify printed warnings:"; cat "$scratch/verify.out"
fi

# 1b. the credentials drop-in documented in the unit's comments is valid too.
mkdir -p "$scratch/web"
{
	cat "$scratch/swanlog.service"
	sed -n 's/^#   //p' "$unit" | sed "s#^ExecStart=$prefix/bin/swanlog #ExecStart=$bin #"
} > "$scratch/web/swanlog.service"
grep -q '^LoadCredential=web-config.yml:' "$scratch/web/swanlog.service" || bad "no LoadCredential= drop-in in the unit's comments"
grep -q -- '--web-config %d/web-config.yml$' "$scratch/web/swanlog.service" || bad "the drop-in's ExecStart lacks --web-config %d/..."
if ! MANPATH="$scratch/man" systemd-analyze verify "$scratch/web/swanlog.service" > "$scratch/verify-web.out" 2>&1 \
	|| [ -s "$scratch/verify-web.out" ]; then
	bad "systemd-analyze verify of the unit with the credentials drop-in:"; cat "$scratch/verify-web.out"
fi

# 1c. the --textfile drop-in: the same lines in the man page and README, and systemd takes
# the unit with it in swanlog.service.d/ (a wrong key there is reported: it is read).
mkdir -p "$scratch/tf/swanlog.service.d"
awk '/^\.EX$/ { ex = 1; n = 0; block = ""; next }
	/^\.EE$/ { if (block ~ /ReadWritePaths=/) printf "%s", block; ex = 0; next }
	ex { block = block $0 "\n" }' "$build/swanlog.1" | sed 's/\\-/-/g' > "$scratch/tf/man.conf"
awk '/^```ini$/ { on = 1; block = ""; next } on && /^```$/ { if (block ~ /ReadWritePaths=/) printf "%s", block; on = 0; next }
	on { block = block $0 "\n" }' "$src/README.md" | sed "s#/usr/bin/swanlog #$prefix/bin/swanlog #" > "$scratch/tf/readme.conf"
grep -q '^ReadWritePaths=/' "$scratch/tf/man.conf" || bad "no --textfile drop-in (ReadWritePaths=) in the man page"
diff "$scratch/tf/man.conf" "$scratch/tf/readme.conf" > "$scratch/tf/diff" \
	|| { bad "the --textfile drop-in differs between the man page and README (the package's paths):"; cat "$scratch/tf/diff"; }
grep -q -- '--textfile /' "$scratch/tf/man.conf" || bad "the drop-in's ExecStart has no --textfile"
cp "$scratch/swanlog.service" "$scratch/tf/swanlog.service"
sed "s#^ExecStart=$prefix/bin/swanlog #ExecStart=$bin #" "$scratch/tf/man.conf" > "$scratch/tf/swanlog.service.d/textfile.conf"
if ! MANPATH="$scratch/man" systemd-analyze verify "$scratch/tf/swanlog.service" > "$scratch/verify-tf.out" 2>&1 \
	|| [ -s "$scratch/verify-tf.out" ]; then
	bad "systemd-analyze verify of the unit with the --textfile drop-in:"; cat "$scratch/verify-tf.out"
fi
echo 'NoSuchKey=1' >> "$scratch/tf/swanlog.service.d/textfile.conf"
MANPATH="$scratch/man" systemd-analyze verify "$scratch/tf/swanlog.service" > "$scratch/verify-tf2.out" 2>&1
grep -q 'NoSuchKey' "$scratch/verify-tf2.out" || bad "systemd-analyze verify did not read swanlog.service.d/ (no word on a wrong key)"

# 2. the offline security review, on the unit exactly as shipped.
systemd-analyze security --offline=true "$unit" > "$scratch/security.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for swanlog.service: \([0-9.]*\).*/\1/p' "$scratch/security.out")
if [ -z "$score" ]; then
	bad "no exposure level in systemd-analyze security output:"; cat "$scratch/security.out"
elif ! awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s < m) }'; then
	bad "exposure level $score is not below $MAX_EXPOSURE:"; grep '✗' "$scratch/security.out"
else
	echo "systemd-analyze security --offline: exposure $score (limit $MAX_EXPOSURE)"
fi

# 3. what the unit must say, and must not.
for want in DynamicUser=yes SupplementaryGroups=systemd-journal StateDirectory=swanlog ProtectSystem=strict \
	ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' RestrictNamespaces=yes LockPersonality=yes \
	SystemCallFilter=@system-service CapabilityBoundingSet= ProtectKernelTunables=yes ProtectKernelModules=yes \
	ProtectKernelLogs=yes ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes RestrictRealtime=yes \
	RestrictSUIDSGID=yes UMask=0077 'ExecStart='"$prefix"'/bin/swanlog follow --state /var/lib/swanlog/state' \
	'ExecReload=/bin/kill -HUP $MAINPID' Restart=on-failure; do
	grep -qxF -- "$want" "$unit" || bad "missing line: $want"
done
grep -q '^MemoryDenyWriteExecute' "$unit" && bad "MemoryDenyWriteExecute is set: PCRE2 JIT would fail"
grep -q '^# MemoryDenyWriteExecute=yes is deliberately NOT set' "$unit" || bad "the reason for no MemoryDenyWriteExecute is gone"

[ $fail -eq 0 ] && echo "dist_systemd: ok"
exit $fail
