"""JupyterLab serves the book (and the student edition) and runs a chapter's kernel.

What a reader does after ``bash tools/setup.sh``: ``.venv/bin/jupyter lab book/``
(the README's line), run here as that command from the repository's root, so
the server's root is the book's folder.  Each test starts ``jupyter lab`` headless on a free localhost port with a
random token, lists the notebooks through ``/api/contents``, opens a session
on one chapter (``/api/sessions``), runs code in its kernel over the kernel's
websocket channel (import cnnlib, load MNIST through ``CNNLIB_DATA`` from the
environment), then deletes the session and shuts the server down.  Every
step has a time limit, and the server's whole process group (kernels
included) is killed whatever happens.
"""

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60   # the server answering /api/status
REQUEST_S = 20   # one REST call
EXECUTE_S = 60   # kernel start + the code below

CODE = """\
import os, cnnlib
(x_train, y_train), (x_test, y_test) = cnnlib.load_mnist()
print(os.environ.get("CNNLIB_DATA"), x_train.shape, x_test.shape, os.getcwd(), sep="|")
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, port, token, proc):
        self.port, self.token, self.proc = port, token, proc
        self.base = f"http://127.0.0.1:{port}"

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=REQUEST_S) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)


@contextmanager
def jupyter_lab(folder, tmp_path):
    """A headless ``.venv/bin/jupyter lab FOLDER`` started in the repository's root; yields a :class:`Server`."""
    port, token = _free_port(), secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        TF_CPP_MIN_LOG_LEVEL="2",
        OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"),
        # the reader's own settings stay out; the connection files go to the tmp dir
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
    )
    log = open(tmp_path / f"jupyter-{port}.log", "wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", str(folder),
         "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # no network
        + (["--allow-root"] if os.geteuid() == 0 else []),  # CI runs as root (README says so too)
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kernels it starts die with it
    )
    server = Server(port, token, proc)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if server.api("GET", "/api/status")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyter lab did not answer within {STARTUP_S} s:\n{_tail(log)}")
            time.sleep(0.3)
        yield server
        # a clean stop first: the server shuts its kernels down and exits
        try:
            server.api("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        proc.wait(timeout=20)
    finally:
        _kill_group(proc)
        log.close()


def _tail(log, n=3000):
    log.flush()
    return Path(log.name).read_bytes()[-n:].decode(errors="replace")


def _kill_group(proc):
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)  # the server and every kernel it started
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # the group may outlive the leader (a kernel); one more sweep
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


async def _execute(server, kernel_id, code):
    """Run ``code`` in the kernel over its websocket channel; returns (reply content, stdout, errors)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
    conn = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {server.token}"},
                                               connect_timeout=REQUEST_S, request_timeout=REQUEST_S))
    try:
        msg_id = uuid.uuid4().hex
        conn.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        reply, stdout, errors, idle = None, [], [], False
        while reply is None or not idle:
            raw = await conn.read_message()
            if raw is None:
                raise AssertionError("the kernel's websocket closed before the reply")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "execute_reply":
                reply = content
            elif kind == "stream" and content["name"] == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return reply, "".join(stdout), errors
    finally:
        conn.close()


def _open_and_run(server, folder, notebook):
    """The served root lists ``folder``'s notebooks; a session on ``notebook`` runs CODE."""
    status, listing = server.api("GET", "/api/contents")
    assert status == 200 and listing["type"] == "directory"
    served = {item["name"] for item in listing["content"] if item["type"] == "notebook"}
    on_disk = {p.name for p in folder.glob("*.ipynb")}
    assert served == on_disk and notebook in served, (served, on_disk)

    path = notebook
    status, nb = server.api("GET", f"/api/contents/{path}")
    assert status == 200 and nb["type"] == "notebook" and nb["content"]["cells"]

    status, session = server.api("POST", "/api/sessions", {
        "path": path, "name": notebook, "type": "notebook", "kernel": {"name": "python3"},
    })
    assert status == 201, session
    kernel_id = session["kernel"]["id"]
    try:
        reply, stdout, errors = asyncio.run(asyncio.wait_for(_execute(server, kernel_id, CODE), EXECUTE_S))
        assert reply["status"] == "ok" and not errors, errors
        data_dir, train_shape, test_shape, cwd = stdout.strip().split("|")
        assert data_dir == os.environ["CNNLIB_DATA"]  # reached the kernel through the environment
        assert (train_shape, test_shape) == ("(60000, 28, 28)", "(10000, 28, 28)")
        assert Path(cwd).resolve() == folder.resolve()  # the kernel runs in the chapter's folder
    finally:
        status, _ = server.api("DELETE", f"/api/sessions/{session['id']}")
        assert status == 204
    _, kernels = server.api("GET", "/api/kernels")
    assert kernel_id not in {k["id"] for k in kernels}


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    subprocess.run([sys.executable, "-m", "cnnbook.classroom", "student-edition", str(out),
                    "--book", str(ROOT / "book")], check=True, timeout=60, capture_output=True)
    return out


@pytest.fixture(autouse=True)
def _needs_data():
    if not os.environ.get("CNNLIB_DATA"):
        pytest.skip("CNNLIB_DATA is not set: the kernel's MNIST load needs the offline files (CI sets it)")


def test_jupyterlab_serves_the_book_and_runs_a_chapter(tmp_path):
    with jupyter_lab("book/", tmp_path) as server:
        _open_and_run(server, ROOT / "book", "02_convolution.ipynb")
        # the JupyterLab page itself, as the browser opens it
        req = urllib.request.Request(f"{server.base}/lab/tree/02_convolution.ipynb",
                                     headers={"Authorization": f"token {server.token}"})
        with urllib.request.urlopen(req, timeout=REQUEST_S) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    assert server.proc.returncode is not None


def test_the_student_edition_opens_and_runs_the_same_way(tmp_path, student_dir):
    with jupyter_lab(student_dir, tmp_path) as server:
        _open_and_run(server, student_dir, "02_convolution.ipynb")
    assert server.proc.returncode is not None
