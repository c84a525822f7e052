"""Sizes and arguments: the output-size formula, the padding rule, and the checks of a layer's arguments.

Both paths use these, the readable :mod:`cnnlib.reference` and the fast
:mod:`cnnlib.fast_layers`, so a wrong argument gets the same clear error from
either.  ``pad`` is an integer (the textbook's ``P`` on all four sides),
``((top, bottom), (left, right))``, or Keras's ``'valid'`` / ``'same'``.
"""

import functools

import numpy as np

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "resolve_padding",
    "window_arguments",
    "conv_geometry",
    "check_input_shape",
    "check_array",
]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def resolve_padding(input_hw, filter_hw, stride, pad):
    """Turn any accepted ``pad`` into ``((top, bottom), (left, right))``.

    ``'same'`` follows Keras: the output is ``ceil(size / stride)`` and an odd
    total padding puts the extra row at the bottom (column at the right).

    >>> resolve_padding((32, 32), (11, 11), 4, "same")
    ((3, 4), (3, 4))
    >>> resolve_padding((28, 28), (5, 5), 1, 2)
    ((2, 2), (2, 2))
    """
    if isinstance(pad, str):
        mode = pad.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            pads = []
            for size, f in zip(input_hw, filter_hw):
                total = max((-(-size // stride) - 1) * stride + f - size, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"padding must be an integer, 'valid' or 'same'; got {pad!r}")
    if _is_int(pad):
        if pad < 0:
            raise ValueError(f"padding must be >= 0; got {pad}")
        return (int(pad), int(pad)), (int(pad), int(pad))
    try:
        (pt, pb), (pl, pr) = pad
    except (TypeError, ValueError):
        raise ValueError(
            f"padding must be an integer, 'valid', 'same' or ((top, bottom), (left, right)); got {pad!r}"
        ) from None
    if not all(_is_int(p) for p in (pt, pb, pl, pr)) or min(pt, pb, pl, pr) < 0:
        raise ValueError(f"padding must be integers >= 0; got {pad!r}")
    return (int(pt), int(pb)), (int(pl), int(pr))


def window_arguments(size, stride, pad, what="pool_size"):
    """The one check of a layer's window arguments: ``((h, w), stride, pad)``.

    Args:
        size: a positive integer or a pair of them (the window's height and width).
        stride: a positive integer, or ``None`` for the window's height (Keras's
            default for pooling).
        pad: see :func:`resolve_padding`.
        what: the argument's name in the error message.

    Floats are refused, not rounded: ``MaxPooling(2.7)`` is a ``ValueError``.

    >>> window_arguments(3, None, "same")
    ((3, 3), 3, 'same')
    """
    pair = (size, size) if _is_int(size) else size
    try:
        h, w = pair
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive integer or a pair of them; got {size!r}") from None
    if not (_is_int(h) and _is_int(w) and h >= 1 and w >= 1):
        raise ValueError(f"{what} must be a positive integer or a pair of them; got {size!r}")
    if stride is None:
        stride = h
    if not _is_int(stride) or stride < 1:
        raise ValueError(f"stride must be a positive integer; got {stride!r}")
    resolve_padding((1, 1), (1, 1), 1, pad)  # raises on a bad spelling
    return (int(h), int(w)), int(stride), pad


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
    >>> conv_output_size(6, 3, stride=2, pad="valid")
    2
    """
    for name, value in (("input_size", input_size), ("filter_size", filter_size), ("stride", stride)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if isinstance(pad, str) and pad.lower() == "same":
        return -(-input_size // stride)
    strict = not isinstance(pad, str)
    if isinstance(pad, str) or _is_int(pad):
        before, after = resolve_padding((input_size,), (filter_size,), stride, pad)[0]
    else:
        before, after = pad
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


def _span(filter_size, dilation):
    """How many pixels a dilated filter spans: ``D * (K - 1) + 1``."""
    return dilation * (filter_size - 1) + 1


def _dilation(dilation):
    if not _is_int(dilation) or dilation < 1:
        raise ValueError(f"dilation must be a positive integer; got {dilation!r}")
    return int(dilation)


def conv_transpose_output_size(input_size, filter_size, stride=1, pad=0):
    """Output length of a transposed convolution along one axis: the length whose
    convolution (same filter, stride, padding) has ``input_size`` outputs.

    An integer ``pad`` P: ``(input_size - 1) * stride + filter_size - 2 * P``; Keras's
    ``'same'``: ``input_size * stride``; ``'valid'``: ``input_size * stride + max(filter_size - stride, 0)``
    (as ``Conv2DTranspose``).

    >>> conv_transpose_output_size(3, 3, 2, "valid"), conv_transpose_output_size(4, 4, 2, 1)
    (7, 8)
    """
    for name, value in (("input_size", input_size), ("filter_size", filter_size), ("stride", stride)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if isinstance(pad, str) and pad.lower() == "same":
        return input_size * stride
    if isinstance(pad, str) and pad.lower() == "valid":
        return input_size * stride + max(filter_size - stride, 0)
    (before, after), _ = resolve_padding((1, 1), (1, 1), 1, pad)
    out = (input_size - 1) * stride + filter_size - before - after
    if out < 1 or before >= filter_size or after >= filter_size:
        raise ValueError(
            f"padding {pad!r} crops more than the filter ({filter_size}) adds: a transposed convolution takes "
            f"padding up to {filter_size - 1} here"
        )
    return out


def conv_geometry(input_shape, filter_h, filter_w, stride=1, pad=0):
    """``(pads, OH, OW)`` for an NCHW ``input_shape``: the padding ``((top, bottom), (left, right))``
    and the output size.  Remembered per image size: a training step asks for the same few dozens of times."""
    if len(input_shape) != 4:
        raise ValueError(
            f"expected a 4-D NCHW array (batch, channels, height, width); got shape {tuple(input_shape)}"
        )
    if isinstance(pad, list):  # the one unhashable spelling; the cache needs a tuple
        pad = tuple(map(tuple, pad))
    return _geometry(tuple(int(s) for s in input_shape[2:]), filter_h, filter_w, stride, pad)


@functools.lru_cache(maxsize=256)
def _geometry(hw, filter_h, filter_w, stride, pad):
    H, W = hw
    (pt, pb), (pl, pr) = resolve_padding((H, W), (filter_h, filter_w), stride, pad)
    mode = pad if isinstance(pad, str) else None
    OH = conv_output_size(H, filter_h, stride, mode or (pt, pb))
    OW = conv_output_size(W, filter_w, stride, mode or (pl, pr))
    return ((pt, pb), (pl, pr)), OH, OW


def check_input_shape(input_shape):
    """One image's ``(channels, height, width)``, all positive, or a ``ValueError`` that says so."""
    try:
        ok = len(input_shape) == 3 and all(_is_int(s) and s >= 1 for s in input_shape)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"input_shape must be (channels, height, width); got {input_shape!r}")
    return tuple(int(s) for s in input_shape)


def check_array(x, ndim, layer, layout):
    """``x`` must be a numpy array with ``ndim`` axes (``layout`` names them in the message)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{layer} expects a numpy array; got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{layer} expects a {ndim}-D array {layout}; got shape {x.shape}")
