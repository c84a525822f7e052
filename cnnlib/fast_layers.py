"""The fast path: the layers that ``cnnlib.Convolution``, the models and ``cnnlib.train`` use.

Each class here is a subclass of the readable class of the same name in
:mod:`cnnlib.reference` (the code the chapters print): same constructor, same
``params``/``grads``/``state``, same numbers (``tests/package/test_reference_twins.py``).
A class overrides only what it speeds up (another memory order, blocked
matrix products, buffers kept between steps; the book's appendix
"Performance" explains each trick); the others run the reference's code.

What every class here adds, through :func:`checked`: clear errors.  ``forward``
checks its input (a numpy array of the right shape); ``backward(dout)`` checks
that ``dout`` has the shape of the last forward output (numpy would broadcast
many wrong shapes silently) and that ``forward`` ran first
(:class:`BackwardBeforeForward`).

Returned arrays may be views of the input (``Flatten``) or the input itself
(``Dropout`` at inference); a layer never writes into what it returned, and
never into its arguments.  Spatial layers take NCHW arrays and hand them on in
whatever memory order they have (a convolution's output is stored batch last).
"""

import functools
import math

import numpy as np

from . import reference
from .fast_im2col import add_at_offsets, axis_order, col2im_t, im2col_t, new_like, pad_input
from .geometry import check_array, conv_geometry

__all__ = [
    "BackwardBeforeForward",
    "checked",
    "blocked_matmul",
    "blocked_matmul_t",
    "Convolution",
    "MaxPooling",
    "AveragePooling",
    "GlobalAveragePooling",
    "Relu",
    "Flatten",
    "Affine",
    "Dropout",
    "BatchNormalization",
    "SoftmaxCrossEntropy",
    "Residual",
]


class BackwardBeforeForward(RuntimeError):
    """``backward`` was called on a layer that has not run ``forward`` yet."""


def _check_dout(dout, shape, layer):
    if isinstance(dout, np.ndarray) and dout.shape == shape:
        return
    if shape == () and np.ndim(dout) == 0 and isinstance(dout, (np.ndarray, np.generic, int, float)):
        return  # the loss layer's dout: one number
    if not isinstance(dout, (np.ndarray, np.generic, int, float)):
        raise TypeError(
            f"{layer}.backward expects dout as a numpy array (the gradient of the loss with respect "
            f"to this layer's output, shape {shape}); got {type(dout).__name__}"
        )
    raise ValueError(
        f"{layer}.backward: dout has shape {np.shape(dout)}; expected {shape}, the shape of this layer's "
        f"last forward output: pass the gradient of the loss with respect to this layer's output"
    )


def _check_is_array(layer, x, *args, **kwargs):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{type(layer).__name__} expects a numpy array; got {type(x).__name__}")


def checked(cls):
    """Class decorator: the clear errors of the fast path around ``cls``'s forward and backward.

    ``forward`` first calls ``cls.check_input(x, ...)`` (if the class has one;
    else it checks that ``x`` is an array) and remembers its output's shape;
    ``backward`` and ``backward_params`` check ``dout`` against that shape.
    The wrapped methods are the class's own or, where it overrides nothing,
    the reference's.
    """
    forward, backward, backward_params = cls.forward, cls.backward, cls.backward_params
    check_input = getattr(cls, "check_input", _check_is_array)

    def check_dout(self, dout):
        shape = self.__dict__.get("_out_shape")
        if shape is None:
            raise BackwardBeforeForward(
                f"{type(self).__name__}.backward was called before forward: it needs what forward keeps; "
                f"call forward(x) first, then backward(dout)"
            )
        _check_dout(dout, shape, type(self).__name__)

    @functools.wraps(forward)
    def checked_forward(self, x, *args, **kwargs):
        check_input(self, x, *args, **kwargs)
        out = forward(self, x, *args, **kwargs)
        self._out_shape = np.shape(out)
        return out

    @functools.wraps(backward)
    def checked_backward(self, dout=1.0):
        check_dout(self, dout)
        return backward(self, dout)

    @functools.wraps(backward_params)
    def checked_backward_params(self, dout):
        check_dout(self, dout)
        return backward_params(self, dout)

    cls.forward, cls.backward, cls.backward_params = checked_forward, checked_backward, checked_backward_params
    return cls


def _buffer(layer, name, shape, dtype):
    """A scratch array kept by ``layer`` from one call to the next (new only when the shape or dtype changes).

    Allocating several megabytes anew every step costs page faults on fresh
    memory each time.  Only for arrays the layer keeps to itself, never for what it returns.
    """
    buffers = layer.__dict__.setdefault("_buffers", {})
    buf = buffers.get(name)
    if buf is None or buf.shape != shape or buf.dtype != dtype:
        buf = buffers[name] = np.empty(shape, dtype=dtype)
    return buf


# OpenBLAS multiplies a matrix of few rows (6 filters) by one of ~70,000 columns
# (LeNet's first layer) several times slower than it does the same product in
# blocks of a few thousand columns, whose operands stay in the core's cache.
_BLOCK = 4096
# OpenBLAS's single-precision kernels fill blocks of 16 or more output rows: with
# fewer filters than this, the filters' gradient is computed transposed.
_FEW_ROWS = 64
# Convolution.backward builds d loss / d x one kernel offset at a time when each
# offset's product has a block of columns and at least this many input channels.
_OFFSET_MIN_CHANNELS = 4


def blocked_matmul(a, b, out):
    """``out = a @ b``, in blocks of ``_BLOCK`` (4,096) columns of ``b`` and ``out``.

    The same numbers as ``np.matmul(a, b, out=out)``; faster when ``a`` has few
    rows and ``b`` very many columns (the book's appendix "Performance").
    """
    for s in range(0, b.shape[1], _BLOCK):
        np.matmul(a, b[:, s : s + _BLOCK], out=out[:, s : s + _BLOCK])
    return out


def blocked_matmul_t(a, b, out):
    """``out = a @ b.T``, summed over blocks of ``_BLOCK`` columns of ``a`` and ``b``.

    When ``a`` has fewer than ``_FEW_ROWS`` rows and ``b`` more rows than
    ``a``, computed as ``(b @ a.T).T`` (same numbers, summed in the same blocks).
    """
    swap = a.shape[0] < _FEW_ROWS and b.shape[0] > a.shape[0]
    a, b, target = (b, a, np.empty(out.shape[::-1], out.dtype)) if swap else (a, b, out)
    np.matmul(a[:, :_BLOCK], b[:, :_BLOCK].T, out=target)
    for s in range(_BLOCK, a.shape[1], _BLOCK):
        target += a[:, s : s + _BLOCK] @ b[:, s : s + _BLOCK].T
    if swap:
        np.copyto(out, target.T)
    return out


@checked
class Convolution(reference.Convolution):
    """The convolution as one matrix product in the column layout of :func:`~cnnlib.fast_im2col.im2col_t`
    (batch index last, so its operands need no copy), in blocks of columns, with the column matrix kept."""

    def check_input(self, x, train=True):
        check_array(x, 4, "Convolution", "(N, C, H, W)")
        W = self.params["W"]
        if x.shape[1] != W.shape[1]:
            raise ValueError(
                f"Convolution input has {x.shape[1]} channels but the filters expect {W.shape[1]} "
                f"(x shape {x.shape}, W shape {W.shape}); NHWC data must be transposed to NCHW"
            )

    def forward(self, x, train=True):
        W = self.params["W"]
        FN, C, FH, FW = W.shape
        N = x.shape[0]
        _, OH, OW = conv_geometry(x.shape, FH, FW, self.stride, self.pad)
        dtype = np.result_type(x.dtype, W.dtype)
        col = _buffer(self, "col", (C * FH * FW, OH * OW * N), dtype)  # (C*FH*FW, OH*OW*N)
        im2col_t(x, FH, FW, self.stride, self.pad, out=col)
        y = blocked_matmul(W.reshape(FN, -1), col, out=np.empty((FN, col.shape[1]), dtype))
        y += self.params["b"][:, None]
        self.x_shape, self.col = x.shape, col
        # y is the NCHW output stored as (FN, OH, OW, N): hand it on as a view, no copy
        return y.reshape(FN, OH, OW, N).transpose(3, 0, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.params["W"].shape
        d = self._param_grads(dout)
        if C >= _OFFSET_MIN_CHANNELS and d.shape[1] >= _BLOCK:
            return self._input_grad_by_offset(d)
        dcol = _buffer(self, "dcol", self.col.shape, self.col.dtype)
        blocked_matmul(self.params["W"].reshape(FN, -1).T, d, out=dcol)
        return col2im_t(dcol, self.x_shape, FH, FW, self.stride, self.pad)

    def backward_params(self, dout):
        self._param_grads(dout)

    def _param_grads(self, dout):
        """db and dW into ``self.grads``; returns dout as ``(FN, OH*OW*N)``, the layout of the forward product."""
        FN = self.params["W"].shape[0]
        d = dout.transpose(1, 2, 3, 0).reshape(FN, -1)  # a view when dout is stored batch last
        np.sum(d, axis=1, out=self.grads["b"])
        blocked_matmul_t(d, self.col, out=self.grads["W"].reshape(FN, -1))
        return d

    def _input_grad_by_offset(self, d):
        """d loss / d x as :func:`col2im_t` of ``W.T @ d``, one kernel offset at a time: each offset's
        part is added while it is still in cache, so the column matrix's gradient is never written out."""
        FN, C, FH, FW = self.params["W"].shape
        N, _, H, W = self.x_shape
        _, OH, OW = conv_geometry(self.x_shape, FH, FW, self.stride, self.pad)
        W_by_offset = np.ascontiguousarray(self.params["W"].transpose(2, 3, 1, 0))  # (FH, FW, C, FN)
        part = _buffer(self, "dx_part", (C, d.shape[1]), d.dtype)

        def offset_part(i, j):
            return np.matmul(W_by_offset[i, j], d, out=part).reshape(C, OH, OW, N)

        return add_at_offsets(offset_part, self.x_shape, FH, FW, self.stride, self.pad, d.dtype)


def _check_spatial(layer, x, train=True):
    check_array(x, 4, type(layer).__name__, "(N, C, H, W)")


@checked
class MaxPooling(reference.MaxPooling):
    """Both passes loop over the ``pool_h * pool_w`` offsets of a window, each step one numpy
    operation on the whole batch, in the memory order of ``x`` (no im2col copy).

    The forward keeps a running maximum and, in ``arg``, the offset where it was
    first reached (a strict ``>`` leaves ties to the earlier offset, as the
    reference's ``argmax``); the backward sends ``dout`` to the pixels whose offset is ``arg``.
    """

    check_input = _check_spatial

    def forward(self, x, train=True):
        S = self.stride
        pads, OH, OW = conv_geometry(x.shape, self.pool_h, self.pool_w, S, self.pad)
        fill = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
        xp = pad_input(x, pads, fill)
        offsets = [(i, j) for i in range(self.pool_h) for j in range(self.pool_w)]
        out = xp[:, :, : S * OH : S, : S * OW : S].copy(order="K")  # offset (0, 0) of every window
        arg = np.zeros_like(out, dtype=np.uint8 if len(offsets) <= 256 else np.intp)
        for k, (i, j) in enumerate(offsets[1:], start=1):
            xk = xp[:, :, i : i + S * OH : S, j : j + S * OW : S]  # offset (i, j) of every window: a view
            # arg = k where xk beats the running max; offsets only grow, so max(arg, k * (xk > out))
            np.maximum(arg, (xk > out) * arg.dtype.type(k), out=arg)
            np.maximum(out, xk, out=out)
        self.x_shape, self.pads, self.arg, self.x_order = x.shape, pads, arg, axis_order(x)
        return out

    def backward(self, dout):
        N, C, H, W = self.x_shape
        OH, OW = dout.shape[2:]
        S, ph, pw = self.stride, self.pool_h, self.pool_w
        (pt, pb), (pl, pr) = self.pads
        disjoint = S >= ph and S >= pw
        # windows that tile the input exactly write every pixel once below: no need to zero it first
        tiles = disjoint and S == ph == pw and (H + pt + pb, W + pl + pr) == (S * OH, S * OW)
        dx = new_like(self.x_order, (N, C, H + pt + pb, W + pl + pr), fill=None if tiles else 0, dtype=dout.dtype)
        for k in range(ph * pw):
            i, j = divmod(k, pw)
            target = dx[:, :, i : i + S * OH : S, j : j + S * OW : S]
            if disjoint:  # every input pixel gets at most one value
                np.multiply(dout, self.arg == k, out=target)
            else:  # overlapping windows: a pixel collects from each window whose max it is
                target += dout * (self.arg == k)
        return dx[:, :, pt : pt + H, pl : pl + W]


@checked
class AveragePooling(reference.AveragePooling):
    """The reference's code, with the checks (no model the book times uses it)."""

    check_input = _check_spatial


@checked
class GlobalAveragePooling(reference.GlobalAveragePooling):
    """The reference's code, with the checks."""

    check_input = _check_spatial


@checked
class Relu(reference.Relu):
    """``np.maximum`` keeps the dtype and the memory order of ``x`` (``np.where`` was ~10x slower)."""

    def forward(self, x, train=True):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self.mask  # a bool mask multiplies as 0/1 and keeps dout's dtype


@checked
class Flatten(reference.Flatten):
    """Backward hands ``dx`` back in the memory order of the forward input, which the layer below works in."""

    def forward(self, x, train=True):
        self.x_order = axis_order(x)
        return super().forward(x, train)

    def backward(self, dout):
        dx = dout.reshape(self.x_shape)
        if self.x_order == axis_order(dx):
            return dx
        out = new_like(self.x_order, self.x_shape, dtype=dout.dtype)
        out[...] = dx
        return out


@checked
class Affine(reference.Affine):
    """The gradients written straight into ``grads`` (AlexNet's 2048 x 2048 ``dW`` is 16 MB:
    no temporary), and ``backward_params`` skips d loss / d x."""

    def backward(self, dout):
        self.backward_params(dout)
        return (dout @ self.params["W"].T).reshape(self.x_shape)

    def backward_params(self, dout):
        np.matmul(self.x.T, dout, out=self.grads["W"])
        np.sum(dout, axis=0, out=self.grads["b"])

    def check_input(self, x, train=True):
        if not isinstance(x, np.ndarray) or x.ndim < 2:
            raise ValueError(f"Affine expects an array (N, D) or (N, ...); got shape {np.shape(x)}")
        W = self.params["W"]
        if math.prod(x.shape[1:]) != W.shape[0]:
            raise ValueError(
                f"Affine input has {math.prod(x.shape[1:])} features per sample (shape {x.shape}) "
                f"but W has {W.shape[0]} rows (W shape {W.shape})"
            )


@checked
class Dropout(reference.Dropout):
    """At inference (or at rate 0) the identity without a copy: the input itself."""

    def forward(self, x, train=True):
        if not train or self.rate == 0:
            self.mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        self.mask = keep.astype(x.dtype) / x.dtype.type(1 - self.rate)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask


@checked
class BatchNormalization(reference.BatchNormalization):
    """The reference's code (which checks its input's shape), with the checks of ``dout``."""


@checked
class SoftmaxCrossEntropy(reference.SoftmaxCrossEntropy):
    """The reference's code, with checks of the logits and the labels."""

    def check_input(self, x, t, train=True):
        check_array(x, 2, "SoftmaxCrossEntropy", "(N, classes) of logits")
        N, K = x.shape
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1 and K != 1:
            t = t[:, 0]
        if t.shape[:1] != (N,):
            raise ValueError(f"{N} logits but {t.shape[0] if t.ndim else 0} labels")
        if t.ndim == 1:
            if not np.issubdtype(t.dtype, np.integer):
                raise ValueError(f"integer class labels expected; got dtype {t.dtype}")
            if t.size and (t.min() < 0 or t.max() >= K):
                raise ValueError(f"labels must lie in [0, {K - 1}]; got values from {t.min()} to {t.max()}")
        elif t.shape != x.shape:
            raise ValueError(f"labels must be (N,) integers or (N, {K}) one-hot; got shape {t.shape}")


@checked
class Residual(reference.Residual):
    """The reference's code (which checks that the block keeps the shape), with the checks of ``dout``;
    ``backward_params`` (a model's first layer) runs the block's first layer's ``backward_params``:
    the skip adds nothing to the parameters' gradients."""

    def backward_params(self, dout):
        layers = list(self.layers.values())
        for layer in reversed(layers[1:]):
            dout = layer.backward(dout)
        layers[0].backward_params(dout)
