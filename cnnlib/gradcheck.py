"""Numerical gradients and the relative error used to compare them with backprop.

Thresholds in the tests follow CS231n: relative error <= 1e-7 in float64 for
smooth layers; up to 1e-5 where a kink (ReLU, max) sits near a sample point.
"""

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f, x, h=1e-5):
    """Central-difference gradient of the scalar function ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place one element at a time and restored exactly
    before returning, so ``f`` may read it through a layer or a model.
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a float array; got {x.dtype}")
    if x.dtype != np.float64:
        raise TypeError("numerical gradients are only meaningful in float64; cast the model and data first")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fplus = f()
        x[i] = old - h
        fminus = f()
        x[i] = old
        grad[i] = (fplus - fminus) / (2 * h)
        it.iternext()
    return grad


def rel_error(a, b):
    """``max |a - b| / max(|a| + |b|)``, elementwise, guarded against 0 / 0 (CS231n's measure)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
