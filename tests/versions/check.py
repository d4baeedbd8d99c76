#!/usr/bin/env python3
"""Replay every scenario of scenarios.txt as each strongSwan release would log it.

usage: check.py SWANLOG_BINARY RULES_DIR VERSIONS_DIR [--write]

formats.tsv (from extract.py) says which format string a release uses for a message. For
each release where a format starts or ends, every scenario is rendered with that release's
formats, in three forms: the file logger ("NN[GRP] <conn|uid> msg", ike_name = yes), syslog
with ike_name = yes and syslog with ike_name = no (Debian's default). Each distinct log is
replayed; its whole set of ipsec_* lines must equal the scenario's expectation in
expected.txt ("[NAME yes]" for both ike_name = yes forms, "[NAME no]" for syslog without
it; "[NAME no from 6.0.6]" holds for that release and later, where charon logs more). Every row
of formats.tsv must be used by some scenario unless unused.txt lists it with the reason.
--write rewrites expected.txt from the output of 5.9.8, the release the rules were
written for (review the diff!).
Exit 0 when all agree, 1 otherwise.
"""
import concurrent.futures
import os
import re
import subprocess
import sys

REFERENCE = "5.9.8"     # --write takes the output of the release the rules were written for
CONV = re.compile(r"%%|%[-#+ 0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[a-zA-Z]|\{VERSION\}")


def vkey(tag):
    return tuple(int(x) for x in tag.split("."))


def load_formats(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        key, first, last, fmt = line.rstrip("\n").split("\t")
        rows.append((key, vkey(first), vkey(last), fmt))
    return rows


def load_scenarios(path):
    """name -> list of (thread, group, prefix, key, selector, args, line number).
    A line: THREAD GROUP PREFIX KEY[~/RE/RE.../][: VALUE | VALUE ...]; PREFIX con/uid, -/uid or
    -; "@NAME" repeats an earlier scenario; the first RE that picks a format of KEY in a release is used; '' is an empty value."""
    scen, cur = {}, None
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"^\[(\S+)\]$", line)
        if m:
            cur = scen.setdefault(m.group(1), [])
            continue
        if line.startswith("@") and line[1:] in scen:
            cur.extend(scen[line[1:]])      # "@NAME": the lines of an earlier scenario
            continue
        m = re.match(r"^(\d\d) ([A-Z]{3}) (\S+) ([a-z_0-9]+)(?:~(/.*/))?(?:: (.*))?$", line)
        if not m or cur is None:
            sys.exit("%s:%d: bad line" % (path, n))
        thread, grp, prefix, key, sel, args = m.groups()
        args = [] if args is None else ["" if a == "''" else a for a in args.split(" | ")]
        cur.append((thread, grp, prefix, key, sel[1:-1] if sel else None, args, n))
    return scen


def render(fmt, args, tag):
    """Fill the conversions of fmt with args in order; values left over are not used, and a
    format with more conversions than values starts with empty %s (charon's "%sCHILD_SA")."""
    convs = [c for c in CONV.findall(fmt) if c not in ("%%", "{VERSION}")]
    missing = len(convs) - len(args)
    if missing > 0 and all(c == "%s" for c in convs[:missing]):
        args = [""] * missing + list(args)
    it = iter(args)

    def conv(m):
        if m.group(0) == "%%":
            return "%"
        if m.group(0) == "{VERSION}":
            return tag
        try:
            return next(it)
        except StopIteration:
            raise ValueError("too few values for %r" % fmt)
    return CONV.sub(conv, fmt)


def main():
    binary, rules, vdir = sys.argv[1:4]
    write = "--write" in sys.argv[4:]
    formats = load_formats(vdir + "/formats.tsv")
    scen = load_scenarios(vdir + "/scenarios.txt")
    unused_ok = set()
    for line in open(vdir + "/unused.txt"):
        if line.strip() and not line.startswith("#"):
            unused_ok.add(line.split("\t")[1].rstrip("\n") if "\t" in line else line.strip())
    expected, name = {}, None
    try:
        for line in open(vdir + "/expected.txt"):
            line = line.rstrip("\n")
            m = re.match(r"^\[(\S+) (yes|no)(?: from (\S+))?\]$", line)
            if m:
                name = (m.group(1), m.group(2), vkey(m.group(3) or "0"))
                expected[name] = []
            elif line:
                expected[name].append(line)
    except FileNotFoundError:
        pass
    tags = sorted({r[1] for r in formats} | {r[2] for r in formats})
    pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2)
    used = set()
    fail = 0
    runs = 0
    out_exp = []
    for sname, lines in scen.items():
        logs = {}                       # (form, text) -> [tags]
        for tag in tags:
            tagname = ".".join(map(str, tag))
            text = {"file": [], "syslog-yes": [], "syslog-no": []}
            skip = False
            for i, (thread, grp, prefix, key, sel, args, n) in enumerate(lines):
                cands = []
                for alt in sel.split("/") if sel else [None]:
                    cands = [r for r in formats if r[0] == key and r[1] <= tag <= r[2]
                             and (alt is None or re.search(alt, r[3]))]
                    if cands:
                        break
                fmts = sorted({r[3] for r in cands})
                if not fmts:
                    skip = True         # this release does not log that message
                    break
                msgs = {render(f, args, tagname) for f in fmts}   # %d and %u print alike
                if len(msgs) > 1:
                    sys.exit("scenarios.txt:%d: %s at %s: several formats %r" % (n, key, tagname, fmts))
                used.update((r[0], r[3]) for r in cands)
                msg = msgs.pop()
                t = "Nov 29 17:%02d:%02d" % (50 + i // 60, i % 60)
                pre = "" if prefix == "-" else "<%s> " % prefix.replace("/", "|").lstrip("-|")
                text["file"].append("%s %s[%s] %s%s" % (t, thread, grp, pre, msg))
                text["syslog-yes"].append("%s moon charon: %s[%s] %s%s" % (t, thread, grp, pre, msg))
                text["syslog-no"].append("%s moon charon: %s[%s] %s" % (t, thread, grp, msg))
            if skip:
                continue
            for form, ls in text.items():
                logs.setdefault((form, "\n".join(ls) + "\n"), []).append(tagname)
        if not logs:
            print("FAIL %s: no release logs all its messages" % sname)
            fail = 1
            continue
        got = {}
        items = list(logs.items())
        results = pool.map(lambda item: subprocess.run(
            [binary, "replay", "--rules", rules, "--year", "2026", "-"],
            input=item[0][1].encode(), capture_output=True, env={"TZ": "UTC"}), items)
        for ((form, text), vers), res in zip(items, results):
            runs += 1
            if res.returncode != 0:
                print("FAIL %s (%s, %s): replay failed: %s" % (sname, form, vers[0], res.stderr.decode()))
                fail = 1
                continue
            prom = [l for l in res.stdout.decode().splitlines() if l.startswith("ipsec_")]
            mode = "no" if form == "syslog-no" else "yes"
            if mode not in got or REFERENCE in vers:
                got[mode] = prom
            since = max([k[2] for k in expected if k[:2] == (sname, mode)
                         and k[2] <= vkey(vers[0])], default=None)
            want = expected.get((sname, mode, since))
            if write:
                continue
            if want is None:
                print("FAIL %s: no expectation [%s %s]" % (sname, sname, mode))
                fail = 1
            elif prom != want:
                print("FAIL %s: %s form of releases %s counts differently:" % (sname, form, ", ".join(vers)))
                for l in want:
                    if l not in prom:
                        print("  - " + l)
                for l in prom:
                    if l not in want:
                        print("  + " + l)
                print("  log:\n    " + text.rstrip("\n").replace("\n", "\n    "))
                fail = 1
        for mode in ("yes", "no"):
            out_exp.append("[%s %s]" % (sname, mode))
            out_exp.extend(got.get(mode, []))
            out_exp.append("")
    if write:
        for (sname, mode, since), lines in expected.items():
            if since != (0,):           # hand-written blocks for later releases stay
                out_exp.append("[%s %s from %s]" % (sname, mode, ".".join(map(str, since))))
                out_exp.extend(lines + [""])
        with open(vdir + "/expected.txt", "w") as f:
            f.write("\n".join(out_exp))
        return 0
    for key, _, _, fmt in formats:
        if (key, fmt) not in used and fmt not in unused_ok:
            print("FAIL format not exercised by any scenario: %s\t%s" % (key, fmt))
            fail = 1
    print("%d scenarios, %d releases, %d replays" % (len(scen), len(tags), runs))
    return fail


sys.exit(main())
