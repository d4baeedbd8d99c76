#!/bin/bash
# Install what swanlog needs to build and to run its whole test suite (Debian 12). Run as root,
# or as a user who may sudo: a fresh Debian 12 has no sudo, so root runs it directly.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	exec sudo bash "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# Installing rsyslog or prometheus must not start system daemons: the tests run their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential cmake pkg-config ca-certificates \
	libsystemd-dev libpcre2-dev libmicrohttpd-dev libyaml-dev libcriterion-dev zlib1g-dev \
	libgnutls28-dev libcrypt-dev \
	systemd systemd-journal-remote pcre2-utils prometheus rsyslog curl bsdextrautils \
	clang libclang-rt-14-dev python3 valgrind procps \
	openssl groff-base man-db dpkg-dev binutils >/dev/null
