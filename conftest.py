"""Test-session setup shared by the unit tests and nbval.

Environment variables set here are inherited by the notebook kernels that
nbval starts, so they apply to the chapters too.
"""

import json
import os
import time
from pathlib import Path

import pytest

# TensorFlow's C++ start-up messages go to stderr, which nbval would compare;
# this must be set before the kernels start (setting it inside a kernel is too late).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_STATUS_DIR = Path(__file__).parent / "_build" / "status"
_notebook_seconds = {}
_notebook_outcomes = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # nbval starts a notebook's kernel while setting up its first cell, after this
    # hook: the kernel inherits the name, and cnnlib.claim records it with each figure.
    if item.path.suffix == ".ipynb":
        os.environ["CNNLIB_NOTEBOOK"] = item.path.name


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if not path.endswith(".ipynb"):
        return
    _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration
    if report.failed:
        _notebook_outcomes[path] = "failed"
    else:
        _notebook_outcomes.setdefault(path, "passed")


def pytest_sessionfinish(session):
    """Per-notebook wall time and outcome of this nbval run, for the status page."""
    if not _notebook_seconds:
        return
    _STATUS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "notebooks": {
            p: {"seconds": round(s, 1), "outcome": _notebook_outcomes.get(p, "passed")}
            for p, s in sorted(_notebook_seconds.items())
        },
    }
    (_STATUS_DIR / "notebooks.json").write_text(json.dumps(record, indent=2))
