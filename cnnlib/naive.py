"""Loop implementations, as the formulas say: the convolution by a loop over every output value,
im2col by a loop over the kernel offsets (as Deep Learning from Scratch writes it).

They are the definitions that both vectorised versions, the readable
:mod:`cnnlib.reference` and the fast :mod:`cnnlib.fast_layers`, are measured
against: :func:`cnnlib.timing.conv_vs_naive` times the fast convolution against
them, and the book's chapters "im2col" and "Performance" compare with them.

Layouts are the scratch layers' NCHW:

* ``x``: ``(N, C, H, W)``, ``W``: ``(FN, C, FH, FW)``, ``b``: ``(FN,)``
* convolution output: ``(N, FN, OH, OW)`` with
  ``OH = (H + 2 * pad - FH) // stride + 1`` (and the same for ``OW``)

``pad`` is a non-negative integer (zeros on all four sides) and the output
sizes must divide exactly, as in the textbook.  Results have the dtype of the
inputs (float32 stays float32), so they can be compared with the layers at
float32 tolerances.
"""

import numpy as np

from .geometry import conv_output_size

__all__ = ["conv_forward_naive", "conv_backward_naive", "im2col_naive"]


def _out_size(size, filter_size, stride, pad):
    """:func:`~cnnlib.geometry.conv_output_size`, for the integer padding these loops handle."""
    if not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"pad must be a non-negative integer here; got {pad!r}")
    return conv_output_size(size, filter_size, stride, pad)


def _pad(x, pad):
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv_forward_naive(x, W, b, stride=1, pad=0):
    """Convolution (cross-correlation) by loops over samples, filters and output pixels.

    ``out[n, f, i, j] = b[f] + sum over (c, y, x) of W[f, c, y, x] * xpad[n, c, i*S + y, j*S + x]``
    """
    N, C, H, Wd = x.shape
    FN, C2, FH, FW = W.shape
    if C != C2:
        raise ValueError(f"x has {C} channels but W expects {C2}")
    OH = _out_size(H, FH, stride, pad)
    OW = _out_size(Wd, FW, stride, pad)
    xp = _pad(x, pad)
    dtype = np.result_type(x, W)
    out = np.zeros((N, FN, OH, OW), dtype=dtype)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    patch = xp[n, :, i * stride : i * stride + FH, j * stride : j * stride + FW]
                    out[n, f, i, j] = np.sum(patch * W[f]) + b[f]
    return out


def conv_backward_naive(dout, x, W, b, stride=1, pad=0):
    """Gradients of :func:`conv_forward_naive` by the same loops, run backwards.

    Every output pixel ``out[n, f, i, j]`` came from one input patch times one
    filter, so its gradient ``dout[n, f, i, j]`` adds ``dout * W[f]`` to that patch
    of ``dx`` and ``dout * patch`` to ``dW[f]``; ``db[f]`` is the sum of ``dout[:, f]``.
    Returns ``(dx, dW, db)``.
    """
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH = _out_size(H, FH, stride, pad)
    OW = _out_size(Wd, FW, stride, pad)
    if dout.shape != (N, FN, OH, OW):
        raise ValueError(f"dout has shape {dout.shape}; expected {(N, FN, OH, OW)}")
    xp = _pad(x, pad)
    dtype = np.result_type(dout, x, W)
    dxp = np.zeros(xp.shape, dtype=dtype)
    dW = np.zeros(W.shape, dtype=dtype)
    db = np.zeros(b.shape, dtype=dtype)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    ys, xs = i * stride, j * stride
                    dxp[n, :, ys : ys + FH, xs : xs + FW] += g * W[f]
                    dW[f] += g * xp[n, :, ys : ys + FH, xs : xs + FW]
                    db[f] += g
    dx = dxp[:, :, pad : pad + H, pad : pad + Wd] if pad else dxp
    return dx, dW, db


def im2col_naive(x, FH, FW, stride=1, pad=0):
    """im2col as in *Deep Learning from Scratch*: a loop over the ``FH * FW`` kernel offsets.

    For each offset ``(y, x)`` of the filter, one strided slice of the padded
    input gives that offset's entry of every patch at once.  Returns
    ``(N * OH * OW, C * FH * FW)``: one row per output pixel, its patch
    flattened in ``(C, FH, FW)`` order (the order of ``W.reshape(FN, -1)``).
    """
    N, C, H, Wd = x.shape
    OH = _out_size(H, FH, stride, pad)
    OW = _out_size(Wd, FW, stride, pad)
    xp = _pad(x, pad)
    col = np.zeros((N, C, FH, FW, OH, OW), dtype=x.dtype)
    for y in range(FH):
        y_max = y + stride * OH
        for xx in range(FW):
            x_max = xx + stride * OW
            col[:, :, y, xx, :, :] = xp[:, :, y:y_max:stride, xx:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)
