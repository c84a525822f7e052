"""Moving pictures for the chapters: a convolution explorer and step-by-step animations.

Each function returns a :class:`Widget`, which a notebook shows as its cell's
output.  The HTML output is one ``<div>`` with the widget's settings as JSON,
followed by ``cnnlib/widgets.css`` and ``cnnlib/widgets.js`` inlined (plain
JavaScript, no library, nothing fetched): the same output works on the website
with no kernel (English and Japanese labels, chosen by the page's ``lang``), in
JupyterLab, and printed as the frame it starts on.  The JavaScript computes
everything it draws from the inputs given here; ``tests/site/test_widgets.py``
drives it in Chromium and compares what it shows with :mod:`cnnlib.reference`.

The text output (what nbval compares, and what a plain-text front end shows)
states the same case as computed by :mod:`cnnlib.reference`, so a notebook
that shows a widget also records cnnlib's numbers for it.

>>> print(repr(conv_explorer(H=7, W=7, kernel=3, stride=2, padding=0)))
Convolution explorer: input 7 x 7, kernel 3, stride 2, padding 0 -> output 3 x 3 (cnnlib.conv_output_size)
"""

import html
import json
from pathlib import Path

import numpy as np

__all__ = ["Widget", "conv_explorer", "sliding_dot", "max_pooling", "im2col_steps", "conv_volume", "network_explorer"]

_HERE = Path(__file__).resolve().parent


class Widget:
    """One widget: ``kind`` (what widgets.js draws), its JSON ``config`` and a plain-text summary."""

    def __init__(self, kind, config, summary):
        self.kind, self.config, self.summary = kind, config, summary

    def __repr__(self):
        return self.summary

    def _repr_html_(self):
        return html_of(self)


def _assets():
    css = (_HERE / "widgets.css").read_text(encoding="utf-8")
    js = (_HERE / "widgets.js").read_text(encoding="utf-8")
    return css, js


def html_of(widget):
    """The widget as one self-contained HTML fragment (settings, styles, script)."""
    css, js = _assets()
    data = json.dumps(widget.config, separators=(",", ":")).replace("</", "<\\/")
    still = html.escape(widget.summary)
    return (
        f'<div class="cnnw" data-kind="{widget.kind}">'
        f'<script type="application/json">{data}</script>'
        f'<p class="cnnw-still">{still}</p></div>\n'
        f"<style>{css}</style>\n<script>{js}</script>"
    )


def _resolve_padding():
    try:  # where the package keeps its one definition of the padding split
        from cnnlib.geometry import resolve_padding
    except ImportError:
        from cnnlib.reference import resolve_padding
    return resolve_padding


def _padding(padding):
    if padding in ("valid", "same"):
        return padding
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and 0 <= padding <= 3:
        return int(padding)
    raise ValueError(f"padding must be 'valid', 'same' or an integer 0-3 for the widgets; got {padding!r}")


def _ints(a, name):
    a = np.asarray(a)
    if a.ndim != 2 or a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be a 2-D array of integers (a worked example); got dtype {a.dtype}, shape {a.shape}")
    return a.tolist()


def _out(n, k, s, p):
    try:  # the package's one output-size formula
        from cnnlib.geometry import conv_output_size
    except ImportError:
        from cnnlib.reference import conv_output_size

    try:
        return str(conv_output_size(n, k, s, p))
    except ValueError as e:
        return f"error ({e})"


def conv_explorer(H=5, W=5, kernel=3, stride=1, padding=0, dilation=1, transposed=False):
    """The convolution explorer: every control (H, W, kernel, stride, padding, dilation, transposed).

    ``padding``: ``'valid'``, ``'same'`` (Keras's split) or an integer 0-3.  The starting case
    is what the reader (and the printed page) sees first.
    """
    for name, v, hi in (("H", H, 12), ("W", W, 12), ("kernel", kernel, 7), ("stride", stride, 4), ("dilation", dilation, 3)):
        if not isinstance(v, (int, np.integer)) or not 1 <= v <= hi:
            raise ValueError(f"{name} must be an integer from 1 to {hi}; got {v!r}")
    padding = _padding(padding)
    config = {"H": int(H), "W": int(W), "K": int(kernel), "S": int(stride), "P": padding,
              "D": int(dilation), "transposed": bool(transposed)}
    span = dilation * (kernel - 1) + 1
    if transposed:
        from cnnlib.reference import conv_transpose_output_size

        def size(n):
            try:
                return str(conv_transpose_output_size(n, span, stride, padding))
            except ValueError as e:
                return f"error ({e})"

        summary = (f"Convolution explorer, transposed: input {H} x {W}, kernel {kernel}, stride {stride}, "
                   f"padding {padding!r} -> output {size(H)} x {size(W)} (cnnlib.reference.conv_transpose_output_size)")
    else:
        oh, ow = _out(H, span, stride, padding), _out(W, span, stride, padding)
        shape = f"{oh} x {ow}" if "error" not in oh + ow else f"{oh}; {ow}"
        dil = f", dilation {dilation} (spans {span})" if dilation > 1 else ""
        summary = (f"Convolution explorer: input {H} x {W}, kernel {kernel}, stride {stride}, padding {padding!r}{dil} "
                   f"-> output {shape} (cnnlib.conv_output_size)")
    return Widget("explorer", config, summary)


def sliding_dot(x, w, stride=1, padding="valid"):
    """The window sliding over the worked example ``x`` with filter ``w``, each dot product written out.

    ``x`` and ``w`` are small 2-D integer arrays (the chapter's own example); the reader
    can change the stride and padding.
    """
    from cnnlib.reference import Convolution

    xs, ws = _ints(x, "x"), _ints(w, "w")
    x, w = np.asarray(x), np.asarray(w)
    if w.shape[0] != w.shape[1]:
        raise ValueError(f"w must be square; got shape {w.shape}")
    padding = _padding(padding)
    y = Convolution(w.reshape(1, 1, *w.shape), np.zeros(1, dtype=w.dtype), stride, padding).forward(x.reshape(1, 1, *x.shape))
    summary = (f"Sliding window: x {x.shape[0]} x {x.shape[1]}, w {w.shape[0]} x {w.shape[1]}, stride {stride}, "
               f"padding {padding!r} -> output (cnnlib.reference.Convolution) {y[0, 0].tolist()}")
    return Widget("dot", {"x": xs, "w": ws, "S": int(stride), "P": padding}, summary)


def max_pooling(x, pool_size=2, stride=2, mode="forward", dout=None):
    """Max pooling over the worked example ``x``, forward (each window's maximum) or backward
    (each window's gradient routed to its maximum; overlapping windows add up).

    ``dout``: the output gradient to route (default 10, 20, 30, ... in reading order).
    """
    from cnnlib.reference import MaxPooling

    xs = _ints(x, "x")
    x = np.asarray(x)
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode must be 'forward' or 'backward'; got {mode!r}")
    pool = MaxPooling(pool_size, stride=stride)
    out = pool.forward(x.reshape(1, 1, *x.shape).astype(np.float64))
    OH, OW = out.shape[2:]
    if dout is None:
        d = 10.0 * np.arange(1, OH * OW + 1).reshape(OH, OW)
        douts = None
    else:
        d = np.asarray(dout, dtype=np.float64)
        douts = _ints(dout, "dout")
    dx = pool.backward(d.reshape(1, 1, OH, OW))[0, 0]
    summary = (f"Max pooling {pool_size} x {pool_size}, stride {stride}: output {out[0, 0].astype(int).tolist()}, "
               f"dout {d.astype(int).tolist()} -> dx {dx.astype(int).tolist()} (cnnlib.reference.MaxPooling)")
    return Widget("pooling", {"x": xs, "K": int(pool_size), "S": int(stride), "mode": mode, "dout": douts}, summary)


def im2col_steps(x, kernel=2, stride=1, padding=0):
    """im2col filling the column matrix row by row as the window moves, then col2im adding the rows back."""
    from cnnlib.reference import col2im, im2col

    xs = _ints(x, "x")
    x = np.asarray(x)
    padding = _padding(padding)
    x4 = x.reshape(1, 1, *x.shape)
    col = im2col(x4, kernel, kernel, stride, padding)
    back = col2im(col, x4.shape, kernel, kernel, stride, padding)[0, 0]
    summary = (f"im2col: x {x.shape[0]} x {x.shape[1]}, kernel {kernel}, stride {stride}, padding {padding!r} -> "
               f"col {col.shape[0]} x {col.shape[1]}; col2im(col) = {back.tolist()} (cnnlib.reference)")
    return Widget("im2col", {"x": xs, "K": int(kernel), "S": int(stride), "P": padding}, summary)


def conv_volume(x, w, b, stride=2, padding=1):
    """A layer on a volume, as CS231n's demo draws it: every channel of ``x`` ``(C, H, W)``, each
    filter of ``w`` ``(FN, C, K, K)`` channel by channel, the bias ``b`` ``(FN,)``, and each output
    value written as its channel sums plus the bias.  Small integer arrays."""
    from cnnlib.reference import Convolution

    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    if x.ndim != 3 or w.ndim != 4 or b.shape != (w.shape[0],) or w.shape[1] != x.shape[0] or w.shape[2] != w.shape[3]:
        raise ValueError(f"need x (C, H, W), w (FN, C, K, K) and b (FN,); got {x.shape}, {w.shape}, {b.shape}")
    if any(a.dtype.kind not in "iu" for a in (x, w, b)):
        raise ValueError("x, w and b must be integer arrays (a worked example)")
    padding = _padding(padding)
    y = Convolution(w, b, stride, padding).forward(x[None])[0]
    summary = (f"Layer on a volume: x {x.shape}, w {w.shape}, stride {stride}, padding {padding!r} -> "
               f"output {y.shape} (cnnlib.reference.Convolution): {y.tolist()}")
    return Widget("volume", {"x": x.tolist(), "w": w.tolist(), "b": b.tolist(), "S": int(stride), "P": padding}, summary)


def network_explorer(model, x, label=None, decimals=2):
    """A trained network you can click: ``model`` (a scratch model such as :class:`cnnlib.LeNet`,
    with ``layers`` and ``activations``) on one image ``x`` ``(1, H, W)``, layer by layer up to the
    last spatial layer, with the class scores.  Choosing a unit (or clicking a map) shows its
    receptive field in the input and the filter that produced it.

    The maps are rounded to ``decimals`` places.  They come from a training run, so they are not
    bit-identical across CPUs: a notebook cell that shows this widget is tagged
    nbval-ignore-output and asserts what it checks instead (chapter 7 does).
    """
    resolve_padding = _resolve_padding()
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[0] != 1:
        raise ValueError(f"x must be one single-channel image (1, H, W); got shape {x.shape}")
    acts = model.activations(x[None])
    layers, filters, conv, size = [], {}, None, x.shape[1]
    for name, layer in model.layers.items():
        if name not in acts or acts[name].ndim != 4:
            break
        if hasattr(layer, "pool_h"):
            kind, k = "pool", layer.pool_h
        elif np.ndim(layer.params.get("W")) == 4:
            W = layer.params["W"]
            kind, k, conv = "conv", W.shape[2], name
            filters[name] = np.round(np.asarray(W, dtype=np.float64), decimals).tolist()
        else:
            kind, k = "relu", 1
        if conv is None:
            raise ValueError(f"the first spatial layer must be a convolution; {name} is a {type(layer).__name__}")
        s, pad = (layer.stride, layer.pad) if kind != "relu" else (1, 0)
        before = resolve_padding((size, size), (k, k), s, pad)[0][0]
        layers.append({"name": name, "kind": kind, "k": int(k), "s": int(s), "pad": int(before), "conv": conv,
                       "maps": np.round(acts[name][0].astype(np.float64), decimals).tolist()})
        size = acts[name].shape[2]
    z = acts[list(acts)[-1]][0].astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    config = {"x": np.round(x[0].astype(np.float64), decimals).tolist(), "layers": layers, "filters": filters,
              "scores": np.round(p, 4).tolist(), "label": None if label is None else int(label)}
    shapes = ", ".join(f"{l['name']} {len(l['maps'])}x{len(l['maps'][0])}x{len(l['maps'][0][0])}" for l in layers)
    summary = f"Network explorer: {shapes}; predicted {int(p.argmax())}" + ("" if label is None else f", label {int(label)}")
    return Widget("network", config, summary)
