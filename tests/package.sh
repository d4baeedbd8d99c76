#!/bin/bash
# The Debian package: configure a scratch build for /usr without the tests, build the .deb
# with cpack, check its contents and control fields with dpkg-deb, unpack it into a scratch
# root with dpkg -x, and run the unpacked binary against the unpacked rules.
# usage: package.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
src=$(realpath "$2")
for tool in cpack dpkg-deb dpkg; do
	command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
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
	./usr/share/doc/swanlog/RUNBOOK.md ./usr/share/doc/swanlog/prometheus/swanlog-alerts.yml \
	./usr/share/doc/swanlog/grafana/swanlog.json; do
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
cmp -s "$root/usr/lib/systemd/system/swanlog.service" "$src/dist/swanlog.service" || bad "the unit differs from dist/"
zcat "$root/usr/share/man/man1/swanlog.1.gz" | cmp -s - "$src/dist/swanlog.1" || bad "the man page differs from dist/"

[ $fail -eq 0 ] && echo "package: ok"
exit $fail
