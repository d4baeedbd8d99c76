#!/usr/bin/env python3
"""swanlog report in a real browser (headless Chromium over the DevTools protocol).

usage: report_browser.py SWANLOG RULES CORPUS_LOGS WORKDIR [SCREENSHOT.png]

1. The report of the whole corpus (every host's syslog and the kernel log, all scenarios) is
   opened. Checked in the DOM the browser built, with the positions it laid out:
   - every tunnel that replay's metrics name has its summary row and its timeline, and no other;
   - the window is the logs' first and last time;
   - known events, found in the log lines themselves, have their marker (class, time, reason in
     its title) where the time axis puts that time, and each establishment lies in an up-interval
     drawn from that time on;
   - no console message, no error, no request but the page itself; a screenshot is taken.
2. A report of hostile names (markup, quotes, bidi controls, 10 KB) shows each name as text.
3. The checks of (1) are run on a copy of the page with an external image and a script added:
   they must object, or they could not fail.
Exit status 0 when everything holds; the failures are printed.
"""
import datetime
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser  # noqa: E402

SWANLOG, RULES, CORPUS, WORK = sys.argv[1:5]
SHOT = sys.argv[5] if len(sys.argv) > 5 else None
YEAR = 2026
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def log_time(line):
    """The time of a classic syslog line, in UTC (the test runs with TZ=UTC)."""
    t = datetime.datetime.strptime(f"{YEAR} {line[:15]}", "%Y %b %d %H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())


scenarios = sorted(d for d in os.listdir(CORPUS) if d.startswith("S"))
inputs = []
for host in ("moon", "sun", "dave"):
    inputs += [os.path.join(CORPUS, s, f"{host}.syslog.log") for s in scenarios]
inputs += [os.path.join(CORPUS, s, "kern.log") for s in scenarios]
inputs = [p for p in inputs if os.path.exists(p)]

# Known events, each from the first log line that says it: (scenario, host, regex, conn, peer,
# marker class, text its title must hold). The conn of a line without one is the scenario's.
KNOWN = [
    ("S01_con1_up", "moon", r"IKE_SA con1\[\d+\] established", "con1", "198.18.1.2", "up", "IKE_SA established"),
    ("S02_con1_rekey_manual", "moon", r"IKE_SA con1\[\d+\] rekeyed", "con1", "198.18.1.2", "rekey", "IKE_SA rekeyed"),
    ("S03_con1_local_terminate", "moon", r"deleting IKE_SA con1", "con1", "198.18.1.2", "down",
     "IKE_SA down: deleted_local"),
    ("S06_con4_ike_no_proposal", "moon", r"received NO_PROPOSAL_CHOSEN", "con4", "198.18.1.14", "fail",
     "IKE_SA failed: no_proposal_chosen"),
    ("S08_con6_psk_mismatch", "moon", r"received AUTHENTICATION_FAILED", "con6", "198.18.1.16", "fail",
     "IKE_SA failed: authentication_failed"),
    ("S11_con1_dpd_peer_killed", "moon", r"giving up after \d+ retransmits", "con1", "198.18.1.2", "down",
     "IKE_SA down: timeout"),
    ("S11_con1_dpd_peer_killed", "moon", r"retransmit \d+ of request", "con1", "198.18.1.2", "retransmit",
     "retransmit"),
    ("S01_con1_up", "sun", r"IKE_SA con1\[\d+\] established", "con1", "198.18.1.1", "up", "IKE_SA established"),
]


def first_line(scenario, host, regex):
    with open(os.path.join(CORPUS, scenario, f"{host}.syslog.log"), encoding="utf-8") as f:
        for line in f:
            if re.search(regex, line):
                return line
    raise SystemExit(f"the corpus has no line /{regex}/ in {scenario}/{host}: the test is out of date")


def replay_tunnels(paths):
    out = subprocess.run([SWANLOG, "replay", "--rules", RULES, "--year", str(YEAR), *paths], check=True,
                         capture_output=True, text=True).stdout
    tunnels = set()
    for line in out.splitlines():
        if line.startswith("#") or not line.startswith("ipsec_"):
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line))
        if labels.get("conn"):
            tunnels.add((labels["conn"], labels.get("peer", "")))
    return tunnels


# everything a check needs, read from the page as the browser laid it out
DOM = r"""(() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; };
  return {
    window: [...document.querySelectorAll('p.window')].map(p => [+p.dataset.start, +p.dataset.end]),
    rows: [...document.querySelectorAll('tr.tunnel')].map(r => [r.dataset.conn, r.dataset.peer]),
    timelines: [...document.querySelectorAll('div.timeline')].map(d => {
      const svg = d.querySelector('svg');
      const vb = svg.viewBox.baseVal;
      return {
        conn: d.dataset.conn, peer: d.dataset.peer, box: box(svg), vbw: vb.width,
        start: +svg.dataset.start, end: +svg.dataset.end, x0: +svg.dataset.x0, width: +svg.dataset.width,
        spans: [...svg.querySelectorAll('g.ike rect.up')].map(r => ({from: +r.dataset.from, to: +r.dataset.to,
                                                                        box: box(r)})),
        marks: [...svg.querySelectorAll('g.mk')].map(g => ({cls: g.getAttribute('class').split(' ')[1],
          t: +g.dataset.t, n: +g.dataset.n, title: g.querySelector('title').textContent, box: box(g)})),
      };
    }),
    elements: [...new Set([...document.querySelectorAll('*')].map(e => e.localName))],
    bdi: [...document.querySelectorAll('bdi')].map(e => e.textContent),
  };
})()"""


def check_clean(page, url, what):
    """No console message or error, no request but the page itself. Returns the complaints."""
    problems = []
    if page.console:
        problems.append(f"{what}: console: {page.console[:5]}")
    other = [u for u in page.requests if u != url]
    if other:
        problems.append(f"{what}: requests: {other[:5]}")
    return problems


def check_corpus(b, path, url):
    page = b.open(url)
    dom = page.eval(DOM)
    for p in check_clean(page, url, "corpus page"):
        fail(p)
    want = replay_tunnels(inputs)
    rows = {tuple(r) for r in dom["rows"]}
    tls = {(t["conn"], t["peer"]) for t in dom["timelines"]}
    if rows != want or tls != want or len(dom["rows"]) != len(want):
        fail(f"tunnels: replay names {sorted(want)}, summary rows {sorted(rows)}, timelines {sorted(tls)}")
    times = []
    for p in inputs:
        with open(p, encoding="utf-8") as f:
            times += [log_time(line) for line in f if line.strip()]
    if dom["window"] != [[min(times), max(times)]]:
        fail(f"window {dom['window']}, logs from {min(times)} to {max(times)}")
    by = {(t["conn"], t["peer"]): t for t in dom["timelines"]}
    for scenario, host, regex, conn, peer, cls, text in KNOWN:
        t = log_time(first_line(scenario, host, regex))
        tl = by.get((conn, peer))
        if not tl:
            fail(f"{scenario} {regex}: no timeline for {conn} {peer}")
            continue
        scale = (tl["box"][1] - tl["box"][0]) / tl["vbw"]
        want_x = tl["box"][0] + (tl["x0"] + (t - tl["start"]) * tl["width"] / (tl["end"] - tl["start"])) * scale
        marks = [m for m in tl["marks"] if m["cls"] == cls and m["t"] <= t and text in m["title"]]
        near = [m for m in marks if abs((m["box"][0] + m["box"][1]) / 2 - want_x) <= 5]
        if not near:
            fail(f"{scenario} {conn} {peer}: no '{cls}' marker with '{text}' at x={want_x:.1f} (time {t}); "
                 f"markers of that class: {[(m['t'], round((m['box'][0] + m['box'][1]) / 2, 1)) for m in tl['marks'] if m['cls'] == cls]}")
        if cls == "up" and text.startswith("IKE_SA"):
            spans = [s for s in tl["spans"] if s["from"] == t]
            if not spans:
                fail(f"{scenario} {conn} {peer}: no up-interval from {t}: {[(s['from'], s['to']) for s in tl['spans']]}")
            elif abs(spans[0]["box"][0] - want_x) > 1.5:
                fail(f"{scenario} {conn} {peer}: the up-interval from {t} is drawn at x={spans[0]['box'][0]:.1f}, "
                     f"not {want_x:.1f}")
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "nav", "a", "section",
               "table", "thead", "tbody", "tr", "th", "td", "br", "small", "bdi", "div", "svg", "g", "rect", "text",
               "line", "path", "span", "i", "details", "summary", "code"}
    extra = set(dom["elements"]) - allowed
    if extra:
        fail(f"corpus page: unexpected elements {sorted(extra)}")
    if SHOT:
        png = page.screenshot(1280, 860)
        if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 10000:
            fail(f"screenshot: {len(png)} bytes, not a PNG of a drawn page")
        with open(SHOT, "wb") as f:
            f.write(png)


def check_hostile(b):
    names = ['"><script>alert(1)</script>', "it's&\"q\"<b>", "\u202eevil\u202c\u2066x", "a" * 10240,
             "<img/src=x/onerror=alert(1)>"]
    log = os.path.join(WORK, "hostile.log")
    with open(log, "w", encoding="utf-8") as f:
        for i, n in enumerate(names):
            f.write(f"Nov 29 17:{10 + i}:00 moon charon: 16[IKE] IKE_SA {n}[{i + 1}] established between "
                    f"198.18.1.1[moon]...198.51.100.{i + 1}[{n}]\n")
    page_path = os.path.join(WORK, "hostile.html")
    subprocess.run([SWANLOG, "report", "--rules", RULES, "--year", str(YEAR), "-o", page_path, log], check=True)
    url = "file://" + page_path
    page = b.open(url)
    dom = page.eval(DOM)
    for p in check_clean(page, url, "hostile page"):
        fail(p)
    for n in names:
        shown = n.encode()[:256].decode()
        if shown not in dom["bdi"]:
            fail(f"hostile page: the name {shown[:40]!r} is not shown as text")
    if {"script", "img", "b"} & set(dom["elements"]):
        fail(f"hostile page: a name became an element: {sorted(dom['elements'])}")


def check_detectors(b, path):
    """The clean-page checks must object to a page that fetches and scripts."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    bad_path = os.path.join(WORK, "tampered.html")
    with open(bad_path, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", '<img src="http://127.0.0.1:9/x.png"><script>console.log(1)</script></body>'))
    url = "file://" + bad_path
    if not check_clean(b.open(url), url, "tampered page"):
        fail("a page with an external image and a script passed the checks: they cannot fail")


def main():
    path = os.path.join(WORK, "corpus.html")
    subprocess.run([SWANLOG, "report", "--rules", RULES, "--year", str(YEAR), "-o", path, *inputs], check=True)
    with Browser(tempfile.mkdtemp(dir=WORK)) as b:
        check_corpus(b, path, "file://" + path)
        check_hostile(b)
        check_detectors(b, path)
    print(f"report_browser: {len(inputs)} inputs, {len(KNOWN)} known events, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
