"""The fast path: the scratch layers that the models and ``cnnlib.train`` use.

The readable versions of the same layers, the ones the book's chapters print,
are in :mod:`cnnlib.reference`: same names, same constructor arguments, same
numbers (``tests/test_reference_twins.py`` checks forward outputs and every
gradient).  This module is free to use any memory layout, blocking or
buffering that the benchmark (``benchmarks/benchmark.py``) justifies.

Every layer has ``forward(x, train=True)`` and ``backward(dout)``; neither
modifies its argument.  ``dout`` is the gradient of the loss with respect to
the layer's last forward output, an array of that output's shape (another
shape is a ``ValueError``: numpy would broadcast many wrong shapes silently).
Trainable arrays live in ``layer.params`` and their gradients in
``layer.grads`` (dicts keyed by name).  Both dicts hold the same
array objects for the layer's whole life: ``backward`` writes gradients into
them in place, and an optimizer updates the parameters in place, so a model
can hand these dicts to an optimizer once.

Spatial layers take NCHW arrays (batch, channels, height, width), the layout
of the original notebook.  float32 is the default; float64 works too (the
gradient checks use it), and a layer keeps the dtype of its weights.

Speed (the book's appendix "Performance"): every loop here runs over kernel
or window *offsets* (at most a few dozen), never over images or pixels; the
convolution is one matrix product in a layout that needs no copy of its
operands (:func:`cnnlib.im2col.im2col_t`, batch index last), in blocks of
columns that stay in cache; arrays are handed on in whatever memory order
they have; the column matrix and its gradient are kept between steps.  What
a layer returns is always new memory: a caller may keep it.

``backward`` before any ``forward`` raises :class:`BackwardBeforeForward`.
"""

import ctypes
import ctypes.util
import math
import os
import sys

import numpy as np

from .im2col import (
    axis_order,
    col2im_t,
    geometry,
    im2col_t,
    new_like,
    pad_input,
    window_arguments,
    windows,
)

__all__ = [
    "keep_freed_memory",
    "BackwardBeforeForward",
    "Layer",
    "blocked_matmul",
    "blocked_matmul_t",
    "Convolution",
    "MaxPooling",
    "AveragePooling",
    "Relu",
    "Affine",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "SoftmaxCrossEntropy",
]


def _check_ndim(x, ndim, layer, layout):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array; got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{layer} expects a {ndim}-D array {layout}; got shape {x.shape}")


def _check_dout(dout, shape, layer):
    """``backward``'s ``dout`` must be an array of ``shape``, that of the layer's last forward
    output (a broadcastable or same-size ``dout`` would otherwise give wrong numbers silently).
    One shape comparison on the way through; the message is built only on failure."""
    if not isinstance(dout, np.ndarray) or dout.shape != shape:
        if not isinstance(dout, (np.ndarray, np.generic, int, float)):
            raise TypeError(
                f"{layer}.backward expects dout as a numpy array (the gradient of the loss with respect "
                f"to this layer's output, shape {shape}); got {type(dout).__name__}"
            )
        raise ValueError(
            f"{layer}.backward: dout has shape {np.shape(dout)}; expected {shape}, the shape of this layer's "
            f"last forward output: pass the gradient of the loss with respect to this layer's output"
        )


# Memory freed at the end of a training step is needed again by the next one.
# By default glibc's malloc gives large arrays their own pages from the kernel
# (mmap) and hands the top of its heap back as soon as a little of it is free;
# either way the next step faults fresh pages in, which the kernel must zero.  A
# LeNet step at batch 128 allocates and frees some 10 MB of activations and
# gradients: with glibc's defaults it page-faulted 600 to 1,700 times (2.4 to
# 7 MB) per step and took about a third longer (the book's appendix
# "Performance", section 7).
MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit systems
HEAP_PAD = 64 << 20


def keep_freed_memory():
    """Make glibc's ``malloc`` reuse freed memory instead of returning it to the kernel.

    Two ``mallopt`` settings: arrays below 32 MB come from the heap rather than
    from pages mapped for each of them (``M_MMAP_THRESHOLD``), and the heap keeps
    64 MB of free space when it shrinks (``M_TOP_PAD``).  A training step then
    reuses the pages the previous step freed.  A process-wide setting, made once
    when :mod:`cnnlib.layers` is imported unless the environment variable
    ``CNNLIB_KEEP_FREED_MEMORY`` is ``0``; it keeps at most 64 MB more memory
    than glibc's defaults would.  Returns ``True`` if applied, ``False`` where
    the C library is not glibc (macOS, Windows, musl): there it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3  # glibc's <malloc.h>
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TOP_PAD, HEAP_PAD))


if os.environ.get("CNNLIB_KEEP_FREED_MEMORY", "1") != "0":
    keep_freed_memory()


# Column blocks for the convolution's matrix products.  OpenBLAS multiplies a
# matrix of few rows (6 filters) by one of ~70,000 columns (LeNet's first layer)
# two to three times slower than it does the same product in blocks of a few
# thousand columns, whose operands stay in the core's cache; with many rows the
# blocks neither help nor hurt.
_BLOCK = 4096


def blocked_matmul(a, b, out):
    """``out = a @ b``, in blocks of ``_BLOCK`` (4,096) columns of ``b`` and ``out``.

    The same numbers as ``np.matmul(a, b, out=out)``; faster when ``a`` has few
    rows and ``b`` very many columns (the book's appendix "Performance", section 4).
    """
    for s in range(0, b.shape[1], _BLOCK):
        np.matmul(a, b[:, s : s + _BLOCK], out=out[:, s : s + _BLOCK])
    return out


# Convolution.backward builds d loss / d x one kernel offset at a time (see
# _input_grad_by_offset) when each offset's product has at least one block of
# columns and a few rows (input channels); otherwise through the whole column
# matrix's gradient and col2im_t.
_OFFSET_MIN_CHANNELS = 4

# OpenBLAS's single-precision kernels fill blocks of 16 or more output rows: a
# product with fewer rows than that runs at a fraction of their speed.  The
# filters' gradient of a small layer (LeNet's: 6 or 16 filters) is therefore
# computed transposed, with the long patch axis as the rows (about 1.8 times
# faster for LeNet's second layer); from 64 filters on the two orders are equal.
_FEW_ROWS = 64


def blocked_matmul_t(a, b, out):
    """``out = a @ b.T``, summed over blocks of ``_BLOCK`` columns of ``a`` and ``b``
    (the filters' gradient: ``dout`` times the column matrix).

    When ``a`` has fewer than 64 rows and ``b`` more rows than ``a``, the
    product is computed as ``(b @ a.T).T`` (same numbers, summed in the same
    blocks; see ``_FEW_ROWS``).
    """
    swap = a.shape[0] < _FEW_ROWS and b.shape[0] > a.shape[0]
    a, b, target = (b, a, np.empty(out.shape[::-1], out.dtype)) if swap else (a, b, out)
    np.matmul(a[:, :_BLOCK], b[:, :_BLOCK].T, out=target)
    for s in range(_BLOCK, a.shape[1], _BLOCK):
        target += a[:, s : s + _BLOCK] @ b[:, s : s + _BLOCK].T
    if swap:
        np.copyto(out, target.T)
    return out


class BackwardBeforeForward(RuntimeError):
    """``backward`` was called on a layer that has not run ``forward`` yet."""


class Layer:
    """Base class: no parameters, identity gradient bookkeeping."""

    params: dict
    grads: dict

    def __init__(self):
        self.params = {}
        self.grads = {}

    def _buffer(self, name, shape, dtype):
        """A scratch array kept from one call to the next (new only when the shape or dtype changes).

        A LeNet step needs several megabytes of scratch; allocating them anew
        every step costs page faults on fresh memory each time.  Only for
        arrays the layer keeps to itself, never for what it returns.
        """
        buffers = self.__dict__.setdefault("_buffers", {})
        buf = buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = buffers[name] = np.empty(shape, dtype=dtype)
        return buf

    def _forward_first(self, attribute):
        """Raise a clear error if ``forward`` has not yet set ``attribute`` (what ``backward`` needs)."""
        if attribute not in self.__dict__:
            raise BackwardBeforeForward(
                f"{type(self).__name__}.backward was called before forward: it needs what forward keeps "
                f"({attribute}); call forward(x) first, then backward(dout)"
            )

    def backward_params(self, dout):
        """Only the parameter gradients (into ``self.grads``); returns ``None``.

        A training step needs no d loss / d x of a model's first layer (Keras
        does not compute it either); layers with parameters skip that work here.
        """
        self.backward(dout)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Convolution(Layer):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    ``W``: ``(FN, C, FH, FW)``, ``b``: ``(FN,)``.  ``x``: ``(N, C, H, W)`` →
    ``(N, FN, OH, OW)``.  ``pad``: integer, ``'valid'`` or ``'same'`` (Keras's
    rule, including its extra row at the bottom/right when the total padding
    is odd).  Book: chapters "Convolution" and "im2col".
    """

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        W = np.asarray(W)
        b = np.asarray(b, dtype=W.dtype)
        if W.ndim != 4:
            raise ValueError(f"Convolution weights must be 4-D (FN, C, FH, FW); got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"Convolution bias must have shape ({W.shape[0]},); got {b.shape}")
        _, self.stride, self.pad = window_arguments(W.shape[2:], stride, pad, "filter size")
        self.params = {"W": W, "b": b}
        # C-contiguous, so that backward's reshaped out= view writes into it even when W is
        # not contiguous (e.g. a transposed Keras kernel); zeros_like would copy W's layout
        self.grads = {"W": np.zeros(W.shape, W.dtype), "b": np.zeros_like(b)}

    @property
    def W(self):
        return self.params["W"]

    @property
    def b(self):
        return self.params["b"]

    def output_shape(self, input_shape):
        """``(C, H, W)`` → ``(FN, OH, OW)``."""
        FN, _, FH, FW = self.W.shape
        _, OH, OW = geometry((1,) + tuple(input_shape), FH, FW, self.stride, self.pad)
        return FN, OH, OW

    def forward(self, x, train=True):
        _check_ndim(x, 4, "Convolution", "(N, C, H, W)")
        FN, C, FH, FW = self.W.shape
        if x.shape[1] != C:
            raise ValueError(
                f"Convolution input has {x.shape[1]} channels but the filters expect {C} "
                f"(x shape {x.shape}, W shape {self.W.shape}); NHWC data must be transposed to NCHW"
            )
        N = x.shape[0]
        _, OH, OW = self.output_shape(x.shape[1:])
        dtype = np.result_type(x.dtype, self.W.dtype)
        # col: (C*FH*FW, OH*OW*N), one column per output pixel, batch index last (im2col_t),
        # in a buffer kept between steps
        col = self._buffer("col", (C * FH * FW, OH * OW * N), dtype)
        im2col_t(x, FH, FW, self.stride, self.pad, out=col)
        # the whole batch in one matrix product: (FN, C*FH*FW) @ (C*FH*FW, OH*OW*N)
        y = blocked_matmul(self.W.reshape(FN, -1), col, out=np.empty((FN, col.shape[1]), dtype))
        y += self.b[:, None]
        self.x_shape, self.col = x.shape, col
        # y is the NCHW output stored as (FN, OH, OW, N): hand it on as a view, no copy;
        # the next layers work in whatever memory order they are given
        return y.reshape(FN, OH, OW, N).transpose(3, 0, 1, 2)

    def _y_shape(self):
        """Shape of the last forward output, ``(N, FN, OH, OW)``."""
        return (self.x_shape[0],) + self.output_shape(self.x_shape[1:])

    def backward(self, dout):
        self._forward_first("col")
        _check_dout(dout, self._y_shape(), "Convolution")
        FN, C, FH, FW = self.W.shape
        d = self._param_grads(dout)
        if C >= _OFFSET_MIN_CHANNELS and d.shape[1] >= _BLOCK:
            return self._input_grad_by_offset(d)
        dcol = blocked_matmul(self.W.reshape(FN, -1).T, d, out=self._buffer("dcol", self.col.shape, self.col.dtype))
        return col2im_t(dcol, self.x_shape, FH, FW, self.stride, self.pad)

    def _input_grad_by_offset(self, d):
        """d loss / d x as :func:`col2im_t` of ``W.T @ d`` computes it, one kernel offset at a time.

        For each offset ``(i, j)``, ``W[:, :, i, j].T @ d`` is the part of the
        column matrix's gradient that lands on the input shifted by ``(i, j)``;
        it is added there at once, while it is still in cache, so the whole
        gradient of the column matrix (4.9 MB for LeNet's second layer at batch
        128) is never written out and read back.  About 1.2 times faster for
        that layer; slower where the per-offset products are small (AlexNet's
        layers at batch 32) or have one row (a single input channel).
        """
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x_shape
        ((pt, pb), (pl, pr)), OH, OW = geometry(self.x_shape, FH, FW, self.stride, self.pad)
        S = self.stride
        W_by_offset = np.ascontiguousarray(self.W.transpose(2, 3, 1, 0))  # (FH, FW, C, FN)
        img = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=d.dtype)
        part = self._buffer("dx_part", (C, d.shape[1]), d.dtype)
        grid = part.reshape(C, OH, OW, N)
        for i in range(FH):
            for j in range(FW):
                np.matmul(W_by_offset[i, j], d, out=part)
                img[:, i : i + S * OH : S, j : j + S * OW : S] += grid
        return img[:, pt : pt + H, pl : pl + W].transpose(3, 0, 1, 2)

    def backward_params(self, dout):
        self._forward_first("col")
        _check_dout(dout, self._y_shape(), "Convolution")
        self._param_grads(dout)

    def _param_grads(self, dout):
        """db and dW into ``self.grads``; returns dout as ``(FN, OH*OW*N)``, the layout of the forward product."""
        FN = self.W.shape[0]
        # a view when dout is stored batch last, as this layer's output is
        d = dout.transpose(1, 2, 3, 0).reshape(FN, -1)
        np.sum(d, axis=1, out=self.grads["b"])
        blocked_matmul_t(d, self.col, out=self.grads["W"].reshape(FN, -1))
        return d

    def __repr__(self):
        FN, C, FH, FW = self.W.shape
        return f"Convolution({FN}@{C}x{FH}x{FW}, stride={self.stride}, pad={self.pad!r})"


class _Pooling(Layer):
    def __init__(self, pool_size=2, stride=None, pad="valid"):
        super().__init__()
        (self.pool_h, self.pool_w), self.stride, self.pad = window_arguments(pool_size, stride, pad)

    def output_shape(self, input_shape):
        _, OH, OW = self._geometry((1,) + tuple(input_shape))
        return input_shape[0], OH, OW

    def _geometry(self, x_shape):
        """``(pads, OH, OW)`` for an NCHW input shape (remembered, see :func:`~cnnlib.im2col.geometry`)."""
        return geometry(x_shape, self.pool_h, self.pool_w, self.stride, self.pad)

    def _scatter(self, dwin, x_shape):
        """Add window gradients ``(N, C, OH, OW, ph, pw)`` back onto the input grid."""
        N, C, H, W = x_shape
        OH, OW = dwin.shape[2:4]
        S = self.stride
        (pt, pb), (pl, pr) = self._geometry(x_shape)[0]
        dx = np.zeros((N, C, H + pt + pb + S - 1, W + pl + pr + S - 1), dtype=dwin.dtype)
        for i in range(self.pool_h):
            for j in range(self.pool_w):
                dx[:, :, i : i + S * OH : S, j : j + S * OW : S] += dwin[:, :, :, :, i, j]
        return dx[:, :, pt : pt + H, pl : pl + W]

    def __repr__(self):
        return f"{type(self).__name__}({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad!r})"


class MaxPooling(_Pooling):
    """Max over each window; no parameters.  ``(N, C, H, W)`` → ``(N, C, OH, OW)``.

    Padding (Keras's ``'same'``) never wins the max, as in Keras.  On the way
    back the whole gradient of a window goes to the position of its maximum
    (the first one, if several tie).  Book: chapter "Pooling".

    Both passes loop over the ``pool_h * pool_w`` offsets of a window, each
    step one numpy operation on the whole batch: the forward keeps a running
    maximum and, in ``arg``, the offset where it was first reached (a strict
    ``>`` leaves ties to the earlier offset); the backward sends ``dout`` to
    the pixels whose offset is ``arg``.
    """

    def _offsets(self):
        return [(i, j) for i in range(self.pool_h) for j in range(self.pool_w)]

    def forward(self, x, train=True):
        _check_ndim(x, 4, "MaxPooling", "(N, C, H, W)")
        _, OH, OW = self.output_shape(x.shape[1:])  # also validates the geometry with a clear message
        self.x_shape = x.shape
        S = self.stride
        pads = self._geometry(x.shape)[0]
        fill = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
        xp = pad_input(x, pads, fill)
        out = arg = None
        for k, (i, j) in enumerate(self._offsets()):
            xk = xp[:, :, i : i + S * OH : S, j : j + S * OW : S]  # offset (i, j) of every window: a view
            if out is None:
                out = xk.copy(order="K")  # keeps x's memory order
                arg = np.zeros_like(out, dtype=np.uint8 if self.pool_h * self.pool_w <= 256 else np.intp)
                continue
            # arg = k where xk beats the running max; offsets only grow, so this is
            # max(arg, k * (xk > out)), far faster than np.copyto(..., where=...)
            np.maximum(arg, (xk > out) * arg.dtype.type(k), out=arg)
            np.maximum(out, xk, out=out)
        self.arg, self.x_order = arg, axis_order(x)
        return out

    def backward(self, dout):
        self._forward_first("arg")
        _check_dout(dout, self.arg.shape, "MaxPooling")
        N, C, H, W = self.x_shape
        OH, OW = dout.shape[2:]
        S = self.stride
        (pt, pb), (pl, pr) = self._geometry(self.x_shape)[0]
        disjoint = S >= self.pool_h and S >= self.pool_w
        # windows that tile the input exactly write every pixel once below: no need to zero it first
        tiles = disjoint and S == self.pool_h == self.pool_w and (H + pt + pb, W + pl + pr) == (S * OH, S * OW)
        # dx in the memory order of the forward input: the layer below combines it with its own arrays
        dx = new_like(self.x_order, (N, C, H + pt + pb, W + pl + pr), fill=None if tiles else 0, dtype=dout.dtype)
        for k, (i, j) in enumerate(self._offsets()):
            target = dx[:, :, i : i + S * OH : S, j : j + S * OW : S]
            if disjoint:  # windows do not overlap: every input pixel gets at most one value
                np.multiply(dout, self.arg == k, out=target)
            else:  # overlapping windows: a pixel collects from each window whose max it is
                target += dout * (self.arg == k)
        return dx[:, :, pt : pt + H, pl : pl + W]  # dx itself when there is no padding


class AveragePooling(_Pooling):
    """Mean over each window; no parameters.  ``(N, C, H, W)`` → ``(N, C, OH, OW)``.

    With ``'same'`` padding the mean is over the real pixels of the window
    only (padding is not counted), exactly as Keras's ``AveragePooling2D``.
    """

    def forward(self, x, train=True):
        _check_ndim(x, 4, "AveragePooling", "(N, C, H, W)")
        self.output_shape(x.shape[1:])
        self.x_shape = x.shape
        win, _ = windows(x, self.pool_h, self.pool_w, self.stride, self.pad, 0.0)
        ones = np.ones((1, 1) + x.shape[2:], dtype=x.dtype)
        count_win, _ = windows(ones, self.pool_h, self.pool_w, self.stride, self.pad, 0.0)
        self.count = count_win.sum(axis=(-2, -1))  # (1, 1, OH, OW)
        return win.sum(axis=(-2, -1)) / self.count

    def backward(self, dout):
        self._forward_first("count")
        _check_dout(dout, self.x_shape[:2] + self.count.shape[2:], "AveragePooling")
        share = (dout / self.count)[..., None, None]
        dwin = np.broadcast_to(share, dout.shape + (self.pool_h, self.pool_w))
        return self._scatter(dwin, self.x_shape)


class Relu(Layer):
    """max(0, x), elementwise.  Any shape in, same shape out."""

    def forward(self, x, train=True):
        self.mask = x > 0
        # np.maximum with a Python 0 keeps the dtype and the memory order of x (np.where was ~10x slower)
        return np.maximum(x, 0)

    def backward(self, dout):
        self._forward_first("mask")
        _check_dout(dout, self.mask.shape, "Relu")
        return dout * self.mask  # a bool mask multiplies as 0/1 and keeps dout's dtype


class Flatten(Layer):
    """``(N, ...)`` → ``(N, D)``; backward restores the shape."""

    def forward(self, x, train=True):
        self.x_shape, self.x_order = x.shape, axis_order(x)
        return x.reshape(x.shape[0], -1)  # a copy if x is not stored in C order

    def backward(self, dout):
        self._forward_first("x_order")
        _check_dout(dout, (self.x_shape[0], math.prod(self.x_shape[1:])), "Flatten")
        dx = dout.reshape(self.x_shape)
        if self.x_order == axis_order(dx):
            return dx
        # back in the memory order of the forward input, which the layer below works in
        out = new_like(self.x_order, self.x_shape, dtype=dout.dtype)
        out[...] = dx
        return out


class Affine(Layer):
    """Fully connected (Keras ``Dense``): ``x @ W + b``.

    ``W``: ``(D, M)``, ``b``: ``(M,)``.  ``x``: ``(N, D)`` or ``(N, ...)`` with
    ``D`` elements per sample (flattened here; the shape comes back in
    ``backward``).  Output ``(N, M)``.
    """

    def __init__(self, W, b):
        super().__init__()
        W = np.asarray(W)
        b = np.asarray(b, dtype=W.dtype)
        if W.ndim != 2:
            raise ValueError(f"Affine weights must be 2-D (D, M); got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(f"Affine bias must have shape ({W.shape[1]},); got {b.shape}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, x, train=True):
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise ValueError(f"Affine expects an array (N, D) or (N, ...); got shape {np.shape(x)}")
        W = self.params["W"]
        x2 = x.reshape(x.shape[0], -1)
        if x2.shape[1] != W.shape[0]:
            raise ValueError(
                f"Affine input has {x2.shape[1]} features per sample (shape {x.shape}) "
                f"but W has {W.shape[0]} rows (W shape {W.shape})"
            )
        self.x_shape, self.x2 = x.shape, x2
        out = x2 @ W
        out += self.params["b"]
        return out

    def backward(self, dout):
        self.backward_params(dout)
        return (dout @ self.params["W"].T).reshape(self.x_shape)

    def backward_params(self, dout):
        self._forward_first("x2")
        _check_dout(dout, (self.x2.shape[0], self.params["W"].shape[1]), "Affine")
        np.matmul(self.x2.T, dout, out=self.grads["W"])
        np.sum(dout, axis=0, out=self.grads["b"])

    def __repr__(self):
        return f"Affine({self.params['W'].shape[0]} -> {self.params['W'].shape[1]})"


class Dropout(Layer):
    """Inverted dropout (as Keras): in training each unit is zeroed with
    probability ``rate`` and the survivors are scaled by ``1 / (1 - rate)``;
    at test time the layer is the identity."""

    def __init__(self, rate=0.5, seed=None):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1); got {rate}")
        self.rate = rate
        self.rng = np.random.default_rng(seed)

    def forward(self, x, train=True):
        self.x_shape = x.shape
        if not train or self.rate == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * self.mask

    def backward(self, dout):
        self._forward_first("mask")
        _check_dout(dout, self.x_shape, "Dropout")
        return dout if self.mask is None else dout * self.mask

    def __repr__(self):
        return f"Dropout({self.rate})"


class BatchNormalization(Layer):
    """Batch normalisation, Keras semantics.

    Normalises each channel (NCHW input: over N, H, W) or each feature
    (``(N, D)`` input: over N).  Training uses the batch mean and (biased)
    variance and updates the running statistics with
    ``moving = momentum * moving + (1 - momentum) * batch``; inference uses the
    running statistics.  Defaults ``momentum=0.99``, ``epsilon=1e-3`` as in Keras.
    ``gamma`` and ``beta`` are parameters; the moving statistics live in
    ``layer.state`` (saved with the model, never touched by an optimizer).
    """

    def __init__(self, num_features, momentum=0.99, epsilon=1e-3, dtype=np.float32):
        super().__init__()
        self.momentum, self.epsilon = momentum, epsilon
        self.params = {"gamma": np.ones(num_features, dtype), "beta": np.zeros(num_features, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.state = {"moving_mean": np.zeros(num_features, dtype), "moving_var": np.ones(num_features, dtype)}

    def _axes(self, x):
        if x.ndim not in (2, 4):
            raise ValueError(f"BatchNormalization expects (N, D) or (N, C, H, W); got shape {x.shape}")
        C = self.params["gamma"].shape[0]
        if x.shape[1] != C:
            raise ValueError(f"BatchNormalization was built for {C} channels/features; input shape {x.shape}")
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, C) if x.ndim == 2 else (1, C, 1, 1)
        return axes, shape

    def forward(self, x, train=True):
        axes, shape = self._axes(x)
        gamma = self.params["gamma"].reshape(shape)
        beta = self.params["beta"].reshape(shape)
        if train:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.state["moving_mean"] *= m
            self.state["moving_mean"] += (1 - m) * mean
            self.state["moving_var"] *= m
            self.state["moving_var"] += (1 - m) * var
        else:
            mean, var = self.state["moving_mean"], self.state["moving_var"]
        inv_std = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype)
        xhat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        self.cache = (xhat, inv_std, axes, shape, train)
        return gamma * xhat + beta

    def backward(self, dout):
        self._forward_first("cache")
        xhat, inv_std, axes, shape, train = self.cache
        _check_dout(dout, xhat.shape, "BatchNormalization")
        np.sum(dout, axis=axes, out=self.grads["beta"])
        np.sum(dout * xhat, axis=axes, out=self.grads["gamma"])
        g = (self.params["gamma"] * inv_std).reshape(shape)
        if not train:  # running statistics are constants
            return dout * g
        n = dout.size // dout.shape[1]
        dbeta = self.grads["beta"].reshape(shape)
        dgamma = self.grads["gamma"].reshape(shape)
        return g * (dout - dbeta / n - xhat * dgamma / n)

    def __repr__(self):
        return f"BatchNormalization({self.params['gamma'].shape[0]})"


class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the mean cross-entropy over the batch.

    ``forward(x, t)``: ``x`` logits ``(N, K)``, ``t`` integer labels ``(N,)``
    (or ``(N, 1)``, as Keras's CIFAR-10 labels) or one-hot / probability rows
    ``(N, K)``.  Returns a Python float.  Computed through log-sum-exp, so large
    logits neither overflow nor give ``log(0)``.  ``backward(dout=1.0)``
    returns ``dout * (softmax(x) - t) / N``.
    """

    def forward(self, x, t, train=True):
        _check_ndim(x, 2, "SoftmaxCrossEntropy", "(N, classes) of logits")
        N, K = x.shape
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1 and K != 1:
            t = t[:, 0]
        if t.shape[0] != N:
            raise ValueError(f"{N} logits but {t.shape[0]} labels")
        if t.ndim == 1:
            if not np.issubdtype(t.dtype, np.integer):
                raise ValueError(f"integer class labels expected; got dtype {t.dtype}")
            if t.size and (t.min() < 0 or t.max() >= K):
                raise ValueError(f"labels must lie in [0, {K - 1}]; got values from {t.min()} to {t.max()}")
            target = np.zeros_like(x)
            target[np.arange(N), t] = 1
        elif t.shape == x.shape:
            target = t.astype(x.dtype, copy=False)
        else:
            raise ValueError(f"labels must be (N,) integers or (N, {K}) one-hot; got shape {t.shape}")
        shifted = x - x.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_z
        self.y = np.exp(log_p)
        self.t = target
        return float(-(target * log_p).sum() / N)

    def backward(self, dout=1.0):
        self._forward_first("y")
        if np.ndim(dout) != 0:  # the loss is one number
            _check_dout(dout, (), "SoftmaxCrossEntropy")
        N = self.y.shape[0]
        return (self.y - self.t) * (self.y.dtype.type(dout) / N)
