"""MNIST and CIFAR-10, read offline when the files are at hand.

``load_mnist()`` / ``load_cifar10()`` return ``(x_train, t_train), (x_test, t_test)``
exactly as ``keras.datasets.<name>.load_data()`` does (uint8 pixels, NHWC for
CIFAR-10, labels ``(N,)`` for MNIST and ``(N, 1)`` for CIFAR-10).  Keras calls
the labels ``y``; cnnlib calls them ``t`` everywhere (``model.forward(x, t)``,
``train(model, optimizer, x_train, t_train, ...)``), as the original notebook
does, and keeps ``y`` for a model's output.

Where the files come from, in order:

1. the ``data_dir`` argument;
2. the folder named by the environment variable ``CNNLIB_DATA`` (CI sets it);
3. otherwise Keras's own download (needs the internet once; Keras caches it).

The files are ``mnist.npz`` and ``cifar10.npz`` with the keys ``x_train``,
``y_train``, ``x_test``, ``y_test`` (``numpy.savez_compressed``, no pickles).
"""

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "DatasetError",
    "load_mnist",
    "load_cifar10",
    "scale",
    "to_nchw",
    "to_nhwc",
    "first_n",
    "one_hot",
    "CIFAR10_CLASSES",
]

ENV_VAR = "CNNLIB_DATA"
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

_EXPECTED = {
    "mnist": {
        "x_train": (60000, 28, 28),
        "y_train": (60000,),
        "x_test": (10000, 28, 28),
        "y_test": (10000,),
    },
    "cifar10": {
        "x_train": (50000, 32, 32, 3),
        "y_train": (50000, 1),
        "x_test": (10000, 32, 32, 3),
        "y_test": (10000, 1),
    },
}


class DatasetError(OSError):
    """A data file is missing, unreadable, or holds arrays of the wrong shape or dtype."""


def _source(name, data_dir):
    if data_dir is not None:
        return Path(data_dir) / f"{name}.npz", "the data_dir argument"
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env) / f"{name}.npz", f"the environment variable {ENV_VAR}={env!r}"
    return None, None


def _read(name, data_dir):
    path, origin = _source(name, data_dir)
    if path is None:
        return None
    if not path.is_file():
        raise DatasetError(
            f"{path} does not exist (the folder comes from {origin}). Put {name}.npz there "
            f"(keys x_train, y_train, x_test, y_test, as Keras's load_data()), point {ENV_VAR} at the "
            f"folder that holds it, or unset {ENV_VAR} to let Keras download the data."
        )
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in _EXPECTED[name] if key in f.files}
            present = list(f.files)
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise DatasetError(
            f"{path} (from {origin}) is not a readable .npz file ({type(e).__name__}: {e}); "
            f"the download may be truncated: replace the file."
        ) from e
    missing = [key for key in _EXPECTED[name] if key not in arrays]
    if missing:
        raise DatasetError(f"{path} (from {origin}) lacks the arrays {missing}; it holds {present}")
    _validate(name, arrays, f"{path} (from {origin})")
    return arrays


def _validate(name, arrays, where):
    for key, shape in _EXPECTED[name].items():
        a = arrays[key]
        if a.shape != shape or a.dtype != np.uint8:
            raise DatasetError(
                f"{where}: {key} is {a.dtype} {a.shape}; expected uint8 {shape} as in keras.datasets.{name}"
            )


def _load(name, data_dir):
    arrays = _read(name, data_dir)
    if arrays is None:  # a normal machine: Keras downloads once and caches
        import keras

        (xtr, ytr), (xte, yte) = getattr(keras.datasets, name).load_data()
        arrays = {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte}
        _validate(name, arrays, f"keras.datasets.{name}.load_data()")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_mnist(data_dir=None):
    """MNIST as ``keras.datasets.mnist.load_data()``: uint8 ``(60000, 28, 28)``, labels ``(60000,)``, ..."""
    return _load("mnist", data_dir)


def load_cifar10(data_dir=None):
    """CIFAR-10 as ``keras.datasets.cifar10.load_data()``: uint8 ``(50000, 32, 32, 3)``, labels ``(50000, 1)``, ..."""
    return _load("cifar10", data_dir)


def scale(x):
    """uint8 pixels 0..255 → float32 in [0, 1].  The step the original notebook forgot."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise ValueError(
            f"scale expects uint8 pixels (0..255); got {x.dtype}. Already-scaled data must not be scaled twice."
        )
    return x.astype(np.float32) / np.float32(255)


def to_nchw(x):
    """NHWC (Keras) → NCHW (the scratch layers).  MNIST's ``(N, H, W)`` gains a channel: ``(N, 1, H, W)``."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[:, None, :, :]
    if x.ndim != 4:
        raise ValueError(f"to_nchw expects (N, H, W) or (N, H, W, C); got shape {x.shape}")
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def to_nhwc(x):
    """NCHW (the scratch layers) → NHWC (Keras).  MNIST's ``(N, H, W)`` gains a channel: ``(N, H, W, 1)``."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[..., None]
    if x.ndim != 4:
        raise ValueError(f"to_nhwc expects (N, H, W) or (N, C, H, W); got shape {x.shape}")
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


def first_n(x, t, n):
    """The first ``n`` inputs ``x`` and labels ``t``, as the original notebook took its subsets (``x[:n], t[:n]``)."""
    if not 0 < n <= len(x):
        raise ValueError(f"n must be between 1 and {len(x)}; got {n}")
    if len(x) != len(t):
        raise ValueError(f"{len(x)} inputs but {len(t)} labels")
    return x[:n], t[:n]


def one_hot(t, num_classes=10):
    """Integer labels ``t`` ``(N,)`` or ``(N, 1)`` → float32 one-hot rows ``(N, num_classes)``."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if t.ndim != 1 or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"one_hot expects integer labels of shape (N,) or (N, 1); got {t.dtype} {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes - 1}]; got values from {t.min()} to {t.max()}")
    out = np.zeros((len(t), num_classes), dtype=np.float32)
    out[np.arange(len(t)), t] = 1
    return out
