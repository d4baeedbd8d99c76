#!/bin/bash
# Install what swanlog needs on Debian 12.
#   scripts/deps.sh          to build and run swanlog (compiler, CMake, the libraries' headers)
#   scripts/deps.sh --test   also what the test suite drives: criterion, a journal, rsyslog,
#                            Prometheus, clang's sanitizers and fuzzer, valgrind, logrotate,
#                            headless Chromium (it opens swanlog report's page), ...
# Run as root, or as a user who may sudo: a fresh Debian 12 has no sudo, so root runs it.
# Nothing is started: the tests run their own rsyslogd and Prometheus, and while the packages
# install, a temporary policy-rc.d keeps apt from starting their system services. It is
# removed afterwards, so later upgrades (of strongSwan, say) restart services as usual.
set -euo pipefail
case "${1:-}" in
	"") test=0 ;;
	--test) test=1 ;;
	*) echo "usage: scripts/deps.sh [--test]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
	exec sudo bash "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive

build=(build-essential cmake pkg-config ca-certificates
	libsystemd-dev libpcre2-dev libyaml-dev zlib1g-dev
	libmicrohttpd-dev libgnutls28-dev libcrypt-dev)
tests=(libcriterion-dev python3 procps curl bsdextrautils time file gzip
	systemd systemd-journal-remote pcre2-utils prometheus rsyslog logrotate
	clang libclang-rt-14-dev valgrind openssl groff-base man-db dpkg-dev binutils chromium)
pkgs=("${build[@]}")
[ "$test" = 1 ] && pkgs+=("${tests[@]}")

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# installing swanlog dependencies: start no service (removed when done)\nexit 101\n' > "$policy"
	chmod +x "$policy"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
