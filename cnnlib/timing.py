"""Timing code fairly on a shared machine, and the convolution against its loops.

:func:`time_interleaved` is how every speed figure of the book is taken:
warm-up first, then the functions alternate, block after block, so that all
see the same load, and the median of the blocks ignores the odd slow one.
The Keras comparisons, memory and page-fault measurements are the
repository's ``benchmarks/benchmark.py``, not part of this package.
"""

import time

import numpy as np

from .fast_layers import Convolution
from .naive import conv_backward_naive, conv_forward_naive

__all__ = ["time_interleaved", "conv_vs_naive"]


def time_interleaved(fns, reps=7, steps=3, warmup=2):
    """Median seconds per call of each function in ``fns`` (a dict name → callable).

    Each function first runs ``warmup`` times; then ``reps`` rounds, each
    timing a block of ``steps`` calls of every function in turn (``steps``
    may be a dict name → steps, for functions of very different speeds).
    Returns ``{name: median seconds per call}``.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            n = steps[name] if isinstance(steps, dict) else steps
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - start) / n)
    return {name: float(np.median(t)) for name, t in times.items()}


def conv_vs_naive(shape=(8, 3, 16, 16), filters=8, size=3, stride=1, pad=1, reps=3, seed=0):
    """``Convolution`` forward + backward vs the loops of :mod:`cnnlib.naive`, on small shapes.

    Returns ``{'scratch_ms', 'naive_ms', 'speedup', 'max_rel_diff'}``:
    ``max_rel_diff`` is the largest ``max |scratch - naive| / max |naive|``
    over the output and the three gradients (float32, where the two sum in
    different orders).
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape, dtype=np.float32)
    W = rng.standard_normal((filters, shape[1], size, size), dtype=np.float32) * np.float32(0.3)
    b = rng.standard_normal(filters, dtype=np.float32)
    layer = Convolution(W.copy(), b.copy(), stride, pad)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape, dtype=np.float32)

    def fast():
        y = layer.forward(x)
        return y, layer.backward(dout), layer.grads["W"], layer.grads["b"]

    def slow():
        y = conv_forward_naive(x, W, b, stride, pad)
        return (y,) + conv_backward_naive(dout, x, W, b, stride, pad)

    # the loops and the matrix products add in different orders: compare relative to the size of each result
    diff = max(float(np.max(np.abs(a - c)) / np.max(np.abs(c))) for a, c in zip(fast(), slow()))
    med = time_interleaved({"scratch": fast, "naive": slow}, reps=reps, steps={"scratch": 20, "naive": 1}, warmup=1)
    return {
        "shape": f"x {shape}, W ({filters}, {shape[1]}, {size}, {size}), stride {stride}, pad {pad}",
        "scratch_ms": med["scratch"] * 1e3,
        "naive_ms": med["naive"] * 1e3,
        "speedup": med["naive"] / med["scratch"],
        "max_rel_diff": diff,
    }
