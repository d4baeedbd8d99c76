#!/bin/bash
# `swanlog follow` inside the sandbox of the unit (dist/swanlog.service.in), rebuilt by hand because systemd
# is not PID 1 here: the unit's SystemCallFilter= (expanded by systemd-analyze, installed with
# libseccomp; a refused call kills with SIGSYS instead of the unit's EPERM, so none can hide),
# /proc mounted with subset=pid,hidepid=invisible (ProcSubset=pid, ProtectProc=invisible),
# an unprivileged user with no capabilities and no new privileges (DynamicUser=,
# CapabilityBoundingSet=, NoNewPrivileges=), and UMask=0077. Inside it: read a journal
# directory, count, serve /metrics, follow an append, reload on SIGHUP (when follow has it),
# save the state on SIGTERM, and resume from it.
# usage: dist_sandbox.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1"); src=$(realpath "$2")
unit="$(dirname "$bin")/swanlog.service" # generated from dist/swanlog.service.in
[ -f "$unit" ] || { echo "FAIL: no generated unit $unit"; exit 1; }
JREMOTE=/lib/systemd/systemd-journal-remote
# The system's python: the unprivileged user cannot reach a per-user installation.
PYTHON=/usr/bin/python3
for tool in systemd-analyze $PYTHON unshare setpriv curl; do
	command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
done
[ -x $JREMOTE ] || { echo "skip: $JREMOTE is missing (apt-get install systemd-journal-remote)"; exit 77; }
$PYTHON -c 'import ctypes; ctypes.CDLL("libseccomp.so.2")' 2>/dev/null \
	|| { echo "skip: libseccomp.so.2 is missing"; exit 77; }
unshare --mount --propagation private true 2>/dev/null || { echo "skip: unshare --mount needs root"; exit 77; }
"$bin" follow --help > /dev/null 2>&1 || { echo "skip: this swanlog has no follow command"; exit 77; }

# LeakSanitizer inspects the process at exit with ptrace from a helper thread, which the
# unit's filter forbids (ptrace is in @debug): in a sanitizer build, leaks are left to the
# other tests and only AddressSanitizer's checks run here.
if objdump -p "$bin" 2>/dev/null | grep -q 'NEEDED.*libasan' || grep -q __asan_init "$bin"; then
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# A free port in 19800-19899 (an unusual range), starting from one derived from our PID.
PORT=
for i in $(seq 0 99); do
	p=$((19800 + ($$ + i) % 100))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "FAIL: no free port in 19800-19899"; exit 1; }

scratch=$(mktemp -d)
chmod 0755 "$scratch"
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# What the unprivileged user may read and write: its own copies, as DynamicUser would see.
mkdir -p "$scratch/journal" "$scratch/state" "$scratch/rules"
cp "$bin" "$scratch/swanlog"
cp "$src"/rules/*.yaml "$scratch/rules/"
cp "$src/tests/sandbox/seccomp-exec.py" "$unit" "$scratch/"
chmod -R a+rX "$scratch/swanlog" "$scratch/rules" "$scratch/seccomp-exec.py" "$scratch/swanlog.service"
chown 65534:65534 "$scratch/state"
chmod 0700 "$scratch/state"

# Append one established IKE_SA for site-a to the journal file (a real journal file).
n_entries=0
add_entry() {
	n_entries=$((n_entries + 1))
	printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=gw\nSYSLOG_IDENTIFIER=charon\n_PID=100\nMESSAGE=09[IKE] IKE_SA site-a[%d] established between 192.0.2.1[gw]...198.51.100.7[peer7]\n\n' \
		$((1764438000000000 + n_entries * 1000000)) $((n_entries * 1000000)) $n_entries \
		| $JREMOTE -o "$scratch/journal/gw.journal" - 2>> "$scratch/journal-remote.log" \
		|| { bad "systemd-journal-remote failed"; cat "$scratch/journal-remote.log"; }
	chmod a+r "$scratch/journal/gw.journal"
}

start() {
	unshare --mount --propagation private bash -c '
		mount -t proc -o subset=pid,hidepid=invisible proc /proc || exit 90
		umask 0077
		exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
			--no-new-privs "$1" "$2" "$3" -- "$4" follow --journal-dir "$5" --from head \
			--state "$6" --listen "127.0.0.1:$7" --rules "$8" "${@:9}"' \
		sandbox "$PYTHON" "$scratch/seccomp-exec.py" "$scratch/swanlog.service" "$scratch/swanlog" \
		"$scratch/journal" "$scratch/state/state" "$PORT" "$scratch/rules" "$@" >> "$scratch/swanlog.log" 2>&1 &
	pid=$!
}

# Poll /metrics until the site-a counter equals $1 (10 s deadline, process must stay alive).
# CURL_URL and CURL_OPTS say how to reach it (plain HTTP, or HTTPS with credentials).
CURL_URL="http://127.0.0.1:$PORT/metrics"
CURL_OPTS=()
wait_count() {
	local want=$1 deadline=$((SECONDS + 10)) got=
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$pid" 2>/dev/null || break
		got=$(curl -sf --max-time 2 "${CURL_OPTS[@]}" "$CURL_URL" 2>/dev/null \
			| sed -n 's/^ipsec_ike_sa_established_total{conn="site-a",peer="198.51.100.7"} //p')
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	bad "site-a counter is '${got}', want $want (swanlog $(kill -0 "$pid" 2>/dev/null && echo running || echo gone))"
	cat "$scratch/swanlog.log"
	exit 1
}

stop() {
	kill -TERM "$pid"
	local deadline=$((SECONDS + 15))
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		bad "swanlog still running 15 s after SIGTERM"; kill -KILL "$pid"
	fi
	wait "$pid"
	local rc=$?
	pid=
	[ $rc -eq 0 ] || { bad "swanlog exited $rc after SIGTERM (159 = SIGSYS: a system call outside the filter)"; cat "$scratch/swanlog.log"; }
}

add_entry
start
wait_count 1
add_entry
wait_count 2
if "$bin" follow --help 2>&1 | grep -q SIGHUP; then
	kill -HUP "$pid"
	wait_count 2 && echo "reload on SIGHUP: still serving"
else
	echo "note: follow does not handle SIGHUP yet; the reload step is skipped"
fi
stop
[ -f "$scratch/state/state" ] || bad "no state file after SIGTERM"
perm=$(stat -c '%a %u' "$scratch/state/state" 2>/dev/null)
[ "$perm" = "600 65534" ] || bad "state file mode/owner is '$perm', want '600 65534' (UMask=0077, the service user)"

# Resume: the counter comes back from the state, and counting goes on.
start
wait_count 2
add_entry
wait_count 3
stop

# Serving over TLS with basic auth inside the sandbox: GnuTLS and bcrypt under the filter.
if command -v openssl >/dev/null && "$bin" follow --help 2>&1 | grep -q -- --web-config; then
	(cd "$scratch" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost -days 1 -keyout web.key -out web.crt) \
		> "$scratch/openssl.log" 2>&1 || { bad "openssl req failed"; cat "$scratch/openssl.log"; }
	hash=$($PYTHON - <<'PY'
import ctypes
lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt.restype = ctypes.c_char_p
lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
print(lib.crypt(b"scrape-pw", lib.crypt_gensalt(b"$2b$", 5, None, 0)).decode())
PY
)
	printf 'tls_server_config:\n  cert_file: web.crt\n  key_file: web.key\nbasic_auth_users:\n  prom: %s\n' \
		"$hash" > "$scratch/web.yml"
	chmod a+r "$scratch/web.yml" "$scratch/web.crt" "$scratch/web.key"
	CURL_URL="https://localhost:$PORT/metrics"
	CURL_OPTS=(--cacert "$scratch/web.crt" --resolve "localhost:$PORT:127.0.0.1" -u prom:scrape-pw)
	start --web-config "$scratch/web.yml"
	wait_count 3
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$scratch/web.crt" \
		--resolve "localhost:$PORT:127.0.0.1" -u prom:wrong "$CURL_URL")
	[ "$code" = 401 ] || bad "a wrong password got HTTP $code, want 401"
	echo "TLS and basic auth: served in the sandbox"
	stop
else
	echo "note: no openssl or no --web-config; the TLS step is skipped"
fi

[ $fail -eq 0 ] && echo "dist_sandbox: ok (syscall filter from the unit, /proc subset=pid, uid 65534 without capabilities)"
exit $fail
