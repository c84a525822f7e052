"""A small driver for headless Chromium over the DevTools protocol (no extra package).

Debian's ``chromium`` is started with ``--remote-debugging-port=0``; the page's
DevTools WebSocket is spoken with tornado's WebSocket client (tornado is pinned in
requirements.txt: Jupyter's server needs it).  Enough for the widget and
accessibility tests: open a URL, evaluate JavaScript, click, press keys,
emulate ``prefers-reduced-motion`` and take screenshots.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tornado.websocket import websocket_connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # only the local server can be reached: anything from a CDN would break
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1200,1000",
]


def wait_for(predicate, seconds, what, interval=0.3):
    """``predicate()``'s first true value, polled every ``interval`` s; fails after ``seconds`` naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def find_chromium():
    """Debian's chromium; without it the test fails in CI and is skipped elsewhere, saying how to install it."""
    import pytest

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed: run tools/install_chromium.sh", pytrace=False)
        pytest.skip("chromium is not installed: run tools/install_chromium.sh")
    return chromium


@contextlib.contextmanager
def serve(directory):
    """``python -m http.server`` for ``directory`` on a free port of 127.0.0.1; yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


class JSError(AssertionError):
    pass


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, chromium: str, timeout: float = 60):
        self.chromium, self.timeout = chromium, timeout
        self.ids = itertools.count(1)

    def __enter__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-cdp-", ignore_cleanup_errors=True)
        self.proc = subprocess.Popen(
            [self.chromium, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        port = None
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
            if not line and self.proc.poll() is not None:
                break
        if port is None:
            self.close()
            raise RuntimeError("chromium did not print its DevTools address")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)  # tornado looks the loop up (the tests may run a browser per thread)

        async def connect():  # tornado's client must be created inside the running loop
            return await websocket_connect(page["webSocketDebuggerUrl"], max_message_size=64 << 20)

        self.ws = self.loop.run_until_complete(connect())
        self.events = []
        self.send("Page.enable")
        self.send("Runtime.enable")
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()
            if getattr(self, "loop", None) is not None:
                self.loop.close()
            self.profile.cleanup()

    # ------------------------------------------------------------ protocol
    async def _call(self, method, params):
        mid = next(self.ids)
        await self.ws.write_message(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = await asyncio.wait_for(self.ws.read_message(), self.timeout)
            if msg is None:
                raise RuntimeError("the DevTools connection closed")
            data = json.loads(msg)
            if data.get("id") == mid:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            if "method" in data:
                self.events.append(data)

    async def _wait_event(self, name):
        while True:
            for k, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[k]
                    return e
            msg = await asyncio.wait_for(self.ws.read_message(), self.timeout)
            if msg is None:
                raise RuntimeError("the DevTools connection closed")
            data = json.loads(msg)
            if "method" in data:
                self.events.append(data)

    def send(self, method, **params):
        return self.loop.run_until_complete(self._call(method, params))

    # ------------------------------------------------------------ page
    def open(self, url):
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.loop.run_until_complete(self._wait_event("Page.loadEventFired"))
        self.load_events, self.events = self.events, []  # what happened while loading (script errors, ...)

    def js(self, expression):
        """Evaluate ``expression`` in the page; returns its value (JSON-able) or raises JSError."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise JSError(f"{d.get('text')}: {d.get('exception', {}).get('description', '')}")
        return res["result"].get("value")

    def key(self, key, code, keycode):
        """Press and release one key in the focused element (``key('Enter', 'Enter', 13)``)."""
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=code,
                      windowsVirtualKeyCode=keycode, nativeVirtualKeyCode=keycode,
                      text="\r" if (key == "Enter" and kind == "keyDown") else "")

    def reduced_motion(self, on=True):
        self.send("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-reduced-motion", "value": "reduce" if on else "no-preference"}])

    def screenshot(self, path: Path, element: str | None = None):
        """A PNG of the page, or of ``element`` (a JavaScript expression giving one element).

        The element is scrolled into view and captured where it is painted: its box in the
        viewport, offset by the viewport's position in the page (as Puppeteer does), after two
        animation frames, so a page still laying out after the scroll is not captured blank.
        """
        params = {"format": "png"}
        resized = False
        if element:
            height = self.js(f"{element}.getBoundingClientRect().height")
            view = self.send("Page.getLayoutMetrics")["cssLayoutViewport"]
            if height > view["clientHeight"]:  # a window as tall as the element, for this capture
                self.send("Emulation.setDeviceMetricsOverride", width=view["clientWidth"],
                          height=int(height) + 40, deviceScaleFactor=1, mobile=False)
                resized = True
            box = self.js(f"(async () => {{ const e = {element}; e.scrollIntoView({{block: 'center'}});"
                          " for (let i = 0; i < 2; i++) await new Promise(r => requestAnimationFrame(r));"
                          " const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")
            view = self.send("Page.getLayoutMetrics")["cssLayoutViewport"]
            params["clip"] = {"x": box[0] + view["pageX"], "y": box[1] + view["pageY"],
                              "width": box[2], "height": box[3], "scale": 1}
        try:
            data = self.send("Page.captureScreenshot", **params)["data"]
        finally:
            if resized:
                self.send("Emulation.clearDeviceMetricsOverride")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path
