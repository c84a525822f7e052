"""Classroom tools: ``python -m cnnbook.classroom student-edition OUTDIR``.

The student edition is a copy of the book's notebooks for handing out:

* every code cell tagged ``solution`` becomes a stub: each function it defines
  keeps its signature and docstring, and its body raises
  ``NotImplementedError`` with a hint (from the cell's ``hint`` metadata, if
  any); other code in the cell is replaced by one such ``raise``;
* the ``{solution}`` blocks of the exercises are removed from the prose;
* all outputs and execution counts are cleared.

The check cells that follow each exercise (``cnnlib.checks.check_*``) stay,
so a student runs them on their own answer.

``student-edition --format nbgrader OUTDIR`` writes an nbgrader course instead
(``OUTDIR/nbgrader_config.py`` and ``OUTDIR/source/<chapter>/<chapter>.ipynb``,
one assignment per chapter with coding exercises): each solution cell keeps
the reference answer between ``### BEGIN SOLUTION`` / ``### END SOLUTION``
(nbgrader turns it into a stub when it generates the student version), each
check cell becomes an autograded test cell, a hidden-test cell follows it
(``### BEGIN HIDDEN TESTS``: cases the check does not show, run with cnnlib's
own implementation of the exercise disabled), and every other cell is locked.
The book's appendix "For teachers" (``book/teachers.md``) gives the steps.
"""

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path

import nbformat

__all__ = [
    "stub_source",
    "strip_solutions",
    "student_notebook",
    "student_edition",
    "solution_region_source",
    "nbgrader_notebook",
    "nbgrader_course",
    "HIDDEN_TESTS",
    "main",
]

SOLUTION_TAG = "solution"
# A cell that only computes figures an experiment's solution quotes (hidden on the site with
# remove-cell): the student edition and the nbgrader course leave it out, answer and all.
SOLUTION_RUN_TAG = "solution-run"
_HIDING_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell", SOLUTION_TAG}

# ```{solution} ... ``` (any number of backticks >= 3) or :::{solution} ... ::: blocks
_SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.MULTILINE | re.DOTALL
)


def stub_source(source, hint=None):
    """The stub that replaces a solution cell's ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    defs = [node for node in (tree.body if tree else []) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    lines = ["# Exercise: write your answer here, then run the check cell below."]
    src_lines = source.splitlines()
    for node in tree.body if tree else []:  # imports stay: the student's code may need them
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.extend(src_lines[node.lineno - 1 : node.end_lineno])
    if not defs:
        message = hint or "write this cell"
        lines.append(f"raise NotImplementedError({message!r})")
        return "\n".join(lines)
    for node in defs:
        if isinstance(node, ast.ClassDef):
            lines.append(f"class {node.name}:")
            lines.append(f"    raise NotImplementedError({(hint or f'write the class {node.name}')!r})")
            lines.append("")
            continue
        body_start = node.body[0]
        has_doc = (
            isinstance(body_start, ast.Expr)
            and isinstance(body_start.value, ast.Constant)
            and isinstance(body_start.value.value, str)
        )
        header_end = (body_start.end_lineno if has_doc else body_start.lineno - 1)
        first = node.lineno - 1 if not node.decorator_list else node.decorator_list[0].lineno - 1
        header = src_lines[first:header_end]
        indent = " " * (body_start.col_offset)
        lines.extend(header)
        message = hint or f"write {node.name}"
        lines.append(f"{indent}raise NotImplementedError({message!r})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def strip_solutions(markdown):
    """Remove the ``{solution}`` directive blocks from a markdown cell's text."""
    return _SOLUTION_BLOCK.sub("", markdown)


def student_notebook(nb):
    """A student copy of one notebook (a new ``NotebookNode``; ``nb`` is not changed)."""
    nb = nbformat.from_dict(nb)  # deep copy
    nb.cells = [c for c in nb.cells if SOLUTION_RUN_TAG not in c.get("metadata", {}).get("tags", [])]
    stubs = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code":
            if SOLUTION_TAG in tags:
                cell.source = stub_source(cell.source, cell.metadata.get("hint"))
                cell.metadata["tags"] = [t for t in tags if t not in _HIDING_TAGS] + ["exercise"]
                stubs += 1
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_solutions(cell.source)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and not c.source.strip())]
    return nb, stubs


def student_edition(book_dir, out_dir):
    """Write the student edition of every notebook in ``book_dir`` to ``out_dir``; returns a summary."""
    book_dir, out_dir = Path(book_dir), Path(out_dir)
    notebooks = sorted(p for p in book_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve():
        raise ValueError("the student edition must go to another folder than the book itself")
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for path in notebooks:
        nb, stubs = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(nb, out_dir / path.name)
        summary[path.name] = stubs
    for extra in ("nbval_sanitize.cfg",):
        if (book_dir / extra).exists():
            shutil.copy(book_dir / extra, out_dir / extra)
    return summary



# --------------------------------------------------------------------------------------------
# The nbgrader course: ``python -m cnnbook.classroom student-edition --format nbgrader OUTDIR``
# --------------------------------------------------------------------------------------------

CHECK_POINTS = 2  # the visible check cell of an exercise (the one students run themselves)
HIDDEN_POINTS = 1  # the hidden-test cell after it (cases the visible check does not show)

# Pasted at the top of every hidden-test cell, so that the cell runs in any kernel with
# cnnlib, whatever the student defined.  While the student's function runs, the library's own
# implementations of the exercise raise; every name bound to them (``from cnnlib.im2col import
# im2col as ref``) is the same function object, whose code is swapped, so no alias escapes.
_HIDDEN_PRELUDE = '''\
import contextlib as _contextlib
import importlib as _importlib
import numpy as np
import cnnlib


@_contextlib.contextmanager
def _reference_disabled(*functions):
    """cnnlib's own implementations raise while the student's function runs."""
    def refused(*args, **kwargs):
        raise RuntimeError("this answer calls cnnlib's own implementation: write the computation yourself")
    saved = [(f, f.__code__) for f in functions]
    try:
        for f, _ in saved:
            f.__code__ = refused.__code__
        yield
    finally:
        for f, code in saved:
            f.__code__ = code


_im2col_module = _importlib.import_module("cnnlib.im2col")
_layers = _importlib.import_module("cnnlib.layers")
_naive = _importlib.import_module("cnnlib.naive")
_reference = _importlib.import_module("cnnlib.reference")
'''

# Hidden tests, by (notebook stem, name of the first function the solution cell defines).
# Each computes what it expects before the library is disabled (or from a private formula),
# then calls the student's function on a case the visible check does not show.

def _maxpool_hidden(seed, shape):
    """The hidden test of a maxpool_backward exercise: overlapping 3x3 windows, stride 2."""
    return f'''\
# overlapping 3x3 windows with stride 2 on a non-square input
rng = np.random.default_rng({seed})
x = rng.standard_normal({shape})
layer = _layers.MaxPooling(3, 2)
dout = rng.standard_normal(layer.forward(x).shape)
want = layer.backward(dout)
with _reference_disabled(_layers.MaxPooling.forward, _layers.MaxPooling.backward,
                         _reference.MaxPooling.forward, _reference.MaxPooling.backward):
    got = maxpool_backward(x.copy(), dout.copy(), 3, 2)
assert np.shape(got) == want.shape, f"shape {{np.shape(got)}}, expected {{want.shape}}"
assert np.allclose(got, want), "pool 3, stride 2 (overlapping windows): wrong gradient"
'''

HIDDEN_TESTS = {
    ("01_why_cnns", "conv_params"): '''\
# a filter that is not square, on 3 channels; layers of sizes LeNet does not have
assert conv_params(3, 8, 5, 4) == 8 * 3 * 5 * 4 + 8, "conv_params(C=3, FN=8, FH=5, FW=4)"
assert conv_params(2, 1, 1, 1) == 3, "conv_params(C=2, FN=1, FH=1, FW=1): two weights and one bias"
assert dense_params(10, 3) == 33, "dense_params(10, 3)"
assert dense_params(1, 7) == 14, "dense_params(1, 7)"
''',
    ("02_convolution", "conv_forward"): '''\
# float32 input, a 3x2 filter, stride 2 and padding 2 (the check uses float64 and pad <= 1)
rng = np.random.default_rng(1202)
x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
W = rng.standard_normal((5, 3, 3, 2)).astype(np.float32)
b = rng.standard_normal(5).astype(np.float32)
want = _naive.conv_forward_naive(x.astype(np.float64), W.astype(np.float64), b.astype(np.float64), 2, 2)
with _reference_disabled(_naive.conv_forward_naive, _layers.Convolution.forward, _im2col_module.im2col,
                         _im2col_module.im2col_t, _reference.Convolution.forward):
    got = conv_forward(x.copy(), W.copy(), b.copy(), 2, 2)
assert np.shape(got) == want.shape, f"stride 2, pad 2: shape {np.shape(got)}, expected {want.shape}"
assert np.allclose(got, want, rtol=1e-4, atol=1e-4), "stride 2, pad 2, float32: wrong values"
''',
    ("03_padding_stride", "conv_output_size"): '''\
with _reference_disabled(_im2col_module.conv_output_size, _naive._out_size):
    assert conv_output_size(11, 3, 4, 0) == 3, "conv_output_size(H=11, F=3, S=4, P=0)"
    assert conv_output_size(1, 1, 1, 0) == 1, "conv_output_size(H=1, F=1, S=1, P=0)"
    try:
        got = conv_output_size(3, 5, 1, 0)
    except ValueError:
        got = "ValueError"
assert got == "ValueError", (
    f"conv_output_size(H=3, F=5, S=1, P=0): the filter is larger than the input, so there is no "
    f"output; raise ValueError (your function returned {got!r})")
''',
    ("04_pooling", "maxpool_backward"): _maxpool_hidden(1204, (2, 2, 9, 7)),
    ("05_im2col", "my_im2col"): '''\
# float32, a 3x5 filter, stride 2, padding 2 (the check uses float64 and pad <= 1)
rng = np.random.default_rng(1205)
x = rng.standard_normal((2, 3, 9, 7)).astype(np.float32)
want = _im2col_module.im2col(x, 3, 5, 2, 2)
with _reference_disabled(_im2col_module.im2col, _im2col_module.im2col_t, _im2col_module.windows,
                         _naive.im2col_naive, _layers.Convolution.forward, _reference.Convolution.forward):
    got = my_im2col(x.copy(), 3, 5, 2, 2)
assert np.shape(got) == want.shape, f"shape {np.shape(got)}, expected {want.shape}"
assert np.allclose(got, want), "filter 3x5, stride 2, pad 2: wrong values"
''',
    ("05_im2col", "my_col2im"): '''\
# stride 1 and padding 2: every pixel is covered by up to nine overlapping patches
rng = np.random.default_rng(1206)
shape = (2, 2, 6, 7)
col = rng.standard_normal((2 * 8 * 9, 2 * 3 * 3))
want = _im2col_module.col2im(col, shape, 3, 3, 1, 2)
with _reference_disabled(_im2col_module.col2im, _im2col_module.col2im_t, _layers.Convolution.backward,
                         _reference.Convolution.backward):
    got = my_col2im(col.copy(), shape, 3, 3, 1, 2)
assert np.shape(got) == want.shape, f"shape {np.shape(got)}, expected {want.shape}"
assert np.allclose(got, want), "stride 1, pad 2: wrong values (overlapping patches must add up)"
''',
    ("06_minibatch", "softmax_cross_entropy_grad"): '''\
# large logits: exp(1000) overflows unless each row's maximum is subtracted first
logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 800.0, 1.0], [-5.0, -5.0, -5.0]])
labels = np.array([0, 2, 1])
layer = _layers.SoftmaxCrossEntropy()
layer.forward(logits, labels)
want = layer.backward()
with _reference_disabled(_layers.SoftmaxCrossEntropy.forward, _layers.SoftmaxCrossEntropy.backward,
                         _reference.SoftmaxCrossEntropy.forward, _reference.SoftmaxCrossEntropy.backward), \\
        np.errstate(all="ignore"):
    got = softmax_cross_entropy_grad(logits.copy(), labels.copy())
assert np.all(np.isfinite(got)), "logits of 1000: subtract each row's maximum before np.exp (got inf or nan)"
assert np.allclose(got, want), "logits of 1000: wrong gradient"
''',
    ("06_minibatch", "adam_step"): '''\
# other hyperparameters than the check's (0.01, 0.9, 0.999, 1e-7), a 2-D parameter, step t = 7
rng = np.random.default_rng(1207)
p, g, m = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
v = rng.uniform(0.1, 1.0, (3, 2))
t, lr, b1, b2, eps = 7, 0.003, 0.8, 0.99, 1e-5
m_want = b1 * m + (1 - b1) * g
v_want = b2 * v + (1 - b2) * g * g
p_want = p - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m_want / (np.sqrt(v_want) + eps)
with _reference_disabled(cnnlib.optimizers.Adam._step, _reference.Adam.step):
    got = adam_step(p.copy(), g.copy(), m.copy(), v.copy(), t, lr, b1, b2, eps)
assert isinstance(got, tuple) and len(got) == 3, "return (new_param, new_m, new_v)"
for what, a, b in zip(("param", "m", "v"), got, (p_want, m_want, v_want)):
    assert np.shape(a) == b.shape and np.allclose(a, b), f"lr={lr}, beta1={b1}, beta2={b2}, t={t}: wrong {what}"
''',
    ("07_lenet_scratch_mnist", "activation_stds"): '''\
# another initialisation, another seed, other images
hidden_net = cnnlib.LeNet(weight_init=0.1, seed=7)
hidden_x = x_train[100:130]
want = {name: float(out.std()) for name, out in hidden_net.activations(hidden_x).items()
        if name.startswith(("conv", "dense"))}
got = activation_stds(hidden_net, hidden_x)
assert list(got) == list(want), f"expected the keys {list(want)}, got {list(got)}"
assert all(np.isclose(got[k], want[k], rtol=1e-4) for k in want), "std 0.1, seed 7: wrong values"
''',
    ("08_chainer_to_keras", "scratch_to_keras"): '''\
# the biases of a fresh LeNet are zero, so the check cannot see a bias left behind: make them not zero
hidden_scratch, hidden_keras = cnnlib.LeNet(seed=8), cnnlib.build_lenet()
hidden_rng = np.random.default_rng(1208)
for key, value in hidden_scratch.params.items():
    if key.endswith(".b"):
        value[...] = hidden_rng.uniform(-0.5, 0.5, value.shape)
scratch_to_keras(hidden_scratch, hidden_keras)
hidden_images = x_test_10k[-20:]
assert np.allclose(hidden_keras.get_layer("conv2").bias.numpy(), hidden_scratch.params["conv2.b"]), "conv2: copy the bias"
assert np.allclose(hidden_keras.predict(hidden_images, verbose=0),
                   hidden_scratch.predict(cnnlib.to_nchw(hidden_images)), atol=1e-4), "non-zero biases: the logits differ"
''',
    ("09_alexnet_keras_mnist", "same_output_shapes"): '''\
# inputs whose sizes are not multiples of the strides (a private reference: ceil(n / stride))
def _expected(h, w, c):
    shapes = []
    for stride, filters in [(4, 96), (2, None), (1, 256), (2, None), (1, 384), (1, 384), (1, 256), (2, None)]:
        h, w = -(-h // stride), -(-w // stride)
        c = filters or c
        shapes.append((h, w, c))
    return shapes
for shape in [(227, 227, 3), (50, 37, 1), (9, 9, 2)]:
    got = [tuple(s) for s in same_output_shapes(shape)]
    assert got == _expected(*shape), f"input {shape}: got {got}, expected {_expected(*shape)}"
''',
    ("10_alexnet_scratch_cifar10", "confusion_matrix"): '''\
# plain lists, classes that never occur, and one pair repeated three times
got = confusion_matrix([2, 2, 2, 0], [1, 1, 1, 0], num_classes=5)
want = np.zeros((5, 5), dtype=int)
want[2, 1], want[0, 0] = 3, 1
assert np.shape(got) == (5, 5), f"num_classes=5: shape {np.shape(got)}, expected (5, 5)"
assert np.array_equal(got, want), f"expected {want.tolist()}, got {np.asarray(got).tolist()}"
''',
    ("11_alexnet_keras_cifar10", "scratch_to_keras"): '''\
# biases, gammas and betas that are not the defaults 0, 1, 0, so a parameter left behind shows
hidden_scratch = cnnlib.AlexNet(seed=11)
hidden_rng = np.random.default_rng(1211)
for key, value in list(hidden_scratch.params.items()) + list(hidden_scratch.state.items()):
    if key.endswith((".b", ".gamma", ".beta", ".moving_mean")):
        value[...] = hidden_rng.uniform(-0.5, 0.5, value.shape) + (1.0 if key.endswith(".gamma") else 0.0)
    elif key.endswith(".moving_var"):
        value[...] = hidden_rng.uniform(0.5, 1.5, value.shape)
hidden_keras = cnnlib.build_alexnet(input_shape=(32, 32, 3))
scratch_to_keras(hidden_scratch, hidden_keras)
hidden_images = x_test_10k[-10:]
assert np.allclose(hidden_keras.get_layer("bn1").beta.numpy(), hidden_scratch.params["bn1.beta"]), "bn1: copy beta"
assert np.allclose(hidden_keras.get_layer("logits").bias.numpy(), hidden_scratch.params["dense3.b"]), "logits: copy the bias"
assert np.allclose(hidden_keras.predict(hidden_images, verbose=0),
                   hidden_scratch.predict(cnnlib.to_nchw(hidden_images)), rtol=1e-3, atol=1e-3), "the logits differ"
''',
    ("12_overfitting", "random_crop"): '''\
# every crop must be a window of the reflect-padded image, and every offset 0 .. 2*pad must occur
hidden_images = np.arange(300 * 4 * 4, dtype=np.float32).reshape(300, 4, 4, 1)
hidden_crops = random_crop(hidden_images, 1, np.random.default_rng(1212))
padded = np.pad(hidden_images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
offsets = set()
for i in range(len(hidden_images)):
    found = [(dy, dx) for dy in range(3) for dx in range(3)
             if np.array_equal(hidden_crops[i], padded[i, dy:dy + 4, dx:dx + 4])]
    assert found, f"crop {i} is not a 4x4 window of the image padded by 1 pixel (mode 'reflect')"
    offsets.update(found)
assert len(offsets) == 9, f"pad=1: offsets 0, 1 and 2 in each direction must all occur; seen {sorted(offsets)}"
uint8_images = np.random.default_rng(0).integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)
assert random_crop(uint8_images, 2, np.random.default_rng(1)).dtype == np.uint8, "keep the dtype (uint8 images)"
''',
    ("performance", "maxpool_backward"): _maxpool_hidden(1213, (2, 3, 7, 9)),
    ("scaling", "combine_replica_gradients"): '''\
# 2-D gradients, one replica alone, and very unequal slices
g1, g2 = np.full((3, 2), 1.0), np.full((3, 2), 4.0)
assert np.allclose(combine_replica_gradients([g1, g2], [1, 2]), np.full((3, 2), 3.0)), "slices of 1 and 2 rows"
assert np.allclose(combine_replica_gradients([g2], [5]), g2), "one replica: its own gradient"
assert np.shape(combine_replica_gradients([g1, g2, g2], [10, 1, 1])) == (3, 2), "keep the gradient's shape"
''',
    ("06a_inside_a_conv_layer", "conv_input_grad"): '''\
# a 5x5 filter, more filters than channels, padding 2, a non-square input
rng = np.random.default_rng(1106)
x = rng.standard_normal((2, 3, 9, 7))
W = rng.standard_normal((5, 3, 5, 5))
layer = _layers.Convolution(W, np.zeros(5), pad=2)
dout = rng.standard_normal(layer.forward(x).shape)
want = layer.backward(dout)
_reference = _importlib.import_module("cnnlib.reference")
with _reference_disabled(_layers.Convolution.backward, _im2col_module.col2im, _im2col_module.col2im_t,
                         _reference.Convolution.backward, _reference.col2im):
    got = conv_input_grad(dout.copy(), W.copy(), 2)
assert np.shape(got) == want.shape, f"shape {np.shape(got)}, expected {want.shape}"
assert np.allclose(got, want), "5x5 filters, 5 filters on 3 channels, pad 2: wrong input gradient"
''',
    ("06b_batchnorm_dropout", "batchnorm_backward"): '''\
# a larger batch, another epsilon, features on very different scales
rng = np.random.default_rng(1107)
x = rng.standard_normal((32, 6)) * np.array([0.01, 0.1, 1, 10, 100, 1000]) + 5
gamma, dout, eps = rng.uniform(-2, 2, 6), rng.standard_normal((32, 6)), 1e-5
xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
want_dbeta, want_dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
want_dx = gamma / np.sqrt(x.var(axis=0) + eps) * (dout - want_dbeta / 32 - xhat * want_dgamma / 32)
_reference = _importlib.import_module("cnnlib.reference")
with _reference_disabled(_layers.BatchNormalization.backward, _reference.BatchNormalization.backward):
    got = batchnorm_backward(dout.copy(), x.copy(), gamma.copy(), eps)
assert isinstance(got, tuple) and len(got) == 3, "return (dx, dgamma, dbeta)"
for what, a, b in zip(("dx", "dgamma", "dbeta"), got, (want_dx, want_dgamma, want_dbeta)):
    assert np.shape(a) == b.shape and np.allclose(a, b), f"batch of 32, eps=1e-5: wrong {what}"
''',
}


def _nbgrader_meta(cell, grade_id, *, grade=False, solution=False, locked=True, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
        "cell_type": cell.cell_type,
    }
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def solution_region_source(source, hint=None):
    """``source`` with nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` around each
    function's body (the signature and docstring stay for the student; imports stay as they are).
    Other top-level statements are wrapped whole."""
    tree = ast.parse(source)
    lines = source.splitlines()
    begin, end = {}, {}  # line index -> indentation of the marker put before / after that line
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                       and isinstance(body[0].value.value, str))
            if has_doc and len(body) > 1:
                body = body[1:]
            first = body[0].lineno - 1
            begin[first] = " " * body[0].col_offset
            end[node.end_lineno - 1] = " " * body[0].col_offset
        else:
            begin[node.lineno - 1] = ""
            end[node.end_lineno - 1] = ""
    out = []
    for i, line in enumerate(lines):
        if i in begin:
            if hint:
                out.append(f"{begin[i]}# Hint: {hint}")
            out.append(f"{begin[i]}### BEGIN SOLUTION")
        out.append(line)
        if i in end:
            out.append(f"{end[i]}### END SOLUTION")
    return "\n".join(out) + "\n"


def _first_definition(source):
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return None


def nbgrader_notebook(nb, stem):
    """The nbgrader *source* version of one chapter (a new notebook; ``nb`` is not changed).

    Returns ``(notebook, exercises)``: ``exercises`` lists, per coding exercise, the function
    name, the grade ids of its check and hidden-test cells and their points.
    """
    nb = nbformat.from_dict(nb)  # deep copy
    cells, exercises = [], []
    used_ids = set()

    def unique(grade_id):
        base, n = grade_id, 1
        while grade_id in used_ids:
            n += 1
            grade_id = f"{base}_{n}"
        used_ids.add(grade_id)
        return grade_id

    pending = None  # the exercise whose check cell comes next
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_RUN_TAG in tags:
            continue
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = strip_solutions(cell.source)
            if not cell.source.strip():
                continue
            cells.append(_nbgrader_meta(cell, unique(f"md_{i}")))
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        cell.outputs, cell.execution_count = [], None
        if SOLUTION_TAG in tags:
            name = _first_definition(cell.source) or f"cell{i}"
            cell.source = solution_region_source(cell.source, cell.metadata.get("hint"))
            cell.metadata["tags"] = [t for t in tags if t not in _HIDING_TAGS] + ["exercise"]
            cells.append(_nbgrader_meta(cell, unique(f"answer_{name}"), solution=True, locked=False))
            pending = name
            continue
        if pending is not None:  # the check cell right after a solution: autograded, then the hidden tests
            name, pending = pending, None
            check_id = unique(f"check_{name}")
            cells.append(_nbgrader_meta(cell, check_id, grade=True, points=CHECK_POINTS))
            exercise = {"function": name, "check": check_id, "check_points": CHECK_POINTS,
                        "hidden": None, "hidden_points": 0}
            hidden = HIDDEN_TESTS.get((stem, name))
            if hidden is None:
                print(f"warning: {stem}: no hidden test for the exercise {name!r} "
                      f"(add one to cnnbook.classroom.HIDDEN_TESTS)", file=sys.stderr)
            else:
                hidden_cell = nbformat.v4.new_code_cell(
                    "# Hidden tests: the grader runs more cases of this exercise here.\n"
                    "### BEGIN HIDDEN TESTS\n" + _HIDDEN_PRELUDE + "\n\n" + hidden.rstrip() + "\n"
                    "### END HIDDEN TESTS\n"
                )
                hidden_id = unique(f"hidden_{name}")
                cells.append(_nbgrader_meta(hidden_cell, hidden_id, grade=True, points=HIDDEN_POINTS))
                exercise.update(hidden=hidden_id, hidden_points=HIDDEN_POINTS)
            exercises.append(exercise)
            continue
        cells.append(_nbgrader_meta(cell, unique(f"cell_{i}")))
    nb.cells = cells
    return nb, exercises


NBGRADER_CONFIG = '''\
"""nbgrader configuration of the course written by `python -m cnnbook.classroom student-edition
--format nbgrader` (the book's appendix "For teachers" gives the steps)."""

c = get_config()  # noqa: F821 (nbgrader defines it)

c.CourseDirectory.course_id = "cnn-book"

# Autograding re-runs each submitted notebook from the top. Chapters 7-12 train networks (minutes
# per cell on two CPU cores), so a cell may run up to 30 minutes before it counts as failed.
c.Execute.timeout = 1800

# zip_collect: how to read the student and the notebook from the name of a downloaded file.
# Here  <student id>_<notebook>.ipynb, e.g.  s1234_05_im2col.ipynb  (the student id has no "_").
# Adapt the pattern to the file names your learning-management system gives.
c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+)\\.ipynb$"
'''


def nbgrader_course(book_dir, out_dir):
    """Write an nbgrader course directory: ``nbgrader_config.py`` and ``source/<assignment>/``,
    one assignment per chapter with coding exercises.  Returns ``{assignment: exercises}``."""
    book_dir, out_dir = Path(book_dir), Path(out_dir)
    notebooks = sorted(book_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve() or book_dir.resolve() in out_dir.resolve().parents:
        raise ValueError("the nbgrader course must go to another folder than the book itself")
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        nb, exercises = nbgrader_notebook(nbformat.reads(text, as_version=4), path.stem)
        if not exercises:
            continue
        assignment = out_dir / "source" / path.stem
        assignment.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, assignment / path.name)
        for folder in ("data", "images"):  # files a chapter reads or shows by a relative path
            if (book_dir / folder).is_dir() and f"{folder}/" in text:
                shutil.copytree(book_dir / folder, assignment / folder, dirs_exist_ok=True)
        summary[path.stem] = exercises
    (out_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG, encoding="utf-8")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnbook.classroom", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    se = sub.add_parser("student-edition", help="write the notebooks with solutions replaced by stubs")
    se.add_argument("outdir", help="folder to write the student notebooks (or the nbgrader course) to")
    se.add_argument("--book", default="book", help="folder of the book's notebooks (default: ./book)")
    se.add_argument(
        "--format",
        choices=("notebooks", "nbgrader"),
        default="notebooks",
        help="notebooks: stubs for self-study (default); nbgrader: a course directory for nbgrader",
    )
    args = parser.parse_args(argv)
    if args.format == "nbgrader":
        try:
            course = nbgrader_course(args.book, args.outdir)
        except (FileNotFoundError, ValueError) as e:
            parser.exit(2, f"error: {e}\n")
        for assignment, exercises in course.items():
            points = sum(e["check_points"] + e["hidden_points"] for e in exercises)
            names = ", ".join(e["function"] for e in exercises)
            print(f"source/{assignment}: {len(exercises)} exercise(s) ({names}), {points} points")
        print(f"nbgrader course written to {args.outdir} (next: cd {args.outdir} && nbgrader generate_assignment NAME)")
        return 0
    try:
        summary = student_edition(args.book, args.outdir)
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")
    for name, stubs in summary.items():
        print(f"{name}: {stubs} exercise stub(s)")
    print(f"student edition written to {args.outdir}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
