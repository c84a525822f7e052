"""A widget in JupyterLab: a reader opens a notebook, runs the cell, and the widget works.

JupyterLab (the pinned jupyterlab, as ``.venv/bin/jupyter lab``) serves a temporary
folder holding a one-cell notebook; headless Chromium opens it over the DevTools
protocol (tests/site/cdp.py), clicks into the cell and presses Shift+Enter; the
kernel runs ``cnnlib.widgets.conv_explorer(...)`` and JupyterLab renders its HTML
output (trusted, since the reader ran it), whose script mounts the widget.  Then a
Step click and a control change must work as on the website.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, wait_for  # noqa: E402

STARTUP_S, KERNEL_S = 90, 120
CELL = "from cnnlib import widgets\nwidgets.conv_explorer(H=7, W=7, kernel=3, stride=2, padding=0)"




@pytest.fixture
def lab(tmp_path):
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "w", "metadata": {}, "outputs": [], "source": CELL}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "widget.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"),
               TF_CPP_MIN_LOG_LEVEL="2")
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", str(folder), "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"] + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            req = urllib.request.Request(base + "/api/status", headers={"Authorization": f"token {token}"})
            return urllib.request.urlopen(req, timeout=2).status == 200
        except OSError:
            return proc.poll() is not None and pytest.fail((tmp_path / "lab.log").read_text(errors="replace")[-2000:])

    try:
        wait_for(up, STARTUP_S, "jupyter lab to answer")
        yield f"{base}/lab/tree/widget.ipynb?token={token}", lambda path: json.load(urllib.request.urlopen(
            urllib.request.Request(base + path, headers={"Authorization": f"token {token}"}), timeout=5))
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # the server and the kernel it started
                proc.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


def test_the_widget_runs_in_jupyterlab(lab):
    url, api = lab
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed: run tools/install_chromium.sh", pytrace=False)
        pytest.skip("chromium is not installed: run tools/install_chromium.sh")
    with Browser(chromium, timeout=120) as b:
        b.send("Emulation.setFocusEmulationEnabled", enabled=True)  # headless: the page has the keyboard focus
        b.open(url)
        wait_for(lambda: b.js("!!document.querySelector('.jp-Notebook .jp-Cell .jp-InputArea-editor')"), 60, "the notebook to open")
        # the page's kernel started and connected (the server's view), then a moment for the page to see it
        wait_for(lambda: [k for k in api("/api/kernels") if k["execution_state"] == "idle" and k["connections"] > 0],
                 KERNEL_S, "the notebook's kernel to start and connect")
        time.sleep(2)
        # select the cell with a mouse click on its prompt, then Shift+Enter, as a reader runs it
        box = b.js("(() => { const r = document.querySelector('.jp-Notebook .jp-Cell .jp-InputPrompt').getBoundingClientRect();"
                   " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            b.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
        for kind in ("keyDown", "keyUp"):
            b.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                   nativeVirtualKeyCode=13, modifiers=8)  # 8: Shift
        mounted = wait_for(lambda: b.js("(() => { const w = document.querySelector('.jp-OutputArea .cnnw');"
                                        " return w && w.dataset.mounted === '1' ? w.dataset.out : ''; })()"), KERNEL_S,
                           "the widget to appear in the cell's output and mount")
        assert mounted == "3x3"  # (7 - 3) / 2 + 1
        b.js("document.querySelector('.jp-OutputArea .cnnw .cnnw-step').click()")
        assert b.js("document.querySelector('.jp-OutputArea .cnnw').dataset.frame") == "1"
        b.js("(() => { const s = document.querySelector('.jp-OutputArea .cnnw [id$=\"-S\"]'); s.value = '1';"
             " s.dispatchEvent(new Event('change')); })()")
        assert b.js("document.querySelector('.jp-OutputArea .cnnw').dataset.out") == "5x5"
