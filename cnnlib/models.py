"""Scratch models: a ``Sequential`` container, ``LeNet`` and ``AlexNet``.

The API is the original notebook's (Deep Learning from Scratch lineage)::

    loss = model.forward(x_batch, t_batch)
    model.backward()
    optimizer.update(model.params, model.grads)
    acc = model.accuracy(x_test, t_test)

Inputs are NCHW arrays; labels are integers or one-hot rows.  Book: chapters
"LeNet from scratch on MNIST" and "AlexNet from scratch on CIFAR-10".
"""

import functools
import os
from collections import OrderedDict

import numpy as np

from . import reference
from .fast_layers import (
    Affine,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    MaxPooling,
    Relu,
    Residual,
    SoftmaxCrossEntropy,
)
from .geometry import check_input_shape

__all__ = ["Sequential", "LeNet", "AlexNet", "ResNet", "conv", "dense", "init_std"]

# The names Sequential gives unnamed layers (conv1, relu2, ...): cnnlib.reference.name_layers
_PREFIX = reference._PREFIX


class Sequential:
    """Layers applied in order, then a softmax cross-entropy loss.

    ``layers``: a list of layers (the fast ones of ``cnnlib`` or the readable ones of
    ``cnnlib.reference``: the same names and numbers), or of ``(name, layer)`` pairs.  Unnamed
    layers are named as Keras does: ``conv1``, ``relu2``, ``dense1``, ...
    ``model.params`` and ``model.grads`` map ``"conv1.W"``-style keys to the
    layers' own arrays, so an optimizer that updates ``params`` in place
    updates the layers.
    """

    def __init__(self, layers, loss=None):
        self.layers = OrderedDict(reference.name_layers(layers))
        self.loss_layer = loss or SoftmaxCrossEntropy()
        self.params = {f"{n}.{k}": v for n, l in self.layers.items() for k, v in l.params.items()}
        self.grads = {f"{n}.{k}": v for n, l in self.layers.items() for k, v in l.grads.items()}

    # ----------------------------------------------------------------- running
    def predict(self, x, train=False):
        """Logits ``(N, classes)`` for a batch ``x``."""
        for layer in self.layers.values():
            x = layer.forward(x, train)
        return x

    def forward(self, x, t, train=True):
        """Loss (a float) of the batch ``x`` with labels ``t``; keeps what ``backward`` needs."""
        if len(x) != len(t):
            raise ValueError(f"{len(x)} inputs but {len(t)} labels")
        return self.loss_layer.forward(self.predict(x, train), t)

    def backward(self, dout=1.0, input_grad=True):
        """Gradients of the last ``forward`` loss, written into ``self.grads``; returns d loss / d x.

        ``input_grad=False`` skips d loss / d x, which a training step never
        uses (Keras's ``train_on_batch`` does not compute it either), and
        returns ``None``: the first layer computes only its parameters'
        gradients (``backward_params``), the largest saving of a LeNet step.
        """
        dout = self.loss_layer.backward(dout)
        layers = list(self.layers.values())
        for layer in reversed(layers if input_grad else layers[1:]):
            dout = layer.backward(dout)
        if input_grad:
            return dout
        if layers:
            layers[0].backward_params(dout)
        return None

    def gradient(self, x, t):
        """``forward`` then ``backward``; returns ``self.grads`` (the DLfS spelling)."""
        self.forward(x, t)
        self.backward(input_grad=False)
        return self.grads

    def activations(self, x):
        """Every layer's output for ``x`` (inference mode), by layer name."""
        out = OrderedDict()
        for name, layer in self.layers.items():
            x = layer.forward(x, train=False)
            out[name] = x
        return out

    def accuracy(self, x, t, batch_size=500):
        """Share of correctly classified samples, computed ``batch_size`` at a time
        so that 10,000 CIFAR-10 images never need one giant im2col."""
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] > 1:
            t = t.argmax(axis=1)
        t = t.reshape(len(t))
        if len(x) != len(t):
            raise ValueError(f"{len(x)} inputs but {len(t)} labels")
        correct = 0
        for i in range(0, len(x), batch_size):
            y = self.predict(x[i : i + batch_size])
            correct += int((y.argmax(axis=1) == t[i : i + batch_size]).sum())
        return correct / len(x)

    # ------------------------------------------------------------ parameters
    @property
    def state(self):
        """Non-trainable arrays (batch-norm running statistics), by ``"bn1.moving_mean"``-style key."""
        return {f"{n}.{k}": v for n, l in self.layers.items() for k, v in getattr(l, "state", {}).items()}

    def count_params(self):
        return sum(p.size for p in self.params.values())

    def save_params(self, path):
        """Save parameters and running statistics to an ``.npz`` file (no pickles)."""
        np.savez(path, **self.params, **self.state)

    def load_params(self, path):
        """Load what ``save_params`` wrote, in place; every key and shape must match, and
        nothing is changed unless all do.  As ``np.savez``, a name gets ``.npz`` appended."""
        if not hasattr(path, "read"):
            path = os.fspath(path)
            if not path.endswith(".npz"):
                path += ".npz"
        arrays = {**self.params, **self.state}
        with np.load(path, allow_pickle=False) as f:
            missing = sorted(set(arrays) - set(f.files))
            extra = sorted(set(f.files) - set(arrays))
            if missing or extra:
                raise ValueError(f"{path}: parameters do not match this model (missing {missing}, unexpected {extra})")
            values = {key: f[key] for key in arrays}
        for key, target in arrays.items():
            if values[key].shape != target.shape:
                raise ValueError(
                    f"{path}: {key!r} has shape {values[key].shape} in the file but {target.shape} in the model"
                )
        for key, target in arrays.items():
            target[...] = values[key]

    def summary(self, input_shape):
        """A Keras-like table of output shapes and parameter counts for inputs of ``input_shape`` (C, H, W);
        the layers of a :class:`~cnnlib.Residual` block follow its row, indented (its count includes theirs)."""
        x = np.zeros((1,) + tuple(input_shape), dtype=np.float32)
        lines = [f"{'layer':<12}{'type':<50}{'output shape':<18}{'params':>10}"]
        for name, layer in self.layers.items():
            x_in, x = x, layer.forward(x, train=False)
            n = sum(p.size for p in layer.params.values())
            lines.append(f"{name:<12}{layer!r:<50}{str(x.shape[1:]):<18}{n:>10,}")
            for sub, inner in getattr(layer, "layers", {}).items():  # a Residual's block, indented
                x_in = inner.forward(x_in, train=False)
                n = sum(p.size for p in inner.params.values())
                lines.append(f"{'  ' + sub:<12}{inner!r:<50}{str(x_in.shape[1:]):<18}{n:>10,}")
        lines.append(f"total parameters: {self.count_params():,}")
        return "\n".join(lines)

    def __repr__(self):
        return "Sequential(\n" + "\n".join(f"  {n}: {l!r}" for n, l in self.layers.items()) + "\n)"


def init_std(weight_init, fan_in):
    """Standard deviation of the initial weights: ``'he'`` → sqrt(2 / fan_in),
    ``'xavier'`` → sqrt(1 / fan_in), or a number used as it is (the original's 0.01)."""
    if isinstance(weight_init, str):
        if weight_init.lower() in ("he", "relu"):
            return np.sqrt(2.0 / fan_in)
        if weight_init.lower() in ("xavier", "glorot", "sigmoid"):
            return np.sqrt(1.0 / fan_in)
        raise ValueError(f"weight_init must be 'he', 'xavier' or a number; got {weight_init!r}")
    return float(weight_init)


def conv(rng, in_ch, out_ch, size, stride=1, pad=0, weight_init="he", dtype=np.float32):
    """A ``Convolution`` with random weights drawn from ``rng``."""
    std = init_std(weight_init, in_ch * size * size)
    W = (rng.standard_normal((out_ch, in_ch, size, size)) * std).astype(dtype)
    return Convolution(W, np.zeros(out_ch, dtype), stride, pad)


def dense(rng, n_in, n_out, weight_init="he", dtype=np.float32):
    """An ``Affine`` with random weights drawn from ``rng``."""
    W = (rng.standard_normal((n_in, n_out)) * init_std(weight_init, n_in)).astype(dtype)
    return Affine(W, np.zeros(n_out, dtype))


def _output_shape(layers, input_shape):
    """One image's output shape after ``layers``."""
    for layer in layers:
        input_shape = layer.output_shape(input_shape)
    return input_shape


def _shape_text(value, default):
    try:
        return repr(tuple(int(v) for v in value))
    except (TypeError, ValueError):
        return repr(default)


def _keras_names(default_shape):
    """Refuse the original notebook's ``input_dim`` / ``class_num`` with the name to pass instead.

    cnnlib uses Keras's ``input_shape`` and ``num_classes`` on both sides (scratch
    and Keras) and keeps no aliases, so the old keywords raise a ``TypeError``
    that says what to write; the signature stays the plain one.
    """

    def wrap(build):
        @functools.wraps(build)
        def wrapper(*args, **kwargs):
            name = build.__name__
            if "input_dim" in kwargs:
                shape = _shape_text(kwargs["input_dim"], default_shape)
                raise TypeError(
                    f"{name}() takes input_shape=(channels, height, width), not input_dim (the original "
                    f"notebook's name); pass input_shape={shape}"
                )
            if "class_num" in kwargs:
                raise TypeError(
                    f"{name}() takes num_classes (the Keras name, as in build_{name.lower()}), not class_num "
                    f"(the original notebook's name); pass num_classes={kwargs['class_num']!r}"
                )
            return build(*args, **kwargs)

        return wrapper

    return wrap


@_keras_names((1, 28, 28))
def LeNet(input_shape=(1, 28, 28), num_classes=10, weight_init="he", seed=None, dtype=np.float32):
    """LeNet as in the original notebook (ReLU and max-pooling, as modern code does).

    conv 6@5x5 → ReLU → maxpool 2 → conv 16@5x5 → ReLU → maxpool 2 →
    dense 120 → ReLU → dense 84 → ReLU → dense ``num_classes``.
    ``input_shape`` is one image's ``(channels, height, width)`` (NCHW without
    the batch; :func:`~cnnlib.build_lenet` takes ``(height, width, channels)``),
    the original notebook's ``input_dim``; ``num_classes`` is its ``class_num``.
    ``weight_init``: ``'he'`` (default), ``'xavier'``, or a standard deviation
    such as the original's ``0.01``.  ``seed`` makes the weights reproducible.
    """
    C, H, W = check_input_shape(input_shape)
    rng = np.random.default_rng(seed)
    pool = MaxPooling(2, 2)
    layers = [conv(rng, C, 6, 5, weight_init=weight_init, dtype=dtype), Relu(), pool]
    layers += [conv(rng, 6, 16, 5, weight_init=weight_init, dtype=dtype), Relu(), MaxPooling(2, 2)]
    flat = int(np.prod(_output_shape(layers, input_shape)))
    layers += [Flatten(), dense(rng, flat, 120, weight_init, dtype), Relu()]
    layers += [dense(rng, 120, 84, weight_init, dtype), Relu(), dense(rng, 84, num_classes, weight_init, dtype)]
    return Sequential(layers)


@_keras_names((3, 32, 32))
def AlexNet(
    input_shape=(3, 32, 32),
    num_classes=10,
    channels=(96, 256, 384, 384, 256),
    hidden=2048,
    dropout=0.5,
    weight_init="he",
    seed=None,
    dtype=np.float32,
):
    """The small-image AlexNet of the original notebook.

    conv 96@11x11 stride 4 → ReLU → maxpool 3/2 → BN → conv 256@5x5 → ReLU →
    maxpool 3/2 → BN → conv 384@3x3 → ReLU → conv 384@3x3 → ReLU →
    conv 256@3x3 → ReLU → maxpool 3/2 → BN → dense 2048 → ReLU → dropout 0.5 →
    dense 2048 → ReLU → dropout 0.5 → dense ``num_classes``; every convolution
    and pooling uses ``'same'`` padding.  ``input_shape`` is one image's
    ``(channels, height, width)`` (the original's ``input_dim``), ``num_classes``
    the number of classes (its ``class_num``), as in :func:`LeNet`.
    ``channels`` and ``hidden`` shrink it (the tests check the gradient of a
    small one).
    """
    input_shape = check_input_shape(input_shape)
    if len(channels) != 5:
        raise ValueError(f"channels must list the 5 convolutions' filter counts; got {channels!r}")
    rng = np.random.default_rng(seed)
    c1, c2, c3, c4, c5 = channels
    kw = dict(weight_init=weight_init, dtype=dtype)
    layers = [
        conv(rng, input_shape[0], c1, 11, 4, "same", **kw), Relu(), MaxPooling(3, 2, "same"), BatchNormalization(c1, dtype=dtype),
        conv(rng, c1, c2, 5, 1, "same", **kw), Relu(), MaxPooling(3, 2, "same"), BatchNormalization(c2, dtype=dtype),
        conv(rng, c2, c3, 3, 1, "same", **kw), Relu(),
        conv(rng, c3, c4, 3, 1, "same", **kw), Relu(),
        conv(rng, c4, c5, 3, 1, "same", **kw), Relu(), MaxPooling(3, 2, "same"), BatchNormalization(c5, dtype=dtype),
    ]  # fmt: skip
    shape = _output_shape(layers, input_shape)
    dseed = rng.integers(2**31)
    layers += [
        Flatten(),
        dense(rng, int(np.prod(shape)), hidden, **kw), Relu(), Dropout(dropout, seed=dseed),
        dense(rng, hidden, hidden, **kw), Relu(), Dropout(dropout, seed=dseed + 1),
        dense(rng, hidden, num_classes, **kw),
    ]  # fmt: skip
    return Sequential(layers)


@_keras_names((3, 32, 32))
def ResNet(
    input_shape=(3, 32, 32),
    num_classes=10,
    widths=(16, 32),
    blocks=2,
    residual=True,
    bn=True,
    weight_init="he",
    seed=None,
    dtype=np.float32,
):
    """A small ResNet for small images (He et al. 2016's CIFAR-10 design, shrunk), or its plain twin.

    conv 3x3 → [BN] → ReLU (the stem, ``widths[0]`` filters); then one stage per
    width, each ``blocks`` blocks of conv 3x3 → [BN] → ReLU → conv 3x3 → [BN],
    wrapped in a :class:`~cnnlib.Residual` (``residual=True``) or not (the plain
    network: the same layers, the same parameters), each followed by a ReLU; between
    two stages a 2x2 max pooling and a 1x1 convolution to the next width (a linear
    projection); then global average pooling and one dense layer to the logits.
    ``blocks``: an integer (every stage) or one per stage.  ``bn=False`` leaves the
    batch normalisations out (the convolutions keep their biases in either case).
    Every convolution has ``'same'`` padding.  Keras twin: :func:`~cnnlib.build_resnet`.
    """
    C, H, W = check_input_shape(input_shape)
    widths = tuple(int(w) for w in widths)
    blocks = (int(blocks),) * len(widths) if np.ndim(blocks) == 0 else tuple(int(b) for b in blocks)
    if not widths or len(blocks) != len(widths) or min(widths + blocks) < 1:
        raise ValueError(f"widths and blocks: positive, one number of blocks per stage; got {widths!r}, {blocks!r}")
    rng = np.random.default_rng(seed)
    kw = dict(weight_init=weight_init, dtype=dtype)

    def norm(width):
        return [BatchNormalization(width, dtype=dtype)] if bn else []

    layers = [conv(rng, C, widths[0], 3, 1, "same", **kw), *norm(widths[0]), Relu()]
    for stage, (width, n) in enumerate(zip(widths, blocks)):
        if stage:
            layers += [MaxPooling(2), conv(rng, widths[stage - 1], width, 1, **kw)]
        for _ in range(n):
            block = [conv(rng, width, width, 3, 1, "same", **kw), *norm(width), Relu()]
            block += [conv(rng, width, width, 3, 1, "same", **kw), *norm(width)]
            layers += ([Residual(block)] if residual else block) + [Relu()]
    layers += [("gap1", GlobalAveragePooling()), dense(rng, widths[-1], num_classes, **kw)]
    return Sequential(layers)
