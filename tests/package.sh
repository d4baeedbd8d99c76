#!/bin/bash
# The Debian package: configure a scratch build for /usr without the tests, build the .deb
# with cpack, check its contents and control fields with dpkg-deb, unpack it with dpkg -x and
# run the unpacked binary against the unpacked rules; then install it with dpkg -i into a
# scratch root (this system seen through an overlay, chrooted: its dpkg database holds the
# dependencies) and run the installed swanlog with its own defaults: the rules it finds, a
# replay, follow serving /metrics, and its unit where systemd looks for units.
# usage: package.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
src=$(realpath "$2")
for tool in cpack dpkg-deb dpkg; do
	command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0; skip=0
bad() { echo "FAIL: $*"; fail=1; }
die() { echo "FAIL: $*"; [ -f "$scratch/log" ] && tail -n 40 "$scratch/log"; exit 1; }

build="$scratch/build"
cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DSWL_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	> "$scratch/log" 2>&1 || die "cmake configure"
cmake --build "$build" -j2 >> "$scratch/log" 2>&1 || die "cmake --build"
(cd "$build" && cpack -G DEB) >> "$scratch/log" 2>&1 || die "cpack -G DEB"
debs=("$build"/swanlog_*.deb)
{ [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ]; } || die "cpack made no single swanlog_*.deb: ${debs[*]}"
deb=${debs[0]}
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# Contents.
dpkg-deb -c "$deb" | awk '{ print $6 }' > "$scratch/contents" || die "dpkg-deb -c"
for f in ./usr/bin/swanlog ./usr/share/swanlog/rules/strongswan.yaml ./usr/lib/systemd/system/swanlog.service \
	./usr/share/man/man1/swanlog.1.gz ./usr/share/doc/swanlog/rsyslog-swanlog.conf \
	./usr/share/doc/swanlog/web-config.yml ./usr/share/doc/swanlog/README.md ./usr/share/doc/swanlog/rules.md \
	./usr/share/doc/swanlog/RUNBOOK.md ./usr/share/swanlog/prometheus/swanlog-alerts.yml \
	./usr/share/swanlog/grafana/swanlog.json ./usr/share/swanlog/strongswan-logging.conf; do
	grep -qxF "$f" "$scratch/contents" || bad "not in the package: $f"
done
grep -v '/$' "$scratch/contents" | grep -vE '^\./usr/(bin|share|lib/systemd/system)/' \
	&& bad "files outside /usr/bin, /usr/share and /usr/lib/systemd/system (above)"
dpkg-deb -c "$deb" | grep -E ' \./usr/bin/swanlog$' | grep -q '^-rwxr-xr-x' || bad "/usr/bin/swanlog is not mode 0755"

# Control fields: shlibdeps found every library the binary links.
dpkg-deb -f "$deb" Package Version Architecture Maintainer Depends Description > "$scratch/control" \
	|| die "dpkg-deb -f"
grep -qx 'Package: swanlog' "$scratch/control" || bad "Package is not swanlog"
version=$(sed -n 's/^Version: //p' "$scratch/control")
grep -q '^Maintainer: .*<.*@.*>' "$scratch/control" || bad "no Maintainer with an address"
grep -q '^Description: .*IPsec' "$scratch/control" || bad "no Description"
depends=$(sed -n 's/^Depends: //p' "$scratch/control")
has_dep() { grep -qE "(^|, )$1( |,|$)" <<< "$depends"; }
for pkg in libc6 libsystemd0 libpcre2-8-0 libmicrohttpd12 libyaml-0-2 zlib1g libgnutls30 libcrypt1; do
	has_dep "$pkg" || bad "Depends lacks $pkg: $depends"
done
dpkg-deb -e "$deb" "$scratch/control.d" || die "dpkg-deb -e"
for s in postinst prerm postrm; do
	[ -x "$scratch/control.d/$s" ] || bad "maintainer script $s missing or not executable"
done

# Unpacked: the binary runs, its version is the package's, the rules check out.
root="$scratch/root"
dpkg -x "$deb" "$root" || die "dpkg -x"
# Every shared library the binary needs comes from a package named in Depends.
needed=$(objdump -p "$root/usr/bin/swanlog" | awk '$1 == "NEEDED" { print $2 }')
[ -n "$needed" ] || bad "objdump found no NEEDED libraries"
for so in $needed; do
	path=$(ldd "$root/usr/bin/swanlog" | awk -v so="$so" '$1 == so { print $3 }')
	[ -n "$path" ] || { bad "ldd cannot resolve $so"; continue; }
	owner=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null)
	pkg=${owner%%:*}
	[ -n "$pkg" ] || { bad "no package owns $path"; continue; }
	has_dep "$pkg" || bad "$so ($pkg) is not in Depends: $depends"
done
"$root/usr/bin/swanlog" --version > "$scratch/version" 2>&1 || bad "swanlog --version failed"
grep -qx "swanlog $version" "$scratch/version" || bad "--version says '$(cat "$scratch/version")', package $version"
if ! "$root/usr/bin/swanlog" check --rules "$root/usr/share/swanlog/rules" > "$scratch/check" 2>&1; then
	bad "check --rules <unpacked rules> failed:"; cat "$scratch/check"
else
	echo "unpacked: $(cat "$scratch/check")"
fi
# The default rules directory is the installed one, /usr/share/swanlog/rules.
"$root/usr/bin/swanlog" check --help | grep -qF '(default /usr/share/swanlog/rules)' \
	|| bad "the compiled-in rules directory is not /usr/share/swanlog/rules"
cmp -s "$root/usr/lib/systemd/system/swanlog.service" "$build/swanlog.service" || bad "the unit differs from the build's"
zcat "$root/usr/share/man/man1/swanlog.1.gz" | cmp -s - "$build/swanlog.1" || bad "the man page differs from the build's"
for f in prometheus/swanlog-alerts.yml grafana/swanlog.json strongswan-logging.conf; do
	cmp -s "$root/usr/share/swanlog/$f" "$src/dist/$f" || bad "/usr/share/swanlog/$f differs from dist/$f"
done

# Every path under /usr the man page, the unit and README name for swanlog's own files is in
# the package (a documented path that is not installed, or installed elsewhere, fails).
{
	zcat "$root/usr/share/man/man1/swanlog.1.gz" | sed 's/\\-/-/g'
	cat "$root/usr/lib/systemd/system/swanlog.service" "$src/README.md"
} | grep -oE '/usr/(bin/swanlog|lib/systemd/system/swanlog\.service|share/(doc/)?swanlog(/[A-Za-z0-9._/-]*)?)' \
	| sed 's#/$##' | sort -u > "$scratch/documented"
[ "$(wc -l < "$scratch/documented")" -ge 8 ] || bad "fewer than 8 installed paths named in the docs: $(cat "$scratch/documented")"
while read -r p; do
	[ -e "$root$p" ] || bad "documented but not installed: $p"
done < "$scratch/documented"
# What the man page and unit said before the paths were generated is gone.
zcat "$root/usr/share/man/man1/swanlog.1.gz" | grep -E '(^|[^r])/lib/systemd/system|/usr/local' \
	&& bad "the man page names a path the package does not install (above)"

# Installed with dpkg -i into a scratch root, and run there with its own defaults.
install_root() {
	command -v unshare >/dev/null && command -v chroot >/dev/null || { echo "skip: dpkg -i: no unshare or chroot"; skip=1; return 0; }
	unshare --mount --propagation private true 2>/dev/null || { echo "skip: dpkg -i: unshare --mount needs root"; skip=1; return 0; }
	mkdir -p "$scratch/ov/upper" "$scratch/ov/work" "$scratch/ov/root"
	cp "$deb" "$scratch/ov/swanlog.deb"
	cp "$src/tests/corpus/logs/S00_startup/moon.charon.log" "$src/tests/logs/S00_moon_charon/expected.prom" "$scratch/ov/" \
		|| { bad "no fixture tests/corpus/logs/S00_startup/moon.charon.log"; return 0; }
	# A free port for follow's listener (127.0.0.1:9814, the default, may be taken here).
	local port=
	for i in $(seq 0 99); do
		p=$((19900 + ($$ + i) % 100))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
	done
	[ -n "$port" ] || { bad "no free port in 19900-19999"; return 0; }
	unshare --mount --propagation private bash "$src/tests/lib/package_root.sh" "$scratch/ov" "$port" \
		> "$scratch/root.log" 2>&1 || { bad "installed into a scratch root:"; cat "$scratch/root.log"; return 0; }
	cat "$scratch/root.log"
}
install_root

[ $fail -eq 0 ] && [ $skip -eq 1 ] && exit 77
[ $fail -eq 0 ] && echo "package: ok"
exit $fail
