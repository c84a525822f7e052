"""Datasets: facts of the real files (via CNNLIB_DATA), clear errors for missing, corrupt
or malformed files (small fakes in tmp_path), where the files are looked for, and the helpers."""

import sys
import types
import zipfile

import numpy as np
import pytest

from cnnlib import first_n, load_cifar10, load_mnist, one_hot, scale, to_nchw, to_nhwc
from cnnlib.datasets import CIFAR10_CLASSES, DatasetError

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


# ------------------------------------------------------------- the real files
def test_mnist_facts(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train[0] == 5 and y_test[0] == 7
    assert np.bincount(y_train, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).sum() == 10000 and y_test.max() == 9
    assert x_train.min() == 0 and x_train.max() == 255


@pytest.fixture(scope="module")
def cifar10(data_dir):
    return load_cifar10(data_dir)


def test_cifar10_facts(cifar10):
    (x_train, y_train), (x_test, y_test) = cifar10
    assert (x_train.shape, y_train.shape) == ((50000, 32, 32, 3), (50000, 1))  # NHWC, labels (N, 1)
    assert (x_test.shape, y_test.shape) == ((10000, 32, 32, 3), (10000, 1))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train[:, 0], minlength=10).tolist() == [5000] * 10
    assert np.bincount(y_test[:, 0], minlength=10).tolist() == [1000] * 10
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[9] == "truck"


def test_data_dir_argument_wins_over_the_environment(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path / "nowhere"))
    (x, y), _ = load_mnist(data_dir)  # the argument is used, the bad variable ignored
    assert y[0] == 5
    with pytest.raises(DatasetError, match=r"nowhere/mnist.npz does not exist \(the folder comes from the environment variable CNNLIB_DATA="):
        load_mnist()
    monkeypatch.setenv("CNNLIB_DATA", str(data_dir))
    with pytest.raises(DatasetError, match=r"mnist.npz does not exist \(the folder comes from the data_dir argument\)"):
        load_mnist(tmp_path)  # a bad argument is not rescued by a good variable


# ------------------------------------------------------------- bad files
def fake_mnist(path, **overrides):
    """A small file with MNIST's keys (and wrong shapes unless overridden)."""
    arrays = {
        "x_train": np.zeros((10, 28, 28), np.uint8),
        "y_train": np.zeros(10, np.uint8),
        "x_test": np.zeros((5, 28, 28), np.uint8),
        "y_test": np.zeros(5, np.uint8),
    }
    arrays.update(overrides)
    np.savez_compressed(path / "mnist.npz", **{k: v for k, v in arrays.items() if v is not None})


def test_missing_file(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=r"mnist.npz does not exist \(the folder comes from the data_dir argument\)\. Put mnist.npz there"):
        load_mnist(tmp_path)
    monkeypatch.setenv("CNNLIB_DATA", str(tmp_path))
    with pytest.raises(DatasetError, match=r"cifar10.npz does not exist \(the folder comes from the environment variable CNNLIB_DATA="):
        load_cifar10()


def corrupt_deflate(path):
    """Make the first stored array's compressed stream invalid (a 'reserved' deflate block type)."""
    with zipfile.ZipFile(path) as z:
        info = z.infolist()[0]
    assert info.compress_type == zipfile.ZIP_DEFLATED
    data = bytearray(path.read_bytes())
    o = info.header_offset  # local header: name and extra-field lengths at bytes 26 and 28
    start = o + 30 + int.from_bytes(data[o + 26 : o + 28], "little") + int.from_bytes(data[o + 28 : o + 30], "little")
    data[start] = 0b111  # BFINAL=1, BTYPE=11: "invalid block type"
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a zip", "empty", "truncated", "bad deflate stream", "pickled object"])
def test_corrupt_file(tmp_path, damage):
    path = tmp_path / "mnist.npz"
    fake_mnist(tmp_path)
    if damage == "not a zip":
        path.write_bytes(b"<html>404 Not Found</html>" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:300])
    elif damage == "bad deflate stream":  # used to escape as a bare zlib.error
        corrupt_deflate(path)
    else:
        fake_mnist(tmp_path, x_train=np.array([{"a": 1}], dtype=object))  # needs pickle to read
    with pytest.raises(DatasetError, match=r"mnist.npz \(from the data_dir argument\) is not a readable \.npz file .*replace the file"):
        load_mnist(tmp_path)


def test_missing_arrays(tmp_path):
    fake_mnist(tmp_path, y_train=None, y_test=None)
    with pytest.raises(DatasetError, match=r"lacks the arrays \['y_train', 'y_test'\]; it holds \['x_train', 'x_test'\]"):
        load_mnist(tmp_path)


def test_wrong_shape(tmp_path):
    fake_mnist(tmp_path)
    with pytest.raises(DatasetError, match=r"x_train is uint8 \(10, 28, 28\); expected uint8 \(60000, 28, 28\) as in keras.datasets.mnist"):
        load_mnist(tmp_path)


def test_wrong_dtype(tmp_path):
    # x_train right (zeros compress to almost nothing), y_train int64 instead of uint8
    fake_mnist(tmp_path, x_train=np.zeros((60000, 28, 28), np.uint8), y_train=np.zeros(60000, np.int64))
    with pytest.raises(DatasetError, match=r"y_train is int64 \(60000,\); expected uint8 \(60000,\)"):
        load_mnist(tmp_path)


def test_without_data_dir_or_variable_keras_load_data_is_used_and_checked(monkeypatch):
    """No argument, no CNNLIB_DATA: Keras's own (downloading) loader, and its result is validated.
    A stand-in ``keras`` module answers, so nothing is downloaded."""
    monkeypatch.delenv("CNNLIB_DATA", raising=False)
    calls = []

    def load_data():
        calls.append(1)
        return (np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8)), (np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8))

    fake = types.SimpleNamespace(datasets=types.SimpleNamespace(mnist=types.SimpleNamespace(load_data=load_data)))
    monkeypatch.setitem(sys.modules, "keras", fake)
    with pytest.raises(DatasetError, match=r"keras.datasets.mnist.load_data\(\): x_train is uint8 \(3, 28, 28\)"):
        load_mnist()
    assert calls == [1]


# --------------------------------------------------------------- helpers
def test_scale():
    x = np.array([[0, 51, 255]], np.uint8)
    y = scale(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.0, 0.2, 1.0]], rtol=1e-7)
    assert y[0, 2] == 1.0
    with pytest.raises(ValueError, match="scale expects uint8 pixels .*got float32. Already-scaled data must not be scaled twice"):
        scale(y)
    with pytest.raises(ValueError, match="got int64"):
        scale(np.array([1, 2]))


def test_to_nchw_and_to_nhwc(rng):
    x = rng.integers(0, 255, (2, 5, 4, 3)).astype(np.uint8)  # NHWC, non-square
    nchw = to_nchw(x)
    assert nchw.shape == (2, 3, 5, 4) and nchw.flags["C_CONTIGUOUS"] and nchw.dtype == np.uint8
    assert nchw[1, 2, 4, 0] == x[1, 4, 0, 2]
    np.testing.assert_array_equal(to_nhwc(nchw), x)
    assert to_nhwc(nchw).flags["C_CONTIGUOUS"]
    mnist_like = np.zeros((7, 28, 28), np.uint8)
    assert to_nchw(mnist_like).shape == (7, 1, 28, 28)
    assert to_nhwc(mnist_like).shape == (7, 28, 28, 1)
    with pytest.raises(ValueError, match=r"to_nchw expects \(N, H, W\) or \(N, H, W, C\); got shape \(28, 28\)"):
        to_nchw(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"to_nhwc expects \(N, H, W\) or \(N, C, H, W\); got shape \(1, 2, 3, 4, 5\)"):
        to_nhwc(np.zeros((1, 2, 3, 4, 5)))


def test_first_n():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    xs, ys = first_n(x, y, 3)
    np.testing.assert_array_equal(xs, x[:3])
    np.testing.assert_array_equal(ys, [0, 1, 2])
    assert first_n(x, y, 10)[0].shape == (10, 2)
    for n in (0, 11):
        with pytest.raises(ValueError, match=f"n must be between 1 and 10; got {n}"):
            first_n(x, y, n)
    with pytest.raises(ValueError, match="10 inputs but 9 labels"):
        first_n(x, y[:9], 3)


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0, 1]), 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert one_hot(np.array([9, 0])).shape == (2, 10) and one_hot(np.array([9])).dtype == np.float32
    np.testing.assert_array_equal(one_hot(np.array([[3], [1]], np.uint8), 4), [[0, 0, 0, 1], [0, 1, 0, 0]])  # CIFAR (N, 1)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]; got values from 0 to 3"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]; got values from -1 to 1"):
        one_hot(np.array([-1, 1]))
    with pytest.raises(ValueError, match=r"one_hot expects integer labels of shape \(N,\) or \(N, 1\); got float64 \(2,\)"):
        one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"got int64 \(2, 3\)"):
        one_hot(np.zeros((2, 3), np.int64))
