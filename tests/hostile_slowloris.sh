#!/bin/bash
# Slowloris: 640 raw sockets from 21 client addresses (40 of them from the scrapers' own
# address) hold connections open by trickling request heads (a header line a second, a byte
# of the request line at a time, or nothing at all) and open a new one half a second after
# the server closes one, for 15 s. Meanwhile curl scrapes on a new connection every half second and a
# real Prometheus scrapes every second on its kept-alive connection: every scrape must
# succeed (curl within 2 s, Prometheus within its 1 s timeout), no attacking connection may
# live past the 5 s request-head deadline, and at the end no client address holds more than
# 32 connections, all of them no more than 512.
# usage: hostile_slowloris.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
command -v prometheus >/dev/null || { echo "skipped: prometheus is not installed"; exit 77; }
. "$SRC/tests/lib/follow.sh"
. "$SRC/tests/lib/prometheus.sh"

mkdir -p "$T/log" "$T/state"
L="$T/log/charon.log"
n=0
gen 3
start_swanlog --file "$L" --from head --rules "$SRC/tests/follow/rules.yaml" --state "$T/state/s"
wait_metric 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}' 3

scrape_swanlog 1s

ATTACK_S=15
python3 - "$PORT" "$ATTACK_S" > "$T/attack.out" 2>&1 <<'PY' || fail "slowloris: $(cat "$T/attack.out")"
import collections, selectors, socket, subprocess, sys, threading, time
port, attack_s = int(sys.argv[1]), float(sys.argv[2])
HEAD = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
REOPEN_S = 0.5  # after the server closes a connection, a new one this much later

class Attacker:
    """One connection that never completes its request head, reopened when closed."""
    def __init__(self, src, kind):
        self.src, self.kind, self.sock, self.reopen = src, kind, None, 0

    def open(self, now):
        self.sock = socket.socket()
        self.sock.bind((self.src, 0))
        self.sock.setblocking(False)
        try:
            self.sock.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        self.opened, self.sent, self.next_send = now, 0, now + 0.05
        sel.register(self.sock, selectors.EVENT_READ, self)

    def close(self, now):
        sel.unregister(self.sock)
        self.sock.close()
        self.sock, self.reopen = None, now + REOPEN_S

    def payload(self):
        if self.kind == "silent":
            return b""
        if self.kind == "line-byte":  # the request line, a byte at a time
            return HEAD[self.sent:self.sent + 1]
        if self.sent == 0:            # the request line, then a header line each time
            return HEAD
        return b"X-Slow-%d: %s\r\n" % (self.sent, b"a" * 10)

sel = selectors.DefaultSelector()
kinds = ("headers", "line-byte", "silent")
attackers = [Attacker("127.0.0.1", kinds[i % 3]) for i in range(40)]
attackers += [Attacker("127.0.0.%d" % (2 + i // 30), kinds[i % 3]) for i in range(600)]

stop = threading.Event()
scrapes = []
def scraper():
    while not stop.is_set():
        t0 = time.monotonic()
        r = subprocess.run(["curl", "-sS", "--max-time", "2", "-o", "-", "-w", "\n%{http_code}",
                            "http://127.0.0.1:%d/metrics" % port], capture_output=True, text=True)
        took = time.monotonic() - t0
        ok = r.returncode == 0 and r.stdout.endswith("\n200") and "test_ike_established_total{" in r.stdout
        scrapes.append((ok, took, r.stderr.strip() or r.stdout[-40:]))
        stop.wait(max(0, 0.5 - took))

now = time.monotonic()
for a in attackers:
    a.open(now)
scraping = threading.Thread(target=scraper)
scraping.start()
end = now + attack_s
lifetimes, opened = [], len(attackers)
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.05):
        a = key.data  # readable: closed by the server (or answered, which ends it too)
        try:
            a.sock.recv(4096)
        except OSError:
            pass
        now = time.monotonic()
        lifetimes.append(now - a.opened)
        a.close(now)
    now = time.monotonic()
    for a in attackers:
        if not a.sock:
            if now >= a.reopen:
                a.open(now)
                opened += 1
        elif now >= a.next_send:
            data = a.payload()
            try:
                if data:
                    a.sock.send(data)
                    a.sent += 1
            except OSError:
                pass
            a.next_send = now + (0.5 if a.kind == "line-byte" else 1.0)
stop.set()
scraping.join()
# What the server still holds: quiet for a moment, then the connections it has not closed.
time.sleep(0.3)
for key, _ in sel.select(timeout=0):
    now = time.monotonic()
    lifetimes.append(now - key.data.opened)
    key.data.close(now)
now = time.monotonic()
held = collections.Counter(a.src for a in attackers if a.sock)
lifetimes += [now - a.opened for a in attackers if a.sock]

bad = [s for s in scrapes if not s[0]]
times = sorted(t for _, t, _ in scrapes)
print("attack: %d connections opened in %.0f s, the longest lived %.1f s; held at the end: %d, at most %d "
      "from one address (%d from the scrapers'); curl scrapes: %d, %d failed, median %.3f s, slowest %.3f s"
      % (opened, attack_s, max(lifetimes), sum(held.values()), max(held.values()), held["127.0.0.1"],
         len(scrapes), len(bad), times[len(times) // 2], times[-1]))
if bad:
    sys.exit("%d of %d scrapes failed under the attack: %s" % (len(bad), len(scrapes), bad[:3]))
if len(scrapes) < attack_s:
    sys.exit("only %d scrapes in %.0f s" % (len(scrapes), attack_s))
if max(lifetimes) > 6.5:
    sys.exit("an attacking connection lived %.1f s: the request head deadline is 5 s" % max(lifetimes))
if max(held.values()) > 32 or sum(held.values()) > 512:
    sys.exit("held: %d in all, %s by address" % (sum(held.values()), dict(held)))
PY
cat "$T/attack.out"
# Prometheus: a sample every second of the attack, every one up
scrapes=$(query "count_over_time(up{job=\"swanlog\"}[${ATTACK_S}s])")
up=$(query "min_over_time(up{job=\"swanlog\"}[${ATTACK_S}s])")
echo "Prometheus during the attack: $scrapes scrapes, min(up) $up"
[ "${scrapes:-0}" -ge $((ATTACK_S - 2)) ] || fail "Prometheus scraped $scrapes times in ${ATTACK_S} s"
[ "$up" = 1 ] || fail "a Prometheus scrape failed during the attack (min up $up): $(target_error swanlog)"
kill -0 "$SWL_PID" 2>/dev/null || fail "swanlog died under the attack"
stop_swanlog TERM
[ "$STOP_RC" = 0 ] || fail "exit status $STOP_RC after SIGTERM"
echo "hostile_slowloris: ok"
