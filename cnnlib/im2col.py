"""im2col and col2im: convolution as one matrix product.

Explained in the book's chapter "im2col" (``book/05_im2col.ipynb``).

Layouts (the scratch layers use NCHW, the layout of the original notebook):

* ``x``: ``(N, C, H, W)``
* ``col``: ``(N * OH * OW, C * FH * FW)``: one row per output pixel, holding the
  input patch that the filter sees there, flattened in ``(C, FH, FW)`` order,
  the order of a filter ``W`` of shape ``(FN, C, FH, FW)`` reshaped to
  ``(FN, C * FH * FW)``.

Padding may be an integer (the textbook's symmetric ``P``), a pair of pairs
``((top, bottom), (left, right))``, or Keras's ``'valid'`` / ``'same'``.

The layers use a transposed twin, :func:`im2col_t` / :func:`col2im_t`:
``(C * FH * FW, OH * OW * N)``, one *column* per output pixel, the batch
index varying fastest.  The same numbers, laid out so that the copy that
builds it, the matrix products of the convolution and the scatter of its
gradient all run over long contiguous rows, and the product needs no
transpose (the book's appendix "Performance" says why that matters).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv_output_size", "resolve_padding", "pad_input", "im2col", "col2im", "im2col_t", "col2im_t", "axis_order", "new_like"]


def _same_padding(size, filter_size, stride):
    """Keras/TensorFlow 'same': output ceil(size / stride), the extra row at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + filter_size - size, 0)
    return total // 2, total - total // 2


def resolve_padding(input_hw, filter_hw, stride, pad):
    """Turn any accepted ``pad`` into ``((top, bottom), (left, right))``.

    >>> resolve_padding((32, 32), (11, 11), 4, "same")
    ((3, 4), (3, 4))
    """
    if isinstance(pad, str):
        mode = pad.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return tuple(_same_padding(n, f, stride) for n, f in zip(input_hw, filter_hw))
        raise ValueError(f"padding must be an integer, 'valid' or 'same'; got {pad!r}")
    if isinstance(pad, (int, np.integer)):
        if pad < 0:
            raise ValueError(f"padding must be >= 0; got {pad}")
        return (int(pad), int(pad)), (int(pad), int(pad))
    try:
        (pt, pb), (pl, pr) = pad
    except (TypeError, ValueError):
        raise ValueError(
            f"padding must be an integer, 'valid', 'same' or ((top, bottom), (left, right)); got {pad!r}"
        ) from None
    if min(pt, pb, pl, pr) < 0:
        raise ValueError(f"padding must be >= 0; got {pad!r}")
    return (int(pt), int(pb)), (int(pl), int(pr))


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """Output length along one axis: ``(input_size + 2 * pad - filter_size) / stride + 1``.

    ``pad`` is an integer (applied on both sides), a pair ``(before, after)``,
    or Keras's ``'valid'`` / ``'same'``.  With an integer or a pair the formula
    must divide exactly, as in the textbook: a remainder means the filter
    would not reach the last rows, so it raises ``ValueError`` with a fix.
    With ``'valid'`` the remainder is dropped and with ``'same'`` the output is
    ``ceil(input_size / stride)``, exactly as Keras does.

    >>> conv_output_size(4, 3)
    2
    >>> conv_output_size(28, 5, stride=1, pad=2)
    28
    """
    for name, value in (("input_size", input_size), ("filter_size", filter_size), ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if isinstance(pad, str) and pad.lower() == "same":
        return -(-input_size // stride)
    if isinstance(pad, str):
        before, after = resolve_padding((input_size,), (filter_size,), stride, pad)[0]
        strict = False
    elif isinstance(pad, (int, np.integer)):
        before, after = resolve_padding((input_size,), (filter_size,), stride, pad)[0]
        strict = True
    else:
        before, after = pad
        strict = True
    padded = input_size + before + after
    if filter_size > padded:
        raise ValueError(
            f"the filter ({filter_size}) is larger than the padded input "
            f"({input_size} + {before} + {after} = {padded}); use a smaller filter or more padding"
        )
    span = padded - filter_size
    if strict and span % stride:
        raise ValueError(
            f"output size ({input_size} + {before + after} - {filter_size}) / {stride} + 1 = "
            f"{span / stride + 1:g} is not an integer: change the padding or stride so that "
            f"{stride} divides {span}, or use padding='valid' to drop the last {span % stride} row(s)"
        )
    return span // stride + 1


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


def _geometry(input_shape, filter_h, filter_w, stride, pad):
    if len(input_shape) != 4:
        raise ValueError(
            f"expected a 4-D NCHW array (batch, channels, height, width); got shape {tuple(input_shape)}"
        )
    _, _, H, W = input_shape
    pads = resolve_padding((H, W), (filter_h, filter_w), stride, pad)
    mode = pad if isinstance(pad, str) else None
    out_h = conv_output_size(H, filter_h, stride, mode or pads[0])
    out_w = conv_output_size(W, filter_w, stride, mode or pads[1])
    return pads, out_h, out_w


def windows(x, filter_h, filter_w, stride=1, pad=0, fill=0.0):
    """A strided *view* ``(N, C, OH, OW, FH, FW)`` of every patch (no copy but the padding)."""
    pads, out_h, out_w = _geometry(x.shape, filter_h, filter_w, stride, pad)
    xp = pad_input(x, pads, fill)
    view = sliding_window_view(xp, (filter_h, filter_w), axis=(2, 3))
    return view[:, :, : (out_h - 1) * stride + 1 : stride, : (out_w - 1) * stride + 1 : stride], pads


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """Unfold every filter-sized patch of ``x`` into a row.

    ``x``: ``(N, C, H, W)``.  Returns ``col`` of shape ``(N * OH * OW, C * FH * FW)``.
    One vectorised copy: no Python loop over the batch, the output pixels or
    the kernel offsets.
    """
    x = np.asarray(x)
    view, _ = windows(x, filter_h, filter_w, stride, pad)
    N, C, OH, OW = view.shape[:4]
    # (N, OH, OW, C, FH, FW): one row per output pixel
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of :func:`im2col` (not its inverse).

    Every entry of ``col`` is added back to the input pixel it was copied
    from, so a pixel that several overlapping patches share receives the sum
    of their entries.  That is exactly what backpropagation needs:
    ``<im2col(x), c> == <x, col2im(c)>`` for all ``x`` and ``c``.
    """
    pads, out_h, out_w = _geometry(input_shape, filter_h, filter_w, stride, pad)
    N, C, H, W = input_shape
    (pt, pb), (pl, pr) = pads
    expected = (N * out_h * out_w, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col has shape {col.shape}; for input {tuple(input_shape)} expected {expected}")
    cols = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + pt + pb + stride - 1, W + pl + pr + stride - 1), dtype=col.dtype)
    # a loop over the FH * FW kernel offsets; each step adds one strided slab
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += cols[:, :, y, x]
    return img[:, :, pt : pt + H, pl : pl + W]


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
    :func:`im2col`'s order moves ``FW`` at a time.  Same numbers as
    :func:`im2col`, columns in another order.

    ``out``: an array of the result's shape to fill (the layers keep one
    between steps); ``dtype``: the result's when ``out`` is not given.
    """
    x = np.asarray(x)
    pads, out_h, out_w = _geometry(x.shape, filter_h, filter_w, stride, pad)
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
    """The adjoint of :func:`im2col_t` (as :func:`col2im` is of :func:`im2col`).

    ``cols``: ``(C * FH * FW, OH * OW * N)``.  Returns a new ``(N, C, H, W)``
    array stored batch last (the order of ``cols``).  One add per kernel
    offset ``(i, j)``, each covering every image and channel at once; with
    the batch index last, each add runs over ``OW * N`` contiguous values
    (``N`` for strides above 1).
    """
    pads, out_h, out_w = _geometry(input_shape, filter_h, filter_w, stride, pad)
    N, C, H, W = input_shape
    (pt, pb), (pl, pr) = pads
    expected = (C * filter_h * filter_w, out_h * out_w * N)
    if cols.shape != expected:
        raise ValueError(f"cols has shape {cols.shape}; for input {tuple(input_shape)} expected {expected}")
    d = cols.reshape(C, filter_h, filter_w, out_h, out_w, N)
    S = stride
    img = np.zeros((C, H + pt + pb, W + pl + pr, N), dtype=cols.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, i : i + S * out_h : S, j : j + S * out_w : S] += d[:, i, j]
    return img[:, pt : pt + H, pl : pl + W].transpose(3, 0, 1, 2)
