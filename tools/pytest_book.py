"""The book's pytest plugin (loaded by the root conftest.py): test-session setup shared by the tests and nbval.

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

_STATUS_DIR = Path(__file__).resolve().parents[1] / "_build" / "status"
_notebook_seconds = {}
_notebook_outcomes = {}


# nbval compares every output's data except the keys in its notebook collector's
# skip_compare, which has image/png and image/jpeg but not image/svg+xml.  The chapters'
# figures are SVG (cnnlib.notebook.setup()): their markup depends on matplotlib's version
# and the fonts it finds, like a PNG's pixels, so it is skipped too.  Each figure's
# text/plain ("<Figure size 900x320 with 2 Axes>") and every other output are still compared.
NBVAL_SKIP_ALSO = ("image/svg+xml",)


def skip_figure_markup(collector):
    """Add NBVAL_SKIP_ALSO to an nbval notebook collector's skip_compare (once)."""
    skip = getattr(collector, "skip_compare", None)
    if skip is not None:
        collector.skip_compare = tuple(skip) + tuple(k for k in NBVAL_SKIP_ALSO if k not in skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # nbval starts a notebook's kernel while setting up its first cell, after this
    # hook: the kernel inherits the name, and cnnlib.claim records it with each figure.
    if item.path.suffix == ".ipynb":
        os.environ["CNNLIB_NOTEBOOK"] = item.path.name
        skip_figure_markup(item.parent)


# With pytest-xdist (tools/test.sh: -n 2 --dist loadfile --no-loadscope-reorder) the
# long chapters go first, a Keras chapter beside a scratch one (11 | 10, then 09 | 07,
# then 12), then the middle-sized ones (13, 14, 06c: after AlexNet, under a minute each),
# so that neither worker is left with a long chapter at the end.
_LONG_FIRST = ("11_", "10_", "09_", "07_", "12_", "13_", "14_", "08_", "06c_")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("numprocesses", default=None):
        return

    def rank(item):
        if item.path.suffix == ".ipynb":
            for k, prefix in enumerate(_LONG_FIRST):
                if item.path.name.startswith(prefix):
                    return k
        return len(_LONG_FIRST)

    items.sort(key=rank)  # stable: the cells of a notebook keep their order


_span = []  # [first start, last stop] of any notebook cell (epoch seconds)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if not path.endswith(".ipynb"):
        return
    _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration
    start, stop = getattr(report, "start", None), getattr(report, "stop", None)
    if start is not None and stop is not None:
        _span[:] = [min(_span[0], start), max(_span[1], stop)] if _span else [start, stop]
    if report.failed:
        _notebook_outcomes[path] = "failed"
    else:
        _notebook_outcomes.setdefault(path, "passed")


def pytest_sessionfinish(session):
    """Per-notebook time and outcome of this nbval run, and its wall time, for the status page.

    ``tools/test.sh`` runs nbval twice (most notebooks two at a time, then the
    two that time the machine alone): the second run, started with
    ``CNNLIB_NBVAL_APPEND=1``, adds to the record of the first; any other run
    replaces the record.  With pytest-xdist only the controlling process writes
    (it receives every worker's reports).
    """
    if not _notebook_seconds or hasattr(session.config, "workerinput"):
        return
    _STATUS_DIR.mkdir(parents=True, exist_ok=True)
    path = _STATUS_DIR / "notebooks.json"
    append = os.environ.get("CNNLIB_NBVAL_APPEND") == "1" and path.exists()
    record = json.loads(path.read_text()) if append else {"notebooks": {}, "runs": []}
    record["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    record["notebooks"].update(
        {
            p: {"seconds": round(s, 1), "outcome": _notebook_outcomes.get(p, "passed")}
            for p, s in sorted(_notebook_seconds.items())
        }
    )
    workers = getattr(session.config.option, "numprocesses", None) or 1
    record.setdefault("runs", []).append(
        {
            "notebooks": sorted(_notebook_seconds),
            "workers": workers,
            "wall_seconds": round(_span[1] - _span[0], 1) if _span else round(sum(_notebook_seconds.values()), 1),
        }
    )
    path.write_text(json.dumps(record, indent=2))
