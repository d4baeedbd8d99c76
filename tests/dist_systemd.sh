#!/bin/bash
# dist/swanlog.service: `systemd-analyze verify` accepts it (with ExecStart pointed at the
# built binary and Documentation= resolved against dist/swanlog.1), the offline security
# review rates its exposure below 2.0, and the hardening the brief promises is there, with
# MemoryDenyWriteExecute absent (PCRE2's JIT needs writable+executable memory).
# usage: dist_systemd.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
unit="$src/dist/swanlog.service"
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
cp "$src/dist/swanlog.1" "$scratch/man/man1/swanlog.1"
sed "s#^ExecStart=/usr/bin/swanlog #ExecStart=$bin #" "$unit" > "$scratch/swanlog.service"
grep -q "^ExecStart=$bin follow " "$scratch/swanlog.service" || bad "ExecStart is not /usr/bin/swanlog follow ..."
if ! MANPATH="$scratch/man" systemd-analyze verify "$scratch/swanlog.service" > "$scratch/verify.out" 2>&1; then
	bad "systemd-analyze verify:"; cat "$scratch/verify.out"
elif [ -s "$scratch/verify.out" ]; then
	bad "systemd-analyze verify printed warnings:"; cat "$scratch/verify.out"
fi

# 1b. the credentials drop-in documented in the unit's comments is valid too.
mkdir -p "$scratch/web"
{
	cat "$scratch/swanlog.service"
	sed -n 's/^#   //p' "$unit" | sed "s#^ExecStart=/usr/bin/swanlog #ExecStart=$bin #"
} > "$scratch/web/swanlog.service"
grep -q '^LoadCredential=web-config.yml:' "$scratch/web/swanlog.service" || bad "no LoadCredential= drop-in in the unit's comments"
grep -q -- '--web-config %d/web-config.yml$' "$scratch/web/swanlog.service" || bad "the drop-in's ExecStart lacks --web-config %d/..."
if ! MANPATH="$scratch/man" systemd-analyze verify "$scratch/web/swanlog.service" > "$scratch/verify-web.out" 2>&1 \
	|| [ -s "$scratch/verify-web.out" ]; then
	bad "systemd-analyze verify of the unit with the credentials drop-in:"; cat "$scratch/verify-web.out"
fi

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
	RestrictSUIDSGID=yes UMask=0077 'ExecStart=/usr/bin/swanlog follow --state /var/lib/swanlog/state' \
	'ExecReload=/bin/kill -HUP $MAINPID' Restart=on-failure; do
	grep -qxF -- "$want" "$unit" || bad "missing line: $want"
done
grep -q '^MemoryDenyWriteExecute' "$unit" && bad "MemoryDenyWriteExecute is set: PCRE2 JIT would fail"
grep -q '^# MemoryDenyWriteExecute=yes is deliberately NOT set' "$unit" || bad "the reason for no MemoryDenyWriteExecute is gone"

[ $fail -eq 0 ] && echo "dist_systemd: ok"
exit $fail
