#!/bin/bash
# Run by tests/package.sh inside `unshare --mount`: this system seen through an overlay
# (writes go to DIR/upper, the system is left as it is), chrooted, the package installed with
# dpkg -i there, and the installed swanlog run with its own defaults.
# usage: package_root.sh DIR PORT   (DIR holds swanlog.deb, moon.charon.log, expected.prom)
set -uo pipefail
dir=$1; port=$2
root="$dir/root"
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null' EXIT
die() { echo "FAIL: $*"; exit 1; }

mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root" || die "mount overlay"
# /run empty: the maintainer scripts see no running systemd and leave this system's alone.
mount -t tmpfs tmpfs "$root/run" && mount -t tmpfs tmpfs "$root/tmp" || die "mount tmpfs"
mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" || die "mount /proc, /dev"
mkdir -p "$root/mnt/pkg" && mount --bind "$dir" "$root/mnt/pkg" || die "bind $dir"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TZ=UTC "$@"; }

in_root dpkg -i /mnt/pkg/swanlog.deb > "$dir/dpkg.log" 2>&1 || { cat "$dir/dpkg.log"; die "dpkg -i"; }
in_root dpkg-query -W -f '${Status} ${Version}\n' swanlog | grep -q '^install ok installed ' \
	|| die "dpkg does not list swanlog as installed"
echo "dpkg -i: $(in_root dpkg-query -W -f '${Package} ${Version} ${Status}' swanlog)"
[ "$(in_root sh -c 'command -v swanlog')" = /usr/bin/swanlog ] || die "swanlog is not /usr/bin/swanlog on PATH"

# Its own rules, found without --rules.
in_root swanlog check > "$dir/check.out" 2>&1 || { cat "$dir/check.out"; die "swanlog check (default rules)"; }
echo "installed check: $(tail -n 1 "$dir/check.out")"
# A replay with the default rules gives the golden output.
in_root swanlog replay --year 2026 /mnt/pkg/moon.charon.log > "$dir/replay.out" 2> "$dir/replay.err" \
	|| { cat "$dir/replay.err"; die "swanlog replay (default rules)"; }
diff -u "$dir/expected.prom" "$dir/replay.out" > "$dir/replay.diff" \
	|| { head -n 40 "$dir/replay.diff"; die "installed replay differs from the golden output"; }
echo "installed replay: $(grep -vc '^#' "$dir/replay.out") samples, as the golden output"

# follow with the default rules and state file (/var/lib/swanlog/state), on a free port.
# (exec: $! is swanlog itself, which gets the SIGTERM)
(exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TZ=UTC \
	swanlog follow --file /mnt/pkg/moon.charon.log --from head --listen "127.0.0.1:$port") > "$dir/follow.log" 2>&1 &
pid=$!
deadline=$((SECONDS + 20)); got=
while [ $SECONDS -lt $deadline ]; do
	got=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -x 'ipsec_daemon_starts_total 1' || true)
	[ -n "$got" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
[ -n "$got" ] || { kill $pid 2>/dev/null; wait $pid; cat "$dir/follow.log"; die "installed follow served no ipsec_daemon_starts_total 1"; }
kill -TERM $pid; wait $pid; rc=$?; pid=
[ $rc -eq 0 ] || { cat "$dir/follow.log"; die "installed follow exited $rc on SIGTERM"; }
[ -s "$root/var/lib/swanlog/state" ] || die "no state saved in the default /var/lib/swanlog/state"
echo "installed follow: served the log's daemon start, saved its state in /var/lib/swanlog/state"

# The unit where systemd looks for units, and valid there (ExecStart= and man:swanlog(1)
# resolve against what was installed).
unit=$(in_root dpkg -L swanlog | grep '/swanlog\.service$')
[ -n "$unit" ] || die "the package has no swanlog.service"
in_root systemd-analyze --system unit-paths | grep -qxF "$(dirname "$unit")" \
	|| die "$(dirname "$unit") is not among systemd's unit paths: $(in_root systemd-analyze --system unit-paths | tr '\n' ' ')"
if command -v systemd-analyze >/dev/null; then
	in_root systemd-analyze verify "$unit" > "$dir/verify.out" 2>&1 && [ ! -s "$dir/verify.out" ] \
		|| { cat "$dir/verify.out"; die "systemd-analyze verify $unit"; }
fi
echo "installed unit: $unit, in systemd's unit paths, verified"
