"""What a network costs and what it sees, layer by layer.

``layer_table(model, input_shape)`` walks a scratch ``Sequential`` (such as
``cnnlib.LeNet()`` or ``cnnlib.AlexNet()``, of fast or readable layers) and gives, for every layer, its
output shape, its trainable parameters, its multiply-adds per image and the
size of its output (the activation a training step keeps for the backward
pass).  ``receptive_fields(model, input_shape)`` gives, for every layer, how
many input pixels one of its output units sees and how far apart neighbouring
units' windows are.  ``conv_params`` and ``dense_params`` are the two counting
formulas, for networks that are only described (LeNet-5 and AlexNet as
published).  Book: chapter "Inside a convolution layer".
"""

from dataclasses import dataclass

import numpy as np

from .geometry import check_input_shape, conv_geometry
from .reference import Affine, AveragePooling, Convolution, MaxPooling

__all__ = [
    "LayerCost",
    "conv_params",
    "dense_params",
    "layer_table",
    "format_table",
    "ReceptiveField",
    "receptive_fields",
]


def conv_params(C, FN, FH, FW, bias=True):
    """Trainable parameters of a convolution with ``FN`` filters of shape ``(C, FH, FW)``:
    ``FN * C * FH * FW`` weights, plus one bias per filter."""
    for name, v in (("C", C), ("FN", FN), ("FH", FH), ("FW", FW)):
        if int(v) != v or v < 1:
            raise ValueError(f"conv_params: {name} must be a positive integer; got {v!r}")
    return int(FN * C * FH * FW + (FN if bias else 0))


def dense_params(n_in, n_out, bias=True):
    """Trainable parameters of a dense (fully connected) layer: ``n_in * n_out`` weights plus ``n_out`` biases."""
    for name, v in (("n_in", n_in), ("n_out", n_out)):
        if int(v) != v or v < 1:
            raise ValueError(f"dense_params: {name} must be a positive integer; got {v!r}")
    return int(n_in * n_out + (n_out if bias else 0))


@dataclass
class LayerCost:
    """One row of :func:`layer_table`; counts are per image."""

    name: str
    kind: str
    output_shape: tuple
    params: int
    macs: int  # multiply-adds: one multiplication and one addition each

    @property
    def flops(self):
        """Floating-point operations of the multiply-adds (2 per multiply-add)."""
        return 2 * self.macs

    @property
    def activations(self):
        """Numbers in the layer's output for one image."""
        return int(np.prod(self.output_shape))

    def activation_bytes(self, itemsize=4):
        """Bytes of the output for one image (float32: 4 bytes a number)."""
        return self.activations * itemsize


def _model_layers(model):
    layers = getattr(model, "layers", None)
    if not hasattr(layers, "items"):
        raise TypeError(
            f"expected a scratch cnnlib model (cnnlib.Sequential, e.g. cnnlib.LeNet()); got {type(model).__name__}. "
            f"For a Keras model use model.summary() / layer.count_params()"
        )
    return list(layers.items())


def _macs(layer, x_in):
    """Multiply-adds of ``layer`` on the one-image batch ``x_in``, and its output.  A residual
    block (a layer with ``layers``, :class:`~cnnlib.Residual`) counts its layers' (its sum adds 0)."""
    out = layer.forward(x_in, train=False)
    inner = getattr(layer, "layers", None)
    if hasattr(inner, "values"):
        macs, x = 0, x_in
        for sub in inner.values():
            m, x = _macs(sub, x)
            macs += m
        return macs, out
    if isinstance(layer, Convolution):
        FN, C, FH, FW = layer.params["W"].shape
        return FN * out.shape[2] * out.shape[3] * C * FH * FW, out
    if isinstance(layer, Affine):
        return layer.params["W"].size, out
    return 0, out


def layer_table(model, input_shape):
    """A :class:`LayerCost` for every layer of ``model`` on one image of ``input_shape`` (C, H, W).

    Multiply-adds are counted for convolutions (``FN * OH * OW * C * FH * FW``)
    and dense layers (``n_in * n_out``); ReLU, pooling, batch normalisation,
    dropout and flattening are counted as 0 (a few comparisons or additions per
    number, negligible beside them).  A residual block (:class:`~cnnlib.Residual`)
    is one row with the parameters and multiply-adds of its layers.  Shapes come
    from a forward pass of a zero image in inference mode, so they are the ones
    the layers really produce.
    """
    check_input_shape(input_shape)
    x = np.zeros((1,) + tuple(input_shape), dtype=np.float32)
    rows = []
    for name, layer in _model_layers(model):
        macs, x = _macs(layer, x)
        out_shape = tuple(int(s) for s in x.shape[1:])
        params = int(sum(p.size for p in layer.params.values()))
        rows.append(LayerCost(name, type(layer).__name__, out_shape, params, int(macs)))
    return rows


def format_table(rows, itemsize=4):
    """The rows of :func:`layer_table` as a text table, with a total line."""
    lines = [f"{'layer':<9}{'output shape':<16}{'params':>12}{'mult-adds':>15}{'activations':>13}{'KiB':>9}"]
    for r in rows:
        lines.append(
            f"{r.name:<9}{str(r.output_shape):<16}{r.params:>12,}{r.macs:>15,}{r.activations:>13,}"
            f"{r.activation_bytes(itemsize) / 1024:>9.1f}"
        )
    total_act = sum(r.activations for r in rows)
    lines.append(
        f"{'total':<9}{'':<16}{sum(r.params for r in rows):>12,}{sum(r.macs for r in rows):>15,}"
        f"{total_act:>13,}{total_act * itemsize / 1024:>9.1f}"
    )
    return "\n".join(lines)


@dataclass
class ReceptiveField:
    """One row of :func:`receptive_fields`.

    ``size``: how many input pixels (along one side) one output unit of the
    layer depends on; ``jump``: how many input pixels apart the windows of two
    neighbouring units are; ``first``: the input row (and column) where the
    window of unit 0 starts (negative when it reaches into the padding).
    """

    name: str
    size: int
    jump: int
    first: int
    output_size: int

    def window(self, i, j):
        """``(row0, row1, col0, col1)``: the input rows ``row0:row1`` and columns ``col0:col1``
        that output unit ``(i, j)`` sees (before clipping to the image)."""
        if not (0 <= i < self.output_size and 0 <= j < self.output_size):
            raise ValueError(f"{self.name}: unit ({i}, {j}) is outside its {self.output_size}x{self.output_size} output")
        r0, c0 = self.first + i * self.jump, self.first + j * self.jump
        return r0, r0 + self.size, c0, c0 + self.size


def _kernel_stride_pad(layer, in_size):
    """Filter size, stride, the padding before the first row, and the output size (square layers)."""
    if isinstance(layer, Convolution):
        kh, kw = layer.params["W"].shape[2:]
    else:
        kh, kw = layer.pool_h, layer.pool_w
    if kh != kw:
        raise ValueError(f"receptive_fields handles square filters only; {type(layer).__name__} has {kh}x{kw}")
    ((before, _), _), out, _ = conv_geometry((1, 1, in_size, in_size), kh, kw, layer.stride, layer.pad)
    return kh, layer.stride, before, out


def _windowed_layers(items, prefix=""):
    """``(name, layer)`` of the convolutions and poolings among ``items``, in order; a residual
    block's (a layer with ``layers``) as ``res1.conv1``: its field is its block's, which contains
    the skip's."""
    for name, layer in items:
        inner = getattr(layer, "layers", None)
        if hasattr(inner, "items"):
            yield from _windowed_layers(inner.items(), f"{prefix}{name}.")
        elif isinstance(layer, (Convolution, MaxPooling, AveragePooling)):
            yield prefix + name, layer


def receptive_fields(model, input_shape):
    """A :class:`ReceptiveField` for every convolution and pooling layer of ``model``, in order.

    The recursion, from the input (size 1, jump 1, first 0) layer by layer:
    ``size += (k - 1) * jump``, ``first -= pad_before * jump``, ``jump *= stride``.
    Layers that act on each number alone (ReLU, batch normalisation, dropout)
    change nothing and are skipped; a dense layer sees the whole image.  The
    layers of a residual block (:class:`~cnnlib.Residual`) are rows named
    ``res1.conv1``: the block's output sees what its layers see (the skip sees
    less, inside it).  Square images and square filters only.
    """
    C, H, W = check_input_shape(input_shape)
    if H != W:
        raise ValueError(f"receptive_fields handles square images only; got {H}x{W}")
    size, jump, first, n = 1, 1, 0, H
    rows = []
    for name, layer in _windowed_layers(_model_layers(model)):
        k, s, before, out = _kernel_stride_pad(layer, n)
        size += (k - 1) * jump
        first -= before * jump
        jump *= s
        n = out
        rows.append(ReceptiveField(name, int(size), int(jump), int(first), int(n)))
    return rows
