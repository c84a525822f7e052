"""The readable reference: every layer, im2col/col2im and the optimizers, written to be read.

This is the code the book's chapters print and the code a student's exercise
is checked against.  Each layer is a few lines in the layout the chapters
teach (NCHW, im2col with one patch per *row*), makes fresh arrays and keeps
only what ``backward`` needs, in the style of *Deep Learning from Scratch*'s
``common/layers.py``.

The fast path, :mod:`cnnlib.fast_layers` and :mod:`cnnlib.fast_optimizers`,
is what ``cnnlib.Convolution``, the models and ``cnnlib.train`` use: each fast
class is a subclass of the class of the same name here and overrides only what
it speeds up (the appendix "Performance" explains each trick), plus clear
errors for bad input.  ``tests/package/test_reference_twins.py`` runs both on
the same inputs and checks that they agree: forward outputs, every gradient
and optimizer steps.  Argument checks and the output-size formula are in
:mod:`cnnlib.geometry`.

The contract every layer keeps (both paths):

* ``forward(x, train=True)`` returns the output; ``backward(dout)`` takes the
  gradient of the loss with respect to that output and returns the gradient
  with respect to ``x``.  Neither modifies its argument.
* ``params`` and ``grads`` are dicts of arrays by name (empty for layers
  without weights).  ``backward`` writes the gradients into the arrays of
  ``grads`` (``grads["W"][...] = ...``) and an optimizer changes the arrays of
  ``params`` in place, so a model can hand both dicts to an optimizer once.
  Non-trainable arrays (batch normalisation's running statistics) are in
  ``state``, saved with a model and never touched by an optimizer.

Shapes: ``x`` is ``(N, C, H, W)`` (batch, channels, height, width) for the
spatial layers; ``W`` is ``(FN, C, FH, FW)``.  ``pad`` is an integer (the
textbook's ``P`` on all four sides), ``((top, bottom), (left, right))``, or
Keras's ``'valid'`` / ``'same'``.
"""

import copy

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .geometry import _dilation, _span, conv_geometry, conv_transpose_output_size, window_arguments

__all__ = [
    "im2col",
    "col2im",
    "Layer",
    "Convolution",
    "ConvolutionTranspose",
    "MaxPooling",
    "AveragePooling",
    "Relu",
    "Flatten",
    "Affine",
    "Dropout",
    "BatchNormalization",
    "SoftmaxCrossEntropy",
    "GlobalAveragePooling",
    "Residual",
    "name_layers",
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    "Adadelta",
]


# ------------------------------------------------------------------------ im2col, col2im
def im2col(x, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """Every filter-sized patch of ``x`` as a row.

    ``x``: ``(N, C, H, W)``.  Returns ``col``, ``(N * OH * OW, C * FH * FW)``:
    one row per output pixel (image, then output row, then output column),
    holding the patch under the filter there, flattened in ``(C, FH, FW)``
    order, the order of ``W.reshape(FN, -1)``.  Book: chapter "im2col".

    ``dilation`` ``D``: the patch takes every D-th pixel of a window that spans
    ``D * (FH - 1) + 1`` rows (and columns), as a dilated convolution reads it.

    >>> im2col(np.arange(9.0).reshape(1, 1, 3, 3), 2, 2)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    x = np.asarray(x)
    N, C = x.shape[:2]
    span_h, span_w = _span(filter_h, dilation), _span(filter_w, dilation)
    ((pt, pb), (pl, pr)), OH, OW = conv_geometry(x.shape, span_h, span_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    # a view of every patch, (N, C, *, *, FH, FW), without a copy; keep every stride-th, OH x OW of them
    patches = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))[..., ::dilation, ::dilation]
    patches = patches[:, :, : OH * stride : stride, : OW * stride : stride]
    # (N, OH, OW, C, FH, FW): output pixel first, patch second; reshape makes the one copy
    return patches.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0, dilation=1):
    """The adjoint of :func:`im2col` (not its inverse): ``(N * OH * OW, C * FH * FW)`` → ``input_shape``.

    Every entry of ``col`` is *added* to the input pixel it was copied from,
    so a pixel that several overlapping patches share receives the sum of
    their entries: what backpropagation needs,
    ``<im2col(x), c> == <x, col2im(c)>``.  Book: chapter "im2col".

    Run forwards, it is a transposed convolution (:class:`ConvolutionTranspose`).
    """
    ((pt, pb), (pl, pr)), OH, OW = conv_geometry(
        input_shape, _span(filter_h, dilation), _span(filter_w, dilation), stride, pad
    )
    N, C, H, W = input_shape
    expected = (N * OH * OW, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col has shape {col.shape}; for input {tuple(input_shape)} expected {expected}")
    patches = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)  # (N, C, FH, FW, OH, OW)
    img = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=col.dtype)
    # one loop over the FH * FW filter offsets; each adds that offset's entry of every patch
    for i in range(filter_h):
        for j in range(filter_w):
            r, c = i * dilation, j * dilation   # the offset's pixel in the (dilated) window
            img[:, :, r : r + stride * OH : stride, c : c + stride * OW : stride] += patches[:, :, i, j]
    return img[:, :, pt : pt + H, pl : pl + W]


# ------------------------------------------------------------------------------ layers
class Layer:
    """What every layer has: ``params`` and ``grads``, dicts of arrays by name (empty here)."""

    def __init__(self):
        self.params, self.grads = {}, {}

    def backward_params(self, dout):
        """Only the parameter gradients (a model's first layer needs no d loss / d x); returns ``None``."""
        self.backward(dout)

    def output_shape(self, input_shape):
        """One image's output shape for one image of ``input_shape``, e.g. ``(C, H, W)`` → ``(FN, OH, OW)``
        (a forward pass of a zero image, in inference mode, through a copy of the layer)."""
        x = np.zeros((1,) + tuple(input_shape), dtype=np.float32)
        return copy.copy(self).forward(x, train=False).shape[1:]

    def __repr__(self):
        p, kind = self.params, type(self).__name__
        if "W" in p and p["W"].ndim == 4:
            FN, C, FH, FW = p["W"].shape
            return f"{kind}({FN}@{C}x{FH}x{FW}, stride={self.stride}, pad={self.pad!r})"
        if "W" in p:
            return f"{kind}({p['W'].shape[0]} -> {p['W'].shape[1]})"
        if "gamma" in p:
            return f"{kind}({p['gamma'].size})"
        if hasattr(self, "pool_h"):
            return f"{kind}({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad!r})"
        if hasattr(self, "rate"):
            return f"{kind}({self.rate})"
        return f"{kind}()"


class Convolution(Layer):
    """2-D convolution (cross-correlation) as one matrix product, through :func:`im2col`.

    ``W``: ``(FN, C, FH, FW)``, ``b``: ``(FN,)``, ``x``: ``(N, C, H, W)`` → ``(N, FN, OH, OW)``.
    Book: chapters "Convolution" and "im2col".

    ``dilation`` ``D``: the filter's taps are ``D`` pixels apart, so it spans
    ``D * (FH - 1) + 1`` rows and columns (Keras's ``dilation_rate``); the output
    size is :func:`~cnnlib.geometry.conv_output_size` with that span.
    """

    def __init__(self, W, b, stride=1, pad=0, dilation=1):
        W, b = np.asarray(W), np.asarray(b)
        self.dilation = _dilation(dilation)
        if self.dilation != 1 and type(self).forward is not Convolution.forward:
            raise ValueError(
                f"dilation={dilation} is implemented by cnnlib.reference.Convolution only; "
                f"{type(self).__module__}.{type(self).__name__} would ignore it"
            )
        if W.ndim != 4:
            raise ValueError(f"Convolution weights must be 4-D (FN, C, FH, FW); got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"Convolution bias must have shape ({W.shape[0]},); got {b.shape}")
        _, self.stride, self.pad = window_arguments(W.shape[2:], stride, pad, "filter size")
        self.params = {"W": W, "b": b.astype(W.dtype, copy=False)}
        self.grads = {"W": np.zeros(W.shape, W.dtype), "b": np.zeros(b.shape, W.dtype)}

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        FN, C, FH, FW = W.shape
        N = x.shape[0]
        D = self.dilation
        _, OH, OW = conv_geometry(x.shape, _span(FH, D), _span(FW, D), self.stride, self.pad)
        col = im2col(x, FH, FW, self.stride, self.pad, D)  # (N*OH*OW, C*FH*FW)
        out = col @ W.reshape(FN, -1).T + b                # (N*OH*OW, FN)
        self.x_shape, self.col = x.shape, col
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        W = self.params["W"]
        FN, C, FH, FW = W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # (N*OH*OW, FN), rows as in col
        self.grads["W"][...] = (dout.T @ self.col).reshape(W.shape)
        self.grads["b"][...] = dout.sum(axis=0)
        dcol = dout @ W.reshape(FN, -1)                    # (N*OH*OW, C*FH*FW)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad, self.dilation)


class ConvolutionTranspose(Layer):
    """Transposed convolution: the backward pass of a :class:`Convolution`, run forwards.

    ``W``: ``(C, FN, FH, FW)`` and ``b``: ``(FN,)``; ``x``: ``(N, C, H, W)`` → ``(N, FN, OH, OW)``
    with ``OH = conv_transpose_output_size(H, FH, stride, pad)``.  Each input pixel
    becomes one row, the row times ``W`` spreads it over a filter-sized window of the
    output, and :func:`col2im` adds the overlapping windows up: exactly what
    ``Convolution(W, ...).backward`` does with a gradient, so
    ``ConvolutionTranspose(W, 0, S, P).forward(x) == Convolution(W, 0, S, P).backward(x)``
    for a convolution whose output has ``x``'s shape.  Keras: ``Conv2DTranspose``, whose
    kernel is ``W.transpose(2, 3, 1, 0)``.  Its own backward pass is that convolution's
    forward pass (im2col).
    """

    def __init__(self, W, b, stride=1, pad=0):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 4 or b.shape != (W.shape[1],):
            raise ValueError(f"ConvolutionTranspose needs W (C, FN, FH, FW) and b (FN,); got {W.shape} and {b.shape}")
        _, self.stride, self.pad = window_arguments(W.shape[2:], stride, pad, "filter size")
        self.params = {"W": W, "b": b.astype(W.dtype)}
        self.grads = {"W": np.zeros(W.shape, W.dtype), "b": np.zeros(b.shape, W.dtype)}

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        C, FN, FH, FW = W.shape
        N, _, H, Wd = x.shape
        OH = conv_transpose_output_size(H, FH, self.stride, self.pad)
        OW = conv_transpose_output_size(Wd, FW, self.stride, self.pad)
        rows = x.transpose(0, 2, 3, 1).reshape(-1, C)       # one row per input pixel, (N*H*W, C)
        col = rows @ W.reshape(C, -1)                       # each spread over a window, (N*H*W, FN*FH*FW)
        out = col2im(col, (N, FN, OH, OW), FH, FW, self.stride, self.pad)
        self.rows, self.x_shape = rows, x.shape
        return out + b.reshape(1, FN, 1, 1)

    def backward(self, dout):
        W = self.params["W"]
        C, FN, FH, FW = W.shape
        N, _, H, Wd = self.x_shape
        col = im2col(dout, FH, FW, self.stride, self.pad)   # (N*H*W, FN*FH*FW): the convolution's forward
        self.grads["W"][...] = (self.rows.T @ col).reshape(W.shape)
        self.grads["b"][...] = dout.sum(axis=(0, 2, 3))
        dx = col @ W.reshape(C, -1).T                       # (N*H*W, C)
        return dx.reshape(N, H, Wd, C).transpose(0, 3, 1, 2)


class MaxPooling(Layer):
    """Maximum of each window, no weights: ``(N, C, H, W)`` → ``(N, C, OH, OW)``.

    ``pool_size`` an integer or ``(h, w)``; ``stride`` defaults to the pool's height.
    Padding (``'same'``) never wins the maximum.  Backward sends each window's
    gradient to its maximum (the first one, if several tie).  Book: chapter "Pooling".
    """

    def __init__(self, pool_size=2, stride=None, pad="valid"):
        super().__init__()
        (self.pool_h, self.pool_w), self.stride, self.pad = window_arguments(pool_size, stride, pad)

    def forward(self, x, train=True):
        N, C, H, W = x.shape
        ph, pw, S = self.pool_h, self.pool_w, self.stride
        pads, OH, OW = conv_geometry(x.shape, ph, pw, S, self.pad)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min   # padding never wins
        xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=low)
        col = im2col(xp, ph, pw, S, "valid").reshape(-1, ph * pw)        # one window (of one channel) per row
        self.arg = col.argmax(axis=1)                                      # first maximum of each window
        self.x_shape, self.xp_shape, self.pads = x.shape, xp.shape, pads
        return col.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        N, C, H, W = self.x_shape
        (pt, _), (pl, _) = self.pads
        d = dout.transpose(0, 2, 3, 1).ravel()                              # rows in the order of col
        dcol = np.zeros((d.size, self.pool_h * self.pool_w), dtype=dout.dtype)
        dcol[np.arange(d.size), self.arg] = d                               # all to the maximum
        dcol = dcol.reshape(-1, C * self.pool_h * self.pool_w)
        dxp = col2im(dcol, self.xp_shape, self.pool_h, self.pool_w, self.stride, "valid")
        return dxp[:, :, pt : pt + H, pl : pl + W]


class AveragePooling(Layer):
    """Mean of each window, no weights: ``(N, C, H, W)`` → ``(N, C, OH, OW)``.

    With ``'same'`` padding the mean is over the window's real pixels only, as
    in Keras's ``AveragePooling2D``.  Backward shares each window's gradient
    equally among those pixels.
    """

    def __init__(self, pool_size=2, stride=None, pad="valid"):
        super().__init__()
        (self.pool_h, self.pool_w), self.stride, self.pad = window_arguments(pool_size, stride, pad)

    def forward(self, x, train=True):
        N, C, H, W = x.shape
        ph, pw, S = self.pool_h, self.pool_w, self.stride
        pads, OH, OW = conv_geometry(x.shape, ph, pw, S, self.pad)
        xp = np.pad(x, ((0, 0), (0, 0), *pads))
        real = np.pad(np.ones((1, 1, H, W), x.dtype), ((0, 0), (0, 0), *pads))  # 1 on a real pixel, 0 on padding
        self.count = im2col(real, ph, pw, S, "valid").sum(axis=1)               # (OH*OW,) real pixels per window
        col = im2col(xp, ph, pw, S, "valid").reshape(N, OH * OW, C, ph * pw)
        self.x_shape, self.xp_shape, self.pads = x.shape, xp.shape, pads
        out = col.sum(axis=3) / self.count[:, None]                              # (N, OH*OW, C)
        return out.reshape(N, OH, OW, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        N, C, OH, OW = dout.shape
        ph, pw = self.pool_h, self.pool_w
        share = dout.transpose(0, 2, 3, 1).reshape(N, OH * OW, C, 1) / self.count[:, None, None]
        dcol = np.broadcast_to(share, (N, OH * OW, C, ph * pw)).reshape(N * OH * OW, C * ph * pw)
        dxp = col2im(dcol, self.xp_shape, ph, pw, self.stride, "valid")
        (pt, _), (pl, _) = self.pads
        return dxp[:, :, pt : pt + self.x_shape[2], pl : pl + self.x_shape[3]]


class Relu(Layer):
    """max(0, x), elementwise.  Any shape in, same shape out."""

    def forward(self, x, train=True):
        self.mask = x > 0
        return np.where(self.mask, x, 0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0)


class Flatten(Layer):
    """``(N, ...)`` → ``(N, D)``; backward restores the shape."""

    def forward(self, x, train=True):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)


class Affine(Layer):
    """Fully connected (Keras ``Dense``): ``x @ W + b``.

    ``W``: ``(D, M)``, ``b``: ``(M,)``, ``x``: ``(N, D)``, or ``(N, ...)`` with
    ``D`` numbers per sample (flattened here) → ``(N, M)``.
    """

    def __init__(self, W, b):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2:
            raise ValueError(f"Affine weights must be 2-D (D, M); got shape {W.shape}")
        if b.shape != (W.shape[1],):
            raise ValueError(f"Affine bias must have shape ({W.shape[1]},); got {b.shape}")
        self.params = {"W": W, "b": b.astype(W.dtype, copy=False)}
        self.grads = {"W": np.zeros(W.shape, W.dtype), "b": np.zeros(b.shape, W.dtype)}

    def forward(self, x, train=True):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)                   # (N, D)
        return self.x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"][...] = self.x.T @ dout
        self.grads["b"][...] = dout.sum(axis=0)
        return (dout @ self.params["W"].T).reshape(self.x_shape)


class Dropout(Layer):
    """Inverted dropout, as Keras: in training each value is zeroed with
    probability ``rate`` and the others are scaled by ``1 / (1 - rate)``, so
    the expected output equals the input; at test time it is the identity.
    Any shape in, same shape out.  ``seed`` makes the masks reproducible.
    """

    def __init__(self, rate=0.5, seed=None):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1); got {rate}")
        self.rate = rate
        self.rng = np.random.default_rng(seed)

    def forward(self, x, train=True):
        if train:
            keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate   # True: the value survives
            self.mask = keep.astype(x.dtype) / (1 - self.rate)               # 0 or 1 / (1 - rate)
        else:
            self.mask = np.ones(x.shape, x.dtype)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization(Layer):
    """Batch normalisation with Keras's semantics.

    Each channel of an ``(N, C, H, W)`` input (over ``N, H, W``) or each
    feature of an ``(N, D)`` input (over ``N``) is normalised to mean 0 and
    variance 1, then scaled by ``gamma`` and shifted by ``beta`` (the
    parameters).  Training uses the batch's mean and (biased) variance and
    moves the running statistics towards them,
    ``moving = momentum * moving + (1 - momentum) * batch``; inference uses
    the running statistics, kept in ``self.state`` (saved with a model, never
    touched by an optimizer).  Keras's defaults: ``momentum=0.99``,
    ``epsilon=1e-3``.  Same shape out as in.
    """

    def __init__(self, num_features, momentum=0.99, epsilon=1e-3, dtype=np.float32):
        self.momentum, self.epsilon = momentum, epsilon
        self.params = {"gamma": np.ones(num_features, dtype), "beta": np.zeros(num_features, dtype)}
        self.grads = {"gamma": np.zeros(num_features, dtype), "beta": np.zeros(num_features, dtype)}
        self.state = {"moving_mean": np.zeros(num_features, dtype), "moving_var": np.ones(num_features, dtype)}

    def forward(self, x, train=True):
        C = self.params["gamma"].size
        if x.ndim not in (2, 4) or x.shape[1] != C:
            raise ValueError(f"BatchNormalization({C}) expects (N, {C}) or (N, {C}, H, W); got shape {x.shape}")
        self.axes = (0,) if x.ndim == 2 else (0, 2, 3)        # every axis but the channel's
        self.shape = (1, C) if x.ndim == 2 else (1, C, 1, 1)  # a per-channel vector, broadcastable to x
        if train:
            mean, var = x.mean(axis=self.axes), x.var(axis=self.axes)
            m = self.momentum
            self.state["moving_mean"][...] = m * self.state["moving_mean"] + (1 - m) * mean
            self.state["moving_var"][...] = m * self.state["moving_var"] + (1 - m) * var
        else:
            mean, var = self.state["moving_mean"], self.state["moving_var"]
        self.train = train
        self.inv_std = 1 / np.sqrt(var + self.epsilon)
        self.xhat = (x - mean.reshape(self.shape)) * self.inv_std.reshape(self.shape)
        return self.params["gamma"].reshape(self.shape) * self.xhat + self.params["beta"].reshape(self.shape)

    def backward(self, dout):
        dbeta = dout.sum(axis=self.axes)
        dgamma = (dout * self.xhat).sum(axis=self.axes)
        self.grads["beta"][...] = dbeta
        self.grads["gamma"][...] = dgamma
        g = (self.params["gamma"] * self.inv_std).reshape(self.shape)
        if not self.train:                      # the running statistics are constants
            return dout * g
        n = dout.size // dout.shape[1]          # values per channel: the mean and variance depend on all of them
        return g * (dout - dbeta.reshape(self.shape) / n - self.xhat * dgamma.reshape(self.shape) / n)


class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the mean cross-entropy over the batch.

    ``forward(x, t)``: logits ``x`` ``(N, K)``; labels ``t`` integers ``(N,)``
    (or ``(N, 1)``, as Keras's CIFAR-10 labels) or one-hot rows ``(N, K)``.
    Returns the loss, a float.  ``backward(dout=1.0)`` returns
    ``dout * (softmax(x) - one_hot(t)) / N``, ``(N, K)``.
    """

    def forward(self, x, t, train=True):
        N, K = x.shape
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1 and K != 1:
            t = t[:, 0]
        if t.ndim == 1:                                # integer labels -> one-hot rows
            t = np.eye(K, dtype=x.dtype)[t]
        shifted = x - x.max(axis=1, keepdims=True)     # exp never overflows
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.y, self.t = np.exp(log_p), t.astype(x.dtype)
        return float(-(self.t * log_p).sum() / N)

    def backward(self, dout=1.0):
        N = self.y.shape[0]
        return (self.y - self.t) * (dout / N)


class GlobalAveragePooling(Layer):
    """Mean of each channel over the whole image, no weights: ``(N, C, H, W)`` → ``(N, C)``.

    Keras's ``GlobalAveragePooling2D``: a classifier head without a large dense
    layer.  Backward shares each channel's gradient equally among its ``H * W`` pixels.
    """

    def forward(self, x, train=True):
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout):
        N, C, H, W = self.x_shape
        dx = np.empty(self.x_shape, dtype=dout.dtype)
        dx[...] = dout.reshape(N, C, 1, 1) / (H * W)
        return dx


class Residual(Layer):
    """A residual block (He et al. 2016): ``x + F(x)``, where ``F`` is ``block``'s layers in order.

    ``block``: a list of layers, of ``(name, layer)`` pairs, or a ``Sequential`` (its layers).
    ``F(x)`` must have ``x``'s shape (stride 1, ``'same'`` padding, as many filters as ``x``
    has channels); change the shape between blocks.  ``x`` reaches the sum along two paths,
    through the block and along the skip, so its gradient is the *sum* of the two, the rule
    of :func:`col2im`: ``dx = dout + F.backward(dout)``.  ``params``, ``grads`` and ``state``
    are the block's layers' own arrays, by ``"conv1.W"``-style key.  Book: chapter "After AlexNet".
    """

    def __init__(self, block):
        self.layers = name_layers(getattr(block, "layers", block))
        if not self.layers:
            raise ValueError("Residual needs a block of at least one layer, e.g. Residual([conv, Relu(), conv])")
        self.params = {f"{n}.{k}": v for n, l in self.layers.items() for k, v in l.params.items()}
        self.grads = {f"{n}.{k}": v for n, l in self.layers.items() for k, v in l.grads.items()}
        self.state = {f"{n}.{k}": v for n, l in self.layers.items() for k, v in getattr(l, "state", {}).items()}

    def forward(self, x, train=True):
        out = x
        for layer in self.layers.values():
            out = layer.forward(out, train)
        self._check_shape(x.shape[1:], out.shape[1:])
        return x + out                                   # the skip: x itself, added

    def backward(self, dout):
        d = dout
        for layer in reversed(self.layers.values()):
            d = layer.backward(d)                        # through the block
        return dout + d                                  # plus the skip's gradient: add, don't overwrite

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers.values():
            shape = layer.output_shape(shape)
        self._check_shape(tuple(input_shape), tuple(shape))
        return tuple(input_shape)

    def _check_shape(self, in_shape, out_shape):
        if tuple(in_shape) != tuple(out_shape):
            raise ValueError(
                f"Residual: the block turns one input of shape {tuple(in_shape)} into {tuple(out_shape)}, "
                f"so x + block(x) cannot be added. Keep the shape inside the block (stride 1, pad='same' "
                f"or pad=(FH - 1) // 2 for an odd filter, as many filters as input channels), and change "
                f"it between blocks: a pooling layer, or a 1x1 Convolution (a projection) to set the channels"
            )

    def __repr__(self):
        return f"Residual({' -> '.join(self.layers)})"


# Sequential's and Residual's names for unnamed layers (Keras's style: conv1, relu2, ...), by
# reference class, so that a fast layer (a subclass) gets the same name; any other layer: its
# class name in lower case.
_PREFIX = {
    Convolution: "conv",
    MaxPooling: "maxpool",
    AveragePooling: "avgpool",
    Relu: "relu",
    Affine: "dense",
    Flatten: "flatten",
    Dropout: "dropout",
    BatchNormalization: "bn",
    Residual: "res",
}


def name_layers(layers):
    """``layers`` (a list of layers or of ``(name, layer)`` pairs, or a dict) as a dict by name;
    unnamed layers are named as Keras does, ``conv1``, ``relu1``, ``conv2``, ..."""
    if hasattr(layers, "items"):
        layers = list(layers.items())
    named, counts = {}, {}
    for item in layers:
        name, layer = item if isinstance(item, tuple) else (None, item)
        if name is None:
            kind = layer if isinstance(layer, type) else type(layer)
            prefix = next((_PREFIX[c] for c in kind.__mro__ if c in _PREFIX), kind.__name__.lower())
            counts[prefix] = counts.get(prefix, 0) + 1
            name = f"{prefix}{counts[prefix]}"
        if name in named:
            raise ValueError(f"two layers are named {name!r}")
        if isinstance(layer, type):
            raise TypeError(f"{name}: got the class {layer.__name__}; pass a layer, e.g. {layer.__name__}(...)")
        if not (hasattr(layer, "forward") and hasattr(layer, "backward") and hasattr(layer, "params")):
            raise TypeError(f"{name}: expected a layer (forward, backward, params); got {type(layer).__name__}")
        named[name] = layer
    return named


# -------------------------------------------------------------------------- optimizers
class Optimizer:
    """``update(params, grads)`` changes every array of ``params`` in place by its gradient.

    The update rules and defaults are Keras 3's.  ``weight_decay`` is Keras's
    decoupled decay, ``p -= learning_rate * weight_decay * p`` before the step.
    Per-parameter state (``self.state[key]``, a dict of arrays) starts at zero.
    """

    def __init__(self, learning_rate, weight_decay=None):
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive; got {learning_rate}")
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.iterations = 0
        self.state = {}

    def update(self, params, grads):
        """One step.  All or nothing: keys and shapes are checked before any parameter changes."""
        if params.keys() != grads.keys():
            differ = sorted(set(params) ^ set(grads))
            raise KeyError(f"params and grads must have the same keys; these differ: {differ}")
        for key, p in params.items():
            if np.shape(grads[key]) != p.shape:
                raise ValueError(f"gradient for {key!r} has shape {np.shape(grads[key])}, parameter has {p.shape}")
        for key, p in params.items():
            if self.weight_decay:
                self.decay(p)
            self.step(p, grads[key], self.state.setdefault(key, {}))
        self.iterations += 1

    def decay(self, p):
        """Keras's decoupled weight decay, before the step."""
        p -= self.learning_rate * self.weight_decay * p

    def step(self, p, g, s):
        """Change ``p`` in place by its gradient ``g``; ``s``: this parameter's state."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(Optimizer):
    """``p -= lr * g``; with ``momentum`` ``v = momentum * v - lr * g; p += v``
    (``nesterov``: ``p += momentum * v - lr * g``), as Keras's SGD."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov

    def step(self, p, g, s):
        lr, mu = self.learning_rate, self.momentum
        if not mu:
            p -= lr * g
            return
        v = s["v"] = mu * s.get("v", 0) - lr * g
        p += mu * v - lr * g if self.nesterov else v


class Momentum(SGD):
    """SGD with momentum: ``v = momentum * v - lr * g; p += v``."""

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=None):
        super().__init__(learning_rate, momentum, nesterov=False, weight_decay=weight_decay)


class Nesterov(SGD):
    """Nesterov momentum, as ``keras.optimizers.SGD(momentum=..., nesterov=True)``."""

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=None):
        super().__init__(learning_rate, momentum, nesterov=True, weight_decay=weight_decay)


class AdaGrad(Optimizer):
    """``h += g²; p -= lr * g / sqrt(h + eps)``, ``h`` starting at ``initial_accumulator_value``."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def step(self, p, g, s):
        h = s["h"] = s.get("h", self.initial_accumulator_value) + g * g
        p -= self.learning_rate * g / np.sqrt(h + self.epsilon)


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) * g²; p -= lr * g / sqrt(v + eps)`` (Keras's RMSprop, no momentum)."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho, self.epsilon = rho, epsilon

    def step(self, p, g, s):
        v = s["v"] = self.rho * s.get("v", 0) + (1 - self.rho) * g * g
        p -= self.learning_rate * g / np.sqrt(v + self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with Keras's form of the bias correction:
    ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g²``,
    ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``, ``t`` = 1, 2, ..."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def step(self, p, g, s):
        b1, b2, t = self.beta_1, self.beta_2, self.iterations + 1
        m = s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        v = s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        alpha = self.learning_rate * (1 - b2**t) ** 0.5 / (1 - b1**t)
        p -= alpha * m / (np.sqrt(v) + self.epsilon)


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) as Keras:
    ``G = rho * G + (1 - rho) * g²``, ``delta = -sqrt(D + eps) / sqrt(G + eps) * g``,
    ``D = rho * D + (1 - rho) * delta²``, ``p += lr * delta``."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho, self.epsilon = rho, epsilon

    def step(self, p, g, s):
        rho, eps = self.rho, self.epsilon
        G = s["G"] = rho * s.get("G", 0) + (1 - rho) * g * g
        delta = -np.sqrt(s.get("D", 0) + eps) / np.sqrt(G + eps) * g
        s["D"] = rho * s.get("D", 0) + (1 - rho) * delta * delta
        p += self.learning_rate * delta
