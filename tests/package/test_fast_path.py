"""The fast path's own helpers (cnnlib.fast_layers, cnnlib.geometry, cnnlib.allocator): the
blocked matrix products in both of their orders, the remembered geometry, and the malloc setting.

The layers built on them are checked elsewhere (gradients in test_layers.py,
the readable twins in test_reference_twins.py, Keras in test_keras_twins.py);
these tests pin the helpers on shapes the layer tests do not reach: products
of more than one block of columns, and the few-rows order of
``blocked_matmul_t``.
"""

import subprocess
import sys

import numpy as np
import pytest

import cnnlib
from cnnlib import Convolution, MaxPooling, allocator
from cnnlib import fast_layers as layers
from cnnlib.geometry import conv_geometry, conv_output_size, resolve_padding


@pytest.mark.parametrize(
    "rows_a, rows_b, columns",
    [
        (6, 25, 9000),  # LeNet's first layer, three blocks: computed transposed (few rows)
        (16, 150, 4096),  # LeNet's second: exactly one block, transposed
        (96, 40, 5000),  # many rows: the plain order
        (6, 3, 100),  # b has fewer rows than a: the plain order
    ],
)
def test_blocked_matmul_t_is_a_times_b_transposed(rng, rows_a, rows_b, columns):
    a = rng.standard_normal((rows_a, columns))
    b = rng.standard_normal((rows_b, columns))
    out = np.full((rows_a, rows_b), np.nan)
    assert layers.blocked_matmul_t(a, b, out) is out
    np.testing.assert_allclose(out, a @ b.T, rtol=1e-12, atol=1e-9)


def test_blocked_matmul_t_writes_into_a_reshaped_view(rng):
    # the convolution hands it grads["W"].reshape(FN, -1), a view of the (FN, C, FH, FW) gradient
    grad = np.zeros((6, 1, 5, 5))
    a, b = rng.standard_normal((6, 5000)), rng.standard_normal((25, 5000))
    layers.blocked_matmul_t(a, b, grad.reshape(6, -1))
    np.testing.assert_allclose(grad.reshape(6, -1), a @ b.T, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("columns", [100, 4096, 9000])
def test_blocked_matmul_is_a_times_b(rng, columns):
    a, b = rng.standard_normal((6, 25)), rng.standard_normal((25, columns))
    out = np.empty((6, columns))
    assert layers.blocked_matmul(a, b, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "shape, f, stride, pad",
    [((2, 3, 28, 28), 5, 1, 0), ((1, 3, 32, 32), 11, 4, "same"), ((4, 1, 7, 9), 3, 2, "valid"), ((1, 1, 6, 6), 3, 1, 1)],
)
def test_conv_geometry_is_remembered_and_right(shape, f, stride, pad):
    H, W = shape[2:]
    pads = resolve_padding((H, W), (f, f), stride, pad)
    mode = pad if isinstance(pad, str) else None
    expected = (pads, conv_output_size(H, f, stride, mode or pads[0]), conv_output_size(W, f, stride, mode or pads[1]))
    assert conv_geometry(shape, f, f, stride, pad) == expected
    assert conv_geometry(shape, f, f, stride, pad) == expected  # remembered


def test_conv_geometry_keeps_the_clear_errors():
    with pytest.raises(ValueError, match="divide|remainder|reach"):
        conv_geometry((1, 1, 6, 6), 3, 3, 2, 0)  # (6 - 3) / 2 + 1 is not whole
    with pytest.raises(ValueError, match="4-D NCHW"):
        conv_geometry((6, 6), 3, 3, 1, 0)
    with pytest.raises(ValueError, match="padding"):
        conv_geometry((1, 1, 6, 6), 3, 3, 1, "full")


def test_conv_geometry_accepts_an_unhashable_padding():
    pads = [[1, 1], [1, 1]]  # a list: remembered as a tuple
    assert conv_geometry((1, 1, 6, 6), 3, 3, 1, pads) == conv_geometry((1, 1, 6, 6), 3, 3, 1, ((1, 1), (1, 1)))


def test_layers_still_refuse_a_bad_input_size_after_a_good_one(rng):
    conv = Convolution(rng.standard_normal((2, 1, 3, 3)), np.zeros(2), stride=2)
    conv.forward(rng.standard_normal((1, 1, 7, 7)))
    with pytest.raises(ValueError):
        conv.forward(rng.standard_normal((1, 1, 6, 6)))
    pool = MaxPooling(2, 2, pad=0)
    pool.forward(rng.standard_normal((1, 1, 4, 4)))
    with pytest.raises(ValueError):
        pool.forward(rng.standard_normal((1, 1, 5, 5)))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_keep_freed_memory_is_applied_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the C library is not glibc")
    assert allocator.keep_freed_memory() is True


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="elsewhere than Linux it must do nothing")
def test_keep_freed_memory_does_nothing_elsewhere():
    assert allocator.keep_freed_memory() is False


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad",
    [
        ((128, 6, 12, 12), (16, 6, 5, 5), 1, 0),  # LeNet's second layer: one offset at a time
        ((64, 4, 9, 9), (3, 4, 3, 3), 2, "same"),  # strided and padded, 64 * 5 * 5 = 1,600 columns: whole matrix
        ((32, 4, 14, 14), (5, 4, 3, 3), 1, 1), # 32 * 14 * 14 = 6,272 columns, padded: one offset at a time
        ((128, 1, 12, 12), (6, 1, 5, 5), 1, 0),  # one input channel: whole matrix
    ],
)
def test_both_input_gradient_paths_match_the_reference(rng, x_shape, w_shape, stride, pad):
    from cnnlib import reference

    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    fast, slow = Convolution(W, b, stride, pad), reference.Convolution(W, b, stride, pad)
    y = fast.forward(x)
    np.testing.assert_allclose(y, slow.forward(x), rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(y.shape)
    np.testing.assert_allclose(fast.backward(dout), slow.backward(dout), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast.grads["W"], slow.grads["W"], rtol=1e-12, atol=1e-11)


def test_importing_cnnlib_changes_no_process_setting(tmp_path):
    """No mallopt (nor any other C library call) at import: ``train()`` and the benchmark ask for it."""
    code = (
        "import ctypes\n"
        "loaded = []\n"
        "class Spy(ctypes.CDLL):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        loaded.append(args)\n"
        "        super().__init__(*args, **kwargs)\n"
        "ctypes.CDLL = Spy\n"
        "import cnnlib, cnnlib.anatomy, cnnlib.allocator, cnnlib.fast_layers, cnnlib.models, cnnlib.timing\n"
        "cnnlib.LeNet(seed=0)\n"
        "assert loaded == [], loaded\n"
        "cnnlib.allocator.keep_freed_memory()\n"
        "print(len(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("1" if sys.platform.startswith("linux") else "0")  # the spy sees the explicit call


def test_train_asks_for_the_allocator_setting(monkeypatch, rng):
    import cnnlib.training

    calls = []
    monkeypatch.setattr(cnnlib.training, "keep_freed_memory", lambda: calls.append(1))
    model = cnnlib.Sequential([cnnlib.Flatten(), cnnlib.Affine(rng.standard_normal((16, 3)), np.zeros(3))])
    x, t = rng.standard_normal((8, 1, 4, 4)), rng.integers(0, 3, 8)
    cnnlib.train(model, cnnlib.SGD(0.1), x, t, epochs=1, batch_size=4, verbose=False)
    assert calls == [1]


def test_keep_freed_memory_honours_the_environment(monkeypatch):
    monkeypatch.setenv("CNNLIB_KEEP_FREED_MEMORY", "0")
    assert allocator.keep_freed_memory() is False
