#!/usr/bin/env python3
"""Compare swanlog's metrics with the corpus ground truth, scenario by scenario.

usage: ground_truth.py SWANLOG RULES CORPUS_DIR [--verbose]

CORPUS_DIR holds ground-truth.json and logs/<scenario>/<host>.<form>.log. The ground truth was
recorded from charon's VICI events and error-notify socket, not from the logs. For every host
and every log form of it, the scenarios' files are replayed cumulatively (S00, S00+S01, ...);
the growth of each counter from one scenario to the next is mapped to ground-truth events
(corpus README) and compared with that scenario's observed_events of that host.

What a log form cannot tell is not held against it:
  - ike_name = yes (file logger, syslog with <conn|uid>, the journal) and ike_name = no
    (Debian's syslog default, where the rules tie lines to their IKE_SA through charon's
    thread and the peer addresses): every label, exact counts.
  - the journal that Debian's default logging fills (HOST.syslog.log and HOST.auth.log as
    entries with facilities daemon and auth): every label, exact counts, each event once.
  - `journalctl -o short` of charon-systemd (no thread, no fields): only labels printed in the
    line itself are compared (conn and peer of IKE_SA established/rekeyed/deleted, the
    CHILD_SA name); a give-up on an established IKE_SA cannot be tied to it (ike_sa_down may
    be missing) and the CHILD_SAs of a deleted IKE_SA may not be named (child_sa_down may be
    missing).
Any other difference is a failure, named with its scenario, host, form, event and labels.
Exit status 0 only when every comparison holds."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# ground-truth event -> (metric, label filter, labels of the event)
EVENTS = {
    "ike_sa_established": ("ipsec_ike_sa_established_total", {}, ("conn", "peer")),
    "ike_sa_rekeyed": ("ipsec_ike_sa_rekeyed_total", {}, ("conn", "peer")),
    "ike_sa_down": ("ipsec_ike_sa_down_total", {}, ("conn", "peer")),
    "ike_sa_setup_failed": ("ipsec_ike_sa_failed_total", {"reason": "!peer_not_responding"}, ("conn", "peer")),
    "peer_init_unreachable": ("ipsec_ike_sa_failed_total", {"reason": "peer_not_responding"}, ("conn", "peer")),
    "child_sa_established": ("ipsec_child_sa_established_total", {}, ("conn", "child", "peer")),
    "child_sa_rekeyed": ("ipsec_child_sa_rekeyed_total", {}, ("conn", "child", "peer")),
    "child_sa_down": ("ipsec_child_sa_down_total", {}, ("conn", "child", "peer")),
    "retransmit_sent": ("ipsec_retransmits_total", {}, ("conn", "peer")),
    "retransmit_giveup": ("ipsec_retransmit_timeouts_total", {}, ("conn", "peer")),
    "auth_failed_local": ("ipsec_auth_failures_total", {"side": "local"}, ("conn", "peer")),
    "auth_failed_peer": ("ipsec_auth_failures_total", {"side": "remote"}, ("conn", "peer")),
    "proposal_mismatch_ike": ("ipsec_proposal_mismatches_total", {"sa": "ike"}, ("conn", "peer")),
    "proposal_mismatch_child": ("ipsec_proposal_mismatches_total", {"sa": "child"}, ("conn", "peer")),
    "ts_mismatch": ("ipsec_ts_mismatches_total", {}, ("conn", "peer")),
    "cert_expired": ("ipsec_cert_errors_total", {"reason": "expired"}, ("conn", "peer")),
    "cert_no_issuer": ("ipsec_cert_errors_total", {"reason": "no_issuer"}, ("conn", "peer")),
    "cert_status_unavailable": ("ipsec_cert_errors_total", {"reason": "status_unavailable"}, ("conn", "peer")),
}

# Log forms: file suffix -> (name, what it supports). "labels": per event the labels the form
# can tell (default: all); "at_most": events of which the form may show fewer than happened.
FULL = {"labels": {}, "at_most": set()}
NO_IKE_NAME = {
    "labels": {
        "ike_sa_established": ("conn", "peer"), "ike_sa_rekeyed": ("conn", "peer"),
        "ike_sa_down": ("conn", "peer"),
        "child_sa_established": ("child",), "child_sa_rekeyed": ("child",), "child_sa_down": ("child",),
        "*": (),
    },
    "at_most": {"ike_sa_down", "child_sa_down"},
}
FORMS = {
    "charon.log": ("file logger, ike_name=yes", FULL),
    "syslog.log": (None, None),  # decided per file: with or without <conn|uid> prefixes
    "journal.json.log": ("journal file (charon-systemd fields)", FULL),
    "journal.log": ("journalctl -o short (no fields)", NO_IKE_NAME),
    # not a file of the corpus: HOST.syslog.log and HOST.auth.log as the journal keeps them
    # (Debian's default: facilities daemon and auth, each auth entry after its daemon twin)
    "syslog+auth.journal": ("journal, daemon + auth facilities", FULL),
}

SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-z_][a-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prom(text):
    """Prometheus text -> {(metric, frozenset(labels)): value} for the counters we map."""
    wanted = {m for m, _, _ in EVENTS.values()}
    out = {}
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) not in wanted:
            continue
        labels = dict(LABEL.findall(m.group(2) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return out


def syslog_form(path):
    """A syslog file with charon's <conn|uid> / <uid> prefixes is ike_name = yes."""
    with open(path, errors="replace") as f:
        for line in f:
            if re.search(r'charon(?:-systemd)?(?:\[\d+\])?: \d\d\[[A-Z]{3}\] <[^>]*\d+> ', line):
                return ("syslog, ike_name=yes", FULL)
    return ("syslog, ike_name=no", FULL)


def events_from_delta(delta):
    """Counter growth -> {(event, conn, child, peer): count}."""
    ev = collections.Counter()
    for event, (metric, flt, _) in EVENTS.items():
        for (m, labels), v in delta.items():
            if m != metric or v == 0:
                continue
            lab = dict(labels)
            ok = True
            for k, want in flt.items():
                if want.startswith("!"):
                    ok &= lab.get(k, "") != want[1:]
                else:
                    ok &= lab.get(k, "") == want
            if ok:
                ev[(event, lab.get("conn", ""), lab.get("child", ""), lab.get("peer", ""))] += int(v)
    return ev


def project(counter, caps):
    """Drop the labels a form cannot tell."""
    out = collections.Counter()
    for (event, conn, child, peer), n in counter.items():
        allowed = caps["labels"].get(event, caps["labels"].get("*", ("conn", "child", "peer")))
        key = (event,
               conn if "conn" in allowed else "*",
               child if "child" in allowed else "*",
               peer if "peer" in allowed else "*")
        out[key] += n
    return out


def truth_events(scenario, host):
    ev = collections.Counter()
    for row in scenario.get("observed_events", []):
        if row["host"] != host or row["event"] not in EVENTS:
            continue
        ike = row.get("ike") or ""
        if ike == "(unnamed)":
            ike = ""
        ev[(row["event"], ike, row.get("child") or "", row.get("peer") or "")] += int(row.get("count", 1))
    return ev


def replay(swanlog, rules, files):
    r = subprocess.run([swanlog, "replay", "--rules", rules, "--year", "2026"] + files,
                       capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    if r.returncode != 0:
        raise RuntimeError(f"swanlog replay {' '.join(files)} failed: {r.stderr.strip()}")
    return parse_prom(r.stdout)


def to_journal(src, tmp, name):
    """journalctl -o json export -> a real .journal file (systemd-journal-remote)."""
    remote = "/lib/systemd/systemd-journal-remote"
    out = os.path.join(tmp, name + ".journal")
    exporter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "journal_export.py")
    exp = subprocess.run([sys.executable, exporter, "json", src], capture_output=True, check=True).stdout
    subprocess.run([remote, "-o", out, "-"], input=exp, capture_output=True, check=True)
    return out


def to_twin_journal(daemon, auth, tmp, name):
    """HOST.syslog.log and HOST.auth.log -> one .journal file with facilities 3 and 10."""
    remote = "/lib/systemd/systemd-journal-remote"
    out = os.path.join(tmp, name + ".journal")
    exporter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "journal_export.py")
    exp = subprocess.run([sys.executable, exporter, "syslog", daemon, auth if os.path.exists(auth) else "-", "2026"],
                         capture_output=True, check=True).stdout
    subprocess.run([remote, "-o", out, "-"], input=exp, capture_output=True, check=True)
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    swanlog, rules, corpus = sys.argv[1:4]
    verbose = "--verbose" in sys.argv
    gt = json.load(open(os.path.join(corpus, "ground-truth.json")))
    scenarios = sorted(gt["scenarios"], key=lambda s: s["name"])
    logs = os.path.join(corpus, "logs")
    have_remote = os.access("/lib/systemd/systemd-journal-remote", os.X_OK)
    tmp = tempfile.mkdtemp()
    failures, limits, compared = [], [], 0
    table = []
    try:
        files = sorted({f for s in scenarios if os.path.isdir(os.path.join(logs, s["name"]))
                        for f in os.listdir(os.path.join(logs, s["name"]))})
        files += sorted({f.replace(".auth.log", ".syslog+auth.journal") for f in files if f.endswith(".auth.log")})
        for fname in files:
            host, _, suffix = fname.partition(".")
            if host not in gt["hosts"] or suffix not in FORMS:
                continue
            if suffix in ("journal.json.log", "syslog+auth.journal") and not have_remote:
                print(f"note: {fname} skipped: systemd-journal-remote is not installed")
                continue
            chain, prev = [], {}
            form = None
            for s in scenarios:
                path = os.path.join(logs, s["name"], fname)
                if suffix == "syslog+auth.journal":
                    path = os.path.join(logs, s["name"], f"{host}.syslog.log")
                if not os.path.exists(path):
                    continue
                if suffix == "journal.json.log":
                    path = to_journal(path, tmp, f"{s['name']}-{host}")
                elif suffix == "syslog+auth.journal":
                    path = to_twin_journal(path, os.path.join(logs, s["name"], f"{host}.auth.log"), tmp,
                                           f"{s['name']}-{host}-twins")
                if form is None:
                    form = FORMS[suffix]
                    if suffix == "syslog.log":
                        meta = gt.get("log_files", {}).get(fname)
                        if meta is not None and "ike_name" in meta:
                            form = (("syslog, ike_name=yes", FULL) if meta["ike_name"]
                                    else ("syslog, ike_name=no", FULL))
                        else:
                            form = syslog_form(path)
                formname, caps = form
                chain.append(path)
                cur = replay(swanlog, rules, chain)
                delta = {k: cur.get(k, 0) - prev.get(k, 0) for k in set(cur) | set(prev)}
                prev = cur
                got = project(events_from_delta(delta), caps)
                want = project(truth_events(s, host), caps)
                nwant = sum(want.values())
                ok_here = 0
                for key in sorted(set(got) | set(want)):
                    g, w = got.get(key, 0), want.get(key, 0)
                    compared += 1
                    event, conn, child, peer = key
                    what = (f"{s['name']} {host} [{fname}: {formname}] {event}"
                            f"{{conn={conn!r}, child={child!r}, peer={peer!r}}}: log {g}, truth {w}")
                    if g == w:
                        ok_here += w
                        if verbose:
                            print("ok   " + what)
                    elif event in caps["at_most"] and g < w:
                        limits.append(what + " (this log form cannot show it)")
                    else:
                        failures.append(what)
                table.append((s["name"], host, fname, formname, nwant, ok_here))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{'scenario':28} {'host':6} {'log file':24} {'form':38} truth matched")
    for name, host, fname, formname, nwant, nok in table:
        print(f"{name:28} {host:6} {fname:24} {formname:38} {nwant:5} {nok:7}")
    for l in limits:
        print("limit " + l)
    for f in failures:
        print("FAIL " + f)
    print(f"ground truth: {compared} comparisons, {len(failures)} failed, {len(limits)} not supported by the log form")
    return 1 if failures or not table else 0


if __name__ == "__main__":
    sys.exit(main())
