#!/usr/bin/env python3
"""Deterministic synthetic syslog for swanlog's benchmark (bench/run.sh).

usage: gen_syslog.py OUT.log [LINES=1000000] [SEED=42] [MATCH_FRACTION=0.05]

Writes OUT.log in the RFC 3164 file format rsyslog writes to /var/log/syslog, and
OUT.log.expected.json with the exact number of every counted event. The mix:
  MATCH_FRACTION  charon [IKE] lines that a metric counts (IKE_SA / CHILD_SA established,
                  retransmit give-ups, "establishing IKE_SA failed", AUTHENTICATION_FAILED and
                  NO_PROPOSAL_CHOSEN notify errors received),
  10 %            charon lines that count nothing (packets, encoding, DPD, proposals),
  the rest        other programs: sshd, CRON, systemd, kernel (UFW, NIC, XFRM).
The same seed gives the same bytes. The expected-counts schema is the one the shared
benchmark kit uses, so bench/check_counts.py reads either generator's output.
Each peer identity keeps one address, as a site-to-site peer does; the IKE_SA unique ids
count up per host, as charon's do.
"""
import json
import random
import sys

CONNS = ["branch-%02d" % i for i in range(1, 11)]
CHILDREN = ["%s-%s" % (c, n) for c in CONNS for n in ("lan", "voice")]
HOSTS = ["vpn1", "vpn1", "vpn2"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class Clock:
    """Wall clock of the log: starts on Apr 1 2026 00:00:00 and only moves forward."""

    def __init__(self):
        self.mon, self.day, self.sec = 3, 1, 0.0

    def tick(self, dt):
        self.sec += dt
        while self.sec >= 86400:
            self.sec -= 86400
            self.day += 1
            if self.day > DAYS_IN[self.mon]:
                self.day, self.mon = 1, (self.mon + 1) % 12

    def stamp(self):
        s = int(self.sec)
        return "%s %2d %02d:%02d:%02d" % (MONTHS[self.mon], self.day, s // 3600, s // 60 % 60, s % 60)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    match_frac = float(sys.argv[4]) if len(sys.argv) > 4 else 0.05
    chatter_frac = 0.10

    peers = {}  # identity -> address, fixed per identity
    for c in CONNS:
        for k in range(3):
            peers["gw%d.%s.example.org" % (k, c)] = "203.0.%d.%d" % (CONNS.index(c) + 10, k + 1)
    by_conn = {c: [p for p in peers if p.endswith("." + c + ".example.org")] for c in CONNS}
    next_uid = {h: 1 for h in HOSTS}
    exp = {"lines": n, "matching_lines": 0, "ike_sa_established": {}, "child_sa_established": {},
           "ike_establish_failed": {"giving_up": 0, "establish_failed": 0},
           "auth_failed": 0, "no_proposal_chosen": 0}

    def bump(d, k):
        d[k] = d.get(k, 0) + 1

    def rand_ip():
        return "%d.%d.%d.%d" % (rng.randint(11, 199), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))

    def counted(host):
        thread = "%02d" % rng.randint(1, 16)
        x = rng.random()
        if x < 0.40:
            conn = rng.choice(CONNS)
            ident = rng.choice(by_conn[conn])
            uid = next_uid[host]
            next_uid[host] += 1
            bump(exp["ike_sa_established"], conn + "|" + ident)
            return "%s[IKE] IKE_SA %s[%d] established between 192.0.2.10[%s.example.com]...%s[%s]" % (
                thread, conn, uid, host, peers[ident], ident)
        if x < 0.70:
            child = rng.choice(CHILDREN)
            bump(exp["child_sa_established"], child)
            return ("%s[IKE] CHILD_SA %s{%d} established with SPIs %08x_i %08x_o and TS 10.0.0.0/24 === 10.%d.0.0/16"
                    % (thread, child, rng.randint(1, 500000), rng.getrandbits(32), rng.getrandbits(32),
                       CHILDREN.index(child) + 1))
        if x < 0.80:
            exp["ike_establish_failed"]["giving_up"] += 1
            return "%s[IKE] giving up after %d retransmits" % (thread, rng.choice((3, 5)))
        if x < 0.88:
            exp["ike_establish_failed"]["establish_failed"] += 1
            return "%s[IKE] establishing IKE_SA failed, peer not responding" % thread
        if x < 0.95:
            exp["auth_failed"] += 1
            return "%s[IKE] received AUTHENTICATION_FAILED notify error" % thread
        exp["no_proposal_chosen"] += 1
        return "%s[IKE] received NO_PROPOSAL_CHOSEN notify error" % thread

    def chatter():
        thread = "%02d" % rng.randint(1, 16)
        x = rng.randrange(8)
        if x == 0:
            return "%s[NET] received packet: from %s[4500] to 192.0.2.10[4500] (%d bytes)" % (
                thread, rand_ip(), rng.randint(80, 1400))
        if x == 1:
            return "%s[NET] sending packet: from 192.0.2.10[4500] to %s[4500] (%d bytes)" % (
                thread, rand_ip(), rng.randint(80, 1400))
        if x == 2:
            return "%s[ENC] parsed INFORMATIONAL request %d [ ]" % (thread, rng.randint(0, 4000))
        if x == 3:
            return "%s[ENC] generating INFORMATIONAL response %d [ ]" % (thread, rng.randint(0, 4000))
        if x == 4:
            return "%s[IKE] sending DPD request" % thread
        if x == 5:
            return "%s[CFG] selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072" % thread
        if x == 6:
            return "%s[KNL] %s appeared on eth0" % (thread, rand_ip())
        return "%s[IKE] activating new tasks" % thread

    def other():
        pid = rng.randint(200, 65000)
        x = rng.random()
        if x < 0.40:
            return rng.choice((
                "sshd[%d]: Accepted publickey for ops from %s port %d ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eGZvb2JhcmJhenF1eA" % (pid, rand_ip(), rng.randint(1024, 65535)),
                "sshd[%d]: Invalid user oracle from %s port %d" % (pid, rand_ip(), rng.randint(1024, 65535)),
                "sshd[%d]: Connection closed by authenticating user root %s port %d [preauth]" % (pid, rand_ip(), rng.randint(1024, 65535)),
                "sshd[%d]: pam_unix(sshd:session): session closed for user ops" % pid))
        if x < 0.60:
            return rng.choice((
                "CRON[%d]: (root) CMD (   test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond)" % pid,
                "CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)" % pid))
        if x < 0.70:
            return rng.choice((
                "systemd[1]: Started session-%d.scope - Session %d of User ops." % (pid, pid),
                "systemd[1]: logrotate.service: Deactivated successfully."))
        up = "[%7d.%06d]" % (rng.randint(1, 9999999), rng.randint(0, 999999))
        return rng.choice((
            "kernel: %s [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=%s DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=0 DF PROTO=TCP SPT=%d DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0" % (up, rand_ip(), rng.randint(1024, 65535)),
            "kernel: %s igb 0000:03:00.0 eth1: igb: eth1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX" % up,
            "kernel: %s XFRM: policy for 10.%d.0.0/16 refreshed" % (up, rng.randint(1, 20))))

    clock = Clock()
    chunk = []
    with open(out, "w") as f:
        for _ in range(n):
            clock.tick(rng.random() * 0.04)
            host = rng.choice(HOSTS)
            x = rng.random()
            if x < match_frac:
                exp["matching_lines"] += 1
                text = "charon[%d]: %s" % (4000 + HOSTS.index(host), counted(host))
            elif x < match_frac + chatter_frac:
                text = "charon[%d]: %s" % (4000 + HOSTS.index(host), chatter())
            else:
                text = other()
            chunk.append("%s %s %s\n" % (clock.stamp(), host, text))
            if len(chunk) == 20000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    with open(out + ".expected.json", "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
