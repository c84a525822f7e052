"""The fast path's im2col: the transposed column layout the fast layers use.

The readable im2col of the book's chapter "im2col" (``book/05_im2col.ipynb``),
``(N * OH * OW, C * FH * FW)`` with one patch per *row*, is
:func:`cnnlib.reference.im2col` (``cnnlib.im2col``).  The layers of
:mod:`cnnlib.fast_layers` use a transposed twin, :func:`im2col_t` /
:func:`col2im_t`: ``(C * FH * FW, OH * OW * N)``, one *column* per output
pixel, the batch index varying fastest.  The same numbers, laid out so that the
copy that builds it, the matrix products of the convolution and the scatter of
its gradient all run over long contiguous rows, and the product needs no
transpose (the book's appendix "Performance" says why that matters).
``tests/package/test_im2col.py`` checks the two layouts against each other.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .geometry import conv_geometry

__all__ = ["im2col_t", "col2im_t", "add_at_offsets", "pad_input", "axis_order", "new_like"]


def pad_input(x, pads, value=0.0):
    """Pad the two spatial axes of an NCHW array (returns ``x`` itself when no padding)."""
    (pt, pb), (pl, pr) = pads
    if pt == pb == pl == pr == 0:
        return x
    N, C, H, W = x.shape
    # a filled array + one slice assignment: np.pad's result, several times faster on small
    # arrays, and in x's memory order (see new_like)
    out = new_like(x, (N, C, H + pt + pb, W + pl + pr), fill=value)
    out[:, :, pt : pt + H, pl : pl + W] = x
    return out


def axis_order(a):
    """The axes of ``a`` from the outermost in memory to the innermost (``(0, 1, 2, 3)`` for C order)."""
    return tuple(sorted(range(a.ndim), key=lambda k: -abs(a.strides[k])))


def new_like(ref, shape, fill=None, dtype=None):
    """A new array of ``shape`` whose axes lie in memory in the same order as ``ref``'s.

    The layers pass arrays on in whatever memory order they have (a
    ``(N, C, H, W)`` array may be stored channel by channel with the batch
    index varying fastest, see :func:`im2col_t`); an array made to be combined
    with ``ref`` element by element should share its order, or every
    operation between them turns into a slow strided gather.  ``ref``: an
    array, or its :func:`axis_order`.  ``fill=None`` leaves it uninitialised.
    """
    order = ref if isinstance(ref, tuple) else axis_order(ref)
    stored = tuple(shape[a] for a in order)
    dtype = dtype or (ref.dtype if isinstance(ref, np.ndarray) else np.float64)
    base = np.empty(stored, dtype) if fill is None else np.full(stored, fill, dtype)
    return base.transpose(np.argsort(order))


def im2col_t(x, filter_h, filter_w, stride=1, pad=0, out=None, dtype=None):
    """Every patch of ``x`` as a *column*: ``(C * FH * FW, OH * OW * N)``, the batch index varying fastest.

    Row ``(c, i, j)`` holds, for every output pixel ``(oh, ow)`` of every
    image ``n``, the input pixel that filter weight ``W[:, c, i, j]``
    multiplies there; so ``W.reshape(FN, -1) @ col`` is the whole
    convolution, ``(FN, OH * OW * N)``, which *is* the ``(N, FN, OH, OW)``
    output stored channel by channel, batch last (``out.transpose(3, 0, 1, 2)``
    is a view, no copy).  With the batch index last, every copy here and in
    :func:`col2im_t` moves runs of at least ``N`` neighbouring values, where
    :func:`~cnnlib.reference.im2col`'s order moves ``FW`` at a time.  Same
    numbers as :func:`~cnnlib.reference.im2col`, columns in another order.

    ``out``: an array of the result's shape to fill (the layers keep one
    between steps); ``dtype``: the result's when ``out`` is not given.
    """
    x = np.asarray(x)
    pads, out_h, out_w = conv_geometry(x.shape, filter_h, filter_w, stride, pad)
    N, C, H, W = x.shape
    (pt, pb), (pl, pr) = pads
    xt = x.transpose(1, 2, 3, 0)  # (C, H, W, N): a view; contiguous if x is stored batch last
    if pt or pb or pl or pr:
        xp = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=x.dtype)
        xp[:, pt : pt + H, pl : pl + W] = xt
    else:
        xp = np.ascontiguousarray(xt)  # one copy of the input beats a gather in the big copy below
    view = sliding_window_view(xp, (filter_h, filter_w), axis=(1, 2))  # (C, *, *, N, FH, FW)
    view = view[:, : (out_h - 1) * stride + 1 : stride, : (out_w - 1) * stride + 1 : stride]
    shape = (C * filter_h * filter_w, out_h * out_w * N)
    if out is None:
        out = np.empty(shape, dtype=dtype or x.dtype)
    elif out.shape != shape:
        raise ValueError(f"out has shape {out.shape}; expected {shape}")
    # the one big copy: (C, OH, OW, N, FH, FW) view -> (C, FH, FW, OH, OW, N) rows
    np.copyto(out.reshape(C, filter_h, filter_w, out_h, out_w, N), view.transpose(0, 4, 5, 1, 2, 3))
    return out


def col2im_t(cols, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of :func:`im2col_t` (as :func:`~cnnlib.reference.col2im` is of ``im2col``).

    ``cols``: ``(C * FH * FW, OH * OW * N)``.  Returns a new ``(N, C, H, W)``
    array stored batch last (the order of ``cols``).
    """
    pads, out_h, out_w = conv_geometry(input_shape, filter_h, filter_w, stride, pad)
    N, C, H, W = input_shape
    expected = (C * filter_h * filter_w, out_h * out_w * N)
    if cols.shape != expected:
        raise ValueError(f"cols has shape {cols.shape}; for input {tuple(input_shape)} expected {expected}")
    d = cols.reshape(C, filter_h, filter_w, out_h, out_w, N)
    return add_at_offsets(lambda i, j: d[:, i, j], input_shape, filter_h, filter_w, stride, pad, cols.dtype)


def add_at_offsets(part, input_shape, filter_h, filter_w, stride, pad, dtype):
    """The fast path's one scatter: ``sum over kernel offsets (i, j)`` of ``part(i, j)`` added where that offset reads.

    ``part(i, j)``: ``(C, OH, OW, N)``, the values that offset ``(i, j)`` of
    every window sends back to its input pixel.  One add per offset covers
    every image and channel at once; with the batch index last, each add runs
    over ``OW * N`` contiguous values.  Returns ``(N, C, H, W)`` stored batch last.
    """
    ((pt, pb), (pl, pr)), OH, OW = conv_geometry(input_shape, filter_h, filter_w, stride, pad)
    N, C, H, W = input_shape
    S = stride
    img = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, i : i + S * OH : S, j : j + S * OW : S] += part(i, j)
    return img[:, pt : pt + H, pl : pl + W].transpose(3, 0, 1, 2)
