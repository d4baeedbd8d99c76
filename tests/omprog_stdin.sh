#!/bin/bash
# swanlog omprog driven directly on its stdin (the rsyslog side is omprog_rsyslog.sh): the
# confirmMessages protocol (a first OK when ready, then one OK per message, flushed at once),
# the write-ahead log after SIGKILL (applied again on start, nothing lost or doubled), a
# resend of the last message after a crash recognised, --host-label (one series per sending
# host, self-metrics unlabelled), --textfile at exit, and end of input: exit 0.
# usage: omprog_stdin.sh SWANLOG_BINARY SOURCE_DIR
set -uo pipefail
BIN=$(realpath "$1"); SRC=$(realpath "$2")
. "$SRC/tests/lib/follow.sh"
python3 - "$BIN" "$SRC/tests/follow/rules.yaml" "$T" "$(free_port)" <<'PY' || fail "omprog on stdin"
import os, signal, subprocess, sys, time, urllib.request
binary, rules, t, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
state = t + "/state"
EST = 'test_ike_established_total{conn="site-a",peer="198.51.100.7"}'

def line(i, host="gw1"):
    return ("2026-11-29T18:00:%02d.%06d+00:00 %s charon: 09[IKE] <site-a|%d> IKE_SA site-a[%d] established "
            "between 192.0.2.1[moon]...198.51.100.7[sun]\n" % (i % 60, i, host, i, i)).encode()

def start(*extra):
    p = subprocess.Popen([binary, "omprog", "--rules", rules, "--state", state,
                          "--listen", "127.0.0.1:%d" % port, *extra],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(t + "/err", "ab"))
    expect_ok(p, "ready")
    return p

def expect_ok(p, what):
    got = p.stdout.readline()   # blocks until the reply: a missing flush would hang here
    if got != b"OK\n":
        sys.exit("%s: expected OK, got %r" % (what, got))

def send(p, data, what):
    p.stdin.write(data); p.stdin.flush()
    expect_ok(p, what)

def metrics():
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()

def value(text, key):
    for l in text.splitlines():
        if l.split(" ")[0] == key:
            return l.split(" ")[1]
    return "absent"

def wait_value(key, want):
    deadline = time.monotonic() + 10
    while True:
        v = value(metrics(), key)
        if v == want: return
        if time.monotonic() > deadline: sys.exit("%s is %s, expected %s" % (key, v, want))
        time.sleep(0.05)

# 1. protocol: 5 messages, 5 OKs; the count is there once each OK came
p = start()
for i in range(1, 6):
    send(p, line(i), "message %d" % i)
wait_value(EST, "5")
# 2. SIGKILL right after the OKs (no save in between is likely; the log has them)
for i in range(6, 11):
    send(p, line(i), "message %d" % i)
p.kill(); p.wait()
wal = open(state + ".wal", "rb").read()
if line(10).rstrip(b"\n") not in wal:
    sys.exit("the write-ahead log lacks the last confirmed message")
# 3. restart: the log is applied again; rsyslog would resend the last message (its OK may
#    not have arrived): it is confirmed, not counted twice
p = start()
wait_value(EST, "10")
send(p, line(10), "resent message 10")
send(p, line(11), "message 11")
wait_value(EST, "11")
wait_value("swanlog_omprog_resent_total", "1")
# 4. end of input: state saved, exit 0
p.stdin.close()
if p.wait(timeout=10) != 0: sys.exit("exit status %d at end of input" % p.returncode)
st = open(state).read()
if "cursor wal:11" not in st: sys.exit("state position: %s" % [l for l in st.splitlines() if l.startswith("cursor")])
# 5. one more run from the saved state: nothing applied twice
p = start()
wait_value(EST, "11")
p.stdin.close(); p.wait(timeout=10)
# 5b. after that clean end (stdin closed, as at an rsyslog restart) no reply was lost: the
#     same message once more is a message of its own, counted
p = start()
send(p, line(11), "message 11 again after a clean restart")
wait_value(EST, "12")
if value(metrics(), "swanlog_omprog_resent_total") != "1":
    sys.exit("a repeated message after a clean restart was taken for a resend")
# 5c. --reset-state starts from zero: the message the log keeps (SIGTERM with the input still
#     open: its reply may be lost) is not applied again
send(p, line(12), "message 12")
p.send_signal(signal.SIGTERM)
if p.wait(timeout=10) != 0: sys.exit("exit status %d at SIGTERM" % p.returncode)
if line(12).rstrip(b"\n") not in open(state + ".wal", "rb").read():
    sys.exit("the write-ahead log lacks the last message after SIGTERM")
p = start("--reset-state")
if value(metrics(), EST) != "absent":
    sys.exit("--reset-state: %s is %s, expected no series" % (EST, value(metrics(), EST)))
p.stdin.close(); p.wait(timeout=10)

# 6. --host-label (a fresh state): a series per sending host; self-metrics stay unlabelled
os.unlink(state); os.unlink(state + ".wal")
p = start("--host-label", "--textfile", t + "/out.prom")
for i, h in ((1, "gw1"), (2, "gw2"), (3, "gw1")):
    send(p, line(i, h), "host message %d" % i)
p.stdin.close()
if p.wait(timeout=10) != 0: sys.exit("--host-label: exit status %d" % p.returncode)
text = open(t + "/out.prom").read()
for key, want in (('test_ike_established_total{host="gw1",conn="site-a",peer="198.51.100.7"}', "2"),
                  ('test_ike_established_total{host="gw2",conn="site-a",peer="198.51.100.7"}', "1"),
                  ('test_ike_up{host="gw1",conn="site-a",peer="198.51.100.7"}', "2"),
                  ("swanlog_lines_read_total", "3"),
                  ('swanlog_rule_matches_total{rule="established"}', "3")):
    if value(text, key) != want:
        sys.exit("--host-label: %s is %s, expected %s" % (key, value(text, key), want))
if "# TYPE test_kernel_replay_total counter" not in text or value(text, 'test_kernel_replay_total') != "absent":
    sys.exit("--host-label: an unlabelled rules metric without events should have no series")
print("omprog on stdin: protocol, write-ahead log, resend, clean restart, reset, host label: ok")
PY
echo "omprog_stdin: ok"
