#!/usr/bin/env python3
"""The end-to-end alert and dashboard checks (tests/lib/alerts_e2e.sh drives them).

  alerts_e2e.py lines CORPUS STAMP ACT...     the log lines of one act, stamped STAMP
  alerts_e2e.py expect API INSTANCES RUNBOOK RECORD STAMP SENTINEL...  < EXPECTED
  alerts_e2e.py dashboard API DASHBOARD EXPOSITION INSTANCE TIME WINDOW [--ipsec-only]
  alerts_e2e.py backfill API RECORD

Acts are real charon file-logger lines (ike_name = yes) of the scenarios in CORPUS (moon's
side), whole or cut where the capture shows one event ending and the next beginning, and
stamped with one time (an act is appended at once; its lines keep their order). Where an act
repeats a scenario, the IKE_SA and CHILD_SA unique ids are moved on by `+N`, as charon numbers
a new attempt. An act the capture lacks is said so where it is made.

expect: once every SENTINEL query has a result (the act was scraped) and every rule group was
evaluated since, the alerts are the whole set EXPECTED, one a line: `STATE ALERTNAME INSTANCE
label=value... [= VALUE]`, INSTANCE being the alias given in INSTANCES (`address=alias,...`);
job must be "swanlog" and is left out, as are the rule's labels (checked against the rule), and
each runbook_url must be RUNBOOK#anchor. The set is appended to RECORD with STAMP, the time of
the act's lines, for `backfill`.
"""
import calendar, json, math, re, sys, time, urllib.error, urllib.parse, urllib.request

# ---------------------------------------------------------------- acts

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
STAMP = re.compile(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d ")


def corpus(path, scenario):
    with open(f"{path}/{scenario}/moon.charon.log", encoding="utf-8") as f:
        return f.read().splitlines()


def shift_ids(lines, n):
    """Unique ids of IKE_SAs (<con|N>, <N>, con[N]) and CHILD_SAs (con{N}) moved on by n."""
    def sh(m):
        return f"{m.group(1)}{int(m.group(2)) + n}{m.group(3)}"
    out = []
    for line in lines:
        line = re.sub(r"(<(?:[^|>]*\|)?)(\d+)(>)", sh, line)
        line = re.sub(r"(\bcon\d+\[)(\d+)(\])", sh, line)
        line = re.sub(r"(\bcon\d+\{)(\d+)(\})", sh, line)
        out.append(line)
    return out


def cut(lines, first, last=None):
    """lines from the first one containing `first` up to (not including) the one containing `last`"""
    i = next(k for k, l in enumerate(lines) if first in l)
    j = next(k for k, l in enumerate(lines) if last in l) if last else len(lines)
    return lines[i:j]


def act_lines(path, name):
    name, _, n = name.partition("+")
    n = n if name == "child_rekeys" else int(n or 0)
    scenarios = {"startup": "S00_startup", "up": "S01_con1_up", "rekey": "S02_con1_rekey_manual",
                 "terminate": "S03_con1_local_terminate", "no_proposal": "S06_con4_ike_no_proposal",
                 "psk_mismatch": "S08_con6_psk_mismatch"}
    if name in scenarios:
        lines = corpus(path, scenarios[name])
    elif name == "quiet":  # vici clients come and go: charon lines no rule counts
        lines = corpus(path, "S03_con1_local_terminate")[:3]
    elif name == "dpd_timeout":  # S11 up to DPD's give-up, the IKE_SA going down, the new attempt
        lines = cut(corpus(path, "S11_con1_dpd_peer_killed"), "", "<con1|14> retransmit 1 ")
    elif name == "dpd_giveup":  # S11 from there: the new attempt gives up too
        lines = cut(corpus(path, "S11_con1_dpd_peer_killed"), "<con1|14> retransmit 1 ")
    elif name == "child_deleted":
        # The peer deletes CHILD_SA con1{1} of IKE_SA con1[1] (after `up`): S02's own lines
        # about con1{1} in the order charon's child_delete.c writes them for a delete received.
        s02 = corpus(path, "S02_con1_rekey_manual")
        pick = ["<con1|1> received DELETE for ESP CHILD_SA with SPI daf52a0d",
                "<con1|1> closing CHILD_SA con1{1} with SPIs",
                "<con1|1> sending DELETE for ESP CHILD_SA with SPI 9e5c2f3d",
                "<con1|1> CHILD_SA closed"]
        lines = [next(l for l in s02 if p in l) for p in pick]
    elif name == "child_rekeys":
        # A rekey loop (child_rekeys+N@K): moon's CHILD_SA rekey of S02 (con1{1} -> con1{2}) N
        # times, each on the CHILD_SA the one before made (con1{K} -> con1{K+1}, K from 1).
        n, _, first = str(n).partition("@")
        block = cut(corpus(path, "S02_con1_rekey_manual"), "", "vici client 10 connected")
        lines = []
        for k in range(int(first or 1) - 1, int(first or 1) - 1 + int(n)):
            lines += [re.sub(r"\bcon1\{(\d+)\}", lambda m: f"con1{{{int(m.group(1)) + k}}}", l) for l in block]
        n = 0
    elif name.startswith("ike_rekey_failed"):
        # No capture holds a failed rekey: the line charon's ike_rekey.c writes for one
        # (DBG1 "IKE_SA rekeying failed, trying again in %d seconds", a jittered retry time:
        # ike_rekey_failed@S), of IKE_SA con1[1].
        retry = name.partition("@")[2] or "12"
        lines = [f"Nov 29 18:10:00 08[IKE] <con1|1> IKE_SA rekeying failed, trying again in {retry} seconds"]
    else:
        sys.exit(f"unknown act {name}")
    return shift_ids(lines, n) if n else lines


def cmd_lines(path, stamp, *acts):
    t = time.gmtime(int(stamp))
    prefix = f"{MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} "
    for a in acts:
        for line in act_lines(path, a):
            if not STAMP.match(line):
                sys.exit(f"act {a}: a line without a time: {line}")
            sys.stdout.write(prefix + line[16:] + "\n")


# ---------------------------------------------------------------- Prometheus API

def api(base, path, **params):
    url = f"{base}/{path}"
    data = urllib.parse.urlencode(params).encode() if params else None
    try:
        with urllib.request.urlopen(url, data, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        sys.exit(f"FAIL: {path} {params}: HTTP {e.code}: {e.read().decode(errors='replace')}")
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["data"]


def vector(base, expr, t=None):
    params = {"query": expr}
    if t is not None:
        params["time"] = f"{t:.3f}"
    return api(base, "query", **params)["result"]


def poll(what, fn, seconds):
    """fn() until it returns something true; fail after `seconds`"""
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            sys.exit(f"FAIL: {what} within {seconds} s")
        time.sleep(0.1)


def rfc3339(s):
    """seconds of 2026-12-05T14:46:56.123456789Z or ...+01:00 (Prometheus writes nanoseconds)"""
    m = re.fullmatch(r"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(\.\d+)?(Z|([+-])(\d\d):(\d\d))", s)
    if not m:
        sys.exit(f"FAIL: not a time: {s}")
    t = calendar.timegm(tuple(map(int, m.groups()[:6]))) + float(m.group(7) or 0)
    if m.group(8) != "Z":
        t -= (1 if m.group(9) == "+" else -1) * (int(m.group(10)) * 3600 + int(m.group(11)) * 60)
    return t


def evaluated_after(base, t):
    groups = api(base, "rules")["groups"]
    return groups and all(rfc3339(g["lastEvaluation"]) > t for g in groups)


# ---------------------------------------------------------------- alert sets

def parse_expected(text):
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, value = line.partition(" = ")
        w = head.split()
        labels = tuple(sorted(tuple(kv.split("=", 1)) for kv in w[3:]))
        out.append({"state": w[0], "name": w[1], "instance": w[2], "labels": labels,
                    "value": value.strip() or None})
    return out


def key(a):
    return (a["state"], a["name"], a["instance"], a["labels"])


def show(a):
    s = f"{a['state']} {a['name']} {a['instance']} " + " ".join(f"{k}={v}" for k, v in a["labels"])
    return s + (f" = {a['value']}" if a.get("value") is not None else "")


def compare(expected, got):
    """differences as lines; an expected value is checked only where one is given"""
    g = {key(a): a for a in got}
    e = {key(a): a for a in expected}
    diff = [f"  missing: {show(a)}" for k, a in e.items() if k not in g]
    diff += [f"  unexpected: {show(a)}" for k, a in g.items() if k not in e]
    for k, a in e.items():
        if k in g and a["value"] is not None and not math.isclose(float(a["value"]), float(g[k]["value"]),
                                                                   rel_tol=1e-9):
            diff.append(f"  value: {show(a)}, got {g[k]['value']}")
    return diff


def alert_rules(base):
    """name -> {expr, for (seconds), labels} of the alerting rules Prometheus has loaded"""
    return {r["name"]: {"expr": r["query"], "for": float(r.get("duration", 0)), "labels": r.get("labels", {})}
            for g in api(base, "rules")["groups"] for r in g["rules"] if r["type"] == "alerting"}


def normalise(labels, aliases, name, rule, problems):
    """(alias, labels without instance/job/rule labels) of a result or an alert"""
    labels = dict(labels)
    labels.pop("alertname", None)
    inst = labels.pop("instance", "")
    alias = aliases.get(inst)
    if alias is None:
        problems.append(f"  {name}: instance {inst!r} is not one of the swanlogs here")
        alias = inst
    job = labels.pop("job", "")
    if job not in ("swanlog", ""):
        problems.append(f"  {name}: job {job!r}")
    for k, v in rule.get("labels", {}).items():
        if labels.pop(k, None) != v:
            problems.append(f"  {name}: label {k} is not {v}")
    return alias, tuple(sorted(labels.items()))


def cmd_expect(base, instances, runbook, record, stamp, *sentinels):
    aliases = dict(kv.split("=", 1) for kv in instances.split(","))
    rules = alert_rules(base)
    expected = parse_expected(sys.stdin.read())
    # the act has reached Prometheus (every sentinel query has a result) ...
    for s in sentinels:
        poll(f"Prometheus: no result for {s}", lambda: vector(base, s), 30)
    # ... and every rule group was evaluated since
    seen = time.time()
    poll("rules: no evaluation after the act was scraped", lambda: evaluated_after(base, seen), 20)
    deadline = time.monotonic() + 5
    while True:
        problems, got = [], []
        for a in api(base, "alerts")["alerts"]:
            name = a["labels"]["alertname"]
            alias, labels = normalise(a["labels"], aliases, name, rules[name], problems)
            url = a["annotations"].get("runbook_url", "")
            if not re.fullmatch(re.escape(runbook) + r"#[a-z0-9_-]+", url):
                problems.append(f"  {name}: runbook_url {url!r} is not the external label's URL")
            got.append({"state": a["state"], "name": name, "instance": alias, "labels": labels,
                        "value": a["value"]})
        problems += compare(expected, got)
        if not problems:
            break
        if time.monotonic() > deadline:
            print("FAIL: alerts differ from the expected set:")
            print("\n".join(problems))
            print("got:\n" + "\n".join("  " + show(a) for a in sorted(got, key=key)))
            sys.exit(1)
        time.sleep(0.2)
    with open(record, "a") as f:
        f.write(json.dumps({"stamp": int(stamp), "expected": expected}) + "\n")


# ---------------------------------------------------------------- backfill

def cmd_backfill(base, record):
    """The recorded expectations of the alias "gw" hold on the backfilled blocks: each alert
    expression evaluated at each act's time; firing when it held for its whole `for`.
    (Backfilled series have no instance label: "" is gw.)"""
    rules = alert_rules(base)
    aliases = {"": "gw"}
    failures = 0
    checks = [json.loads(l) for l in open(record)]
    for c in checks:
        t = c["stamp"]
        expected = [dict(a, labels=tuple(tuple(x) for x in a["labels"])) for a in c["expected"]
                    if a["instance"] == "gw"]
        got, problems = [], []
        for name, r in rules.items():
            for s in vector(base, r["expr"], t):
                alias, labels = normalise(s["metric"], aliases, name, {"labels": {}}, problems)
                state = "firing"
                hold = int(r["for"])
                if hold:
                    rng = api(base, "query_range", query=f"({r['expr']})", start=str(t - hold), end=str(t),
                              step="1")["result"]
                    pts = next((len(x["values"]) for x in rng if x["metric"] == s["metric"]), 0)
                    state = "firing" if pts >= hold + 1 else "pending"
                got.append({"state": state, "name": name, "instance": alias, "labels": labels,
                            "value": s["value"][1]})
        problems += compare(expected, got)
        if problems:
            failures += 1
            print(f"FAIL: backfill at {t} differs from what the live Prometheus showed:")
            print("\n".join(problems))
    print(f"backfill: {len(checks)} act times compared, {failures} differ")
    sys.exit(1 if failures or not checks else 0)


def parse_duration(s):
    m = re.fullmatch(r"(\d+)([smh])", str(s))
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)] if m else 0


# ---------------------------------------------------------------- dashboard

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def exposition(path):
    """name -> [(labels, value)] of a Prometheus text exposition (empty labels left out)"""
    out = {}
    for line in open(path):
        m = SERIES.match(line)
        if not m or line.startswith("#"):
            continue
        labels = {k: v for k, v in LABEL.findall(m.group(2) or "") if v != ""}
        out.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return out


PANEL = re.compile(r"^(?P<time>time\(\) - )?(?P<agg>sum|max) by \((?P<by>[^)]*)\) \((?P<inner>.*)\)"
                   r"(?P<ms> \* 1000)?(?P<gt> > 0)?$", re.S)


def expected_panel(expr, values, instance, t, window_s):
    """What the query must give, from the final values of the replayed lines (the series of
    one swanlog, `instance`): the shapes the dashboard uses (sum/max by of events, gauges,
    timestamps, rates of counters from 0)."""
    m = PANEL.match(" ".join(expr.split()))
    if not m:
        return None, f"query of an unknown shape: {expr}"
    inner = m.group("inner")
    metric = re.search(r"\b((?:ipsec|swanlog)_[a-z0-9_]+)\{", inner).group(1)
    if "count_over_time" in inner:
        kind = "events"
    elif inner.startswith("rate("):
        kind = "rate"
    elif inner.startswith("increase("):
        kind = "increase"
    else:
        kind = "value"
    by = [b.strip() for b in m.group("by").split(",") if b.strip()]
    groups = {}
    for labels, v in values.get(metric, []):
        labels = dict(labels, instance=instance) if instance else labels
        k = tuple((b, labels[b]) for b in by if b in labels)
        if kind == "rate":
            v = v / window_s
        if m.group("agg") == "sum":
            groups[k] = groups.get(k, 0.0) + v
        else:
            groups[k] = max(groups.get(k, -math.inf), v)
    for k in list(groups):
        if m.group("ms"):
            groups[k] *= 1000
        if m.group("time"):
            groups[k] = t - groups[k]
        if m.group("gt") and not groups[k] > 0:
            del groups[k]
    return (kind, groups), None


def queries(dash):
    out = []
    for a in dash.get("annotations", {}).get("list", []):
        if "expr" in a:
            out.append((f"annotation {a['name']}", a["expr"]))
    for p in dash["panels"]:
        for tg in p.get("targets", []):
            out.append((f"panel {p['title']} {tg['refId']}", tg["expr"]))
    return out


def cmd_dashboard(base, dash_path, expo_path, instance, t, window, *flags):
    t = float(t)
    window_s = parse_duration(window)
    values = exposition(expo_path)
    dash = json.load(open(dash_path))
    failures = checked = 0
    empty = []
    for what, expr in queries(dash):
        # a regex inside a PromQL string: its backslashes doubled
        q = (expr.replace("$instance", re.escape(instance).replace("\\", "\\\\")).replace("$conn", ".*")
             .replace("$__rate_interval", window).replace("$__interval", window).replace("$__range", window))
        want, err = expected_panel(q, values, instance, t, window_s)
        if err:
            print(f"FAIL {what}: {err}")
            failures += 1
            continue
        kind, want = want
        if "--ipsec-only" in flags and kind in ("rate", "increase"):
            continue  # rates of swanlog's own counters: a backfill has no zero sample before them
        got = {tuple(sorted(s["metric"].items())): float(s["value"][1]) for s in vector(base, q, t)}
        want = {tuple(sorted(k)): v for k, v in want.items()}
        checked += 1
        bad = [f"  {dict(k)}: want {want.get(k)}, got {got.get(k)}"
               for k in sorted(set(got) | set(want))
               if k not in got or k not in want or not math.isclose(got[k], want[k], rel_tol=1e-9, abs_tol=1e-9)]
        if not want and not got:
            empty.append(what)
        if bad:
            failures += 1
            print(f"FAIL {what}: {q}")
            print("\n".join(bad))
    print(f"dashboard: {checked} queries checked, {failures} wrong; nothing in these lines for: "
          + ("; ".join(empty) or "-"))
    sys.exit(1 if failures or checked == len(empty) else 0)


if __name__ == "__main__":
    cmds = {"lines": cmd_lines, "expect": cmd_expect, "dashboard": cmd_dashboard, "backfill": cmd_backfill}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
