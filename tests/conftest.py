"""Fixtures shared by the tests (tests/package, the package's own; tests/book, the book's).

The markers ``keras`` and ``slow`` are registered, with their meaning, in pytest.ini.

The gradient checks and Keras comparisons record their largest error; the
terminal summary prints the worst of each, so a run shows how much headroom
the thresholds have; with ``CNNLIB_TEST_ERRORS=file.jsonl`` every value is
appended to that file.
"""

import json
import os

# Before anything imports TensorFlow: its C++ start-up lines are noise.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# One OpenBLAS thread for this process.  On the shared 2-core machine OpenBLAS's
# own threads spin against the other jobs: a LeNet training step on 64 images
# took ~150 ms wall with 2 threads and ~6 ms with 1.  OpenBLAS reads the variable
# once, when numpy loads it; it is then removed again so that processes started
# later (nbval's notebook kernels) run exactly as tools/run_notebooks.sh runs them.
_BLAS_VAR_WAS_SET = "OPENBLAS_NUM_THREADS" in os.environ
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402

# Agg in this process only (no MPLBACKEND variable: the kernels nbval starts
# would inherit it and lose their inline figures)
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

if not _BLAS_VAR_WAS_SET:
    del os.environ["OPENBLAS_NUM_THREADS"]

from cnnlib.gradcheck import numerical_gradient, rel_error  # noqa: E402

# worst errors seen in this session: {kind: (value, test id, what)}
_WORST = {}


def _record(kind, value, request, what):
    value = float(value)
    log = os.environ.get("CNNLIB_TEST_ERRORS")  # optional: every value, one JSON line each
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"kind": kind, "value": value, "what": what, "test": request.node.nodeid}) + "\n")
    if kind not in _WORST or value > _WORST[kind][0]:
        _WORST[kind] = (value, request.node.nodeid, what)


def pytest_terminal_summary(terminalreporter):
    if not _WORST:
        return
    terminalreporter.section("largest errors seen")
    for kind in sorted(_WORST):
        value, nodeid, what = _WORST[kind]
        terminalreporter.write_line(f"{kind}: {value:.3e}  ({what}; {nodeid})")


# --------------------------------------------------------------------- numpy
@pytest.fixture
def rng():
    """A fresh, seeded generator per test: tests do not depend on their order."""
    return np.random.default_rng(0)


@pytest.fixture
def grad_check(request):
    """``grad_check(f, x, analytic, what, h=1e-5)`` → CS231n relative error between
    ``numerical_gradient(f, x, h)`` and ``analytic`` (recorded for the summary).

    ``f`` must read ``x`` itself (the layer's parameter array, or the input
    array that ``f`` passes to ``forward``): ``numerical_gradient`` perturbs it
    in place.
    """

    def check(f, x, analytic, what, h=1e-5):
        numeric = numerical_gradient(f, x, h)
        assert numeric.shape == np.shape(analytic), f"{what}: gradient shape {np.shape(analytic)}, expected {x.shape}"
        err = rel_error(numeric, analytic)
        _record("gradient check rel_error (float64)", err, request, what)
        # a check that compares zeros with zeros proves nothing
        assert np.abs(numeric).max() > 1e-6, f"{what}: the numerical gradient is all ~0; the check is vacuous"
        return err

    return check


@pytest.fixture
def record_error(request):
    """``record_error(kind, value, what)``: add a measured error to the end-of-run summary."""
    return lambda kind, value, what: _record(kind, value, request, what)


@pytest.fixture
def assert_close(request):
    """``assert_close(actual, desired, rtol, atol, what)``: ``np.testing.assert_allclose``
    that records, for the summary, the difference relative to the compared array's
    scale and the share of the tolerance used (1 = at the limit)."""

    def check(actual, desired, rtol, atol, what):
        actual = np.asarray(actual, dtype=np.float64)
        desired = np.asarray(desired, dtype=np.float64)
        assert actual.shape == desired.shape, f"{what}: shape {actual.shape}, expected {desired.shape}"
        diff = np.abs(actual - desired)
        scale = max(np.abs(desired).max(), 1e-300)
        _record("Keras comparison max |a - k| / max |k| (float32)", diff.max() / scale, request, what)
        _record("Keras comparison share of the tolerance used, max |a - k| / (atol + rtol |k|)",
                (diff / (atol + rtol * np.abs(desired))).max(), request, what)
        np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol, err_msg=what)

    return check


# --------------------------------------------------------------------- Keras
@pytest.fixture(scope="session")
def keras():
    """Keras (TensorFlow backend), imported on first use only."""
    keras = pytest.importorskip("keras")
    return keras


@pytest.fixture(scope="session")
def tf(keras):
    import tensorflow as tf

    return tf


# ------------------------------------------------------------------ datasets
@pytest.fixture(scope="session")
def data_dir():
    """The folder of the offline data files, from ``CNNLIB_DATA`` (CI sets it).

    Unset → the tests that need the real files are skipped with the reason.
    Set but wrong → they fail: a broken CI setting must not pass quietly.
    """
    env = os.environ.get("CNNLIB_DATA")
    if not env:
        pytest.skip(
            "CNNLIB_DATA is not set: the real-data tests need the offline files mnist.npz and "
            "cifar10.npz (CI sets CNNLIB_DATA=/work/shared/datasets)"
        )
    return Path(env)


@pytest.fixture(scope="session")
def mnist(data_dir):
    from cnnlib import load_mnist

    return load_mnist(data_dir)


@pytest.fixture(scope="session")
def mnist_small(mnist):
    """64 scaled MNIST training images, NCHW float32, and their labels."""
    from cnnlib import first_n, scale, to_nchw

    (x, y), _ = mnist
    x, y = first_n(x, y, 64)
    return to_nchw(scale(x)), y.astype(np.int64)
