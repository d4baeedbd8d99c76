#!/bin/bash
# Hostile clients and hostile log text in follow mode: swanlog follows a file that receives
# lines with quotes, escapes, NUL, CR and invalid UTF-8 in captured labels while raw-socket
# clients send what no scraper would (a 1 MiB request line, 10,000 headers, NUL bytes, bad
# chunk sizes, a huge Content-Length, HTTP/1.1 without Host, 1000 pipelined requests, slow
# drip-fed requests), and connections are kept alive between requests.
# Afterwards the process is alive, its memory stayed bounded, /metrics answers with an
# exposition that promtool and the strict reader accept, with exactly the series the lines
# named. A scrape also succeeds while slow clients hold connections open.
# usage: hostile_http.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
command -v promtool >/dev/null || fail "promtool is required (scripts/deps.sh installs it)"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
sanitized=0
case "$(ldd "$BIN" 2>/dev/null)" in *libasan* | *libubsan*) sanitized=1 ;; esac

mkdir -p "$T/log" "$T/state"
L="$T/log/hostile.log"
: > "$L"
start_swanlog --file "$L" --from head --rules "$SRC/tests/hostile/capture.yaml" --state "$T/state/s"
URL="http://127.0.0.1:$PORT"

# Hostile log text, appended while swanlog follows the file.
N=200
python3 "$SRC/tests/hostile/gen.py" capture $N >> "$L"
wait_metric 'swanlog_lines_read_total' $N

python3 - "$PORT" > "$T/clients.out" 2>&1 <<'PY' || fail "hostile clients: $(cat "$T/clients.out")"
import socket, sys, threading, time

port = int(sys.argv[1])

def complete(got):
    """Whether got holds a whole response (its head and Content-Length bytes of body)."""
    head, sep, body = got.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v)
    return False

def exchange(payload, read=True, timeout=5, until_close=False):
    """Send payload, read until the server closes, goes quiet or (unless until_close) has sent
    one whole response (connections are kept alive); return what came back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading it all
        got = b""
        if read:
            try:
                while until_close or not complete(got):
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            except (socket.timeout, ConnectionResetError):
                pass
        return got
    finally:
        s.close()

def status(resp):
    return resp.split(b"\r\n", 1)[0][:40]

cases = {
    "huge request line": b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "10000 headers": b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(10000)) + b"\r\n",
    "long Accept": b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text; version=" + b"9" * 30000 + b"\r\n\r\n",
    "long Accept-Encoding": b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + b"gzip;q=0.5, " * 2500 + b"\r\n\r\n",
    "NUL and high bytes": b"G\x00T /metr\xffics HTTP/1.1\r\nHost: \x00\r\n\r\n",
    "garbage": bytes(range(256)) * 64,
    "bad chunk size": b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n",
    "huge Content-Length": b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc",
    "both lengths": b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad auth": b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!" + b"=" * 5000 + b"\r\n\r\n",
    "traversal": b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "encoded NUL": b"GET /metrics%00.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "HTTP/0.9": b"GET /metrics\r\n\r\n",
    "bad version": b"GET /metrics HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
    "absolute URI": b"GET http://evil.example/metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    "GET with a body": b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc",
    "HTTP/1.1 without Host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "binary, no line end": bytes(range(128, 200)),
    "TLS to the HTTP port": bytes.fromhex("16030100a5010000a10303") + bytes(64),
    "control bytes": b"\x01\x02\x03 /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/1.0 without Host": b"GET /healthz HTTP/1.0\r\n\r\n",
}
# bounded request memory: oversized requests are refused, never buffered
# (a request body is never read: refused at once, 413 when the request is otherwise servable)
want = {"huge request line": b"HTTP/1.1 414", "10000 headers": b"HTTP/1.1 431", "garbage": b"HTTP/1.1 400",
        "traversal": b"HTTP/1.1 404", "HTTP/0.9": b"HTTP/1.1 400", "HTTP/1.1 without Host": b"HTTP/1.1 400",
        "HTTP/1.0 without Host": b"HTTP/1.1 200", "huge Content-Length": b"HTTP/1.1 405",
        "bad chunk size": b"HTTP/1.1 405", "GET with a body": b"HTTP/1.1 413",
        "binary, no line end": b"HTTP/1.1 400", "TLS to the HTTP port": b"HTTP/1.1 400",
        "control bytes": b"HTTP/1.1 400", "NUL and high bytes": b"HTTP/1.1 400"}
# what is not HTTP from its first bytes is answered at once, not left to time out
prompt = {"binary, no line end", "TLS to the HTTP port", "control bytes", "garbage"}
for name, payload in cases.items():
    t0 = time.monotonic()
    resp = exchange(payload)
    took = time.monotonic() - t0
    print("%-22s %r %.2f s" % (name, status(resp), took))
    if name in want and not resp.startswith(want[name]):
        sys.exit("%s: %r, want %r" % (name, status(resp), want[name]))
    if name in prompt and took > 1:
        sys.exit("%s: answered after %.2f s" % (name, took))
    if b"/etc/passwd" in payload and b"root:" in resp:
        sys.exit("traversal served a file")
    # a refusal is a 4xx (or 505 for the version); a 5xx would be the server failing
    if resp.startswith(b"HTTP/1.1 5") and not resp.startswith(b"HTTP/1.1 505"):
        sys.exit("%s: %r" % (name, status(resp)))

# 1000 pipelined requests on one connection, the last with Connection: close: every one is
# answered, in order, on the one connection
resp = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 999 +
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=20, until_close=True)
n = resp.count(b"HTTP/1.1 200")
print("pipelined: %d answers" % n)
if n != 1000 or resp.count(b"\r\n\r\nok\n") != 1000:
    sys.exit("pipelined: %d answers to 1000 requests" % n)

# Kept alive: requests one after the other on one connection, each answered in full.
s = socket.create_connection(("127.0.0.1", port), timeout=5)
for path in (b"/healthz", b"/metrics", b"/healthz"):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not complete(got):
        b = s.recv(65536)
        if not b:
            sys.exit("keep-alive: the server closed the connection after %d bytes of %r" % (len(got), path))
        got += b
    if not got.startswith(b"HTTP/1.1 200") or b"\r\nconnection: close" in got.lower():
        sys.exit("keep-alive: %r: %r" % (path, got[:200]))
s.close()
print("keep-alive: 3 requests on one connection")

# 100 slow clients drip-feeding headers from the scraper's own address (32 are held, the
# others closed); a scrape in the middle still gets through, in place of one of them
stop = threading.Event()
def drip():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\n")
        while not stop.is_set():
            s.sendall(b"X: y\r\n")
            time.sleep(0.1)
        s.close()
    except OSError:
        pass
threads = [threading.Thread(target=drip) for _ in range(100)]
for t in threads:
    t.start()
time.sleep(0.5)
t0 = time.time()
resp = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=10)
took = time.time() - t0
stop.set()
for t in threads:
    t.join()
print("scrape among slow clients: %r in %.2f s" % (status(resp), took))
if not resp.startswith(b"HTTP/1.1 200") or b"hostile_text_total" not in resp:
    sys.exit("scrape among slow clients failed: %r" % resp[:200])
PY
cat "$T/clients.out"
kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog died under hostile clients"
[ "$(curl -fsS "$URL/healthz")" = ok ] || fail "/healthz after hostile clients"

# The exposition, exactly: every line of log text is one series, nothing more.
curl -fsS -o "$T/m" "$URL/metrics" || fail "GET /metrics after hostile clients"
promtool check metrics < "$T/m" > "$T/lint" 2>&1 || fail "promtool: $(cat "$T/lint")"
python3 "$SRC/tests/hostile/expo_check.py" "$T/m" > "$T/stats" || fail "strict reader rejected /metrics"
get() { awk -v k="$1" '$1 == k { print $2 }' "$T/stats"; }
[ "$(get series:hostile_text_total)" = $N ] || fail "hostile_text_total has $(get series:hostile_text_total) series, want $N"
[ "$(get sum:hostile_up)" = $N ] || fail "hostile_up sums to $(get sum:hostile_up), want $N"
[ "$(get labels:hostile_text_total)" = id,text,mixed ] || fail "labels: $(get labels:hostile_text_total)"
# OpenMetrics too
curl -fsS -o "$T/om" -H 'Accept: application/openmetrics-text; version=1.0.0' "$URL/metrics" || fail "GET om"
[ "$(tail -1 "$T/om")" = "# EOF" ] || fail "OpenMetrics does not end with # EOF"
# curl sends its second request on the connection of the first: it was kept alive
conns=$(curl -fsS -o /dev/null -o /dev/null -w '%{num_connects} ' "$URL/metrics" "$URL/healthz") || fail "two URLs"
[ "$conns" = "1 0 " ] || fail "two requests took $conns new connections, want 1 0 (keep-alive)"
# Accept is weighed, not searched: q=0 refuses OpenMetrics; media types are case-insensitive
ctype() { curl -fsS -o /dev/null -w '%{content_type}' -H "Accept: $1" "$URL/metrics"; }
for a in 'application/openmetrics-text;q=0, text/plain' 'text/plain;q=0.9, application/openmetrics-text;q=0.2' \
	'*/*'; do
	[[ "$(ctype "$a")" == "text/plain; version=0.0.4"* ]] || fail "Accept: $a got $(ctype "$a")"
done
for a in 'Application/OpenMetrics-Text; Version=1.0.0' 'text/plain;q=0.5, application/openmetrics-text'; do
	[[ "$(ctype "$a")" == "application/openmetrics-text; version=1.0.0"* ]] || fail "Accept: $a got $(ctype "$a")"
done

# Memory: the high-water mark of the whole process, all clients included.
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SWL_PID/status")
echo "swanlog VmHWM: $hwm KiB"
if [ $sanitized -eq 0 ] && [ "$hwm" -ge $((64 * 1024)) ]; then
	fail "VmHWM $hwm KiB, want < 64 MiB"
fi
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "exit status $STOP_RC after SIGTERM"
echo "hostile_http: ok"
