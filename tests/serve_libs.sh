#!/bin/bash
# The serving libraries (libmicrohttpd, GnuTLS, libxcrypt) are loaded by the commands that
# serve, not linked: the binary does not need them, replay and check run without them, and
# follow and omprog stop at once, naming the library, when one is broken. A broken library
# is one that the loader finds first through LD_LIBRARY_PATH: a file that is not a library,
# or a real library (libz) under the serving library's soname, lacking its functions.
# usage: serve_libs.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
tmp=$(mktemp -d /tmp/swanlog-serve-libs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TZ=UTC
fail=0
bad() { echo "FAIL: $*"; fail=1; }

needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || bad "readelf found no NEEDED libraries"
for so in libmicrohttpd libgnutls libcrypt.so; do
	grep -q "^$so" <<< "$needed" && bad "the binary links $so: $(tr '\n' ' ' <<< "$needed")"
done

libz=$(ldconfig -p | awk '$1 == "libz.so.1" && /x86-64|64bit/ { print $NF; exit }')
[ -n "$libz" ] || libz=$(ldconfig -p | awk '$1 == "libz.so.1" { print $NF; exit }')
[ -f "$libz" ] || { echo "skip: no libz.so.1 found"; exit 77; }
log="$tmp/charon.log"
echo 'Nov 29 17:51:51 moon charon: 09[IKE] <site-a|1> IKE_SA site-a[1] established between 192.0.2.1[moon]...198.51.100.7[sun]' > "$log"

# broken SONAME KIND: a directory in which SONAME is not the library (KIND: text or libz)
broken() {
	local dir="$tmp/$1-$2"
	mkdir -p "$dir"
	if [ "$2" = text ]; then echo 'not a library' > "$dir/$1"; else ln -sf "$libz" "$dir/$1"; fi
	echo "$dir"
}

# expect_refused DIR SONAME WHAT CMD...: CMD (follow or omprog) exits 1 before serving and
# logs level=error msg="serving needs SONAME: ..." and WHAT
expect_refused() {
	local dir=$1 soname=$2 what=$3; shift 3
	LD_LIBRARY_PATH=$dir timeout 20 "$bin" "$@" --listen 127.0.0.1:0 --rules "$src/rules" \
		--state "$tmp/state" < /dev/null > "$tmp/out" 2> "$tmp/err"
	local rc=$?
	[ $rc -eq 1 ] || bad "$* with a broken $soname: exit $rc, expected 1 ($(cat "$tmp/err"))"
	grep -q "level=error msg=\"serving needs $soname: .*$what" "$tmp/err" \
		|| bad "$* with a broken $soname: stderr '$(cat "$tmp/err")' lacks 'serving needs $soname: ...$what'"
	[ -e "$tmp/state" ] && bad "$* with a broken $soname wrote its state before failing"
	rm -f "$tmp/state"
}

# expect_unaffected DIR: replay and check do not load the serving libraries
expect_unaffected() {
	LD_LIBRARY_PATH=$1 "$bin" replay --rules "$src/rules" --year 2026 --self-metrics "$log" > "$tmp/out" 2> "$tmp/err" \
		|| bad "replay with $(basename "$1") failed: $(cat "$tmp/err")"
	grep -q '^swanlog_lines_read_total 1$' "$tmp/out" || bad "replay with $(basename "$1"): no lines read"
	LD_LIBRARY_PATH=$1 "$bin" check --quiet --rules "$src/rules" > "$tmp/out" 2>&1 \
		|| bad "check with $(basename "$1") failed: $(cat "$tmp/out")"
}

for kind in text libz; do
	d=$(broken libmicrohttpd.so.12 "$kind")
	expect_refused "$d" libmicrohttpd.so.12 "" follow --file "$log"
	expect_refused "$d" libmicrohttpd.so.12 "" omprog
	expect_unaffected "$d"
	d=$(broken libcrypt.so.1 "$kind")
	expect_refused "$d" libcrypt.so.1 "" follow --file "$log" --web-config "$src/dist/web-config.yml"
	expect_unaffected "$d"
done
# what the loader says: the file that is not a library, or the first function missing
expect_refused "$tmp/libmicrohttpd.so.12-text" libmicrohttpd.so.12 "$tmp/libmicrohttpd.so.12-text/libmicrohttpd.so.12: " \
	follow --file "$log"
expect_refused "$tmp/libmicrohttpd.so.12-libz" libmicrohttpd.so.12 "undefined symbol: MHD_start_daemon" \
	follow --file "$log"
expect_refused "$tmp/libcrypt.so.1-libz" libcrypt.so.1 "undefined symbol: crypt_rn" omprog
# GnuTLS broken: libmicrohttpd needs it, so loading libmicrohttpd fails, naming libgnutls
d=$(broken libgnutls.so.30 text)
expect_refused "$d" libmicrohttpd.so.12 "$d/libgnutls.so.30: " follow --file "$log"
expect_unaffected "$d"

[ $fail -eq 0 ] && echo "serve_libs: ok"
exit $fail
