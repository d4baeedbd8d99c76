#!/usr/bin/env python3
"""Compare swanlog's Prometheus text output with a benchmark generator's expected counts.

usage: check_counts.py EXPECTED.json EXPOSITION.txt

EXPECTED.json is what bench/gen_syslog.py (or the shared kit's generator, same schema) wrote.
The generator counts events in its own terms; the table below says which swanlog series
answer each one. Where they cannot agree exactly the row says why:
  - the generator's "peer" is the remote identity, swanlog's `peer` label is the remote
    address, so IKE_SAs established are compared per conn (summed over peers);
  - once a metric holds its cap of series (--max-series), further label sets land in the
    `__overflow__` series and lose their conn: that row then shows how many did.
Prints a markdown table; exits 0 when every row matches, 1 otherwise.
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(path):
    samples = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            m = SAMPLE.match(line)
            if not m:
                continue
            labels = dict(LABEL.findall(m.group(2) or ""))
            samples.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return samples


def main():
    exp = json.load(open(sys.argv[1]))
    got = parse(sys.argv[2])
    rows = []  # (what the generator counted, swanlog series, expected, got or None, note, equal)

    def total(metric, **want):
        if metric not in got:
            return None
        return int(sum(v for labels, v in got[metric] if all(labels.get(k) == x for k, x in want.items())))

    def per_key(what, series, want, have_of, note=""):
        """One row for a set of label values: equal only when every one of them is."""
        have = {k: have_of(k) for k in want}
        if any(v is None for v in have.values()):
            rows.append((what, series, sum(want.values()), None, note, False))
            return
        differ = sorted(k for k in want if have[k] != want[k])
        if differ:
            note = "%d of %d differ%s" % (len(differ), len(want), "; " + note if note else "")
        rows.append((what, series, sum(want.values()), sum(have.values()), note, not differ))

    est = "ipsec_ike_sa_established_total"
    per_conn = {}
    for key, n in exp["ike_sa_established"].items():
        conn = key.split("|")[0]
        per_conn[conn] = per_conn.get(conn, 0) + n
    overflow = total(est, conn="__overflow__") or 0
    per_key("IKE_SA established, per conn (%d conns)" % len(per_conn), est + " by conn, summed over peer",
            per_conn, lambda c: total(est, conn=c),
            "%d went to the __overflow__ series: the cap of series per metric was reached" % overflow
            if overflow else "")
    rows.append(("IKE_SA established, all", est + " summed", sum(per_conn.values()), total(est), ""))

    fails = exp["ike_establish_failed"]
    rows.append(("giving up after N retransmits", "ipsec_retransmit_timeouts_total summed",
                 fails["giving_up"], total("ipsec_retransmit_timeouts_total"), ""))
    rows.append(("establishing IKE_SA failed, peer not responding",
                 'ipsec_ike_sa_failed_total{reason="peer_not_responding"} summed',
                 fails["establish_failed"], total("ipsec_ike_sa_failed_total", reason="peer_not_responding"), ""))
    rows.append(("received AUTHENTICATION_FAILED notify error",
                 'ipsec_notify_errors_total{notify="AUTHENTICATION_FAILED",direction="received"} summed',
                 exp["auth_failed"],
                 total("ipsec_notify_errors_total", notify="AUTHENTICATION_FAILED", direction="received"), ""))
    rows.append(("received AUTHENTICATION_FAILED notify error", 'ipsec_auth_failures_total{side="local"} summed',
                 exp["auth_failed"], total("ipsec_auth_failures_total", side="local"), ""))
    rows.append(("received NO_PROPOSAL_CHOSEN notify error",
                 'ipsec_notify_errors_total{notify="NO_PROPOSAL_CHOSEN",direction="received"} summed',
                 exp["no_proposal_chosen"],
                 total("ipsec_notify_errors_total", notify="NO_PROPOSAL_CHOSEN", direction="received"), ""))
    child = "ipsec_child_sa_established_total"
    per_key("CHILD_SA established, per child (%d names)" % len(exp["child_sa_established"]),
            child + " by child, summed", exp["child_sa_established"], lambda c: total(child, child=c))
    rows.append(("lines", "swanlog_lines_read_total", exp["lines"], total("swanlog_lines_read_total"), ""))

    bad = 0
    print("| generator counted | swanlog series | expected | swanlog | ok |")
    print("|---|---|---|---|---|")
    for row in rows:
        what, series, want, have, note = row[:5]
        equal = row[5] if len(row) > 5 else have == want
        if have is None:
            status, shown = "missing: the rules produce no such metric", "-"
        elif equal:
            status, shown = "yes", str(have)
        else:
            status, shown = "NO" + (" (%s)" % note if note else ""), str(have)
        bad += status != "yes"
        print("| %s | `%s` | %d | %s | %s |" % (what, series, want, shown, status))
    print()
    print("%s: %d of %d rows differ" % ("OK" if not bad else "DIFFERENCES", bad, len(rows)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
