"""A headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
JSON messages, each ended by a NUL byte, the browser reading fd 3 and writing fd 4), with the
standard library only. Records every network request and every console message, exception
and log entry of the page.

    with Browser(user_data_dir) as b:
        page = b.open("file:///tmp/report.html")   # waits for the load event
        value = page.eval("document.title")
        png = page.screenshot()
        page.requests, page.console
"""
import base64
import json
import os
import select
import shutil
import subprocess
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--disable-dev-shm-usage",
         "--remote-debugging-pipe"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    def __init__(self, browser, session):
        self.b, self.session = browser, session
        self.requests, self.console = [], []

    def call(self, method, **params):
        return self.b.call(method, params, self.session)

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])


class Browser:
    def __init__(self, user_data_dir, deadline_s=60, width=1280, height=900):
        self.deadline = time.monotonic() + deadline_s
        to_chrome, self.w = os.pipe()
        self.r, from_chrome = os.pipe()
        os.set_inheritable(to_chrome, True)
        os.set_inheritable(from_chrome, True)
        exe = chromium()
        if not exe:
            raise FileNotFoundError("chromium")
        # the browser reads its commands on fd 3 and answers on fd 4
        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={user_data_dir}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_chrome, 3), os.dup2(from_chrome, 4)))
        os.close(to_chrome)
        os.close(from_chrome)
        self.buf = b""
        self.next_id = 0
        self.pages = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.send("Browser.close", {}, None)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)

    def send(self, method, params, session):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self):
        """The next message, or an error past the deadline."""
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def dispatch(self, msg):
        page = self.pages.get(msg.get("sessionId"))
        if not page:
            return
        m, p = msg.get("method"), msg.get("params", {})
        if m == "Network.requestWillBeSent":
            page.requests.append(p["request"]["url"])
        elif m == "Runtime.consoleAPICalled":
            page.console.append(f"console.{p['type']}: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            page.console.append(f"exception: {p['exceptionDetails']}")
        elif m == "Log.entryAdded":
            e = p["entry"]
            page.console.append(f"{e['level']} ({e['source']}): {e['text']}")

    def call(self, method, params, session=None):
        want = self.send(method, params, session)
        while True:
            msg = self.read()
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.dispatch(msg)

    def wait_event(self, method, session):
        while True:
            msg = self.read()
            self.dispatch(msg)
            if msg.get("method") == method and msg.get("sessionId") == session:
                return msg.get("params", {})

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", session)
        return page
